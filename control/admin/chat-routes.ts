/**
 * Text conversations in the admin UI: sessions CRUD, their messages, and a reply streamed as
 * server-sent events. A reply stores the user's message, answers with the conversation core the
 * calls use (control/conversation/text-chat.ts: the FAQ, the LLM chain with the secretary behind
 * it, or the secretary alone, which takes a message over several typed turns) using the session's
 * history, persona and LLM choice, streams `event: delta` pieces as they come, stores the
 * assistant's message and ends with `event: done`.
 */
import { z } from 'zod';
import { notFound } from '../http/errors.ts';
import { created, eventStream, json, noContent, route, type RouteDef } from '../http/route.ts';
import { requireUsableProvider } from '../llm/llm-backend.ts';
import type { ControlServices } from '../services.ts';
import { IdParams, PageQuery } from './schemas.ts';

const READ = { kind: 'user', role: 'viewer' } as const;
const WRITE = { kind: 'user', role: 'operator' } as const;

const LlmOverride = z.discriminatedUnion('backend', [
  z.strictObject({ backend: z.literal('default') }),
  z.strictObject({ backend: z.literal('faq') }),
  z.strictObject({ backend: z.literal('provider'), provider_id: z.number().int().positive() }),
]);

const SessionFields = z.strictObject({
  source: z.string().regex(/^[a-z0-9_-]{1,32}$/).default('admin'),
  source_id: z.string().min(1).max(200).optional(),
  contact: z.string().max(200).nullable().optional(),
  persona_id: z.number().int().positive().nullable().optional(),
});

