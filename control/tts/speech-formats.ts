/**
 * The audio formats `/v1/audio/speech` streams: each turns PCM pieces into bytes as they arrive, so
 * the first sentence is on the wire before the second is synthesised, whatever the format.
 *   wav  24 kHz PCM16 with an open-ended header     pcm   24 kHz s16le, OpenAI's raw format
 *   mp3  24 kHz mono, LAME (wasm) at 48 kbit/s CBR   opus  48 kHz Ogg Opus, libopus at 32 kbit/s
 * aac and flac are refused with the list of what is available.
 */
import { readFile } from 'node:fs/promises';
import { createEncoder } from 'wasm-media-encoders';
import { OggOpusWriter } from '../../media/ogg-opus-writer.ts';
import { bytesFromInt16 } from '../../media/pcm.ts';
import { HttpError } from '../http/errors.ts';
import { streamingWavHeader } from './pcm-reply.ts';

export const SPEECH_FORMATS = ['wav', 'pcm', 'mp3', 'opus'] as const;
export type SpeechFormat = (typeof SPEECH_FORMATS)[number];

export interface SpeechEncoder {
  contentType: string;
  /** The rate to synthesise at. */
  sampleRate: number;
  /**
   * Compressed formats cost CPU on the event loop (mp3 about 6 ms per second of audio here): a
   * sentence is encoded in slices this long, yielding between them, so live calls keep their 20 ms.
   */
  sliceSamples?: number;
  /** Bytes before any audio (headers). */
  start(): Uint8Array;
  encode(pcm: Int16Array): Uint8Array;
  /** The encoder's tail, only when the audio ended normally. */
  end(): Uint8Array;
  /** Frees native or wasm memory; safe after end() and after an aborted stream. */
  close(): void;
}

const PCM_RATE = 24000;
const EMPTY = new Uint8Array(0);

export function isSpeechFormat(f: string): f is SpeechFormat {
  return (SPEECH_FORMATS as readonly string[]).includes(f);
}

export async function speechEncoder(format: string): Promise<SpeechEncoder> {
  switch (format) {
    case 'wav':
      return raw('audio/wav', streamingWavHeader(PCM_RATE));
    case 'pcm':
      return raw(`audio/L16;rate=${PCM_RATE};channels=1`, EMPTY);
    case 'mp3':
      return mp3Encoder();
    case 'opus':
      return opusEncoder();
    default:
      throw new HttpError(400, 'unsupported_format', `response_format "${format}" is not available here; use ${SPEECH_FORMATS.join(', ')}`, { supported: SPEECH_FORMATS });
  }
}

function raw(contentType: string, header: Uint8Array): SpeechEncoder {
  return { contentType, sampleRate: PCM_RATE, start: () => header, encode: (pcm) => bytesFromInt16(pcm), end: () => EMPTY, close() {} };
}

type WasmSource = Parameters<typeof createEncoder>[1];
/** Compiled once per process: compiling LAME's wasm costs more than encoding a sentence. */
let mp3Wasm: Promise<WasmSource> | null = null;

async function mp3Encoder(): Promise<SpeechEncoder> {
  mp3Wasm ??= readFile(new URL(import.meta.resolve('wasm-media-encoders/wasm/mp3'))).then((b) => new Uint8Array(b));
  const source = await mp3Wasm;
  const enc = await createEncoder('audio/mpeg', source, (compiled) => {
    mp3Wasm = Promise.resolve(compiled as WasmSource);
  });
  enc.configure({ sampleRate: PCM_RATE, channels: 1, bitrate: 48, outputSampleRate: PCM_RATE });
  // encode() returns a view of the encoder's own buffer, overwritten by the next call: copy it.
  const copy = (b: Uint8Array) => new Uint8Array(b);
  return {
    contentType: 'audio/mpeg',
    sampleRate: PCM_RATE,
    sliceSamples: PCM_RATE / 10,
    start: () => EMPTY,
    encode(pcm) {
      const f = new Float32Array(pcm.length);
      for (let i = 0; i < pcm.length; i++) f[i] = pcm[i]! / 32768;
      return copy(enc.encode([f]));
    },
    end: () => copy(enc.finalize()),
    close() {},
  };
}

function opusEncoder(): SpeechEncoder {
  const w = new OggOpusWriter(48000);
  return {
    contentType: 'audio/ogg; codecs=opus',
    sampleRate: 48000,
    sliceSamples: 48000 / 10,
    start: () => w.start(),
    encode: (pcm) => w.write(pcm),
    end: () => w.end(),
    close: () => w.close(),
  };
}
