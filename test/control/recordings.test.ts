/**
 * Call recordings as control-plane data, with real WAV files and a real database: the download
 * route (bytes, headers, roles, audit, every 404, no path escaping the recordings directory), and
 * backups that carry the files (backup, delete files and rows, restore: identical bytes and rows;
 * a missing file is noted, a tampered one refused, old backups without recordings still restore).
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { strFromU8, strToU8, unzipSync, zipSync } from 'fflate';
import t from 'tap';
import { encodeWav } from '../../media/wav.ts';
import { startControl, type TestControl } from './helpers/control.ts';
import { testEngines } from './helpers/database.ts';

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

/** `seconds` of a 440 Hz tone at 8 kHz, as a WAV file's bytes. */
const toneWav = (seconds: number, hz = 440) =>
  encodeWav(Int16Array.from({ length: 8000 * seconds }, (_, i) => Math.round(8000 * Math.sin((2 * Math.PI * hz * i) / 8000))), 8000);

/** A call with recording files written into the control plane's recordings directory and registered. */
async function recordedCall(c: TestControl, callId: string, files: Record<string, Buffer>): Promise<number[]> {
  await c.cp.repos.calls.start({ id: callId, channel: 'modem', direction: 'inbound', caller_number: '+15550100' });
  mkdirSync(c.cp.recordings.dir, { recursive: true });
  const ids: number[] = [];
  for (const [name, data] of Object.entries(files)) {
    const file = path.join(c.cp.recordings.dir, name);
    writeFileSync(file, data);
    ids.push(await c.cp.recordings.register(callId, file, (data.byteLength - 44) / 16, 'wav'));
  }
  await c.cp.repos.calls.end(callId, { endReason: 'remote_hangup' });
  return ids;
}

async function fetchBytes(c: TestControl, token: string, p: string) {
  const res = await c.fetch(p, { headers: { authorization: `Bearer ${token}` } });
  return { status: res.status, headers: res.headers, bytes: Buffer.from(await res.arrayBuffer()) };
}

t.test('GET /admin/calls/:id/recordings/:recordingId streams the file; 404s, roles and no path escapes', async (t) => {
  const c = await startControl();
  t.teardown(c.stop);
  const operator = await c.userToken('olga', 'operator');
  const viewer = await c.userToken('vera', 'viewer');
  // Big enough (about 3 MB) that the socket pushes back and the file goes out in several chunks.
  const caller = toneWav(180);
  const reply = toneWav(2, 880);
  const [callerId, replyId] = await recordedCall(c, 'call-a', { 'call-a.caller.wav': caller, 'call-a.reply.wav': reply });

  const rows = await c.cp.repos.calls.recordings('call-a');
  t.match(rows[0], { call_id: 'call-a', path: 'recordings/call-a.caller.wav', format: 'wav', duration_ms: 180000, size_bytes: caller.byteLength, sha256: sha256(caller) });
  const detail = await c.call('GET', '/admin/calls/call-a', { token: viewer });
  t.equal(detail.body.recordings.length, 2);
  t.notOk('path' in detail.body.recordings[0], 'the detail view does not show paths');

  const got = await fetchBytes(c, operator, `/admin/calls/call-a/recordings/${callerId}`);
  t.equal(got.status, 200);
  t.equal(got.headers.get('content-type'), 'audio/wav');
  t.equal(got.headers.get('content-length'), String(caller.byteLength));
  t.equal(got.headers.get('content-disposition'), `attachment; filename="call-call-a-recording-${callerId}.wav"`);
  t.ok(got.bytes.equals(caller), 'the same bytes as on disk');
  t.ok((await fetchBytes(c, operator, `/admin/calls/call-a/recordings/${replyId}`)).bytes.equals(reply));

  const audit = await c.cp.repos.audit.list({ action: 'call.recording_download' }, { limit: 10, offset: 0 });
  t.match(audit.items[0], { actor_name: 'olga', target: 'call-a', status: 200, details: { recording_id: replyId } }, 'downloads are audited');

  // Roles: the audio needs an operator; anonymous callers get the one error format.
  const asViewer = await c.call('GET', `/admin/calls/call-a/recordings/${callerId}`, { token: viewer });
  t.equal(asViewer.status, 403);
  const anon = await c.call('GET', `/admin/calls/call-a/recordings/${callerId}`);
  t.equal(anon.status, 401);
  t.same(Object.keys(anon.body), ['error']);

  const notFound = async (p: string, what: string) => {
    const r = await c.call('GET', p, { token: operator });
    t.equal(r.status, 404, `${p}: ${what}`);
    t.same(r.body, { error: { code: 'not_found', message: `${what} not found` } });
  };
  await notFound(`/admin/calls/nope/recordings/${callerId}`, 'call');
  await notFound('/admin/calls/call-a/recordings/999', 'recording');
  await recordedCall(c, 'call-b', {});
  await notFound(`/admin/calls/call-b/recordings/${callerId}`, 'recording'); // another call's recording
  t.equal((await c.call('GET', '/admin/calls/call-a/recordings/abc', { token: operator })).status, 400);

  unlinkSync(path.join(c.cp.recordings.dir, 'call-a.reply.wav'));
  await notFound(`/admin/calls/call-a/recordings/${replyId}`, 'recording file');

  // Rows are data (a restored backup): none of them may reach a file outside the recordings directory.
  const secret = path.join(c.db.dataDir, 'secret.key');
  t.ok(existsSync(secret), 'there is something worth stealing next to the recordings');
  writeFileSync(path.join(tmpdir(), `outside-${process.pid}.wav`), 'RIFF');
  t.teardown(() => rmSync(path.join(tmpdir(), `outside-${process.pid}.wav`), { force: true }));
  symlinkSync(secret, path.join(c.cp.recordings.dir, 'link.wav'));
  for (const evil of ['secret.key', 'recordings/../secret.key', '../../etc/passwd', secret, path.join(tmpdir(), `outside-${process.pid}.wav`), 'recordings/link.wav', 'recordings', '']) {
    const id = await c.cp.repos.calls.addRecording({ call_id: 'call-b', path: evil, format: 'wav', duration_ms: null, size_bytes: null, sha256: null });
    await notFound(`/admin/calls/call-b/recordings/${id}`, 'recording file');
  }
  await t.rejects(c.cp.recordings.register('call-b', secret, null), /outside the recordings directory/, 'nothing outside is registered either');
});

