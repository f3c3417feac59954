/** System settings: read by any role, changed by admins, validated per key (config-keys.ts). */
import { z } from 'zod';
import { notFound } from '../http/errors.ts';
import { json, route, type RouteDef } from '../http/route.ts';
import type { ControlServices } from '../services.ts';
import { validate } from '../http/validation.ts';
import { withinJsonBounds } from '../json-bounds.ts';
import { CONFIG_KEYS } from '../settings/config-keys.ts';

const KeyParams = z.object({ key: z.string().max(100) });

export function configRoutes(s: ControlServices): RouteDef[] {
  const known = (key: string) => CONFIG_KEYS[key] ?? Promise.reject(notFound(`setting "${key}"`));
  // Most settings shape conversations (the FAQ threshold, the default backend, the company name, ...).
  const changed = () => s.conversations.changed();
  return [
    route({
      method: 'GET',
      path: '/admin/config',
      summary: 'Every setting with its current value, default and description',
      tag: 'config',
      auth: { kind: 'user', role: 'viewer' },
      async handler() {
        const stored = new Map((await s.repos.config.all()).map((e) => [e.key, e]));
        const items = Object.entries(CONFIG_KEYS).map(([key, k]) => {
          const e = stored.get(key);
          return { key, value: e ? e.value : k.default, default: k.default, description: k.description, updated_at: e?.updated_at ?? null };
        });
        return json({ items });
      },
    }),
    route({
      method: 'PUT',
      path: '/admin/config/:key',
      summary: 'Set one setting',
      tag: 'config',
      auth: { kind: 'user', role: 'admin' },
      audit: 'config.set',
      params: KeyParams,
      // Bounded before the key's own schema runs: every key's value is small, whatever its type.
      body: z.strictObject({ value: z.unknown().superRefine(withinJsonBounds({ maxDepth: 4, maxBytes: 8192 })) }),
      async handler(ctx) {
        const k = await known(ctx.params.key);
        const value = validate(k.schema, ctx.body.value, 'body');
        await k.check?.(value, s.repos);
        const before = await s.repos.config.get(ctx.params.key);
        await s.repos.config.set(ctx.params.key, value, ctx.principal.kind === 'user' ? ctx.principal.user.id : null);
        await changed();
        ctx.audit.target = `config:${ctx.params.key}`;
        ctx.audit.details = { from: before ?? k.default, to: value };
        return json({ key: ctx.params.key, value });
      },
    }),
    route({
      method: 'DELETE',
      path: '/admin/config/:key',
      summary: 'Reset one setting to its default',
      tag: 'config',
      auth: { kind: 'user', role: 'admin' },
      audit: 'config.reset',
      params: KeyParams,
      async handler(ctx) {
        const k = await known(ctx.params.key);
        await s.repos.config.remove(ctx.params.key);
        await changed();
        ctx.audit.target = `config:${ctx.params.key}`;
        return json({ key: ctx.params.key, value: k.default });
      },
    }),
  ];
}
