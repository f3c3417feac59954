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

/**
 * The one check for a default backend, whichever route sets it (`PUT /admin/llm/default` or the
 * generic `PUT /admin/config/llm.default_backend`): a pinned provider must be usable.
 */
export async function requireUsableBackend(repos: Repositories, choice: LlmBackendChoice): Promise<void> {
  if (choice.backend === 'provider') await requireUsableProvider(repos, choice.provider_id);
}

/**
 * The stored choice plus what chats actually get. A pin whose provider was deleted or disabled
 * since is skipped by the responder (it only lists enabled providers), so chats run as `auto`;
 * saying so here keeps the admin from trusting a pin that does nothing.
 */
export async function describeBackend(repos: Repositories, choice: LlmBackendChoice) {
  const provider = choice.backend === 'provider' ? ((await repos.llmProviders.get(choice.provider_id)) ?? null) : null;
  const staleReason = choice.backend !== 'provider' ? null : !provider ? 'provider_deleted' : !provider.enabled ? 'provider_disabled' : null;
  return {
    ...choice,
    provider,
    effective: staleReason ? 'auto' : choice.backend,
    stale: staleReason !== null,
    stale_reason: staleReason,
  };
}

export function llmBackendRoutes(s: ControlServices): RouteDef[] {
  const described = (choice: LlmBackendChoice) => describeBackend(s.repos, choice);
  return [
    route({
      method: 'GET',
      path: '/admin/llm/default',
      summary: 'The default LLM backend for text chats (auto, faq, or one provider first), and what applies: a pin to a deleted or disabled provider is stale and chats run as auto',
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
        await requireUsableBackend(s.repos, ctx.body);
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
