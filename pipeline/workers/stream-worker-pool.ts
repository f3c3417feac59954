/**
 * Long-lived worker threads for stateful streams (VAD, online STT), with call affinity: a session
 * is opened on the least-loaded worker and stays there, because its model state lives there.
 *
 * Frames pushed during one event-loop turn are sent in one message per worker (setImmediate
 * flush), with their buffers transferred. A worker that dies takes only its own sessions down:
 * each gets an error (its call ends with an error), and the pool starts a replacement thread.
 * Piscina suits stateless jobs (one TTS sentence) but cannot pin a session to a thread, hence this.
 */
import { Worker } from 'node:worker_threads';
import type { FromWorker, FromWorkerItem, ToWorker, ToWorkerItem } from './protocol.ts';

export interface StreamWorkerPoolOptions {
  /** Threads (default 1: one Silero stream costs ~0.1 ms per 20 ms frame; raise for many calls). */
  size?: number;
  /** Worker entry; default stream-worker.ts next to this file. */
  entry?: URL;
  /** Per-thread ONNX/V8 resource limits could go here; kept minimal for now. */
  name?: string;
}

export interface SessionCallbacks<E> {
  onEvents(events: E[]): void;
  /** The session died (its own error, or its worker crashed). Called at most once. */
  onError(err: Error): void;
}

export interface PoolSession {
  readonly sid: number;
  /** Queue PCM for the worker. The array is transferred: the caller must not use it afterwards. */
  push(pcm: Int16Array): void;
  reset(): void;
  /** Ask the session for what its input so far releases (WorkerSession.flush); the events arrive through onEvents. */
  flush(): void;
  close(): Promise<void>;
  readonly dead: boolean;
}

interface SessionState {
  sid: number;
  slot: Slot;
  callbacks: SessionCallbacks<unknown>;
  opened: { resolve: () => void; reject: (e: Error) => void } | null;
  closed: (() => void) | null;
  dead: boolean;
}

interface Slot {
  index: number;
  worker: Worker;
  sessions: Map<number, SessionState>;
  queue: ToWorkerItem[];
  transfer: ArrayBuffer[];
  flushScheduled: boolean;
  alive: boolean;
}

/** Workers are TS modules: under tsx, a worker needs tsx registered in its own thread first. */
function startWorker(entry: URL, name: string): Worker {
  if (entry.pathname.endsWith('.ts')) {
    const tsx = import.meta.resolve('tsx/esm/api');
    const code = `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(entry.href)}); })`;
    return new Worker(code, { eval: true, name });
  }
  return new Worker(entry, { name });
}

/** A worker keeps the process alive only while it serves a call (tests and shutdown need idle ones not to). */
function updateRef(slot: Slot): void {
  if (slot.sessions.size && slot.alive) slot.worker.ref();
  else slot.worker.unref();
}

export class StreamWorkerPool {
  private readonly slots: Slot[] = [];
  private nextSid = 1;
  private closed = false;
  private readonly entry: URL;
  private readonly name: string;
  /** Workers replaced after a crash, for /health. */
  restarts = 0;
  lastCrash: string | null = null;

  constructor(opts: StreamWorkerPoolOptions = {}) {
    this.entry = opts.entry ?? new URL('./stream-worker.ts', import.meta.url);
    this.name = opts.name ?? 'stream-worker';
    const size = Math.max(1, opts.size ?? 1);
    for (let i = 0; i < size; i++) this.slots.push(this.spawn(i));
  }

  get size(): number {
    return this.slots.length;
  }

  /** Sessions per worker, for tests and health. */
  load(): number[] {
    return this.slots.map((s) => s.sessions.size);
  }

  private spawn(index: number): Slot {
    const worker = startWorker(this.entry, `${this.name}-${index}`);
    const slot: Slot = { index, worker, sessions: new Map(), queue: [], transfer: [], flushScheduled: false, alive: true };
    worker.on('message', (msg: FromWorker) => {
      for (const item of msg.items) this.onItem(slot, item);
    });
    worker.on('error', (err) => this.onCrash(slot, err.message));
    worker.on('exit', (code) => this.onCrash(slot, `worker exited with code ${code}`));
    updateRef(slot);
    return slot;
  }

