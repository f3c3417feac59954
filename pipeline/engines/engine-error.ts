/**
 * Engine failures whose details must stay on the server. What an engine process writes to stderr
 * (espeak-ng prints every line of a file it was pointed at) and what an upstream server answers
 * (its error body may name hosts, accounts or echo our request) go to the log only, under an error
 * id; the error itself, which reaches clients, health and /health, says what failed and that id.
 * An operator who is shown "speech synthesis failed (error id 3f9c0a1b2d)" finds the line with
 * `error_id: "3f9c0a1b2d"` in the log.
 */
import { randomBytes } from 'node:crypto';
import { APIConnectionError, APIConnectionTimeoutError, APIError } from 'openai';
import { EgressRefusedError } from '../net/egress-policy.ts';
import { ProxyUrlError } from '../net/outbound-http.ts';

/** The part of a pino logger the engines use. */
export interface EngineLog {
  warn(obj: Record<string, unknown>, msg: string): void;
}

export class EngineError extends Error {
  override name = 'EngineError';
  constructor(
    message: string,
    readonly errorId: string,
  ) {
    super(message);
  }
}

/** Short, unguessable enough to tell failures apart, easy to read aloud and grep for. */
const newErrorId = (): string => randomBytes(5).toString('hex');

/**
 * Without a logger wired in the details are still kept somewhere an operator looks (the process's
 * stderr, one JSON line like pino's) rather than dropped.
 */
const stderrLog: EngineLog = {
  warn(obj, msg) {
    const plain = (_: string, v: unknown) => (v instanceof Error ? { type: v.name, message: v.message, stack: v.stack } : v);
    process.stderr.write(`${JSON.stringify({ level: 40, time: Date.now(), ...obj, msg }, plain)}\n`);
  },
};

/**
 * Logs `detail` (stderr, an upstream's answer, the original error) under a new error id and returns
 * the error to throw: `summary` must be our own words, never text from the engine or upstream.
 */
export function engineFailure(log: EngineLog | undefined, engine: string, summary: string, detail: Record<string, unknown>): EngineError {
  const errorId = newErrorId();
  (log ?? stderrLog).warn({ engine, error_id: errorId, ...detail }, `${engine}: ${summary}`);
  return new EngineError(`${summary} (error id ${errorId})`, errorId);
}

/**
 * What a failed call to an OpenAI-compatible server may say publicly: the HTTP status or the kind of
 * connection failure, never the body. An egress refusal or a bad proxy URL is our own words (the
 * refusal says how to allow it) and is said as it is.
 */
export function upstreamSummary(err: unknown): string {
  const ours = findCause(err, (e) => e instanceof EgressRefusedError || e instanceof ProxyUrlError);
  if (ours) return ours.message;
  if (err instanceof APIConnectionTimeoutError) return 'the request timed out';
  if (err instanceof APIConnectionError) return 'could not connect to the server';
  if (err instanceof APIError && typeof err.status === 'number') return `the server answered HTTP ${err.status}`;
  return 'the request failed';
}

/** The first error in `err`'s cause chain (itself included) that `match` accepts. */
export function findCause(err: unknown, match: (e: Error) => boolean): Error | undefined {
  for (let e = err, depth = 0; e instanceof Error && depth < 8; e = e.cause, depth++) {
    if (match(e)) return e;
  }
  return undefined;
}
