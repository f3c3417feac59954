/**
 * One answered GSM call bridged to a pipeline: caller audio from the modem's audio port (8 kHz
 * s16le, or 16 kHz after AT+CPCMFRM=1) is resampled to the pipeline's 16 kHz; reply frames are pulled on a 10 ms clock and
 * written back at 8 kHz only while the modem holds at most `maxAheadFrames` (2) frames, because
 * audio already inside the modem cannot be recalled: that queue depth is the floor of barge-in.
 */
import { EventEmitter } from 'node:events';
import { MediaClock } from '../../media/media-clock.ts';
import { createResampler, type Resampler } from '../../media/resampler.ts';
import { FATAL_PIPELINE_ERRORS, type CallInfo, type CallPipeline, type PipelineEvent, type PipelineFactory } from '../../pipeline/call-pipeline.ts';
import type { ModemAudioPort } from './audio-port.ts';

/** One clock for every modem call: 10 ms keeps the 2-frame modem queue topped up without bursts. */
export const modemClock = new MediaClock({ intervalMs: 10 });

export type ModemCallEvents = {
  pipeline: [PipelineEvent];
  /** The pipeline asked to hang up (dialogue finished). */
  hangup: [string];
  ended: [string];
};

export interface ModemCallStats {
  framesIn: number;
  framesOut: number;
  /** Ticks where the modem queue had room but the pipeline had nothing (silence is written then). */
  silentFrames: number;
}

export class ModemCall extends EventEmitter<ModemCallEvents> {
  readonly pipeline: CallPipeline;
  readonly startedAt = Date.now();
  readonly stats: ModemCallStats = { framesIn: 0, framesOut: 0, silentFrames: 0 };
  /** Null at 16 kHz (AT+CPCMFRM=1): the line already runs at the pipeline's rate. */
  private readonly up: Resampler | null;
  private readonly down: Resampler | null;
  private readonly frame: number;
  /** Both directions at the line rate, when recording. */
  readonly recording: { caller: Int16Array[]; reply: Int16Array[] } | null;
  private pending = new Int16Array(0);
  private unsubscribe: (() => void) | null = null;
  private endedWith: string | null = null;

  constructor(
    readonly info: CallInfo,
    private readonly port: ModemAudioPort,
    factory: PipelineFactory,
    private readonly clock: MediaClock = modemClock,
    opts: { record?: boolean } = {},
  ) {
    super();
    const narrow = port.sampleRate === 8000;
    this.up = narrow ? createResampler(8000, 16000) : null;
    this.down = narrow ? createResampler(16000, 8000) : null;
    this.frame = port.frameSamples;
    this.recording = opts.record ? { caller: [], reply: [] } : null;
    this.pipeline = factory(info);
    this.pipeline.onEvent((e) => {
      this.emit('pipeline', e);
      if (e.type === 'hangup') this.emit('hangup', e.reason);
      // A deaf pipeline must not hold the line: the caller would talk to silence until hanging up.
      else if (e.type === 'error' && FATAL_PIPELINE_ERRORS.has(e.code)) this.emit('hangup', e.code);
    });
    port.onAudio((pcm) => {
      if (this.endedWith) return;
      this.stats.framesIn += pcm.length / this.frame;
      this.recording?.caller.push(pcm);
      this.pipeline.pushAudio(this.up ? this.up.process(pcm) : pcm);
    });
  }

  get ended(): boolean {
    return this.endedWith !== null;
  }

  start(): void {
    this.pipeline.start();
    this.unsubscribe = this.clock.subscribe(() => this.pump());
  }

  /** Top the modem queue up to its bound with reply audio (or silence, so the line stays fed). */
  private pump(): void {
    if (this.endedWith || !this.port.isOpen) return;
    while (this.port.canWrite()) {
      const frame = this.nextFrame();
      if (!this.port.writeFrame(frame)) break;
      this.recording?.reply.push(frame);
      this.stats.framesOut++;
    }
  }

  private nextFrame(): Int16Array {
    const n = this.frame;
    while (this.pending.length < n) {
      const reply = this.pipeline.pullAudio();
      if (!reply) {
        if (this.pending.length === 0) {
          this.stats.silentFrames++;
          return new Int16Array(n);
        }
        const out = new Int16Array(n);
        out.set(this.pending);
        this.pending = new Int16Array(0);
        return out;
      }
      const down = this.down ? this.down.process(reply) : reply;
      const joined = new Int16Array(this.pending.length + down.length);
      joined.set(this.pending);
      joined.set(down, this.pending.length);
      this.pending = joined;
    }
    const frame = this.pending.slice(0, n);
    this.pending = this.pending.subarray(n);
    return frame;
  }

  /** End the call's media side (the AT side hangs up separately). Idempotent. */
  async end(reason: string): Promise<void> {
    if (this.endedWith) return;
    this.endedWith = reason;
    this.unsubscribe?.();
    await this.pipeline.close(reason);
    this.emit('ended', reason);
  }
}
