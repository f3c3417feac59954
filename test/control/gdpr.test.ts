import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { PERSONAL_DATA_MAP } from '../../control/legal/personal-data-map.ts';
import { startControl, type TestControl } from './helpers/control.ts';
import { testEngines } from './helpers/database.ts';

const PERSON = '+4915112345678';
const OTHER = '+4917000000000';

async function seed(c: TestControl, who: string, tag: string) {
  const r = c.cp.repos;
  const now = new Date().toISOString();
  await r.calls.start({ id: `call-${tag}`, channel: 'gsm', direction: 'in', caller_number: who, summary: `Caller ${who} asked about prices` });
  await r.calls.addTurn({ call_id: `call-${tag}`, turn_index: 0, user_text: `my number is ${who}`, assistant_text: `I noted ${who}`, started_at: now });
  await r.calls.addTranscript({ call_id: `call-${tag}`, speaker: 'caller', text: `call me back on ${who}`, start_ms: 0, end_ms: 900 });
  mkdirSync(path.join(c.db.dataDir, 'recordings'), { recursive: true });
  writeFileSync(path.join(c.db.dataDir, 'recordings', `${tag}.wav`), 'RIFF');
  await r.calls.addRecording({ call_id: `call-${tag}`, path: `recordings/${tag}.wav`, format: 'wav', duration_ms: 1000, size_bytes: 4, sha256: null });
  await r.calls.start({ id: `out-${tag}`, channel: 'gsm', direction: 'out', callee_number: who });
  await r.sms.add({ direction: 'in', phone_number: who, body: 'please call me', status: 'received' });
  const s = await r.chat.openSession('widget', `visitor-${tag}`, { contact: who });
  await r.chat.addMessage(s, 'user', `reach me at ${who}`);
  const tg = await r.chat.openSession('telegram', who);
  await r.chat.addMessage(tg, 'user', 'hello');
  await r.consents.record({ subject: who, purpose: 'call_recording', granted: true, source: 'call', evidence: `IVR consent by ${who}` });
  await r.usageLog.insertMany([{ at: now, subject_type: 'ip', subject_id: who, kind: 'chat', source: 'faq', units: 1, tokens_in: 1, tokens_out: 1 }]);
  await r.audit.write({ actor_type: 'system', actor_id: null, actor_name: null, action: 'sms.sent', target: `sms:${who}`, ip: null, status: 200, details: { to: who } });
}

async function rowsMentioning(c: TestControl, needle: string): Promise<string[]> {
  const hits: string[] = [];
  for (const table of Object.keys(PERSONAL_DATA_MAP)) {
    for (const row of await c.cp.db(table).select()) {
      for (const [col, v] of Object.entries(row)) if (v !== null && String(v).includes(needle)) hits.push(`${table}.${col}`);
    }
  }
  return hits;
}

t.test('GDPR export gathers a person; erase leaves no row that mentions them, and spares others', async (t) => {
  const c = await startControl();
  t.teardown(c.stop);
  const admin = await c.userToken('dpo', 'admin');
  await seed(c, PERSON, 'p');
  await seed(c, OTHER, 'o');
  // A mention of PERSON inside the OTHER caller's conversation.
  await c.cp.repos.calls.addTranscript({ call_id: 'call-o', speaker: 'caller', text: `my wife's number is ${PERSON}`, start_ms: 1000, end_ms: 2000 });
  const consent = await c.call('POST', '/admin/legal/consents', { token: admin, body: { subject: PERSON, purpose: 'marketing', granted: false, source: 'web' } });
  t.equal(consent.status, 201);
  t.ok((await rowsMentioning(c, PERSON)).length > 15, 'the person is all over the database before');

  const exp = await c.call('POST', '/admin/legal/export', { token: admin, body: { subject: PERSON } });
  t.equal(exp.status, 200);
  t.match(exp.headers.get('content-disposition'), /attachment/);
  const data = exp.body.data;
  t.equal(data.calls.length, 2, 'inbound and outbound calls');
  t.equal(data.call_turns.length, 1);
  t.equal(data.recordings.length, 1);
  t.equal(data.sms.length, 1);
  t.equal(data.chat_sessions.length, 2);
  t.equal(data.chat_messages.length, 2);
  t.equal(data.consents.length, 2);
  t.equal(data.usage_log.length, 1);
  t.ok(exp.body.mentioned_in.call_transcripts.some((r: { call_id: string }) => r.call_id === 'call-o'), "mentions in others' rows are exported too");
  t.notMatch(JSON.stringify(exp.body.data), new RegExp(OTHER.replace('+', '\\+')), "no other person's data in the export");

  t.equal((await c.call('POST', '/admin/legal/erase', { token: admin, body: { subject: PERSON } })).status, 400, 'erase needs confirm: true');
  const erase = await c.call('POST', '/admin/legal/erase', { token: admin, body: { subject: PERSON, confirm: true } });
  t.equal(erase.status, 200);
  t.equal(erase.body.files_removed, 1);
  t.notOk(existsSync(path.join(c.db.dataDir, 'recordings', 'p.wav')), 'recording file deleted');
  t.ok(existsSync(path.join(c.db.dataDir, 'recordings', 'o.wav')), "the other caller's recording stays");

  t.same(await rowsMentioning(c, PERSON), [], 'no row in any table mentions the person');
  const otherLeft = await rowsMentioning(c, OTHER);
  t.ok(otherLeft.includes('calls.caller_number') && otherLeft.includes('sms.phone_number') && otherLeft.includes('consents.subject'), 'the other person is untouched');
  t.match((await c.cp.repos.calls.transcript('call-o')).map((s) => s.text), ["call me back on " + OTHER, "my wife's number is [redacted]"]);
  const audit = (await c.call('GET', '/admin/audit?action=gdpr.', { token: admin })).body.items;
  t.same(audit.map((e: { action: string; status: number }) => [e.action, e.status]), [['gdpr.erase', 200], ['gdpr.erase', 400], ['gdpr.export', 200]]);
  t.match(audit[0].target, /^subject:[0-9a-f]{16}$/, 'the audit log names the person by pseudonym only');
});

