/**
 * Messages between the gateway thread and a stream worker. Batched both ways: one postMessage
 * per event-loop turn carries the frames of every call on that worker (the media clock steps all
 * calls in one tick), and one reply carries all their events. PCM buffers are transferred, not
 * copied.
 */

export type ToWorkerItem =
  | { sid: number; op: 'open'; module: string; config: unknown }
  | { sid: number; op: 'data'; pcm: Int16Array }
  | { sid: number; op: 'reset' }
  | { sid: number; op: 'flush' }
  | { sid: number; op: 'close' };

export type FromWorkerItem =
  | { sid: number; op: 'opened' }
  | { sid: number; op: 'events'; events: unknown[] }
  | { sid: number; op: 'error'; message: string }
  | { sid: number; op: 'closed' };

export type ToWorker =
  | { type: 'batch'; items: ToWorkerItem[] }
  /** Close every session and let the thread end on its own (see StreamWorkerPool.close). */
  | { type: 'shutdown' };

export interface FromWorker {
  type: 'batch';
  items: FromWorkerItem[];
}

/**
 * What a session module (loaded inside the worker by URL) exports as `createSession`. Sessions
 * are stateful (a VAD's LSTM state, an online recognizer's stream): that is why a call sticks to
 * one worker.
 */
export interface WorkerSession {
  /** Returns the events this audio produced at once (structured-cloneable); later ones go through SessionContext.emit. */
  data(pcm: Int16Array): unknown[];
  reset?(): void;
  /** End of input (e.g. an utterance's end for an online recognizer): the events that releases. */
  flush?(): unknown[];
  close?(): void;
}

/**
 * Given to a session at creation, for results that arrive after `data` returned: a session that
 * batches its inference with others (the Silero VAD) answers later, in order, through `emit`.
 */
export interface SessionContext {
  emit(events: unknown[]): void;
  /** The session cannot go on: it is closed and its call gets the error. */
  fail(err: unknown): void;
}

export type CreateSession = (config: unknown, ctx: SessionContext) => WorkerSession | Promise<WorkerSession>;
