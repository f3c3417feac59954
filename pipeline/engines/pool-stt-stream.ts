/**
 * An SttStream whose decoding lives in a StreamWorkerPool session (the online sherpa-onnx
 * recognizer): audio is copied to the worker as it arrives, finish() asks the session to flush and
 * waits for its 'final' event. Used by stt-sherpa-online.ts (offline STT is a piscina task: stt-sherpa-offline.ts).
 */
import type { PoolSession, StreamWorkerPool } from '../workers/stream-worker-pool.ts';
import type { SttOptions, SttResult, SttStream } from './types.ts';

/** What the STT worker sessions report (pipeline/workers/stt-*-session.ts). */
export type SttSessionEvent =
  | { type: 'partial'; text: string }
  | { type: 'endpoint'; text: string }
  | { type: 'final'; text: string; decodeMs: number };

export interface PoolSttStream extends SttStream {
  /** The recognizer's endpoint rules fired (online models); `text` is the segment just closed. */
  onEndpoint(listener: (text: string) => void): () => void;
  /** The session died (its worker crashed, the model failed); called once. */
  onError(listener: (err: Error) => void): () => void;
}

export interface PoolSttStreamContext {
  pool: StreamWorkerPool;
  module: URL;
  config: unknown;
  /** Engine name, for error messages. */
  name: string;
  /** Told when the session opens (null) or fails (the message), for health(). */
  onStatus(error: string | null): void;
}

export function openPoolSttStream(ctx: PoolSttStreamContext, opts: SttOptions = {}): PoolSttStream {
  const partials = new Set<(text: string) => void>();
  const endpoints = new Set<(text: string) => void>();
  const errors = new Set<(err: Error) => void>();
  let failure: Error | null = null;
  let final: ((r: { text: string; decodeMs: number }) => void) | null = null;
  let session: PoolSession | null = null;
  let pending: Int16Array[] | null = [];
  let done = false;
  let cancelled = false;

  const fail = (err: Error) => {
    if (failure) return;
    failure = err;
    ctx.onStatus(err.message);
    for (const l of errors) l(err);
  };
  const opening = ctx.pool
    .open<SttSessionEvent>(ctx.module, ctx.config, {
      onEvents: (events) => {
        for (const e of events) {
          if (e.type === 'partial') for (const l of partials) l(e.text);
          else if (e.type === 'endpoint') for (const l of endpoints) l(e.text);
          else final?.(e);
        }
      },
      onError: (err) => fail(err),
    })
    .then(
      (s) => {
        session = s;
        ctx.onStatus(null);
        if (cancelled) {
          void s.close(); // cancelled while opening
          return s;
        }
        for (const p of pending ?? []) s.push(p);
        pending = null;
        return s;
      },
      (err: Error) => {
        fail(new Error(`${ctx.name}: ${err.message}`));
        return null;
      },
    );
  const onAbort = () => stream.cancel();
  opts.signal?.addEventListener('abort', onAbort, { once: true });

  const stream: PoolSttStream = {
    accept: (pcm) => {
      if (done || failure || !pcm.length) return;
      // A copy goes to the worker (transferred), so the caller keeps its frame.
      if (session) session.push(pcm.slice());
      else pending?.push(pcm.slice());
    },
    onPartial: (l) => {
      partials.add(l);
      return () => partials.delete(l);
    },
    onEndpoint: (l) => {
      endpoints.add(l);
      return () => endpoints.delete(l);
    },
    onError: (l) => {
      if (failure) queueMicrotask(() => l(failure!));
      errors.add(l);
      return () => errors.delete(l);
    },
    finish: async (): Promise<SttResult> => {
      if (done) throw new Error('stream already finished or cancelled');
      done = true;
      const started = performance.now();
      opts.signal?.removeEventListener('abort', onAbort);
      const s = await opening;
      if (!s || failure) throw failure ?? new Error(`${ctx.name}: session failed`);
      const result = await new Promise<{ text: string; decodeMs: number }>((resolve, reject) => {
        final = resolve;
        errors.add(reject);
        s.flush();
      });
      await s.close();
      return { text: result.text, latencyMs: performance.now() - started };
    },
    cancel: () => {
      if (done) return;
      done = true;
      cancelled = true;
      opts.signal?.removeEventListener('abort', onAbort);
      pending = null;
      if (session) void session.close();
    },
  };
  return stream;
}
