/**
 * Entry of a stream worker thread: hosts many sessions (one per call and kind), each created by a
 * session module named in its 'open' message. A session that throws is closed with an error for
 * its call alone; anything that kills the thread is the pool's business.
 */
import { parentPort } from 'node:worker_threads';
import type { CreateSession, FromWorkerItem, SessionContext, ToWorker, ToWorkerItem, WorkerSession } from './protocol.ts';

const port = parentPort;
if (!port) throw new Error('stream-worker.ts must run in a worker thread');

const sessions = new Map<number, WorkerSession>();
/** Sessions still being created: their data waits behind the creation, in order. */
const opening = new Map<number, ToWorkerItem[]>();
const factories = new Map<string, Promise<CreateSession>>();

function factory(url: string): Promise<CreateSession> {
  let f = factories.get(url);
  if (!f) {
    f = import(url).then((m: { createSession?: CreateSession }) => {
      if (typeof m.createSession !== 'function') throw new Error(`${url} exports no createSession`);
      return m.createSession;
    });
    factories.set(url, f);
  }
  return f;
}

let out: FromWorkerItem[] = [];
let flushScheduled = false;
function send(item: FromWorkerItem): void {
  out.push(item);
  if (!flushScheduled) {
    flushScheduled = true;
    setImmediate(() => {
      flushScheduled = false;
      const items = out;
      out = [];
      port!.postMessage({ type: 'batch', items });
    });
  }
}

function fail(sid: number, err: unknown): void {
  const s = sessions.get(sid);
  sessions.delete(sid);
  try {
    s?.close?.();
  } catch {
    /* closing a broken session */
  }
  send({ sid, op: 'error', message: err instanceof Error ? err.message : String(err) });
}

function open(sid: number, module: string, config: unknown): void {
  opening.set(sid, []);
  const ctx: SessionContext = {
    // Only while the session is open: a late result after close or failure goes nowhere.
    emit: (events) => {
      if (sessions.has(sid) && events.length) send({ sid, op: 'events', events });
    },
    fail: (err) => {
      if (sessions.has(sid)) fail(sid, err);
    },
  };
  factory(module)
    .then((create) => create(config, ctx))
    .then(
      (s) => {
        sessions.set(sid, s);
        send({ sid, op: 'opened' });
      },
      (err) => fail(sid, err),
    )
    .finally(() => {
      const queued = opening.get(sid) ?? [];
      opening.delete(sid);
      for (const item of queued) handle(item);
    });
}

function handle(item: ToWorkerItem): void {
  const { sid } = item;
  if (item.op === 'open') return open(sid, item.module, item.config);
  const queued = opening.get(sid);
  if (queued) {
    queued.push(item);
    return;
  }
  const s = sessions.get(sid);
  if (!s) return; // closed or failed already
  try {
    if (item.op === 'data') {
      const events = s.data(item.pcm);
      if (events.length) send({ sid, op: 'events', events });
    } else if (item.op === 'reset') {
      s.reset?.();
    } else if (item.op === 'flush') {
      const events = s.flush?.() ?? [];
      if (events.length) send({ sid, op: 'events', events });
    } else {
      sessions.delete(sid);
      s.close?.();
      send({ sid, op: 'closed' });
    }
  } catch (err) {
    fail(sid, err);
  }
}

port.on('message', (msg: ToWorker) => {
  if (msg.type === 'shutdown') return shutdown();
  for (const item of msg.items) handle(item);
});

/**
 * End the thread between messages, never in the middle of native code: Worker.terminate() while
 * a sherpa-onnx call is running (or its objects are being finalised) aborts the whole process
 * ("terminate called after throwing an instance of 'Napi::Error'"). Sessions are closed, the port
 * is closed, and the thread ends when its event loop is empty.
 */
function shutdown(): void {
  for (const [sid, s] of sessions) {
    sessions.delete(sid);
    try {
      s.close?.();
    } catch {
      /* closing anyway */
    }
  }
  port!.close();
}
