/** Backups: create, list, download, upload (validated), restore (validated, confirmed), delete. Admin only. */
import { z } from 'zod';
import { created, json, noContent, raw, route, type RouteDef } from '../http/route.ts';
import type { ControlServices } from '../services.ts';

const ADMIN = { kind: 'user', role: 'admin' } as const;
const NameParams = z.object({ name: z.string().regex(/^[A-Za-z0-9._-]{1,100}$/, 'a backup file name') });

export function backupRoutes(s: ControlServices): RouteDef[] {
  return [
    route({
      method: 'GET',
      path: '/admin/backups',
      summary: 'Backups kept in DATA_DIR/backups, newest first',
      tag: 'backup',
      auth: ADMIN,
      async handler() {
        return json({ items: s.backups.list() });
      },
    }),
    route({
      method: 'POST',
      path: '/admin/backups',
      summary: 'Make a backup now (zip: a JSON file per table, the recording files, manifest.json and SHA256SUMS with every entry’s sha256)',
      tag: 'backup',
      auth: ADMIN,
      audit: 'backup.create',
      async handler(ctx) {
        const b = await s.backups.create();
        ctx.audit.target = b.name;
        ctx.audit.details = { bytes: b.bytes, sha256: b.sha256 };
        return created(b);
      },
    }),
    route({
      method: 'POST',
      path: '/admin/backups/upload',
      summary: 'Upload a backup zip; it is validated completely (manifest, schema version, every sha256) before it is kept',
      tag: 'backup',
      auth: ADMIN,
      audit: 'backup.upload',
      maxBodyBytes: 256 * 1024 * 1024,
      rawBody: { contentTypes: ['application/zip', 'application/octet-stream'], description: 'a backup zip made by POST /admin/backups' },
      async handler(ctx) {
        const b = await s.backups.upload(ctx.rawBody ?? Buffer.alloc(0));
        ctx.audit.target = b.name;
        ctx.audit.details = { bytes: b.bytes, sha256: b.sha256 };
        return created(b);
      },
    }),
    route({
      method: 'GET',
      path: '/admin/backups/:name',
      summary: 'Download a backup zip (audited: it holds every table, password hashes included)',
      tag: 'backup',
      auth: ADMIN,
      audit: 'backup.download',
      params: NameParams,
      produces: 'application/zip',
      async handler(ctx) {
        ctx.audit.target = ctx.params.name;
        return raw(await s.backups.read(ctx.params.name), 'application/zip', [['Content-Disposition', `attachment; filename="${ctx.params.name}"`]]);
      },
    }),
    route({
      method: 'DELETE',
      path: '/admin/backups/:name',
      summary: 'Delete a backup file',
      tag: 'backup',
      auth: ADMIN,
      audit: 'backup.delete',
      params: NameParams,
      async handler(ctx) {
        await s.backups.remove(ctx.params.name);
        ctx.audit.target = ctx.params.name;
        return noContent();
      },
    }),
    route({
      method: 'POST',
      path: '/admin/backups/:name/restore',
      summary:
        'Replace the whole database with a backup and put its recording files back (validated first; ends every login session); the audit log is kept, the backup’s rows it lacks appended (audit_rows_appended); every erasure in the erasure ledger is applied again (erasures_reapplied)',
      tag: 'backup',
      auth: ADMIN,
      audit: 'backup.restore',
      params: NameParams,
      body: z.strictObject({ confirm: z.literal(true, 'send {"confirm": true}: this replaces every table') }),
      async handler(ctx) {
        ctx.audit.target = ctx.params.name;
        const r = await s.backups.restore(await s.backups.read(ctx.params.name));
        const { tables, ...counts } = r;
        ctx.audit.details = { rows: Object.values(tables).reduce((a, b) => a + b, 0), ...counts };
        return json({ restored: ctx.params.name, ...r });
      },
    }),
  ];
}
