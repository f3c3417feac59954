/**
 * Backup then restore gives identical data (on every available engine); a backup is a zip whose
 * manifest holds every entry's sha256; damaged, foreign or mismatched backups are refused before
 * anything is touched; restore ends login sessions.
 */
import { strFromU8, strToU8, unzipSync, zipSync } from 'fflate';
import t from 'tap';
import { ownedTempName } from '../../runtime/owned-temp.ts';
import { deadOwnerTempName } from '../helpers/dead-process.ts';
import { BACKUP_TABLES, NOT_BACKED_UP } from '../../control/backup/backup-service.ts';
import { MIGRATIONS } from '../../control/db/migration-source.ts';
import { PERSONAL_DATA_MAP } from '../../control/legal/personal-data-map.ts';
import { download, upload } from './helpers/backup.ts';
import { startControl, type TestControl } from './helpers/control.ts';
import { testEngines } from './helpers/database.ts';

t.test('every table is either backed up or deliberately left out', async (t) => {
  t.same([...BACKUP_TABLES, ...Object.keys(NOT_BACKED_UP)].sort(), Object.keys(PERSONAL_DATA_MAP).sort());
});

async function dump(c: TestControl): Promise<Record<string, unknown[]>> {
  const out: Record<string, unknown[]> = {};
  for (const table of BACKUP_TABLES) out[table] = await c.cp.db(table).select('*').orderBy(table === 'system_config' ? 'key' : 'id');
  return out;
}

async function seed(c: TestControl, admin: string) {
  const call = (m: string, p: string, body: unknown) => c.call(m, p, { token: admin, body });
  for (let i = 0; i < 30; i++) await call('POST', '/admin/faq', { question: `Question ${i}?`, answer: `Answer ${i}, with "quotes" and ünïcode ${'x'.repeat(i)}`, keywords: [`k${i}`] });
  const preset = (await call('POST', '/admin/tts/presets', { name: 'ru', engine: 'espeak-ng', voice: 'ru', speed: 1.25, params: { pitch: 40 } })).body;
  const persona = (await call('POST', '/admin/personas', { name: 'Front desk', system_prompt: 'Be brief.', tts_preset_id: preset.id })).body;
  const prov = await call('POST', '/admin/llm-providers', { name: 'local', base_url: 'https://llm.example.com/v1', model: 'm', api_key: 'sk-secret' });
  if (prov.status !== 201) throw new Error(JSON.stringify(prov.body));
  await call('PUT', '/admin/config/company.name', { value: 'ACME' });
  await call('POST', '/admin/api-keys', { name: 'widget' });
  const sess = (await call('POST', '/admin/chat/sessions', { source: 'widget', source_id: 'visitor-1', contact: '+15550001', persona_id: persona.id })).body;
  await call('POST', `/admin/chat/sessions/${sess.id}/messages`, { role: 'user', content: 'Hello' });
  await call('POST', `/admin/chat/sessions/${sess.id}/messages`, { role: 'assistant', content: 'Hi! How can I help?' });
  await c.cp.repos.calls.start({ id: 'call-1', channel: 'gsm', direction: 'in', caller_number: '+15550002' });
  await c.cp.repos.calls.addTurn({ call_id: 'call-1', turn_index: 0, user_text: 'hours?', assistant_text: 'Nine to five.', started_at: new Date().toISOString(), v2v_ms: 812.5, endpoint_ms: 500 });
  await c.cp.repos.calls.end('call-1', { status: 'completed', summary: 'asked for hours', endReason: 'client_hangup' });
  await c.cp.repos.sms.add({ direction: 'in', phone_number: '+15550003', body: 'Call me back', status: 'received' });
  await c.cp.repos.consents.record({ subject: '+15550002', purpose: 'recording', granted: true, source: 'call', evidence: 'said yes' });
}

