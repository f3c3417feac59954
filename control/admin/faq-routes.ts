/**
 * FAQ management: CRUD, JSON import/export, and trying a question against the live matcher (the
 * one calls and chats use). Every change reaches the next call and chat turn (conversations.changed).
 */
import { z } from 'zod';
import { notFound } from '../http/errors.ts';
import { created, json, noContent, raw, route, type RouteDef } from '../http/route.ts';
import type { ControlServices } from '../services.ts';
import { IdParams } from './schemas.ts';

const READ = { kind: 'user', role: 'viewer' } as const;
const WRITE = { kind: 'user', role: 'operator' } as const;

export const FaqFields = z.strictObject({
  question: z.string().trim().min(1).max(2000),
  answer: z.string().trim().min(1).max(10_000),
  keywords: z.array(z.string().trim().min(1).max(100)).max(50).optional(),
  language: z.string().min(2).max(16).nullable().optional(),
  enabled: z.boolean().optional(),
});

export const FaqExport = z.object({
  version: z.literal(1),
  exported_at: z.string().optional(),
  entries: z.array(FaqFields).max(5000),
});

export function faqRoutes(s: ControlServices): RouteDef[] {
  const changed = () => s.conversations.changed();
  return [
    route({
      method: 'GET',
      path: '/admin/faq',
      summary: 'List FAQ entries',
      tag: 'faq',
      auth: READ,
      async handler() {
        return json({ items: await s.repos.faq.list() });
      },
    }),
    route({
      method: 'POST',
      path: '/admin/faq',
      summary: 'Add an FAQ entry',
      tag: 'faq',
      auth: WRITE,
      audit: 'faq.create',
      body: FaqFields,
      async handler(ctx) {
        const entry = await s.repos.faq.create(ctx.body);
        await changed();
        ctx.audit.target = `faq:${entry.id}`;
        return created(entry);
      },
    }),
    route({
      method: 'GET',
      path: '/admin/faq/export',
      summary: 'Download every FAQ entry as JSON (the format /admin/faq/import takes)',
      tag: 'faq',
      auth: READ,
      async handler() {
        const entries = (await s.repos.faq.list()).map(({ question, answer, keywords, language, enabled }) => ({ question, answer, keywords, language, enabled }));
        const body = JSON.stringify({ version: 1, exported_at: new Date().toISOString(), entries }, null, 2);
        return raw(body, 'application/json; charset=utf-8', [['Content-Disposition', 'attachment; filename="faq.json"']]);
      },
    }),
    route({
      method: 'POST',
      path: '/admin/faq/import',
      summary: 'Import FAQ entries from an export; mode=replace swaps the whole FAQ in one transaction',
      tag: 'faq',
      auth: WRITE,
      audit: 'faq.import',
      maxBodyBytes: 4 * 1024 * 1024,
      query: z.object({ mode: z.enum(['append', 'replace']).default('append') }),
      body: FaqExport,
      async handler(ctx) {
        const n = await s.repos.faq.importMany(ctx.body.entries, ctx.query.mode === 'replace');
        await changed();
        ctx.audit.details = { mode: ctx.query.mode, imported: n };
        return json({ imported: n, mode: ctx.query.mode });
      },
    }),
    route({
      method: 'GET',
      path: '/admin/faq/match',
      summary:
        'Try a question against the live FAQ matcher (the default persona\'s language): the best entry, its score and what matched, or null. Built-in intents (take a message) have a string id and builtin: true',
      tag: 'faq',
      auth: READ,
      query: z.object({ question: z.string().min(1).max(2000), threshold: z.coerce.number().min(0).max(1).optional() }),
      async handler(ctx) {
        const live = s.conversations.snapshot.faq();
        const m = (ctx.query.threshold === undefined ? live : live.withThreshold(ctx.query.threshold)).match(ctx.query.question);
        if (!m) return json({ match: null });
        const stored = /^\d+$/.test(m.entry.id);
        return json({ match: { id: stored ? Number(m.entry.id) : m.entry.id, question: m.entry.questions[0], answer: m.entry.answer, score: Math.round(m.score * 1000) / 1000, matched: m.matched, builtin: !stored } });
      },
    }),
    route({
      method: 'GET',
      path: '/admin/faq/:id',
      summary: 'One FAQ entry',
      tag: 'faq',
      auth: READ,
      params: IdParams,
      async handler(ctx) {
        // Thrown: json() does not await, so `?? Promise.reject(...)` answered an unknown id with 200 `{}`.
        const row = await s.repos.faq.get(ctx.params.id);
        if (!row) throw notFound('FAQ entry');
        return json(row);
      },
    }),
    route({
      method: 'PATCH',
      path: '/admin/faq/:id',
      summary: 'Change an FAQ entry',
      tag: 'faq',
      auth: WRITE,
      audit: 'faq.update',
      params: IdParams,
      body: FaqFields.partial(),
      async handler(ctx) {
        const entry = await s.repos.faq.update(ctx.params.id, ctx.body);
        if (!entry) throw notFound('FAQ entry');
        await changed();
        ctx.audit.target = `faq:${entry.id}`;
        ctx.audit.details = { fields: Object.keys(ctx.body) };
        return json(entry);
      },
    }),
    route({
      method: 'DELETE',
      path: '/admin/faq/:id',
      summary: 'Delete an FAQ entry',
      tag: 'faq',
      auth: WRITE,
      audit: 'faq.delete',
      params: IdParams,
      async handler(ctx) {
        if (!(await s.repos.faq.remove(ctx.params.id))) throw notFound('FAQ entry');
        await changed();
        ctx.audit.target = `faq:${ctx.params.id}`;
        return noContent();
      },
    }),
  ];
}
