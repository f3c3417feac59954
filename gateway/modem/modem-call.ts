/**
 * One answered GSM call bridged to a pipeline: caller audio from the modem's audio port (8 kHz
 * s16le) is resampled to the pipeline's 16 kHz; reply frames are pulled on a 10 ms clock and
 * written back at 8 kHz only while the modem holds at most `maxAheadFrames` (2) frames, because
 * audio already inside the modem cannot be recalled: that queue depth is the floor of barge-in.
 */
import { EventEmitter } from 'node:events';
import { MediaClock } from '../../media/media-clock.ts';
import { createResampler, type Resampler } from '../../media/resampler.ts';
import type { CallInfo, CallPipeline, PipelineEvent, PipelineFactory } from '../../pipeline/call-pipeline.ts';
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
  private readonly up: Resampler;
  private readonly down: Resampler;
  private pending = new Int16Array(0);
  private unsubscribe: (() => void) | null = null;
  private endedWith: string | null = null;

  constructor(
    readonly info: CallInfo,
    private readonly port: ModemAudioPort,
    factory: PipelineFactory,
    private readonly clock: MediaClock = modemClock,
  ) {
    super();
    if (port.sampleRate !== 8000) throw new Error('modem calls run at 8 kHz (AT+CPCMFRM=0)');
    this.up = createResampler(8000, 16000);
    this.down = createResampler(16000, 8000);
    this.pipeline = factory(info);
    this.pipeline.onEvent((e) => {
      this.emit('pipeline', e);
      if (e.type === 'hangup') this.emit('hangup', e.reason);
    });
    port.onAudio((pcm) => {
      if (this.endedWith) return;
      this.stats.framesIn += pcm.length / 160;
      this.pipeline.pushAudio(this.up.process(pcm));
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
      this.stats.framesOut++;
    }
  }

  private nextFrame(): Int16Array {
    while (this.pending.length < 160) {
      const reply = this.pipeline.pullAudio();
      if (!reply) {
        if (this.pending.length === 0) {
          this.stats.silentFrames++;
          return new Int16Array(160);
        }
        const out = new Int16Array(160);
        out.set(this.pending);
        this.pending = new Int16Array(0);
        return out;
      }
      const down = this.down.process(reply);
      const joined = new Int16Array(this.pending.length + down.length);
      joined.set(this.pending);
      joined.set(down, this.pending.length);
      this.pending = joined;
    }
    const frame = this.pending.slice(0, 160);
    this.pending = this.pending.subarray(160);
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
