/**
 * Consents and GDPR requests, admin only. Export and erase are POSTs with the person in the body,
 * not the URL, so the identifier stays out of access logs; the audit log names them only by a
 * pseudonym (a hash), which is itself not a mention of the person.
 */
import { z } from 'zod';
import { notFound } from '../http/errors.ts';
import { created, json, raw, route, type RouteDef } from '../http/route.ts';
import { eraseSubject, exportSubject, subjectPseudonym } from '../legal/subject-data.ts';
import type { ControlServices } from '../services.ts';
import { IdParams } from './schemas.ts';

const Subject = z.string().trim().min(3).max(200);

export function legalRoutes(s: ControlServices): RouteDef[] {
  const ADMIN = { kind: 'user', role: 'admin' } as const;
  return [
    route({
      method: 'GET',
      path: '/admin/legal/consents',
      summary: 'Consent records, newest first',
      tag: 'legal',
      auth: ADMIN,
      query: z.object({ subject: Subject.optional(), purpose: z.string().max(64).optional() }),
      async handler(ctx) {
        return json({ items: await s.repos.consents.list(ctx.query) });
      },
    }),
    route({
      method: 'POST',
      path: '/admin/legal/consents',
      summary: 'Record a consent given or refused',
      tag: 'legal',
      auth: ADMIN,
      audit: 'consents.record',
      body: z.strictObject({
        subject: Subject,
        purpose: z.enum(['call_recording', 'data_processing', 'marketing']),
        granted: z.boolean(),
        source: z.enum(['call', 'chat', 'web', 'paper', 'admin']),
        evidence: z.string().max(2000).nullable().optional(),
      }),
      async handler(ctx) {
        const c = await s.repos.consents.record(ctx.body);
        ctx.audit.target = subjectPseudonym(c.subject);
        ctx.audit.details = { consent_id: c.id, purpose: c.purpose, granted: c.granted };
        return created(c);
      },
    }),
    route({
      method: 'POST',
      path: '/admin/legal/consents/:id/revoke',
      summary: 'Withdraw a consent',
      tag: 'legal',
      auth: ADMIN,
      audit: 'consents.revoke',
      params: IdParams,
      async handler(ctx) {
        const c = await s.repos.consents.get(ctx.params.id);
        if (!c) throw notFound('consent');
        ctx.audit.target = subjectPseudonym(c.subject);
        ctx.audit.details = { consent_id: c.id, purpose: c.purpose };
        return json(await s.repos.consents.revoke(c.id));
      },
    }),
    route({
      method: 'POST',
      path: '/admin/legal/export',
      summary: "GDPR access request: everything held about one person, as a JSON download",
      tag: 'legal',
      auth: ADMIN,
      audit: 'gdpr.export',
      body: z.strictObject({ subject: Subject }),
      async handler(ctx) {
        ctx.audit.target = subjectPseudonym(ctx.body.subject);
        // The ledger is not in the data map's export (it is what must survive erasure), but the
        // person has a right to know we keep their erasure on record.
        const data = { ...(await exportSubject(s.db, ctx.body.subject)), erasures_recorded: await s.erasures.entriesFor(ctx.body.subject) };
        return raw(JSON.stringify(data, null, 2), 'application/json; charset=utf-8', [['Content-Disposition', 'attachment; filename="subject-export.json"']]);
      },
    }),
    route({
      method: 'POST',
      path: '/admin/legal/erase',
      summary: "GDPR erasure: delete one person's rows in every table, redact mentions elsewhere, remove recordings; recorded (encrypted) in the erasure ledger so restores of older backups erase them again",
      tag: 'legal',
      auth: ADMIN,
      audit: 'gdpr.erase',
      body: z.strictObject({ subject: Subject, confirm: z.literal(true) }),
      async handler(ctx) {
        ctx.audit.target = subjectPseudonym(ctx.body.subject);
        const report = await eraseSubject(s.db, ctx.body.subject, s.recordings, (trx) => s.erasures.record(trx, ctx.body.subject, ctx.principal));
        ctx.audit.details = { ...report };
        // An erasure can reach configuration (a modem persona for the person's number, a mention in a prompt).
        await s.conversations.changed();
        return json(report);
      },
    }),
  ];
}