async function dump(c: TestControl) {
  return {
    calls: await c.cp.db('calls').select('*').orderBy('id'),
    recordings: await c.cp.db('recordings').select('*').orderBy('id'),
  };
}

async function backupZip(c: TestControl, admin: string) {
  const made = await c.call('POST', '/admin/backups', { token: admin });
  if (made.status !== 201) throw new Error(JSON.stringify(made.body));
  const zip = (await fetchBytes(c, admin, `/admin/backups/${made.body.name}`)).bytes;
  return { name: made.body.name as string, manifest: made.body.manifest, zip, files: unzipSync(zip) };
}

const upload = (c: TestControl, token: string, zip: Uint8Array) =>
  c.call('POST', '/admin/backups/upload', { token, rawBody: Buffer.from(zip), headers: { 'content-type': 'application/zip' } });

for (const engine of testEngines()) {
  t.test(`${engine}: backup with recordings -> delete files and rows -> restore gives identical bytes and rows`, async (t) => {
    const c = await startControl({}, { engine });
    t.teardown(c.stop);
    const admin = await c.userToken('adam', 'admin');
    const audio = { 'c1.caller.wav': toneWav(3), 'c1.reply.wav': toneWav(2, 660), 'c2.caller.wav': toneWav(1, 550) };
    const [a, b] = await recordedCall(c, 'c1', { 'c1.caller.wav': audio['c1.caller.wav'], 'c1.reply.wav': audio['c1.reply.wav'] });
    const [gone] = await recordedCall(c, 'c2', { 'c2.caller.wav': audio['c2.caller.wav'] });
    unlinkSync(path.join(c.cp.recordings.dir, 'c2.caller.wav'));
    const before = await dump(c);

    // A file missing on disk does not stop the backup; the manifest says so.
    const backup = await backupZip(c, admin);
    t.same(backup.manifest.recordings[a], { entry: `recordings/${a}.wav` });
    t.same(backup.manifest.recordings[b], { entry: `recordings/${b}.wav` });
    t.match(backup.manifest.recordings[gone], { missing: /no readable file for recordings\/c2\.caller\.wav/ });
    t.equal(backup.manifest.entries[`recordings/${a}.wav`].sha256, sha256(audio['c1.caller.wav']), 'the file is listed with its sha256');
    t.ok(Buffer.from(backup.files[`recordings/${b}.wav`]).equals(audio['c1.reply.wav']), 'the zip holds the bytes');
    t.match(strFromU8(backup.files.SHA256SUMS), new RegExp(`${sha256(audio['c1.caller.wav'])}  recordings/${a}\\.wav`));
    t.notOk(Object.keys(backup.files).some((f) => f === `recordings/${gone}.wav`));

    // Lose everything: rows (calls cascade to recordings) and files.
    await c.cp.db('calls').del();
    rmSync(c.cp.recordings.dir, { recursive: true, force: true });
    t.same((await dump(c)).recordings, []);

    const restored = await c.call('POST', `/admin/backups/${backup.name}/restore`, { token: admin, body: { confirm: true } });
    t.equal(restored.status, 200, JSON.stringify(restored.body));
    t.equal(restored.body.recording_files, 2);
    t.same(await dump(c), before, 'calls and recordings rows identical');
    for (const name of ['c1.caller.wav', 'c1.reply.wav']) {
      t.ok(readFileSync(path.join(c.cp.recordings.dir, name)).equals(audio[name as keyof typeof audio]), `${name} identical`);
    }
    t.notOk(existsSync(path.join(c.cp.recordings.dir, 'c2.caller.wav')), 'a file missing at backup time stays missing');
    t.same(
      (await import('node:fs')).readdirSync(c.cp.recordings.dir).filter((f) => f.startsWith('.')),
      [],
      'no temporary files left',
    );
    const token = (await c.login('adam')).body.access_token;
    t.ok((await fetchBytes(c, token, `/admin/calls/c1/recordings/${a}`)).bytes.equals(audio['c1.caller.wav']), 'downloads work after the restore');
  });
}

