/**
 * Silero VAD sessions that share one model per worker thread and are inferred in batches: every
 * stream with a whole window waiting joins the next run, so the calls stepped by one media-clock
 * tick (their frames reach the worker in one message) cost one model run, not one each.
 *
 * Each session keeps only what is its own: unread samples, 1 KB of recurrent state and the
 * segmenter (pipeline/engines/silero-segmenter.ts) that turns probabilities into events. Events
 * leave through the session context as results come back, always in stream order.
 */
import { SileroSegmenter } from '../engines/silero-segmenter.ts';
import type { VadEvent } from '../engines/types.ts';
import type { SessionContext, WorkerSession } from './protocol.ts';
import { SILERO_RATE, SILERO_SHIFT, SileroBatchModel, type BatchRow } from './silero-batch-model.ts';
import type { VadSessionConfig } from './vad-session-config.ts';

/** Rows per model run: beyond this a run is long enough that the next batch should not wait for it. */
const MAX_BATCH = 64;
/** Unread audio beyond this means the worker cannot keep up; the stream fails rather than lag forever. */
const MAX_BACKLOG_SAMPLES = 60 * SILERO_RATE;

interface Pending {
  session: BatchedVadSession;
  row: BatchRow;
  generation: number;
}

/** Runs the windows of every waiting session, MAX_BATCH at a time, until none is waiting. */
class Batcher {
  private readonly waiting = new Set<BatchedVadSession>();
  private draining = false;
  runs = 0;
  rows = 0;

  constructor(readonly model: SileroBatchModel) {}

  want(session: BatchedVadSession): void {
    this.waiting.add(session);
    if (this.draining) return;
    this.draining = true;
    // After the rest of this message's frames have been queued: they join the same batch.
    setImmediate(() => void this.drain());
  }

  drop(session: BatchedVadSession): void {
    this.waiting.delete(session);
  }

  private async drain(): Promise<void> {
    try {
      while (this.waiting.size) {
        const batch: Pending[] = [];
        for (const session of this.waiting) {
          this.waiting.delete(session);
          batch.push({ session, row: session.takeWindow(), generation: session.generation });
          if (batch.length === MAX_BATCH) break;
        }
        let probs: Float32Array;
        try {
          probs = await this.model.run(batch.map((p) => p.row));
        } catch (err) {
          for (const p of batch) p.session.fail(err);
          continue;
        }
        this.runs++;
        this.rows += batch.length;
        for (let i = 0; i < batch.length; i++) batch[i].session.onProbability(probs[i], batch[i].generation);
      }
    } finally {
      this.draining = false;
    }
  }
}

class BatchedVadSession implements WorkerSession {
  /** Bumped by reset and close: results of windows taken before it are dropped. */
  generation = 0;
  private buf = new Float32Array(SILERO_RATE);
  private readAt = 0;
  private writeAt = 0;
  private state: Float32Array[];
  private readonly segmenter: SileroSegmenter;
  private closed = false;

  constructor(
    config: VadSessionConfig,
    private readonly batcher: Batcher,
    private readonly ctx: SessionContext,
  ) {
    const model = batcher.model;
    this.state = model.newState();
    this.segmenter = new SileroSegmenter({
      threshold: config.threshold,
      minSpeechSamples: Math.floor(SILERO_RATE * config.minSpeechSec),
      minSilenceSamples: Math.floor(SILERO_RATE * config.minSilenceSec),
      maxSpeechSamples: Math.floor(SILERO_RATE * config.maxSpeechSec),
      pauseSamples: Math.floor(SILERO_RATE * config.pauseSec),
      onsets: config.onsets ?? false,
      windowSamples: model.windowSamples,
      shiftSamples: SILERO_SHIFT,
      sampleRate: SILERO_RATE,
    });
  }

  data(pcm: Int16Array): VadEvent[] {
    if (this.closed) return [];
    this.append(pcm);
    if (this.writeAt - this.readAt > MAX_BACKLOG_SAMPLES) {
      this.fail(new Error(`VAD fell ${MAX_BACKLOG_SAMPLES / SILERO_RATE} s behind the audio`));
      return [];
    }
    if (this.hasWindow()) this.batcher.want(this);
    return []; // events come later, through the context
  }

  /** The next window (a view valid until the next append) and this stream's state; advances one shift. */
  takeWindow(): BatchRow {
    const window = this.buf.subarray(this.readAt, this.readAt + this.batcher.model.windowSamples);
    this.readAt += SILERO_SHIFT;
    return { window, state: this.state };
  }

  onProbability(prob: number, generation: number): void {
    if (generation !== this.generation || this.closed) return;
    const event = this.segmenter.push(prob);
    if (event) this.ctx.emit([event]);
    if (this.hasWindow()) this.batcher.want(this);
  }

  fail(err: unknown): void {
    if (this.closed) return;
    this.close();
    this.ctx.fail(err);
  }

  reset(): void {
    this.generation++;
    this.batcher.drop(this);
    this.readAt = this.writeAt = 0;
    this.state = this.batcher.model.newState();
    this.segmenter.reset();
  }

  close(): void {
    this.closed = true;
    this.generation++;
    this.batcher.drop(this);
  }

  private hasWindow(): boolean {
    return this.writeAt - this.readAt >= this.batcher.model.windowSamples;
  }

  private append(pcm: Int16Array): void {
    if (this.writeAt + pcm.length > this.buf.length) {
      // Move the unread tail to the front (windows already taken were copied into their batch).
      const unread = this.writeAt - this.readAt;
      const need = unread + pcm.length;
      if (need > this.buf.length / 2) {
        const grown = new Float32Array(need * 2);
        grown.set(this.buf.subarray(this.readAt, this.writeAt));
        this.buf = grown;
      } else this.buf.copyWithin(0, this.readAt, this.writeAt);
      this.readAt = 0;
      this.writeAt = unread;
    }
    const b = this.buf;
    let w = this.writeAt;
    for (let i = 0; i < pcm.length; i++) b[w++] = pcm[i] / 32768;
    this.writeAt = w;
  }
}

/** One model and batcher per model file, per worker thread. */
const batchers = new Map<string, Promise<Batcher>>();

function batcherFor(path: string): Promise<Batcher> {
  let b = batchers.get(path);
  if (!b) {
    b = SileroBatchModel.load(path).then((m) => new Batcher(m));
    // A model that failed to load is retried by the next session, not cached as a failure.
    b.catch(() => batchers.delete(path));
    batchers.set(path, b);
  }
  return b;
}

export async function createSession(config: unknown, ctx: SessionContext): Promise<WorkerSession> {
  const c = config as VadSessionConfig;
  return new BatchedVadSession(c, await batcherFor(c.model), ctx);
}
