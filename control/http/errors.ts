import { HashingBusyError } from '../auth/hashing-gate.ts';
import { UnusableProviderError } from '../llm/llm-backend.ts';

/**
 * The one error shape every control-plane route answers with:
 * `{ "error": { "code", "message", "details"? } }`. Anything thrown that is not an HttpError becomes
 * a 500 whose message says nothing about internals (the real error goes to the log).
 */
import { EngineError, engineFailure, type EngineLog } from '../../pipeline/engines/engine-error.ts';

export class HttpError extends Error {
  override name = 'HttpError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
    readonly headers: ReadonlyArray<[string, string]> = [],
  ) {
    super(message);
  }
}

export const badRequest = (message: string, details?: unknown) => new HttpError(400, 'bad_request', message, details);
export const unauthorized = (message = 'authentication required', code = 'unauthorized') =>
  new HttpError(401, code, message, undefined, [['WWW-Authenticate', 'Bearer']]);
export const forbidden = (message = 'your role does not allow this') => new HttpError(403, 'forbidden', message);
export const notFound = (what: string) => new HttpError(404, 'not_found', `${what} not found`);
export const conflict = (message: string, details?: unknown) => new HttpError(409, 'conflict', message, details);
/** A language that reaches an engine or an upstream server must be a language tag (voice-name.ts). */
export const invalidLanguage = (language: string) =>
  new HttpError(400, 'invalid_language', `language ${JSON.stringify(language.slice(0, 40))} is not a language tag (en, ru, en-US, ...)`);
/** A body (or its declared Content-Length) over the route's limit; servers reject with it while reading (http-port.ts). */
export const payloadTooLarge = (limit: number) => new HttpError(413, 'payload_too_large', `the body exceeds ${limit} bytes`);
export const tooManyRequests = (code: string, message: string, retryAfterS: number, details?: unknown) =>
  new HttpError(429, code, message, details, [['Retry-After', String(Math.max(1, Math.ceil(retryAfterS)))]]);

export function errorBody(code: string, message: string, details?: unknown) {
  return { error: details === undefined ? { code, message } : { code, message, details } };
}

/**
 * Map database constraint failures to 409 so a duplicate name is the client's problem, not a 500.
 * SQLite reports `SQLITE_CONSTRAINT` with the kind in the message; Postgres uses SQLSTATE codes.
 */
export function fromDatabaseError(err: unknown): HttpError | null {
  const e = err as { code?: string; message?: string };
  const msg = String(e?.message ?? '');
  if (e?.code === '23505' || /UNIQUE constraint failed/.test(msg)) return conflict('a record with the same unique value already exists');
  if (e?.code === '23503' || /FOREIGN KEY constraint failed/.test(msg)) return conflict('the record refers to, or is referred to by, another record');
  return null;
}

/**
 * An engine or upstream server failed (`code`: `tts_failed`, `stt_failed`): the client is told what
 * failed and an error id (`details.error_id`), never what the engine printed or the server answered.
 * An EngineError was logged by its engine under its id; anything else is logged here under a new one.
 */
export function backendFailure(log: EngineLog, status: number, code: string, what: string, err: unknown): HttpError {
  const e = err instanceof EngineError ? err : engineFailure(log, code, 'an unexpected error', { err });
  return new HttpError(status, code, `${what}: ${e.message}`, { error_id: e.errorId });
}

/** Domain errors that mean the same to every route they surface in. */
export function fromServiceError(err: unknown): HttpError | null {
  if (err instanceof HashingBusyError) return new HttpError(503, 'busy', err.message, undefined, [['Retry-After', '1']]);
  if (err instanceof UnusableProviderError) return err.reason === 'missing' ? notFound('LLM provider') : conflict(err.message, { provider_id: err.providerId });
  return null;
}
