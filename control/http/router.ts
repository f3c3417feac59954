/**
 * Serves a RouteTable through the HTTP port (http-port.ts; the gateway puts it on uWS). Per request,
 * in this order: CORS preflight, route match (404/405), rate limit per IP and route class, body
 * size limit (started synchronously, as the port requires), authentication, role check, usage
 * limits, validation of params/query/body, the handler, then the audit row (every mutating /admin
 * call, whatever its outcome) and usage record, and finally the answer. Rules live here so no
 * route can forget one.
 */
import { open } from 'node:fs/promises';
import type { Logger } from 'pino';
import { roleAtLeast } from '../auth/roles.ts';
import type { AuditInput } from '../repositories/audit-log.ts';
import { clientIp } from './client-ip.ts';
import type { CorsPolicy } from './cors.ts';
import { ALLOWED_HEADERS } from './cors.ts';
import { errorBody, forbidden, fromDatabaseError, fromServiceError, HttpError, notFound, tooManyRequests, unauthorized } from './errors.ts';
import { ClientAbortedError, type Header, type HttpRequest, type HttpResponse, type HttpService, type ResponseStream } from './http-port.ts';
import type { RateLimiter } from './rate-limiter.ts';
import type { AuditNote, AuthRequirement, Method, Principal, RequestContext, UsageNote } from './route.ts';
import type { CompiledRoute, RouteTable } from './route-table.ts';
import { CONTROL_SECURITY_HEADERS } from './security-headers.ts';
import { sendFile } from './send-file.ts';
import { parseJsonBody, parseQuery, validate } from './validation.ts';

export interface UsageGate {
  /** Throws a 429 HttpError when a limit is reached; otherwise reserves one request until commit/cancel. */
  begin(principal: Principal, ip: string, kind: string): { commit(note: UsageNote): void; cancel(): void };
}

export interface RouterDeps {
  log: Logger;
  cors: CorsPolicy;
  rateLimiter: RateLimiter;
  trustProxy: boolean;
  maxBodyBytes: number;
  /** Resolve who is calling; throws 401 when the requirement is not met. */
  authenticate(requirement: AuthRequirement, authorization: string | undefined): Promise<Principal>;
  writeAudit(entry: AuditInput): Promise<unknown>;
  usage: UsageGate;
}

const JSON_TYPE = 'application/json; charset=utf-8';

/** The response with this request's security and CORS headers in front of every answer. */
class Answer {
  constructor(
    private readonly res: HttpResponse,
    private base: readonly Header[],
  ) {}

  get aborted(): boolean {
    return this.res.aborted;
  }

  get signal(): AbortSignal {
    return this.res.signal;
  }

  /** Headers every answer from now on carries too (a route's own CORS headers, known once its check ran). */
  addBase(headers: readonly Header[]): void {
    this.base = [...this.base, ...headers];
  }

