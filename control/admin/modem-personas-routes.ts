/**
 * Which persona answers which caller on the modem: the admin API's counterpart of MODEM_PERSONAS,
 * stored in the database and live (the next call from that number gets it). Numbers not listed
 * here follow MODEM_PERSONAS, then the default persona. The number is personal data: audit rows
 * name the entry, not the number, and a GDPR erasure of the number removes the entry.
 */
import { z } from 'zod';
import { notFound } from '../http/errors.ts';
import { created, json, noContent, route, type RouteDef } from '../http/route.ts';
import type { ControlServices } from '../services.ts';
import { IdParams, PhoneNumber } from './schemas.ts';

export function modemPersonasRoutes(s: ControlServices): RouteDef[] {
  return [
    route({
      method: 'GET',
      path: '/admin/gsm/personas',
      summary: 'The persona per caller number on the modem (numbers not listed follow MODEM_PERSONAS, then the default persona)',
      tag: 'gsm',
      auth: { kind: 'user', role: 'viewer' },
      async handler() {
        return json({ items: await s.repos.modemPersonas.list() });
      },
    }),
    route({
      method: 'POST',
      path: '/admin/gsm/personas',
      summary: 'Set the persona that answers a caller number on the modem (the same number again changes its entry: 200)',
      tag: 'gsm',
      auth: { kind: 'user', role: 'operator' },
      audit: 'gsm.persona_set',
      body: z.strictObject({ number: PhoneNumber, persona_id: z.number().int().positive() }),
      async handler(ctx) {
        if (!(await s.repos.personas.get(ctx.body.persona_id))) throw notFound('persona');
        const { entry, created: isNew } = await s.repos.modemPersonas.set(ctx.body.number, ctx.body.persona_id);
        ctx.audit.target = `modem_persona:${entry.id}`;
        ctx.audit.details = { persona_id: entry.persona_id };
        await s.conversations.changed();
        return isNew ? created(entry) : json(entry);
      },
    }),
    route({
      method: 'DELETE',
      path: '/admin/gsm/personas/:id',
      summary: 'Remove a caller number’s persona (MODEM_PERSONAS or the default persona answers it again)',
      tag: 'gsm',
      auth: { kind: 'user', role: 'operator' },
      audit: 'gsm.persona_delete',
      params: IdParams,
      async handler(ctx) {
        if (!(await s.repos.modemPersonas.remove(ctx.params.id))) throw notFound('modem persona');
        ctx.audit.target = `modem_persona:${ctx.params.id}`;
        await s.conversations.changed();
        return noContent();
      },
    }),
  ];
}
