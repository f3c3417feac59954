/**
 * What a route is. The route table is plain data (method, path, auth, schemas, audit action,
 * handler) so a test can walk it and the OpenAPI document can be generated from it; the router is
 * the only code that interprets it, so a rule enforced there (auth, roles, audit, limits) holds for
 * every route without each handler remembering it.
 */
import type { z } from 'zod';
import type { RateClass } from '../config.ts';
import type { HttpError } from './errors.ts';
import type { ApiKey } from '../repositories/api-keys.ts';
import type { UsageKind } from '../repositories/usage.ts';
import type { Role, UserWithHash } from '../repositories/users.ts';

export type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export type AuthRequirement =
  /** Only for the endpoints that exchange credentials for tokens (login, refresh, first-admin setup). */
  | { kind: 'public' }
  | { kind: 'user'; role: Role }
  | { kind: 'api_key' }
  /**
   * A website visitor's token (control/widget/visitor-token.ts). The router also checks that the
   * token was issued for the path's `:widget` and the request's Origin, whatever the handler does.
   */
  | { kind: 'widget_visitor' };

/** Who a widget visitor token speaks for: one chat session of one widget instance, from one origin. */
export interface WidgetVisitor {
  instanceId: number;
  publicId: string;
  sessionId: number;
  origin: string;
}

export type Principal =
  | { kind: 'user'; user: UserWithHash; sid: string }
  | { kind: 'api_key'; key: ApiKey }
  | { kind: 'widget_visitor'; visitor: WidgetVisitor }
  | { kind: 'anonymous' };

export interface AuditNote {
  /** Defaults to the `:id` path parameter. */
  target?: string;
  /** Extra facts for the log; never secrets. */
  details?: Record<string, unknown>;
  /** Who it was when the route is public (login attempts name the username tried). */
  actorName?: string;
  /** Overrides the actor, e.g. a successful login is done by the user it logged in. */
  actor?: { type: 'user' | 'api_key' | 'anonymous' | 'system'; id: string | null; name: string | null };
}

export interface UsageNote {
  source?: string;
  tokensIn?: number;
  tokensOut?: number;
}

export interface RequestContext<P = unknown, Q = unknown, B = unknown> {
  method: Method;
  path: string;
  params: P;
  query: Q;
  body: B;
  /** The body as sent, for routes that declare `rawBody` (uploads: multipart, WAV, zip). */
  rawBody?: Buffer;
  /** Lower-case header names. */
  headers: Record<string, string>;
  ip: string;
  principal: Principal;
  audit: AuditNote;
  usage: UsageNote;
  /** Aborts when the client goes away; pass it to outgoing requests (LLM calls). */
  signal: AbortSignal;
}

export interface StreamSink {
  /** Resolves once the chunk is handed to the socket (waits out backpressure); false if the client left. */
  write(chunk: string | Uint8Array): Promise<boolean>;
  readonly closed: boolean;
}

export type Reply =
  | { kind: 'json'; status: number; body: unknown; headers?: Array<[string, string]> }
  | { kind: 'raw'; status: number; body: string | Buffer; contentType: string; headers?: Array<[string, string]> }
  | { kind: 'stream'; status: number; contentType: string; headers?: Array<[string, string]>; run(sink: StreamSink): Promise<void> }
  /** A file on disk, `size` bytes, sent with Content-Length in chunks that wait out backpressure (never read whole into memory). */
  | { kind: 'file'; status: number; file: string; size: number; contentType: string; headers?: Array<[string, string]> };

/**
 * A route's own CORS rule, instead of CORS_ORIGINS (which is for the admin API): the widget's
 * visitor API allows each instance's own origins. `check` answers null for an allowed origin, or
 * the error to refuse it with; that refusal is readable by the refused origin (it carries
 * Access-Control-Allow-Origin) so the widget can say why, and it is all that origin can read. A
 * preflight from a refused origin is answered 403 without CORS headers.
 */
export interface RouteCors {
  check(origin: string | undefined, params: Record<string, string>): Promise<HttpError | null>;
}

export interface RouteDef<P = any, Q = any, B = any> {
  method: Method;
  /** `/admin/faq/:id`; parameters are single path segments. */
  path: string;
  summary: string;
  tag: string;
  auth: AuthRequirement;
  rateClass?: RateClass;
  params?: z.ZodType<P>;
  query?: z.ZodType<Q>;
  body?: z.ZodType<B>;
  maxBodyBytes?: number;
  /**
   * A non-JSON body (an upload), handed to the handler as `ctx.rawBody`. Content types are matched
   * by prefix (`multipart/form-data`); anything else is 415. Not combined with `body`.
   */
  rawBody?: { contentTypes: string[]; description?: string };
  /** Audit action name (`faq.create`). Required on every mutating /admin route; the table refuses one without. */
  audit?: string;
  /** This route's own CORS rule (see RouteCors); without one, CORS_ORIGINS applies. */
  cors?: RouteCors;
  /** Usage kind counted and limited for this route; typed so a route cannot meter a kind no limit can name. */
  usage?: UsageKind;
  /** Schema of a successful JSON answer, for the OpenAPI document. */
  response?: z.ZodType;
  /** Content type of a successful non-JSON answer (a download), for the OpenAPI document. */
  produces?: string;
  handler(ctx: RequestContext<P, Q, B>): Promise<Reply>;
}

export const json = (body: unknown, status = 200, headers?: Array<[string, string]>): Reply => ({ kind: 'json', status, body, headers });
export const created = (body: unknown): Reply => json(body, 201);
export const noContent = (): Reply => ({ kind: 'raw', status: 204, body: '', contentType: 'text/plain' });
export const raw = (body: string | Buffer, contentType: string, headers?: Array<[string, string]>): Reply => ({ kind: 'raw', status: 200, body, contentType, headers });
export const fileReply = (file: string, size: number, contentType: string, headers?: Array<[string, string]>): Reply => ({ kind: 'file', status: 200, file, size, contentType, headers });
/** Server-sent events; `X-Accel-Buffering: no` keeps a reverse proxy from holding events back. */
export const eventStream = (run: (sink: StreamSink) => Promise<void>): Reply => ({
  kind: 'stream',
  status: 200,
  contentType: 'text/event-stream; charset=utf-8',
  headers: [['X-Accel-Buffering', 'no']],
  run,
});

/** Keeps P/Q/B inferred from the schemas at each definition site. */
export function route<P = undefined, Q = undefined, B = undefined>(def: RouteDef<P, Q, B>): RouteDef<P, Q, B> {
  return def;
}