for (const engine of testEngines()) {
  t.test(`${engine}: restoring a backup made before an erasure erases the person again; others come back`, async (t) => {
    const c = await startControl({}, { engine });
    t.teardown(c.stop);
    const admin = await c.userToken('dpo', 'admin');
    await seed(c, PERSON, 'p');
    await seed(c, OTHER, 'o');
    await c.cp.repos.calls.addTranscript({ call_id: 'call-o', speaker: 'caller', text: `my wife's number is ${PERSON}`, start_ms: 1000, end_ms: 2000 });
    const backup = await c.call('POST', '/admin/backups', { token: admin });
    t.equal(backup.status, 201);
    t.equal(backup.body.manifest.recordings['1'] && 'entry' in backup.body.manifest.recordings['1'], true, "the person's recording is in the backup");

    const erase = await c.call('POST', '/admin/legal/erase', { token: admin, body: { subject: PERSON, confirm: true } });
    t.equal(erase.status, 200);
    const ledger = await c.cp.db('erasure_ledger').select();
    t.equal(ledger.length, 1, 'the erasure is on record');
    t.match(ledger[0], { erased_by_type: 'user', erased_by_name: 'dpo', erased_at: /^\d{4}-/ });
    t.notMatch(JSON.stringify(ledger), new RegExp(PERSON.slice(1)), 'the ledger holds the identifier encrypted only');
    const exp = await c.call('POST', '/admin/legal/export', { token: admin, body: { subject: PERSON } });
    t.match(exp.body.erasures_recorded, [{ erased_by_name: 'dpo' }], 'an access request shows the erasure on record');
    // Since the backup the other caller's call was lost too, so the restore has to bring it back.
    await c.cp.db('calls').where({ id: 'call-o' }).del();
    rmSync(path.join(c.db.dataDir, 'recordings', 'o.wav'));

    const restored = await c.call('POST', `/admin/backups/${backup.body.name}/restore`, { token: admin, body: { confirm: true } });
    t.equal(restored.status, 200, JSON.stringify(restored.body));
    t.equal(restored.body.erasures_reapplied, 1, 'the restore reports the erasure it applied again');
    t.ok(restored.body.erased_rows >= 8, `${restored.body.erased_rows} restored rows erased or redacted again`);
    t.equal(restored.body.recording_files, 1, "only the other caller's recording is put back");

    t.same(await rowsMentioning(c, PERSON), [], 'no row in any table mentions the person after the restore');
    const files = readdirSync(path.join(c.db.dataDir, 'recordings'));
    t.same(files, ['o.wav'], 'no recording file of the person, no temporary file left');
    for (const f of files) t.notOk(readFileSync(path.join(c.db.dataDir, 'recordings', f)).includes(PERSON), `${f} does not mention the person`);
    const otherBack = await rowsMentioning(c, OTHER);
    for (const col of ['calls.caller_number', 'call_turns.user_text', 'call_transcripts.text', 'sms.phone_number', 'consents.subject']) t.ok(otherBack.includes(col), `the other person's ${col} came back`);
    t.match((await c.cp.repos.calls.transcript('call-o')).map((s) => s.text), ['call me back on ' + OTHER, "my wife's number is [redacted]"], 'mentions redacted again');
    t.equal((await c.cp.db('erasure_ledger').select()).length, 1, 'the restore left the ledger as it was');

    // A second restore does the same; erasing the same person twice adds a record but still one person.
    const token = (await c.login('dpo')).body.access_token;
    t.equal((await c.call('POST', '/admin/legal/erase', { token, body: { subject: PERSON, confirm: true } })).status, 200);
    const again = await c.call('POST', `/admin/backups/${backup.body.name}/restore`, { token, body: { confirm: true } });
    t.equal(again.body.erasures_reapplied, 1);
    t.same(await rowsMentioning(c, PERSON), []);

    // An entry this server cannot decrypt (another secret key) stops the restore: nothing changes.
    await c.cp.db('erasure_ledger').update({ subject_encrypted: 'v1.AAAAAAAAAAAAAAAA.AAAAAAAAAAAAAAAAAAAAAA.AAAA' });
    await c.cp.db('sms').insert({ direction: 'out', phone_number: '+100', body: 'after', status: 'sent', created_at: new Date().toISOString() });
    const token2 = (await c.login('dpo')).body.access_token;
    const refused = await c.call('POST', `/admin/backups/${backup.body.name}/restore`, { token: token2, body: { confirm: true } });
    t.equal(refused.status, 409);
    t.equal(refused.body.error.code, 'erasure_ledger_unreadable');
    t.equal((await c.cp.db('sms').where({ phone_number: '+100' })).length, 1, 'the database was left as it was');
    t.same(await rowsMentioning(c, PERSON), []);
  });
}
