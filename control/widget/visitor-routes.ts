/**
 * The website widget's public API (`/widget/v1/<public id>/...`), what widget.js calls from the
 * host page. No admin credentials: the first three routes are public (PUBLIC_ROUTES) and check
 * the Origin against the instance's allow-list; they hand out a visitor token (visitor-token.ts),
 * which the others require, bound to the instance, the origin and one chat session. Every route
 * answers CORS for the instance's own origins (RouteCors), not CORS_ORIGINS; a refused origin
 * can read its refusal, nothing else.
 *
 * Replies stream as server-sent events: `delta` ({text}) as the reply is produced, then `done`
 * ({message, ended}) or `error` ({code, message}). Text only: the widget renders it as text.
 */
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { HttpError, tooManyRequests, unauthorized } from '../http/errors.ts';
import { created, eventStream, json, route, type RequestContext, type RouteCors, type RouteDef, type WidgetVisitor } from '../http/route.ts';
import type { ControlServices } from '../services.ts';
import { VisitorRateLimitedError, WidgetRefusedError } from './widget-errors.ts';
import { MAX_VISITOR_MESSAGE_CHARS } from './widget-visitors.ts';

const VISITOR = { kind: 'widget_visitor' } as const;
const PUBLIC = { kind: 'public' } as const;
const TAG = 'widget visitors';

export const WidgetParams = z.object({ widget: z.string().regex(/^wg_[A-Za-z0-9_-]{16,40}$/, 'a widget id (wg_...)') });

/** C0 controls other than tab and newline, DEL, and C1 controls: nothing a visitor means to type. */
const CONTROL_CHARS = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;

const MessageBody = z.strictObject({
  content: z
    .string()
    .transform((s) => s.replace(CONTROL_CHARS, '').trim())
    .pipe(z.string().min(1, 'the message is empty').max(MAX_VISITOR_MESSAGE_CHARS, `at most ${MAX_VISITOR_MESSAGE_CHARS} characters`)),
});

const REFUSAL_STATUS: Record<WidgetRefusedError['reason'], number> = {
  origin_required: 403,
  widget_not_found: 404,
  widget_disabled: 403,
  origin_not_allowed: 403,
  session_gone: 401,
  voice_disabled: 403,
  voice_busy: 503,
};

/** The widget service's refusals as the visitor API answers them. */
export function visitorHttpError(err: unknown): HttpError | null {
  if (err instanceof WidgetRefusedError) {
    const headers: Array<[string, string]> = err.reason === 'session_gone' ? [['WWW-Authenticate', 'Bearer']] : err.reason === 'voice_busy' ? [['Retry-After', '30']] : [];
    return new HttpError(REFUSAL_STATUS[err.reason], err.reason, err.message, undefined, headers);
  }
  if (err instanceof VisitorRateLimitedError) return tooManyRequests('rate_limited', err.message, err.retryAfterS);
  return null;
}

const mapped = async <T>(work: Promise<T>): Promise<T> => {
  try {
    return await work;
  } catch (err) {
    throw visitorHttpError(err) ?? err;
  }
};

const visitorOf = (ctx: RequestContext): WidgetVisitor => {
  if (ctx.principal.kind !== 'widget_visitor') throw unauthorized();
  return ctx.principal.visitor;
};

const Token = z.object({ token: z.string(), expires_at: z.string(), renew_until: z.string() });

