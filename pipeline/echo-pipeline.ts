/**
 * A conversation that repeats the caller: every frame pushed in comes back out on the next pull.
 * It exists to test transports end to end (codec conversion both ways, pacing, backpressure)
 * before and independently of the real voice pipeline.
 */
import {
  PIPELINE_FRAME_SAMPLES,
  type CallInfo,
  type CallPipeline,
  type CallRecordEvent,
  type CallRecordListener,
  type CallerControl,
  type PipelineEvent,
  type PipelineEventListener,
} from './call-pipeline.ts';

/** At most this much caller audio (2 s) waits to be echoed; older frames are dropped first. */
const MAX_QUEUED_FRAMES = 100;
const NO_SAMPLES = new Int16Array(0);

export class EchoPipeline implements CallPipeline {
  private readonly queue: Int16Array[] = [];
  private readonly listeners = new Set<PipelineEventListener>();
  private readonly recordListeners = new Set<CallRecordListener>();
  private turns = 0;
  private pending = NO_SAMPLES;
  private closed = false;
  droppedFrames = 0;

  constructor(readonly info: CallInfo) {}

  start(): void {}

  pushAudio(pcm: Int16Array): void {
    if (this.closed) return;
    if (this.pending.length === 0 && pcm.length === PIPELINE_FRAME_SAMPLES) {
      // The usual case: a whole frame, ours to keep (see CallPipeline.pushAudio), queued as is.
      this.queue.push(pcm);
      this.trim();
      return;
    }
    // Re-frame to exact 20 ms frames so any chunk size in gives clean frames out.
    let data = pcm;
    if (this.pending.length) {
      data = new Int16Array(this.pending.length + pcm.length);
      data.set(this.pending);
      data.set(pcm, this.pending.length);
    }
    let offset = 0;
    while (data.length - offset >= PIPELINE_FRAME_SAMPLES) {
      this.queue.push(data.slice(offset, offset + PIPELINE_FRAME_SAMPLES));
      offset += PIPELINE_FRAME_SAMPLES;
    }
    this.pending = offset === data.length ? NO_SAMPLES : data.slice(offset);
    this.trim();
  }

  private trim(): void {
    while (this.queue.length > MAX_QUEUED_FRAMES) {
      this.queue.shift();
      this.droppedFrames++;
    }
  }

  pullAudio(): Int16Array | null {
    return this.queue.shift() ?? null;
  }

  control(message: CallerControl): void {
    if (message.type === 'clear') {
      this.queue.length = 0;
      this.pending = NO_SAMPLES;
    } else if (message.type === 'text') {
      this.emit({ type: 'transcript', final: true, text: message.text });
      this.emit({ type: 'response_text_delta', text: message.text });
      // A whole turn at once, for the call log: the echo was shown, not spoken, so nothing was heard.
      const at = new Date().toISOString();
      const turn = ++this.turns;
      const text = message.text;
      this.record({ type: 'turn_end', turn: { index: turn, cause: 'caller', callerText: text, replyText: text, heardText: '', interrupted: false, startedAt: at, endedAt: at, metrics: { turn } } });
    }
  }

  onEvent(listener: PipelineEventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  onRecord(listener: CallRecordListener): () => void {
    this.recordListeners.add(listener);
    return () => this.recordListeners.delete(listener);
  }

  async close(reason: string): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.queue.length = 0;
    this.record({ type: 'call_end', reason });
    this.listeners.clear();
    this.recordListeners.clear();
  }

  private emit(event: PipelineEvent): void {
    for (const l of this.listeners) l(event);
  }

  private record(event: CallRecordEvent): void {
    for (const l of this.recordListeners) l(event);
  }
}

export const createEchoPipeline = (info: CallInfo): CallPipeline => new EchoPipeline(info);
