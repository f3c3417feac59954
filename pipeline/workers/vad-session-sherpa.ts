/**
 * Silero VAD session on sherpa-onnx's VoiceActivityDetector, run inside a stream worker (never on
 * the gateway thread), fed 16 kHz audio and turned into sample-accurate start/end events. One
 * detector (and ONNX Runtime session, ~10 MB) per stream: the batched runtime
 * (vad-session-batched.ts) is the default; this one is `runtime: 'sherpa'`, the reference the
 * batched one is tested against and the baseline of `npm run bench -- vad`.
 *
 * sherpa reports a finished segment (start, samples) but only a boolean while speech goes on, so
 * the start event is computed the way sherpa computes the segment start (see
 * voice-activity-detector.cc: tail - 2 * window - min_speech, clamped to the buffer head) and the
 * end event takes sherpa's own segment. Audio is fed one window shift (512 samples) at a time so a
 * transition is seen within one window.
 */
import { int16ToFloat32, sherpa, type SherpaVad } from '../engines/sherpa-onnx.ts';
import type { WorkerSession } from './protocol.ts';
import type { VadEvent } from '../engines/types.ts';
import type { VadSessionConfig } from './vad-session-config.ts';

const RATE = 16000;
const SHIFT = 512;

class VadSession implements WorkerSession {
  private vad: SherpaVad;
  private fed = 0;
  private inSpeech = false;
  private lastEnd = 0;
  private readonly window: number;
  private readonly minSpeechSamples: number;

  constructor(private readonly config: VadSessionConfig) {
    this.vad = this.create();
    this.window = SHIFT + (config.v5 ? 64 : 0);
    this.minSpeechSamples = Math.floor(RATE * config.minSpeechSec);
  }

  private create(): SherpaVad {
    const c = this.config;
    return new (sherpa().Vad)(
      {
        sileroVad: {
          model: c.model,
          threshold: c.threshold,
          minSpeechDuration: c.minSpeechSec,
          minSilenceDuration: c.minSilenceSec,
          maxSpeechDuration: c.maxSpeechSec,
          windowSize: SHIFT,
        },
        sampleRate: RATE,
        numThreads: 1,
        debug: 0,
      },
      // Seconds of audio sherpa buffers: a segment longer than this loses its head, so > maxSpeech.
      Math.ceil(c.maxSpeechSec) + 5,
    );
  }

  data(pcm: Int16Array): VadEvent[] {
    const events: VadEvent[] = [];
    const f = int16ToFloat32(pcm);
    for (let i = 0; i < f.length; i += SHIFT) {
      const part = f.subarray(i, Math.min(f.length, i + SHIFT));
      this.vad.acceptWaveform(part);
      this.fed += part.length;
      this.collect(events);
    }
    return events;
  }

  private collect(events: VadEvent[]): void {
    const detected = this.vad.isDetected();
    if (detected && !this.inSpeech) {
      this.inSpeech = true;
      const windows = this.fed >= this.window ? Math.floor((this.fed - this.window) / SHIFT) + 1 : 0;
      const tail = windows * SHIFT;
      const sample = Math.max(tail - 2 * this.window - this.minSpeechSamples, this.lastEnd, 0);
      events.push({ type: 'speech_start', sample, t_ms: (sample / RATE) * 1000 });
    }
    while (!this.vad.isEmpty()) {
      const seg = this.vad.front(false);
      this.vad.pop();
      // sherpa ends the segment at the first window that fell below the threshold, i.e. up to one
      // window after the last speech sample; one window back is closer to the truth (measured).
      const end = Math.max(seg.start, seg.start + seg.samples.length - SHIFT);
      this.lastEnd = end;
      this.inSpeech = false;
      events.push({ type: 'speech_end', sample: end, t_ms: (end / RATE) * 1000, startSample: seg.start });
    }
  }

  reset(): void {
    this.vad.reset();
    this.fed = 0;
    this.lastEnd = 0;
    this.inSpeech = false;
  }
}

export function createSession(config: unknown): WorkerSession {
  return new VadSession(config as VadSessionConfig);
}
