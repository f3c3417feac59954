/**
 * LLM providers, admin only to change. API keys are write-only: set, replace or clear, never read
 * back; a base_url moved to another origin (or a plain-http one to a new proxy) without a key
 * clears the stored one. URLs are
 * admin-configured, so an address the egress policy refuses is refused when saved (a host name is
 * checked when it is connected to, since what it resolves to may change).
 */
import { z } from 'zod';
import { HttpError, notFound } from '../http/errors.ts';
import { created, json, noContent, route, type RouteDef } from '../http/route.ts';
import { MaskedPasswordError, sameOrigin } from '../repositories/llm-providers.ts';
import type { ControlServices } from '../services.ts';
import { assertEgressAllowed, HttpUrl, IdParams } from './schemas.ts';

const Fields = z.strictObject({
  name: z.string().trim().min(1).max(100),
  base_url: HttpUrl,
  model: z.string().trim().min(1).max(200),
  api_key: z.string().min(1).max(500).nullable().optional(),
  proxy_url: HttpUrl.nullable().optional(),
  timeout_ms: z.number().int().min(1000).max(600_000).optional(),
  priority: z.number().int().min(0).max(10_000).optional(),
  enabled: z.boolean().optional(),
});

/**
 * `***` in proxy_url stands for the stored password; sent with another host, port or user it would
 * hand that password to a different proxy, so it is refused like any invalid field.
 */
const refuseMaskedMisuse = (err: unknown): never => {
  if (!(err instanceof MaskedPasswordError)) throw err;
  const message = `body: proxy_url: ${err.message}`;
  throw new HttpError(400, 'validation_failed', message, { in: 'body', issues: [{ field: 'proxy_url', message: err.message, code: 'masked_password' }], changed: err.changed });
};

export function llmProvidersRoutes(s: ControlServices): RouteDef[] {
  const ADMIN = { kind: 'user', role: 'admin' } as const;
  const details = (b: Partial<z.infer<typeof Fields>>) => ({ fields: Object.keys(b), api_key: b.api_key === undefined ? undefined : b.api_key === null ? 'cleared' : 'set' });
  const checkEgress = (b: Partial<z.infer<typeof Fields>>) => {
    for (const field of ['base_url', 'proxy_url'] as const) assertEgressAllowed(s.config.egress, field, b[field]);
  };
  return [
    route({
      method: 'GET',
      path: '/admin/llm-providers',
      summary: 'List LLM providers in fallback order (API keys are never returned)',
      tag: 'llm-providers',
      auth: { kind: 'user', role: 'operator' },
      async handler() {
        return json({ items: await s.repos.llmProviders.list() });
      },
    }),
    route({
      method: 'POST',
      path: '/admin/llm-providers',
      summary: 'Add an OpenAI-compatible LLM provider',
      tag: 'llm-providers',
      auth: ADMIN,
      audit: 'llm_providers.create',
      body: Fields,
      async handler(ctx) {
        checkEgress(ctx.body);
        const p = await s.repos.llmProviders.create(ctx.body).catch(refuseMaskedMisuse);
        ctx.audit.target = `llm_provider:${p.id}`;
        ctx.audit.details = details(ctx.body);
        await s.conversations.changed();
        return created(p);
      },
    }),
    route({
      method: 'GET',
      path: '/admin/llm-providers/:id',
      summary: 'One LLM provider',
      tag: 'llm-providers',
      auth: { kind: 'user', role: 'operator' },
      params: IdParams,
      async handler(ctx) {
        // Thrown: json() does not await, so `?? Promise.reject(...)` answered an unknown id with 200 `{}`.
        const row = await s.repos.llmProviders.get(ctx.params.id);
        if (!row) throw notFound('LLM provider');
        return json(row);
      },
    }),
    route({
      method: 'PATCH',
      path: '/admin/llm-providers/:id',
      summary:
        'Change a provider; api_key: null clears the key, leaving it out keeps it (unless base_url moves to another origin, or a plain-http base_url to a new proxy: then it is cleared); *** as the proxy password keeps the stored one (same proxy host, port and user only)',
      tag: 'llm-providers',
      auth: ADMIN,
      audit: 'llm_providers.update',
      params: IdParams,
      body: Fields.partial(),
      async handler(ctx) {
        checkEgress(ctx.body);
        const before = await s.repos.llmProviders.get(ctx.params.id);
        const p = await s.repos.llmProviders.update(ctx.params.id, ctx.body).catch(refuseMaskedMisuse);
        if (!p) throw notFound('LLM provider');
        ctx.audit.target = `llm_provider:${p.id}`;
        const keyDropped = before?.has_api_key && !p.has_api_key && ctx.body.api_key === undefined;
        const why = before && sameOrigin(before.base_url, p.base_url) ? 'cleared_proxy_changed' : 'cleared_origin_changed';
        ctx.audit.details = { ...details(ctx.body), ...(keyDropped ? { api_key: why } : {}) };
        await s.conversations.changed();
        return json(p);
      },
    }),
    route({
      method: 'DELETE',
      path: '/admin/llm-providers/:id',
      summary: 'Delete a provider (personas using it fall back to the default chain)',
      tag: 'llm-providers',
      auth: ADMIN,
      audit: 'llm_providers.delete',
      params: IdParams,
      async handler(ctx) {
        if (!(await s.repos.llmProviders.remove(ctx.params.id))) throw notFound('LLM provider');
        ctx.audit.target = `llm_provider:${ctx.params.id}`;
        await s.conversations.changed();
        return noContent();
      },
    }),
  ];
}
