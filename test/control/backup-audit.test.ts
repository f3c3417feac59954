/**
 * A restore never rewinds the audit log: the live rows stay (ids included), the backup's rows the
 * log lacks are appended with fresh ids, and the restore itself is audited (who, which backup).
 */
import { strFromU8, unzipSync } from 'fflate';
import t from 'tap';
import { download, upload } from './helpers/backup.ts';
import { startControl, type TestControl } from './helpers/control.ts';
import { testEngines } from './helpers/database.ts';

/** An audit row as an event, without the id a restore may change. */
const event = (r: Record<string, unknown>) => JSON.stringify([r.at, r.action, r.actor_name, r.target, Number(r.status)]);
const auditRows = async (c: TestControl) => (await c.cp.db('audit_log').orderBy('id')) as Array<Record<string, unknown>>;

for (const engine of testEngines()) {
  t.test(`${engine}: a restore keeps the live audit log, appends the backup's rows it lacks (no duplicate ids), and audits itself`, async (t) => {
    const c = await startControl({}, { engine });
    t.teardown(c.stop);
    const admin = await c.userToken('adam', 'admin');
    for (const q of ['Opening hours?', 'Address?', 'Parking?']) await c.call('POST', '/admin/faq', { token: admin, body: { question: q, answer: 'See the website.' } });
    await c.call('PUT', '/admin/config/company.name', { token: admin, body: { value: 'ACME' } });
    const made = (await c.call('POST', '/admin/backups', { token: admin })).body;
    const zip = await download(c, admin, made.name);
    const inBackup = JSON.parse(strFromU8(unzipSync(zip)['tables/audit_log.json'])) as Array<Record<string, unknown>>;
    await c.call('POST', '/admin/faq', { token: admin, body: { question: 'Written after the backup?', answer: 'Yes.' } });
    await c.call('POST', '/admin/auth/login', { body: { username: 'adam', password: 'a wrong password' } });
    const liveBefore = await auditRows(c);
    const sinceBackup = liveBefore.filter((r) => !inBackup.some((b) => b.id === r.id));
    t.ok(sinceBackup.some((r) => r.action === 'faq.create') && sinceBackup.some((r) => r.action === 'auth.login' && r.status === 401), 'rows written after the backup');

    const restored = await c.call('POST', `/admin/backups/${made.name}/restore`, { token: admin, body: { confirm: true } });
    t.equal(restored.status, 200, JSON.stringify(restored.body));
    t.equal(restored.body.audit_rows_appended, 0, 'its own backup: every row is already there');
    const after = await auditRows(c);
    t.same(after.slice(0, liveBefore.length), liveBefore, 'every live row survives, ids included, the ones since the backup too');
    const me = await c.cp.repos.users.findByUsername('adam');
    const restoreRow = after.slice(liveBefore.length).find((r) => r.action === 'backup.restore');
    t.match(restoreRow, { actor_type: 'user', actor_name: 'adam', actor_id: String(me!.id), target: made.name, status: 200 }, 'the restore is audited: who, which backup');
    t.match(JSON.parse(String(restoreRow!.details)), { backup_sha256: made.sha256, backup_created_at: made.manifest.created_at, audit_rows_appended: 0, safety_backup: /prerestore/ });

    // Another installation: its own log (ids that collide with the backup's), then the same backup.
    const other = await startControl({}, { engine });
    t.teardown(other.stop);
    const otherAdmin = await other.userToken('olga', 'admin');
    await other.call('POST', '/admin/faq', { token: otherAdmin, body: { question: 'Theirs?', answer: 'Theirs.' } });
    const theirs = await auditRows(other);
    const up = await upload(other, otherAdmin, zip);
    const into = await other.call('POST', `/admin/backups/${up.body.name}/restore`, { token: otherAdmin, body: { confirm: true } });
    t.equal(into.status, 200, JSON.stringify(into.body));
    t.equal(into.body.audit_rows_appended, inBackup.length, "every one of the backup's rows was missing there");
    const merged = await auditRows(other);
    t.same(merged.slice(0, theirs.length), theirs, 'their own rows untouched');
    t.equal(new Set(merged.map((r) => r.id)).size, merged.length, 'no duplicate ids');
    const events = merged.map(event);
    for (const r of inBackup) t.ok(events.includes(event(r)), `backup row ${String(r.action)} is there`);
    t.ok(merged.some((r) => r.action === 'backup.restore' && r.actor_name === 'olga' && r.target === up.body.name));
    const listed = (await other.call('GET', '/admin/audit?limit=500', { token: (await other.login('adam')).body.access_token })).body.items;
    t.same(listed.map((e: { at: string }) => e.at), listed.map((e: { at: string }) => e.at).sort().reverse(), 'the list is newest first by time, appended rows in their place');
    const fromBackup = listed.filter((e: { restored_from: string | null }) => e.restored_from !== null);
    t.equal(fromBackup.length, inBackup.length, 'the audit API marks every appended row');
    t.ok(fromBackup.every((e: { restored_from: string }) => e.restored_from === into.body.backup_sha256), 'with the backup it came from');
    t.ok(
      listed.filter((e: { action: string; restored_from: string | null }) => e.action === 'faq.create' && e.restored_from === null).length === 1,
      "this installation's own rows are unmarked: an appended row never passes for one",
    );

    const again = await other.call('POST', `/admin/backups/${up.body.name}/restore`, { token: (await other.login('adam')).body.access_token, body: { confirm: true } });
    t.equal(again.body.audit_rows_appended, 0, 'restoring it again appends nothing');
    t.same((await auditRows(other)).slice(0, merged.length), merged);
  });
}