  send(status: number, headers: readonly Header[], contentType: string | null, body: string | Buffer): void {
    this.res.send(status, this.#headers(headers, contentType), body);
  }

  stream(status: number, headers: readonly Header[], contentType: string, length?: number): ResponseStream {
    return this.res.stream(status, this.#headers(headers, contentType), length);
  }

  #headers(headers: readonly Header[], contentType: string | null): Header[] {
    return contentType ? [...this.base, ...headers, ['Content-Type', contentType]] : [...this.base, ...headers];
  }
}

export function createRouter(table: RouteTable, deps: RouterDeps): HttpService {
  const handle = (req: HttpRequest, res: HttpResponse) => {
    const { method, path: url, query, headers } = req;
    const ip = clientIp(req.remoteAddress, headers['x-forwarded-for'], deps.trustProxy);
    const origin = headers.origin;
    // A route with its own CORS rule (the widget's visitor API) gets its headers once the rule has looked.
    const ownCors = method === 'OPTIONS' ? table.corsOf(url) : null;
    const m = method === 'OPTIONS' ? null : table.match(method, url);
    const routeCors = ownCors ?? (m?.kind === 'found' ? m.route.def.cors : undefined);
    const ex = new Answer(res, [...CONTROL_SECURITY_HEADERS, ...(routeCors ? [['Vary', 'Origin'] as Header] : deps.cors.headersFor(origin))]);
    const fail = (e: HttpError) => ex.send(e.status, e.headers, JSON_TYPE, JSON.stringify(errorBody(e.code, e.message, e.details)));

    if (ownCors) {
      void ownCors.cors.check(origin, ownCors.params).then(
        (refusal) => {
          if (refusal || !origin) return fail(new HttpError(403, 'cors_forbidden', 'this origin may not call this widget'));
          ex.send(204, [...ownCorsHeaders(origin), ['Access-Control-Allow-Methods', ownCors.methods.join(', ')], ['Access-Control-Allow-Headers', ALLOWED_HEADERS], ['Access-Control-Max-Age', '600']], null, '');
        },
        (err: unknown) => {
          deps.log.error({ err, url }, 'CORS check failed');
          fail(new HttpError(500, 'internal', 'internal error'));
        },
      );
      return;
    }
    if (method === 'OPTIONS') {
      if (origin && deps.cors.allows(origin)) ex.send(204, deps.cors.preflightHeaders(), null, '');
      else fail(new HttpError(403, 'cors_forbidden', 'this origin is not allowed (CORS_ORIGINS)'));
      return;
    }
    if (!m) return;
    if (m.kind === 'not_found') return fail(new HttpError(404, 'not_found', `no route for ${method} ${url}`));
    if (m.kind === 'method_not_allowed') {
      return fail(new HttpError(405, 'method_not_allowed', `${method} is not allowed on ${url}`, { allowed: m.allowed }, [['Allow', m.allowed.join(', ')]]));
    }
    const { route, params } = m;
    const rateClass = route.def.rateClass ?? 'default';
    const rate = deps.rateLimiter.take(rateClass, ip);
    if (!rate.ok) return fail(tooManyRequests('rate_limited', `too many ${rateClass} requests; slow down`, rate.retryAfterS));

    let body: Promise<Buffer> | undefined;
    if (route.def.body || route.def.rawBody) {
      body = req.readBody(route.def.maxBodyBytes ?? deps.maxBodyBytes);
      body.catch(() => {}); // observed in `serve`; this only stops an early rejection counting as unhandled
    }
    void serve(ex, route, { method: method as Method, url, query, headers, ip, params, body }, deps).catch((err) => {
      deps.log.error({ err }, 'control-plane router failed');
    });
  };
  return { prefixes: table.prefixes(), handle };
}

interface Incoming {
  method: Method;
  url: string;
  query: string;
  headers: Record<string, string>;
  ip: string;
  params: Record<string, string>;
  body?: Promise<Buffer>;
}

async function serve(ex: Answer, route: CompiledRoute, inc: Incoming, deps: RouterDeps): Promise<void> {
  const def = route.def;
  let principal: Principal = { kind: 'anonymous' };
  const audit: AuditNote = {};
  const usage: UsageNote = {};
  let ticket: ReturnType<UsageGate['begin']> | undefined;
  const finish = async (status: number, error?: HttpError) => {
    if (def.audit && (principal.kind !== 'anonymous' || def.auth.kind === 'public')) {
      await writeAudit(deps, def.audit, principal, audit, inc, status, error);
    }
    if (status < 400) ticket?.commit(usage);
    else ticket?.cancel();
  };
  try {
    if (def.cors) {
      // Before anything else: a refused origin learns only that it was refused, and why.
      const refusal = await def.cors.check(inc.headers.origin, inc.params);
      if (inc.headers.origin) ex.addBase(ownCorsHeaders(inc.headers.origin));
      if (refusal) throw refusal;
    }
    principal = await deps.authenticate(def.auth, inc.headers.authorization);
    if (def.auth.kind === 'user' && (principal.kind !== 'user' || !roleAtLeast(principal.user.role, def.auth.role))) {
      throw forbidden(`this needs the ${def.auth.role} role`);
    }
    if (def.auth.kind === 'widget_visitor') {
      // A visitor token works only for the widget and the origin it was issued to.
      const v = principal.kind === 'widget_visitor' ? principal.visitor : null;
      if (!v || v.publicId !== inc.params.widget || v.origin !== inc.headers.origin) {
        throw unauthorized('this visitor token was issued for another widget or origin', 'visitor_token_mismatch');
      }
    }
    const params = def.params ? validate(def.params, inc.params, 'params') : inc.params;
    const query = def.query ? validate(def.query, parseQuery(inc.query), 'query') : undefined;
    let body: unknown;
    if (def.body && inc.body) body = validate(def.body, parseJsonBody(await inc.body, inc.headers['content-type']), 'body');
    let rawBody: Buffer | undefined;
    if (def.rawBody && inc.body) {
      const type = (inc.headers['content-type'] ?? '').trim().toLowerCase();
      if (!def.rawBody.contentTypes.some((t) => type.startsWith(t))) {
        throw new HttpError(415, 'unsupported_media_type', `send the body as ${def.rawBody.contentTypes.join(' or ')}`);
      }
      rawBody = await inc.body;
    }
    // After validation, so a malformed request never uses up an allowance.
    if (def.usage) ticket = deps.usage.begin(principal, inc.ip, def.usage);
    const ctx: RequestContext = {
      method: inc.method,
      path: inc.url,
      params,
      query,
      body,
      rawBody,
      headers: inc.headers,
      ip: inc.ip,
      principal,
      audit,
      usage,
      signal: ex.signal,
    };
    const reply = await def.handler(ctx);
    if (reply.kind === 'stream') {
      const sink = ex.stream(reply.status, reply.headers ?? [], reply.contentType);
      try {
        await reply.run(sink);
      } catch (err) {
        sink.abort();
        if (!(err instanceof ClientAbortedError)) deps.log.warn({ err, route: `${def.method} ${def.path}` }, 'stream failed after it started; connection cut');
        await finish(500, err instanceof HttpError ? err : new HttpError(500, 'stream_failed', 'stream failed'));
        return;
      }
      sink.finish();
      await finish(reply.status);
      return;
    }
    if (reply.kind === 'file') {
      // Opened before the status line goes out, so a file gone since the handler looked is still a 404.
      const fh = await open(reply.file, 'r').catch((err: NodeJS.ErrnoException) => {
        throw err.code === 'ENOENT' ? notFound('file') : err;
      });
      await finish(reply.status);
      await sendFile(ex.stream(reply.status, reply.headers ?? [], reply.contentType, reply.size), fh, reply.size).catch((err: Error) => {
        deps.log.warn({ err, route: `${def.method} ${def.path}` }, 'file download failed after it started; connection cut');
      });
      return;
    }
    await finish(reply.status);
    if (reply.kind === 'json') ex.send(reply.status, reply.headers ?? [], JSON_TYPE, JSON.stringify(reply.body));
    else ex.send(reply.status, reply.headers ?? [], reply.status === 204 ? null : reply.contentType, reply.body);
  } catch (err) {
    if (err instanceof ClientAbortedError || ex.aborted) {
      ticket?.cancel();
      return;
    }
    let e: HttpError;
    if (err instanceof HttpError) e = err;
    else {
      e = fromServiceError(err) ?? fromDatabaseError(err) ?? new HttpError(500, 'internal', 'internal error');
      if (e.status === 500) deps.log.error({ err, route: `${def.method} ${def.path}` }, 'control-plane handler failed');
    }
    await finish(e.status, e);
    ex.send(e.status, e.headers, JSON_TYPE, JSON.stringify(errorBody(e.code, e.message, e.details)));
  }
}

async function writeAudit(
  deps: RouterDeps,
  action: string,
  principal: Principal,
  note: AuditNote,
  inc: Incoming,
  status: number,
  error?: HttpError,
): Promise<void> {
  const actor: Pick<AuditInput, 'actor_type' | 'actor_id' | 'actor_name'> = note.actor
    ? { actor_type: note.actor.type, actor_id: note.actor.id, actor_name: note.actor.name }
    : principal.kind === 'user'
      ? { actor_type: 'user', actor_id: String(principal.user.id), actor_name: principal.user.username }
      : principal.kind === 'api_key'
        ? { actor_type: 'api_key', actor_id: String(principal.key.id), actor_name: principal.key.name }
        : { actor_type: 'anonymous', actor_id: null, actor_name: note.actorName?.slice(0, 100) ?? null };
  const details = error ? { ...note.details, error: error.code } : note.details;
  try {
    await deps.writeAudit({
      ...actor,
      action,
      target: note.target ?? inc.params.id ?? null,
      ip: inc.ip,
      status,
      details: details && Object.keys(details).length ? details : null,
    });
  } catch (err) {
    // The change itself already happened; losing its audit row is an operational alarm, not a client error.
    deps.log.error({ err, action }, 'audit write failed');
  }
}

/** CORS headers of a route with its own rule, for an origin it allowed (or refused readably). */
const ownCorsHeaders = (origin: string): Header[] => [
  ['Access-Control-Allow-Origin', origin],
  ['Access-Control-Expose-Headers', 'Retry-After'],
];