  /** Open a session of `module` (a URL exporting createSession) with `config` on the least-loaded worker. */
  async open<E>(module: URL | string, config: unknown, callbacks: SessionCallbacks<E>): Promise<PoolSession> {
    if (this.closed) throw new Error('worker pool closed');
    const slot = this.slots.reduce((a, b) => (b.sessions.size < a.sessions.size ? b : a));
    const sid = this.nextSid++;
    const state: SessionState = { sid, slot, callbacks: callbacks as SessionCallbacks<unknown>, opened: null, closed: null, dead: false };
    slot.sessions.set(sid, state);
    updateRef(slot);
    const opened = new Promise<void>((resolve, reject) => (state.opened = { resolve, reject }));
    this.enqueue(slot, { sid, op: 'open', module: String(module), config });
    await opened;
    return {
      sid,
      push: (pcm) => {
        if (state.dead) return;
        // Transfer needs a buffer of its own: a view into a larger buffer (or a pooled one) is copied first.
        const own = pcm.byteOffset === 0 && pcm.byteLength === pcm.buffer.byteLength ? pcm : pcm.slice();
        this.enqueue(state.slot, { sid, op: 'data', pcm: own }, own.buffer as ArrayBuffer);
      },
      reset: () => {
        if (!state.dead) this.enqueue(state.slot, { sid, op: 'reset' });
      },
      flush: () => {
        if (!state.dead) this.enqueue(state.slot, { sid, op: 'flush' });
      },
      close: () => this.closeSession(state),
      get dead() {
        return state.dead;
      },
    };
  }

  private closeSession(state: SessionState): Promise<void> {
    if (state.dead) return Promise.resolve();
    return new Promise<void>((resolve) => {
      state.closed = resolve;
      this.enqueue(state.slot, { sid: state.sid, op: 'close' });
    });
  }

  private enqueue(slot: Slot, item: ToWorkerItem, transfer?: ArrayBuffer): void {
    if (!slot.alive) return;
    slot.queue.push(item);
    if (transfer) slot.transfer.push(transfer);
    if (!slot.flushScheduled) {
      slot.flushScheduled = true;
      setImmediate(() => this.flush(slot));
    }
  }

  private flush(slot: Slot): void {
    slot.flushScheduled = false;
    if (!slot.alive || !slot.queue.length) return;
    const items = slot.queue;
    const transfer = slot.transfer;
    slot.queue = [];
    slot.transfer = [];
    slot.worker.postMessage({ type: 'batch', items }, transfer);
  }

  private onItem(slot: Slot, item: FromWorkerItem): void {
    const s = slot.sessions.get(item.sid);
    if (!s) return;
    switch (item.op) {
      case 'opened':
        s.opened?.resolve();
        s.opened = null;
        return;
      case 'events':
        if (!s.dead) s.callbacks.onEvents(item.events);
        return;
      case 'error':
        this.kill(s, new Error(item.message));
        return;
      case 'closed':
        s.dead = true;
        slot.sessions.delete(s.sid);
        updateRef(slot);
        s.closed?.();
        return;
    }
  }

  /** End one session with an error: reject its open, or tell its call. */
  private kill(s: SessionState, err: Error): void {
    if (s.dead) return;
    s.dead = true;
    s.slot.sessions.delete(s.sid);
    updateRef(s.slot);
    if (s.opened) {
      s.opened.reject(err);
      s.opened = null;
    } else {
      s.callbacks.onError(err);
    }
    s.closed?.();
  }

  private onCrash(slot: Slot, why: string): void {
    if (!slot.alive) return;
    slot.alive = false;
    if (this.closed) return;
    this.lastCrash = why;
    const err = new Error(`stream worker crashed: ${why}`);
    for (const s of [...slot.sessions.values()]) this.kill(s, err);
    void slot.worker.terminate();
    // Replace it so new calls (and the calls on other workers) carry on.
    this.restarts++;
    this.slots[slot.index] = this.spawn(slot.index);
  }

  health(): { ok: boolean; workers: number; sessions: number; restarts: number; lastCrash: string | null } {
    return {
      ok: !this.closed && this.slots.every((s) => s.alive),
      workers: this.slots.length,
      sessions: this.slots.reduce((n, s) => n + s.sessions.size, 0),
      restarts: this.restarts,
      lastCrash: this.lastCrash,
    };
  }

  /**
   * Close every session and end the workers. Each worker is asked to shut down between messages
   * and exits on its own; terminate() is only the fallback for one that does not (stuck in native
   * code), because terminating a thread inside sherpa-onnx aborts the process.
   */
  async close(gracefulMs = 2000): Promise<void> {
    this.closed = true;
    await Promise.all(
      this.slots.map(async (slot) => {
        slot.alive = false;
        for (const s of [...slot.sessions.values()]) this.kill(s, new Error('worker pool closed'));
        const exited = new Promise<void>((resolve) => slot.worker.once('exit', () => resolve()));
        slot.worker.postMessage({ type: 'shutdown' } satisfies ToWorker);
        let timer: ReturnType<typeof setTimeout> | undefined;
        const timedOut = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), gracefulMs)));
        if (await Promise.race([exited.then(() => false), timedOut])) await slot.worker.terminate();
        clearTimeout(timer);
      }),
    );
  }
}