for (const engine of testEngines()) {
  t.test(`${engine}: backup, change everything, restore -> identical data`, async (t) => {
    const c = await startControl({}, { engine });
    t.teardown(c.stop);
    const admin = await c.userToken('adam', 'admin');
    await seed(c, admin);
    const before = await dump(c);
    const made = await c.call('POST', '/admin/backups', { token: admin });
    t.equal(made.status, 201);
    t.match(made.body, { name: /^backup-\d{8}T\d{6}Z\.zip$/, sha256: /^[0-9a-f]{64}$/ });
    t.equal(made.body.manifest.tables.faq.rows, 30);
    t.same((await c.call('GET', '/admin/backups', { token: admin })).body.items.map((b: { name: string }) => b.name), [made.body.name]);

    // The zip: manifest with every entry's sha256, SHA256SUMS in sha256sum form.
    const zip = await download(c, admin, made.body.name);
    const downloads = (await c.call('GET', '/admin/audit?action=backup.download', { token: admin })).body.items;
    t.match(downloads, [{ action: 'backup.download', target: made.body.name, status: 200 }], 'the download is audited (the zip holds password hashes)');
    const files = unzipSync(zip);
    const manifest = JSON.parse(strFromU8(files['manifest.json']));
    t.same(Object.keys(manifest.entries).sort(), BACKUP_TABLES.map((x) => `tables/${x}.json`).sort());
    t.equal(strFromU8(files.SHA256SUMS).trim().split('\n').length, BACKUP_TABLES.length);
    t.notOk(Object.keys(files).some((f) => f.includes('refresh_tokens')), 'sessions are not backed up');

    // Change everything.
    const faqIds = (await c.call('GET', '/admin/faq', { token: admin })).body.items.map((f: { id: number }) => f.id);
    for (const id of faqIds.slice(0, 10)) await c.call('DELETE', `/admin/faq/${id}`, { token: admin });
    await c.call('POST', '/admin/faq', { token: admin, body: { question: 'New?', answer: 'New.' } });
    await c.call('PUT', '/admin/config/company.name', { token: admin, body: { value: 'Other' } });
    await c.call('DELETE', '/admin/chat/sessions/1', { token: admin });
    await c.cp.db('calls').del();
    await c.cp.repos.sms.add({ direction: 'out', phone_number: '+1', body: 'x', status: 'sent' });
    t.not(JSON.stringify(await dump(c)), JSON.stringify(before));

    t.equal((await c.call('POST', `/admin/backups/${made.body.name}/restore`, { token: admin, body: {} })).status, 400, 'restore needs confirm: true');
    const restored = await c.call('POST', `/admin/backups/${made.body.name}/restore`, { token: admin, body: { confirm: true } });
    t.equal(restored.status, 200, JSON.stringify(restored.body));
    t.equal(restored.body.tables.faq, 30);
    const after = await dump(c);
    for (const table of BACKUP_TABLES) {
      if (table === 'audit_log') continue;
      t.same(after[table], before[table], `${table} identical`);
    }
    // The audit log is restored too, then gains the rows of what happened since (the restore itself).
    t.same(after.audit_log.slice(0, before.audit_log.length), before.audit_log, 'audit_log identical up to the restore');
    t.ok(after.audit_log.slice(before.audit_log.length).some((r) => (r as { action: string }).action === 'backup.restore'));

    // Sessions ended; a new login works, and new rows get fresh ids (sequences moved past the restored ones).
    t.equal((await c.call('GET', '/admin/faq', { token: admin })).status, 401, 'restore ended the login session');
    const again = (await c.login('adam')).body.access_token;
    const added = await c.call('POST', '/admin/faq', { token: again, body: { question: 'After?', answer: 'Yes.' } });
    t.equal(added.status, 201);
    t.ok(added.body.id > Math.max(...(before.faq as Array<{ id: number }>).map((f) => f.id)));
    const provider = await c.cp.repos.llmProviders.getApiKey((await c.cp.repos.llmProviders.listEnabled())[0].id);
    t.equal(provider, 'sk-secret', 'encrypted provider keys still decrypt');
  });
}