t.test('restore into another recordings directory points recordings.path there; tampered and old backups', async (t) => {
  const c = await startControl();
  t.teardown(c.stop);
  const admin = await c.userToken('adam', 'admin');
  const wav = toneWav(1);
  const [id] = await recordedCall(c, 'c1', { 'c1.caller.wav': wav });
  const backup = await backupZip(c, admin);

  // Another installation whose recordings live outside its data dir (MODEM_RECORD_DIR=/somewhere).
  const elsewhere = mkdtempSync(path.join(tmpdir(), 'vg-rec-elsewhere-'));
  t.teardown(() => rmSync(elsewhere, { recursive: true, force: true }));
  const other = await startControl({}, { options: { recordingsDir: elsewhere } });
  t.teardown(other.stop);
  const otherAdmin = await other.userToken('root', 'admin');

  // A changed recording byte is caught by its sha256, before anything is written.
  const bytes = Uint8Array.from(backup.files[`recordings/${id}.wav`]);
  bytes[1000] ^= 0xff;
  let r = await upload(other, otherAdmin, zipSync({ ...backup.files, [`recordings/${id}.wav`]: bytes }));
  t.equal(r.status, 400);
  t.equal(r.body.error.code, 'invalid_backup');
  t.match(r.body.error.message, new RegExp(`recordings/${id}\\.wav does not match its sha256`));
  // A manifest that points a recording at an entry that is not its own is refused too.
  const manifest = JSON.parse(strFromU8(backup.files['manifest.json']));
  const pointing = { ...manifest, recordings: { [id]: { entry: `recordings/${id + 1}.wav` } } };
  r = await upload(other, otherAdmin, zipSync({ ...backup.files, 'manifest.json': strToU8(JSON.stringify(pointing)) }));
  t.equal(r.status, 400);
  t.same((await other.cp.db('recordings').select()).length, 0, 'nothing restored');
  t.notOk(existsSync(path.join(elsewhere, 'c1.caller.wav')), 'no file written');

  r = await upload(other, otherAdmin, backup.zip);
  t.equal(r.status, 201);
  const restored = await other.call('POST', `/admin/backups/${r.body.name}/restore`, { token: otherAdmin, body: { confirm: true } });
  t.equal(restored.status, 200, JSON.stringify(restored.body));
  const row = (await other.cp.repos.calls.recordings('c1'))[0];
  t.equal(row.path, path.join(elsewhere, 'c1.caller.wav'), 'the row points at the restored file');
  t.equal(row.sha256, sha256(wav));
  const token = (await other.login('adam')).body.access_token;
  t.ok((await fetchBytes(other, token, `/admin/calls/c1/recordings/${id}`)).bytes.equals(wav), 'and it downloads');

  // A backup made before recordings were included (no recordings/ entries, no manifest.recordings) still restores.
  const { recordings: _r, ...oldManifest } = manifest;
  oldManifest.entries = Object.fromEntries(Object.entries(manifest.entries).filter(([name]) => name.startsWith('tables/')));
  const oldFiles = Object.fromEntries(Object.entries(backup.files).filter(([name]) => !name.startsWith('recordings/')));
  r = await upload(c, admin, zipSync({ ...oldFiles, 'manifest.json': strToU8(JSON.stringify(oldManifest)) }));
  t.equal(r.status, 201, JSON.stringify(r.body));
  const old = await c.call('POST', `/admin/backups/${r.body.name}/restore`, { token: admin, body: { confirm: true } });
  t.equal(old.status, 200, JSON.stringify(old.body));
  t.equal(old.body.recording_files, 0);
  t.equal((await c.cp.repos.calls.recordings('c1'))[0].path, 'recordings/c1.caller.wav', 'rows as they were');
});

