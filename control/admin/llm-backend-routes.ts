/**
 * Which LLM answers text chats by default (`auto`, `faq` or one provider first), and a connection
 * test for one provider. A session's own override lives with the chat routes.
 */
import { conflict, notFound } from '../http/errors.ts';
import { json, route, type RouteDef } from '../http/route.ts';
import { DEFAULT_BACKEND_KEY, LlmBackendChoice } from '../llm/llm-backend.ts';
import type { Repositories } from '../repositories/index.ts';
import type { LlmProvider } from '../repositories/llm-providers.ts';
import type { ControlServices } from '../services.ts';
import { IdParams } from './schemas.ts';

/** A provider someone pins must exist and be enabled, or every chat would silently go elsewhere. */
export async function requireUsableProvider(repos: Repositories, id: number): Promise<LlmProvider> {
  const p = await repos.llmProviders.get(id);
  if (!p) throw notFound('LLM provider');
  if (!p.enabled) throw conflict(`LLM provider ${id} is disabled; enable it first`, { provider_id: id });
  return p;
}

export function llmBackendRoutes(s: ControlServices): RouteDef[] {
  const described = async (choice: LlmBackendChoice) => ({
    ...choice,
    provider: choice.backend === 'provider' ? ((await s.repos.llmProviders.get(choice.provider_id)) ?? null) : null,
  });
  return [
    route({
      method: 'GET',
      path: '/admin/llm/default',
      summary: 'The default LLM backend for text chats (auto, faq, or one provider first)',
      tag: 'llm-providers',
      auth: { kind: 'user', role: 'viewer' },
      async handler() {
        return json(await described(await s.chat.defaultBackend()));
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
        if (ctx.body.backend === 'provider') await requireUsableProvider(s.repos, ctx.body.provider_id);
        const before = await s.chat.defaultBackend();
        await s.repos.config.set(DEFAULT_BACKEND_KEY, ctx.body, ctx.principal.kind === 'user' ? ctx.principal.user.id : null);
        s.chat.invalidate();
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
        return json({ provider_id: p.id, model: p.model, ...(await s.chat.testProvider(p, ctx.signal)) });
      },
    }),
  ];
}
