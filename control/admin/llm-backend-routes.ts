/**
 * Which LLM answers calls and chats by default (`auto`, `faq` or one provider first), and a
 * connection test for one provider. A session's own override lives with the chat routes; the
 * rules themselves in control/llm/.
 */
import { notFound } from '../http/errors.ts';
import { json, route, type RouteDef } from '../http/route.ts';
import { DEFAULT_BACKEND_KEY, describeBackend, LlmBackendChoice, requireUsableBackend } from '../llm/llm-backend.ts';
import { testProvider } from '../llm/provider-test.ts';
import type { ControlServices } from '../services.ts';
import { IdParams } from './schemas.ts';

export function llmBackendRoutes(s: ControlServices): RouteDef[] {
  const described = (choice: LlmBackendChoice) => describeBackend(s.repos.llmProviders, choice);
  return [
    route({
      method: 'GET',
      path: '/admin/llm/default',
      summary: 'The default LLM backend for calls and chats (auto, faq, or one provider first), and what applies: a pin to a deleted or disabled provider is stale and conversations run as auto',
      tag: 'llm-providers',
      auth: { kind: 'user', role: 'viewer' },
      async handler() {
        return json(await described(s.conversations.snapshot.defaultBackend));
      },
    }),
    route({
      method: 'PUT',
      path: '/admin/llm/default',
      summary: 'Set the default LLM backend: {"backend":"auto"}, {"backend":"faq"} or {"backend":"provider","provider_id":N}',
      tag: 'llm-providers',
      auth: { kind: 'user', role: 'admin' },
      audit: 'llm.default_backend',
      body: LlmBackendChoice,
      async handler(ctx) {
        await requireUsableBackend(s.repos.llmProviders, ctx.body);
        const before = s.conversations.snapshot.defaultBackend;
        await s.repos.config.set(DEFAULT_BACKEND_KEY, ctx.body, ctx.principal.kind === 'user' ? ctx.principal.user.id : null);
        await s.conversations.changed();
        ctx.audit.target = `config:${DEFAULT_BACKEND_KEY}`;
        ctx.audit.details = { from: before, to: ctx.body };
        return json(await described(ctx.body));
      },
    }),
    route({
      method: 'POST',
      path: '/admin/llm-providers/:id/test',
      summary: 'Connection test: one short completion from this provider, with its latency or the error',
      tag: 'llm-providers',
      auth: { kind: 'user', role: 'admin' },
      audit: 'llm_providers.test',
      rateClass: 'chat',
      params: IdParams,
      async handler(ctx) {
        const p = await s.repos.llmProviders.get(ctx.params.id);
        if (!p) throw notFound('LLM provider');
        ctx.audit.target = `llm_provider:${p.id}`;
        const result = await testProvider(s.repos.llmProviders, p, { egress: s.config.egress, log: s.log.child({ component: 'llm' }), signal: ctx.signal });
        return json({ provider_id: p.id, model: p.model, ...result });
      },
    }),
  ];
}