export function visitorRoutes(s: ControlServices): RouteDef[] {
  const cors: RouteCors = {
    async check(origin, params) {
      // A malformed id is refused before any lookup (preflights come before the rate limiter).
      if (!WidgetParams.safeParse({ widget: params.widget }).success) return new HttpError(404, 'widget_not_found', 'no such widget');
      try {
        await s.widgets.admit(params.widget ?? '', origin);
        return null;
      } catch (err) {
        const e = visitorHttpError(err);
        if (e) return e;
        throw err;
      }
    },
  };
  return [
    route({
      method: 'GET',
      path: '/widget/v1/:widget/config',
      summary: 'How the widget looks and greets on this page (the Origin must be allowed)',
      tag: TAG,
      auth: PUBLIC,
      cors,
      params: WidgetParams,
      async handler(ctx) {
        const w = await mapped(s.widgets.admit(ctx.params.widget, ctx.headers.origin));
        return json({
          greeting: w.greeting,
          language: w.language,
          colors: w.colors,
          position: w.position,
          voice: w.voice_enabled,
          max_message_chars: MAX_VISITOR_MESSAGE_CHARS,
        });
      },
    }),
    route({
      method: 'POST',
      path: '/widget/v1/:widget/sessions',
      summary: 'Start a visitor session: a visitor token bound to this widget, the Origin and a new chat session',
      tag: TAG,
      auth: PUBLIC,
      cors,
      params: WidgetParams,
      body: z.strictObject({}),
      maxBodyBytes: 1024,
      response: Token,
      async handler(ctx) {
        return created(await mapped(s.widgets.startSession(ctx.params.widget, ctx.headers.origin, ctx.ip)));
      },
    }),
    route({
      method: 'POST',
      path: '/widget/v1/:widget/sessions/renew',
      summary: 'A fresh visitor token for the same session (the old one may have expired up to 7 days ago)',
      tag: TAG,
      auth: PUBLIC,
      cors,
      params: WidgetParams,
      body: z.strictObject({ token: z.string().min(1).max(2000) }),
      maxBodyBytes: 4096,
      response: Token,
      async handler(ctx) {
        return json(await mapped(s.widgets.renew(ctx.params.widget, ctx.headers.origin, ctx.body.token)));
      },
    }),
    route({
      method: 'GET',
      path: '/widget/v1/:widget/messages',
      summary: 'The visitor’s conversation so far, oldest first (the last 200 messages)',
      tag: TAG,
      auth: VISITOR,
      cors,
      params: WidgetParams,
      async handler(ctx) {
        return json({ items: await mapped(s.widgets.history(visitorOf(ctx))) });
      },
    }),
    route({
      method: 'POST',
      path: '/widget/v1/:widget/messages',
      summary: 'Send the visitor’s message; the reply streams back as server-sent events (`delta`, then `done` or `error`)',
      tag: TAG,
      auth: VISITOR,
      cors,
      rateClass: 'chat',
      usage: 'chat',
      params: WidgetParams,
      body: MessageBody,
      maxBodyBytes: 16 * 1024,
      async handler(ctx) {
        const prepared = await mapped(s.widgets.prepareReply(visitorOf(ctx), ctx.ip));
        return eventStream(async (sink) => {
          const send = (event: string, data: unknown) => sink.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
          try {
            const { turn, stored } = await s.widgets.reply(prepared, ctx.body.content, { signal: ctx.signal, onText: async (text) => void (await send('delta', { text })) });
            ctx.usage.source = turn.source;
            ctx.usage.tokensIn = turn.tokensIn;
            ctx.usage.tokensOut = turn.tokensOut;
            // What failed upstream stays in the log (under turn.truncated.errorId); the visitor is told the answer is cut.
            await send('done', { message: { id: stored.id, role: stored.role, content: stored.content, created_at: stored.created_at }, ended: turn.ended, ...(turn.truncated ? { truncated: true } : {}) });
          } catch (err) {
            if (sink.closed) return;
            const refusal = visitorHttpError(err);
            if (refusal) {
              await send('error', { code: refusal.code, message: refusal.message });
              return;
            }
            const errorId = randomBytes(5).toString('hex');
            s.log.error({ err, error_id: errorId, widget: prepared.instance.id, session: prepared.session.id }, 'widget reply failed');
            await send('error', { code: 'reply_failed', message: `the reply failed; please try again (error id ${errorId})`, error_id: errorId });
          }
        });
      },
    }),
    route({
      method: 'POST',
      path: '/widget/v1/:widget/voice-token',
      summary: 'A one-minute token for one voice call (the voice WebSocket) as this visitor, when the widget has a voice button',
      tag: TAG,
      auth: VISITOR,
      cors,
      params: WidgetParams,
      body: z.strictObject({}),
      maxBodyBytes: 1024,
      rateClass: 'chat',
      async handler(ctx) {
        return created(await mapped(s.widgets.voiceToken(visitorOf(ctx), ctx.ip)));
      },
    }),
  ];
}
