/**
 * Personas: prompt, greeting, language, LLM, voice (a TTS preset), their own wording of the
 * secretary's prompts and their dialogue settings. One of them is the default. Every change reaches
 * the next call and chat turn (conversations.changed); a call in progress keeps its persona.
 */
import { z } from 'zod';
import { DialogueSettingsInput } from '../../pipeline/conversation/dialogue-settings.ts';
import { promptOverridesSchema } from '../../pipeline/dialogue/persona.ts';
import { conflict, notFound } from '../http/errors.ts';
import { created, json, noContent, route, type RouteDef } from '../http/route.ts';
import type { ControlServices } from '../services.ts';
import { IdParams, LanguageTag } from './schemas.ts';

const Fields = z.strictObject({
  name: z.string().trim().min(1).max(100),
  system_prompt: z.string().min(1).max(20_000),
  greeting: z.string().max(2000).nullable().optional(),
  language: LanguageTag.nullable().optional(),
  llm_provider_id: z.number().int().positive().nullable().optional(),
  tts_preset_id: z.number().int().positive().nullable().optional(),
  /** Silence re-prompt and hang-up, call length, when to offer a message; unset fields take the defaults. */
  dialogue: DialogueSettingsInput.nullable().optional(),
  /** The secretary's prompts in this persona's words (greeting has its own field); unset ones stay the language's own. */
  prompts: promptOverridesSchema.omit({ greeting: true }).nullable().optional(),
});

export function personasRoutes(s: ControlServices): RouteDef[] {
  const READ = { kind: 'user', role: 'viewer' } as const;
  const WRITE = { kind: 'user', role: 'operator' } as const;
  const fill = (b: Partial<z.infer<typeof Fields>>) => ({ ...b, is_default: undefined });
  return [
    route({
      method: 'GET',
      path: '/admin/personas',
      summary: 'List personas',
      tag: 'personas',
      auth: READ,
      async handler() {
        return json({ items: await s.repos.personas.list() });
      },
    }),
    route({
      method: 'POST',
      path: '/admin/personas',
      summary: 'Create a persona',
      tag: 'personas',
      auth: WRITE,
      audit: 'personas.create',
      body: Fields,
      async handler(ctx) {
        const b = ctx.body;
        const p = await s.repos.personas.create({
          name: b.name,
          system_prompt: b.system_prompt,
          greeting: b.greeting ?? null,
          language: b.language ?? null,
          llm_provider_id: b.llm_provider_id ?? null,
          tts_preset_id: b.tts_preset_id ?? null,
          dialogue: b.dialogue ?? null,
          prompts: b.prompts ?? null,
          is_default: (await s.repos.personas.count()) === 0,
        });
        ctx.audit.target = `persona:${p.id}`;
        await s.conversations.changed();
        return created(p);
      },
    }),
    route({
      method: 'GET',
      path: '/admin/personas/:id',
      summary: 'One persona',
      tag: 'personas',
      auth: READ,
      params: IdParams,
      async handler(ctx) {
        // Thrown: json() does not await, so `?? Promise.reject(...)` answered an unknown id with 200 `{}`.
        const p = await s.repos.personas.get(ctx.params.id);
        if (!p) throw notFound('persona');
        return json(p);
      },
    }),
    route({
      method: 'PATCH',
      path: '/admin/personas/:id',
      summary: 'Change a persona',
      tag: 'personas',
      auth: WRITE,
      audit: 'personas.update',
      params: IdParams,
      body: Fields.partial(),
      async handler(ctx) {
        const p = await s.repos.personas.update(ctx.params.id, fill(ctx.body));
        if (!p) throw notFound('persona');
        ctx.audit.target = `persona:${p.id}`;
        ctx.audit.details = { fields: Object.keys(ctx.body) };
        await s.conversations.changed();
        return json(p);
      },
    }),
    route({
      method: 'POST',
      path: '/admin/personas/:id/default',
      summary: 'Make this persona the default',
      tag: 'personas',
      auth: WRITE,
      audit: 'personas.set_default',
      params: IdParams,
      async handler(ctx) {
        if (!(await s.repos.personas.get(ctx.params.id))) throw notFound('persona');
        await s.repos.personas.setDefault(ctx.params.id);
        ctx.audit.target = `persona:${ctx.params.id}`;
        await s.conversations.changed();
        return json((await s.repos.personas.get(ctx.params.id))!);
      },
    }),
    route({
      method: 'DELETE',
      path: '/admin/personas/:id',
      summary: 'Delete a persona',
      tag: 'personas',
      auth: WRITE,
      audit: 'personas.delete',
      params: IdParams,
      async handler(ctx) {
        const p = await s.repos.personas.get(ctx.params.id);
        if (!p) throw notFound('persona');
        ctx.audit.target = `persona:${p.id}`;
        // Deleting the default would leave chats without a default prompt and no persona marked
        // default (only the first one created becomes default by itself): pick the next one first.
        // The last persona may go; then there is none, as before the first was created.
        if (p.is_default && (await s.repos.personas.count()) > 1) {
          throw conflict('this is the default persona; make another persona the default first', { persona_id: p.id });
        }
        // Chat sessions that used it keep going with the default persona (foreign key SET NULL).
        await s.repos.personas.remove(p.id);
        await s.conversations.changed();
        return noContent();
      },
    }),
  ];
}