t.test('damaged, foreign and mismatched backups are refused before anything changes', async (t) => {
  const c = await startControl();
  t.teardown(c.stop);
  const admin = await c.userToken('adam', 'admin');
  await seed(c, admin);
  const before = await dump(c);
  const made = (await c.call('POST', '/admin/backups', { token: admin })).body;
  const zip = await download(c, admin, made.name);
  const files = unzipSync(zip);

  let r = await upload(c, admin, strToU8('not a zip'));
  t.equal(r.status, 400);
  t.equal(r.body.error.code, 'invalid_backup');

  const tampered = { ...files, 'tables/faq.json': strToU8(strFromU8(files['tables/faq.json']).replace('Answer 1,', 'Answer X,')) };
  r = await upload(c, admin, zipSync(tampered));
  t.equal(r.status, 400);
  t.match(r.body.error.message, /tables\/faq\.json does not match its sha256/);

  const manifest = JSON.parse(strFromU8(files['manifest.json']));
  r = await upload(c, admin, zipSync({ ...files, 'manifest.json': strToU8(JSON.stringify({ ...manifest, migrations: [...manifest.migrations, '9999-future'] })) }));
  t.equal(r.status, 409);
  t.equal(r.body.error.code, 'schema_mismatch');

  const { ['tables/sms.json']: _gone, ...missing } = files;
  r = await upload(c, admin, zipSync(missing));
  t.equal(r.status, 400);

  r = await upload(c, admin, zipSync({ ...files, 'manifest.json': strToU8('{"format":"other"}') }));
  t.equal(r.status, 400);
  t.equal((await c.call('POST', '/admin/backups/upload', { token: admin, rawBody: 'x', headers: { 'content-type': 'text/plain' } })).status, 415);

  // A valid upload is kept and restorable.
  r = await upload(c, admin, zip);
  t.equal(r.status, 201);
  t.match(r.body.name, /-upload\.zip$/);
  t.equal((await c.call('GET', '/admin/backups/..%2Fsecret.key', { token: admin })).status, 400, 'no path tricks');
  t.equal((await c.call('GET', '/admin/backups/backup-20990101T000000Z.zip', { token: admin })).status, 404);
  t.same(await dump(c).then((d) => ({ ...d, audit_log: [] })), { ...before, audit_log: [] }, 'nothing changed');
  t.equal((await c.call('DELETE', `/admin/backups/${r.body.name}`, { token: admin })).status, 204);
  t.equal((await c.call('GET', '/admin/backups', { token: admin })).body.items.length, 1);
  const operator = await c.userToken('olga', 'operator');
  t.equal((await c.call('GET', `/admin/backups/${made.name}`, { token: operator })).status, 403, 'backups are admin only');
});

t.test('a backup from before an additive migration restores; one across a gap or from the future does not', async (t) => {
  const { createHash } = await import('node:crypto');
  const c = await startControl();
  t.teardown(c.stop);
  const admin = await c.userToken('adam', 'admin');
  await seed(c, admin);
  const files = unzipSync(await download(c, admin, (await c.call('POST', '/admin/backups', { token: admin })).body.name));
  const manifest = JSON.parse(strFromU8(files['manifest.json']!));
  t.same(manifest.migrations, MIGRATIONS.map((m) => m.name), 'the manifest lists every migration applied');

  /** The same backup as the server before migration 0003 would have written it. */
  const older = (migrations: string[]) => {
    const sessions = (JSON.parse(strFromU8(files['tables/chat_sessions.json']!)) as Array<Record<string, unknown>>).map(({ llm_backend: _b, llm_provider_id: _p, ...row }) => row);
    const body = strToU8(JSON.stringify(sessions));
    const entries = { ...manifest.entries, 'tables/chat_sessions.json': { bytes: body.byteLength, sha256: createHash('sha256').update(body).digest('hex') } };
    return zipSync({ ...files, 'tables/chat_sessions.json': body, 'manifest.json': strToU8(JSON.stringify({ ...manifest, migrations, entries })) });
  };
  await c.call('DELETE', '/admin/chat/sessions/1', { token: admin });
  let r = await upload(c, admin, older(['0001-initial', '0002-call-end-reason']));
  t.equal(r.status, 201, JSON.stringify(r.body));
  r = await c.call('POST', `/admin/backups/${r.body.name}/restore`, { token: admin, body: { confirm: true } });
  t.equal(r.status, 200, JSON.stringify(r.body));
  const token = (await c.login('adam')).body.access_token;
  const sess = await c.call('GET', '/admin/chat/sessions/1', { token });
  t.match(sess.body, { source_id: 'visitor-1', llm_backend: null, llm_provider_id: null }, 'old rows restored; the new columns are empty');
  t.equal(sess.body.messages.length, 2);

  r = await upload(c, token, older(['0001-initial', '0003-chat-session-llm']));
  t.equal(r.body.error?.code, 'schema_mismatch', 'a gap in the list is not an older schema');
  r = await upload(c, token, older(['0002-call-end-reason']));
  t.equal(r.body.error?.code, 'schema_mismatch');
});