export function chatRoutes(s: ControlServices): RouteDef[] {
  const session = async (id: number) => (await s.repos.chat.getSession(id)) ?? Promise.reject(notFound('chat session'));
  return [
    route({
      method: 'GET',
      path: '/admin/chat/sessions',
      summary: 'Chat sessions, most recently active first',
      tag: 'chat',
      auth: READ,
      query: PageQuery.extend({ source: z.string().max(32).optional() }),
      async handler(ctx) {
        return json({ items: await s.repos.chat.listSessions(ctx.query, { source: ctx.query.source }) });
      },
    }),
    route({
      method: 'POST',
      path: '/admin/chat/sessions',
      summary: 'Start a chat session',
      tag: 'chat',
      auth: WRITE,
      audit: 'chat_sessions.create',
      body: SessionFields,
      async handler(ctx) {
        const b = ctx.body;
        const sourceId = b.source_id ?? `${ctx.principal.kind === 'user' ? ctx.principal.user.username : 'admin'}-${Date.now().toString(36)}`;
        const sess = await s.repos.chat.createSession(b.source, sourceId, { contact: b.contact ?? null, persona_id: b.persona_id ?? null });
        ctx.audit.target = `chat_session:${sess.id}`;
        return created(sess);
      },
    }),
    route({
      method: 'GET',
      path: '/admin/chat/sessions/:id',
      summary: 'One chat session with its messages',
      tag: 'chat',
      auth: READ,
      params: IdParams,
      async handler(ctx) {
        const sess = await session(ctx.params.id);
        return json({ ...sess, messages: await s.repos.chat.messages(sess.id) });
      },
    }),
    route({
      method: 'PATCH',
      path: '/admin/chat/sessions/:id',
      summary: 'Change a session’s contact or persona',
      tag: 'chat',
      auth: WRITE,
      audit: 'chat_sessions.update',
      params: IdParams,
      body: SessionFields.pick({ contact: true, persona_id: true }),
      async handler(ctx) {
        const sess = await s.repos.chat.updateSession(ctx.params.id, ctx.body);
        if (!sess) throw notFound('chat session');
        ctx.audit.target = `chat_session:${sess.id}`;
        return json(sess);
      },
    }),
    route({
      method: 'PUT',
      path: '/admin/chat/sessions/:id/llm',
      summary: 'Override the LLM for this session: {"backend":"faq"}, {"backend":"provider","provider_id":N}, or {"backend":"default"} to follow the persona and the default again',
      tag: 'chat',
      auth: WRITE,
      audit: 'chat_sessions.llm_override',
      params: IdParams,
      body: LlmOverride,
      async handler(ctx) {
        const b = ctx.body;
        if (b.backend === 'provider') await requireUsableProvider(s.repos.llmProviders, b.provider_id);
        const sess = await s.repos.chat.setLlmOverride(ctx.params.id, b.backend === 'default' ? null : b);
        if (!sess) throw notFound('chat session');
        ctx.audit.target = `chat_session:${sess.id}`;
        ctx.audit.details = b;
        return json(sess);
      },
    }),
    route({
      method: 'DELETE',
      path: '/admin/chat/sessions/:id',
      summary: 'Delete a session and its messages',
      tag: 'chat',
      auth: WRITE,
      audit: 'chat_sessions.delete',
      params: IdParams,
      async handler(ctx) {
        if (!(await s.repos.chat.deleteSession(ctx.params.id))) throw notFound('chat session');
        ctx.audit.target = `chat_session:${ctx.params.id}`;
        return noContent();
      },
    }),
    route({
      method: 'GET',
      path: '/admin/chat/sessions/:id/messages',
      summary: 'Messages of a session, oldest first',
      tag: 'chat',
      auth: READ,
      params: IdParams,
      async handler(ctx) {
        const sess = await session(ctx.params.id);
        return json({ items: await s.repos.chat.messages(sess.id) });
      },
    }),
    route({
      method: 'POST',
      path: '/admin/chat/sessions/:id/messages',
      summary: 'Add a message without an automatic reply (an operator answering by hand)',
      tag: 'chat',
      auth: WRITE,
      audit: 'chat_messages.create',
      params: IdParams,
      body: z.strictObject({ role: z.enum(['user', 'assistant', 'system']), content: z.string().min(1).max(20_000) }),
      async handler(ctx) {
        const sess = await session(ctx.params.id);
        ctx.audit.target = `chat_session:${sess.id}`;
        return created(await s.repos.chat.addMessage(sess, ctx.body.role, ctx.body.content));
      },
    }),
    route({
      method: 'POST',
      path: '/admin/chat/sessions/:id/reply',
      summary: 'Send a user message and stream the reply as server-sent events (`delta`, then `done` with the stored message)',
      tag: 'chat',
      auth: WRITE,
      audit: 'chat.reply',
      rateClass: 'chat',
      usage: 'chat',
      params: IdParams,
      body: z.strictObject({ content: z.string().trim().min(1).max(20_000), model: z.string().min(1).max(200).optional() }),
      async handler(ctx) {
        const sess = await session(ctx.params.id);
        ctx.audit.target = `chat_session:${sess.id}`;
        return eventStream(async (sink) => {
          const { turn, stored } = await s.chat.sessionTurn(sess, ctx.body.content, {
            signal: ctx.signal,
            model: ctx.body.model,
            onText: async (text) => {
              await sink.write(`event: delta\ndata: ${JSON.stringify({ text })}\n\n`);
            },
          });
          ctx.usage.source = turn.source;
          ctx.usage.tokensIn = turn.tokensIn;
          ctx.usage.tokensOut = turn.tokensOut;
          // A cut answer is stored as far as it reached the admin, and the done event says it was cut.
          // Our words and the error id only: the failure's own text (a provider's, a socket's) stays in the log.
          const failure = turn.truncated;
          const cut = failure
            ? { truncated: true, error: { code: 'llm_stream_failed', message: 'the model failed mid-answer; the text sent so far is incomplete', ...(failure.errorId ? { error_id: failure.errorId } : {}) } }
            : {};
          await sink.write(`event: done\ndata: ${JSON.stringify({ message: stored, source: turn.source, model: turn.model, ended: turn.ended, ...cut })}\n\n`);
        });
      },
    }),
  ];
}