t.test('restore: a safety backup first, then recording files no restored row names are removed (never through a symlink)', async (t) => {
  const c = await startControl();
  t.teardown(c.stop);
  const admin = await c.userToken('adam', 'admin');
  const kept = toneWav(1);
  await recordedCall(c, 'c1', { 'c1.caller.wav': kept });
  const backup = await backupZip(c, admin);

  // After the backup: a new call with two files (one in a subfolder), a file nobody registered,
  // and symlinks leading out of the directory (to a file and to a folder).
  const later = { 'c2.caller.wav': toneWav(2, 550), 'sub/c2.reply.wav': toneWav(1, 660) };
  mkdirSync(path.join(c.cp.recordings.dir, 'sub'), { recursive: true });
  const [c2a, c2b] = await recordedCall(c, 'c2', later);
  writeFileSync(path.join(c.cp.recordings.dir, 'unregistered.wav'), 'RIFF-just-written');
  const outside = mkdtempSync(path.join(tmpdir(), 'vg-rec-outside-'));
  t.teardown(() => rmSync(outside, { recursive: true, force: true }));
  writeFileSync(path.join(outside, 'victim.wav'), 'keep me');
  symlinkSync(path.join(outside, 'victim.wav'), path.join(c.cp.recordings.dir, 'link.wav'));
  symlinkSync(outside, path.join(c.cp.recordings.dir, 'linked-dir'));

  const r = await c.call('POST', `/admin/backups/${backup.name}/restore`, { token: admin, body: { confirm: true } });
  t.equal(r.status, 200, JSON.stringify(r.body));
  t.match(r.body, { recording_files: 1, safety_backup: /^backup-\d{8}T\d{6}Z-prerestore\.zip$/, unreferenced_files_removed: 2, unreferenced_files_kept: 1 });
  const { readdirSync, lstatSync } = await import('node:fs');
  t.same(readdirSync(c.cp.recordings.dir).sort(), ['c1.caller.wav', 'link.wav', 'linked-dir', 'sub', 'unregistered.wav'], "c2's files are gone; what no backup holds stays");
  t.same(readdirSync(path.join(c.cp.recordings.dir, 'sub')), [], 'the subfolder was swept too');
  t.ok(readFileSync(path.join(c.cp.recordings.dir, 'c1.caller.wav')).equals(kept));
  t.ok(lstatSync(path.join(c.cp.recordings.dir, 'link.wav')).isSymbolicLink(), 'symlinks are left alone');
  t.equal(readFileSync(path.join(outside, 'victim.wav'), 'utf8'), 'keep me', 'nothing outside the directory was touched');
  t.same(readdirSync(outside), ['victim.wav']);
  const rows = await c.cp.db('recordings').select('path');
  t.same(rows.map((x) => x.path), ['recordings/c1.caller.wav'], 'the directory matches the restored rows (plus what was never a row)');

  // Nothing was lost: the safety backup holds c2's rows and files, and restoring it brings them back.
  const token = (await c.login('adam')).body.access_token;
  const safety = unzipSync((await fetchBytes(c, token, `/admin/backups/${r.body.safety_backup}`)).bytes);
  t.ok(Buffer.from(safety[`recordings/${c2a}.wav`]!).equals(later['c2.caller.wav']), 'the safety backup holds c2.caller.wav');
  t.ok(Buffer.from(safety[`recordings/${c2b}.wav`]!).equals(later['sub/c2.reply.wav']), 'and sub/c2.reply.wav');
  const back = await c.call('POST', `/admin/backups/${r.body.safety_backup}/restore`, { token, body: { confirm: true } });
  t.equal(back.status, 200, JSON.stringify(back.body));
  t.equal(back.body.recording_files, 3);
  t.equal(back.body.unreferenced_files_removed, 0);
  const again = (await c.login('adam')).body.access_token;
  t.ok((await fetchBytes(c, again, `/admin/calls/c2/recordings/${c2b}`)).bytes.equals(later['sub/c2.reply.wav']), 'c2 downloads again');
});