t.test('backups made at the same moment get distinct names; no temporary file is listed or left behind', async (t) => {
  const c = await startControl();
  t.teardown(c.stop);
  const made = await Promise.all([c.cp.backups.create(), c.cp.backups.create(), c.cp.backups.create()]);
  t.equal(new Set(made.map((b) => b.name)).size, 3, made.map((b) => b.name).join(' '));
  t.same(c.cp.backups.list().map((b) => b.name).sort(), made.map((b) => b.name).sort());
  const { readdirSync } = await import('node:fs');
  t.same(readdirSync(c.cp.backups.dir).filter((n) => n.startsWith('.')), [], 'temporary files removed');
});

t.test('a refused upload leaves no file; temporary files a crash left are swept at start-up, those of live processes are not', async (t) => {
  const c = await startControl();
  t.teardown(c.stop);
  const token = await c.userToken('adam', 'admin');
  const r = await upload(c, token, strToU8('not a zip'));
  t.equal(r.status, 400);
  const { readdirSync, writeFileSync, utimesSync, mkdirSync } = await import('node:fs');
  const path = await import('node:path');
  t.same(readdirSync(c.cp.backups.dir).filter((n) => n.startsWith('.')), [], 'the refused upload is not left behind');
  mkdirSync(c.cp.backups.dir, { recursive: true });
  mkdirSync(c.cp.recordings.dir, { recursive: true });
  const put = (dir: string, name: string) => writeFileSync(path.join(dir, name), 'half written');
  // Named for a process that has exited (killed mid-write), and for this one (still writing).
  const dead = deadOwnerTempName('backup', '.zip');
  const live = ownedTempName('backup', '.zip');
  const deadRestore = deadOwnerTempName('restore', '-c1.caller.wav');
  const liveRestore = ownedTempName('restore', '-c1.caller.wav');
  for (const name of [dead, live]) put(c.cp.backups.dir, name);
  for (const name of [deadRestore, liveRestore]) put(c.cp.recordings.dir, name);
  // From before the names said who wrote them: removed after an hour.
  put(c.cp.backups.dir, '.tmp-stale.zip');
  put(c.cp.backups.dir, '.tmp-fresh.zip');
  const twoHoursAgo = new Date(Date.now() - 2 * 3600_000);
  utimesSync(path.join(c.cp.backups.dir, '.tmp-stale.zip'), twoHoursAgo, twoHoursAgo);
  const { BackupService } = await import('../../control/backup/backup-service.ts');
  new BackupService({} as never, path.dirname(c.cp.backups.dir), { dir: c.cp.recordings.dir } as never); // the constructor sweeps
  t.same(readdirSync(c.cp.backups.dir).filter((n) => n.startsWith('.')).sort(), ['.tmp-fresh.zip', live].sort(), 'the dead writer\'s and the stale old-style file removed');
  t.same(readdirSync(c.cp.recordings.dir).filter((n) => n.startsWith('.')), [liveRestore], 'the dead restore\'s staged recording removed, the live one kept');
});
