/**
 * Small helpers for answering on uWS. uWS responses must be corked when written outside the
 * handler's synchronous part, and must not be touched after the client aborted.
 */
import { randomBytes } from 'node:crypto';
import { STATUS_CODES } from 'node:http';
import { errorBody, type HttpError } from '../../control/http/errors.ts';
import { SECURITY_HEADERS } from '../../control/http/security-headers.ts';
import type { UWS } from '../uws.ts';

/** The gateway answers in the control plane's error format. */
export { errorBody };

export function writeJson(res: UWS.HttpResponse, status: string, body: unknown, headers: ReadonlyArray<[string, string]> = []): void {
  res.cork(() => {
    res.writeStatus(status);
    for (const [k, v] of SECURITY_HEADERS) res.writeHeader(k, v);
    for (const [k, v] of headers) res.writeHeader(k, v);
    res.writeHeader('Content-Type', 'application/json; charset=utf-8');
    res.end(JSON.stringify(body));
  });
}

/** A control-plane HttpError (status, code, message, headers such as Retry-After) in the one error format. */
export function writeHttpError(res: UWS.HttpResponse, e: HttpError): void {
  writeJson(res, `${e.status} ${STATUS_CODES[e.status] ?? ''}`, errorBody(e.code, e.message, e.details), e.headers);
}

export function writeText(res: UWS.HttpResponse, status: string, contentType: string, body: string): void {
  res.cork(() => {
    res.writeStatus(status);
    for (const [k, v] of SECURITY_HEADERS) res.writeHeader(k, v);
    res.writeHeader('Content-Type', contentType);
    res.end(body);
  });
}

type ErrorLog = { error(obj: Record<string, unknown>, msg: string): void };

/**
 * A failure of ours: logged under a new error id, and, unless the client already left, answered
 * 500 with only that id (an error's text can name files, hosts or SQL).
 */
export function internalError(res: UWS.HttpResponse, aborted: boolean, err: unknown, log: ErrorLog, what: string): void {
  const errorId = randomBytes(5).toString('hex');
  log.error({ err, error_id: errorId }, what);
  if (aborted) return;
  writeJson(res, '500 Internal Server Error', errorBody('internal', `internal error (error id ${errorId})`, { error_id: errorId }));
}

/**
 * Run an async handler safely: track aborts so we never write to a dead response, and turn a
 * thrown error into a 500 with our error shape (internalError) instead of an unhandled rejection.
 */
export function asyncHandler(
  handler: (res: UWS.HttpResponse, ctx: { aborted: () => boolean }) => Promise<void>,
  log: ErrorLog,
) {
  return (res: UWS.HttpResponse) => {
    let aborted = false;
    res.onAborted(() => {
      aborted = true;
    });
    handler(res, { aborted: () => aborted }).catch((err: unknown) => internalError(res, aborted, err, log, 'HTTP handler failed'));
  };
}
