/**
 * The owner's inbox over the real control plane: messages taken through the journal (a replay adds
 * nothing), listed with filters and paging, one with the links to its call and recordings, marked
 * handled by whom (operators, not viewers), exported as CSV and JSON, audited, carried by backups,
 * and found and erased by a GDPR request naming the caller's phone number.
 */
import { strFromU8, strToU8, unzipSync, zipSync } from 'fflate';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import t from 'tap';
import { createLogger } from '../../gateway/logger.ts';
import { FieldCipher } from '../../control/crypto/field-cipher.ts';
import { databaseApplier } from '../../control/journal/database-applier.ts';
import { Journal } from '../../control/journal/journal.ts';
import { MessageInbox, MessageNotSavedError, messageJournalHandlers } from '../../control/messages/message-inbox.ts';
import { newMessage } from '../../control/messages/message-record.ts';
import type { TakenMessage } from '../../pipeline/dialogue/message-store.ts';
import { until } from '../helpers/until.ts';
import { download, upload } from './helpers/backup.ts';
import { startControl, type TestControl } from './helpers/control.ts';
import { openTestDb, testEngines } from './helpers/database.ts';

const message = (over: Partial<TakenMessage> = {}): TakenMessage => ({
  kind: 'message',
  channel: 'modem',
  callId: 'call-1',
  callerName: 'Jane Roe',
  callbackNumber: 'five five five one two three four',
  reason: 'Needs a quote',
  language: 'en',
  createdAt: '2026-03-01T10:00:00.000Z',
  ...over,
});

/** Take messages and wait until the database has them all. */
async function take(c: TestControl, ...ms: TakenMessage[]): Promise<void> {
  const before = Number((await c.cp.db('messages').count({ c: '*' }))[0]!.c);
  for (const m of ms) await c.cp.messages.save(m);
  await until('the messages in the database', async () => Number((await c.cp.db('messages').count({ c: '*' }))[0]!.c) === before + ms.length);
}

t.test('the inbox: filters, paging, one message with its links, handled by whom, viewers only read, audited', async (t) => {
  const c = await startControl();
  t.teardown(c.stop);
  const admin = await c.userToken('adam', 'admin');
  const operator = await c.userToken('olga', 'operator');
  const viewer = await c.userToken('vera', 'viewer');
  await c.cp.repos.calls.start({ id: 'call-1', channel: 'modem', direction: 'in', caller_number: '+15551234' });
  const rec = await c.cp.repos.calls.addRecording({ call_id: 'call-1', path: 'recordings/call-1.caller.wav', format: 'wav', duration_ms: 1000, size_bytes: 4, sha256: null });
  const session = await c.cp.repos.chat.openSession('widget', 'visitor-9');
  await take(
    c,
    message({ createdAt: '2026-03-01T10:00:00.000Z', callerId: '+15551234' }),
    message({ channel: 'ws', callId: 'call-2', callerName: 'Max', callbackNumber: '+44 20 7946 0000', createdAt: '2026-03-02T10:00:00.000Z' }),
    message({ kind: 'human_requested', channel: 'widget', callId: undefined, sessionId: session.id, callerName: '', callbackNumber: '', reason: 'wants a person', createdAt: '2026-03-03T10:00:00.000Z' }),
  );

  const all = await c.call('GET', '/admin/messages', { token: viewer });
  t.equal(all.status, 200);
  t.equal(all.body.total, 3);
  t.same(all.body.items.map((m: { created_at: string }) => m.created_at), ['2026-03-03T10:00:00.000Z', '2026-03-02T10:00:00.000Z', '2026-03-01T10:00:00.000Z'], 'newest first');
  t.match(all.body.items[2], { callback_number: '5551234', callback_text: 'five five five one two three four', caller_id: '+15551234', status: 'new', handled_by: null }, 'a spoken number is normalised');
  t.match(all.body.items[1], { callback_number: '+442079460000' });
  t.match(all.body.items[0], { kind: 'human_requested', caller_name: null, callback_number: null, session_id: session.id, links: { call: null, chat: `/admin/chat/sessions/${session.id}/messages` } });

  const q = async (query: string) => (await c.call('GET', `/admin/messages?${query}`, { token: viewer })).body;
  t.same((await q('channel=ws')).items.map((m: { call_id: string }) => m.call_id), ['call-2']);
  t.equal((await q('kind=human_requested')).total, 1);
  t.same((await q('from=2026-03-02T00:00:00Z&to=2026-03-03T00:00:00Z')).items.map((m: { call_id: string }) => m.call_id), ['call-2'], 'a time range (from inclusive, to exclusive)');
  t.same((await q('from=2026-03-02T11:00:00%2B01:00')).total, 2, 'any ISO offset');
  const page = await q('limit=1&offset=1');
  t.match(page, { total: 3, limit: 1, offset: 1, items: [{ call_id: 'call-2' }] });
  t.equal((await c.call('GET', '/admin/messages?status=read', { token: viewer })).status, 400, 'an unknown status is refused');

  const id = all.body.items[2].id;
  const one = await c.call('GET', `/admin/messages/${id}`, { token: viewer });
  t.match(one.body.links, { ui: `/#/messages/${id}`, api: `/admin/messages/${id}`, call: '/admin/calls/call-1', transcript: '/admin/calls/call-1', recordings: [`/admin/calls/call-1/recordings/${rec}`], chat: null });
  t.equal((await c.call('GET', `/admin/calls/call-1/recordings/${rec}`, { token: operator })).status, 404, 'the link names a real route (the file is just not on disk here)');
  t.equal((await c.call('GET', '/admin/messages/nope', { token: viewer })).status, 404);

  const refused = await c.call('PATCH', `/admin/messages/${id}`, { token: viewer, body: { status: 'handled' } });
  t.equal(refused.status, 403, 'a viewer cannot mark a message handled');
  t.equal((await c.call('PATCH', `/admin/messages/${id}`, { token: operator, body: { status: 'done' } })).status, 400);
  t.equal((await c.call('PATCH', `/admin/messages/${id}`, { token: operator, body: { status: 'handled', extra: 1 } })).status, 400, 'unknown fields are refused');
  const handled = await c.call('PATCH', `/admin/messages/${id}`, { token: operator, body: { status: 'handled' } });
  t.equal(handled.status, 200);
  t.match(handled.body, { status: 'handled', handled_at: /^\d{4}-/, handled_by: { username: 'olga' } });
  const again = await c.call('PATCH', `/admin/messages/${id}`, { token: admin, body: { status: 'handled' } });
  t.same(again.body.handled_by, handled.body.handled_by, 'marking it handled again keeps who did it first');
  t.equal(again.body.handled_at, handled.body.handled_at);
  t.same((await q('status=handled')).items.map((m: { id: string }) => m.id), [id]);
  const reopened = await c.call('PATCH', `/admin/messages/${id}`, { token: operator, body: { status: 'new' } });
  t.match(reopened.body, { status: 'new', handled_at: null, handled_by: null });
  t.equal((await c.call('PATCH', '/admin/messages/nope', { token: operator, body: { status: 'new' } })).status, 404);

  const audit = (await c.call('GET', '/admin/audit?action=messages.', { token: admin })).body.items;
  t.same(
    audit.map((e: { action: string; status: number; actor_name: string; target: string }) => [e.action, e.status, e.actor_name, e.target]),
    [
      ['messages.update', 404, 'olga', 'message:nope'],
      ['messages.update', 200, 'olga', `message:${id}`],
      ['messages.update', 200, 'adam', `message:${id}`],
      ['messages.update', 200, 'olga', `message:${id}`],
      ['messages.update', 400, 'olga', `${id}`],
      ['messages.update', 400, 'olga', `${id}`],
      ['messages.update', 403, 'vera', `${id}`],
    ],
    'every change and every refusal, by whom',
  );
  const openapi = (await c.call('GET', '/admin/openapi.json', { token: viewer })).body;
  for (const p of ['/admin/messages', '/admin/messages/{id}', '/admin/messages/export', '/admin/messages/{id}/deliveries/{deliveryId}/retry', '/admin/notifications/channels', '/admin/notifications/channels/{id}/test', '/admin/notifications/deliveries']) {
    t.ok(openapi.paths[p], `${p} documented`);
  }
  t.match(openapi.paths['/admin/messages/{id}'].get.responses['200'].content['application/json'].schema.properties, { callback_number: {}, deliveries: {}, links: {} });
});

t.test('export: CSV (formula cells neutralised) and JSON, filtered, audited', async (t) => {
  const c = await startControl();
  t.teardown(c.stop);
  const viewer = await c.userToken('vera', 'viewer');
  const admin = await c.userToken('adam', 'admin');
  await take(c, message({ callerName: '=HYPERLINK("http://evil")', reason: 'line one\nline "two"' }), message({ channel: 'ws', callId: 'call-2' }));
  const csv = await c.call('GET', '/admin/messages/export?channel=modem', { token: viewer });
  t.equal(csv.status, 200);
  t.match(csv.headers.get('content-type'), /^text\/csv/);
  t.match(csv.headers.get('content-disposition'), /attachment; filename="messages-\d{4}-\d{2}-\d{2}\.csv"/);
  const lines = csv.text.split('\r\n');
  t.equal(lines[0], 'id,created_at,kind,status,channel,caller_name,callback_number,callback_text,caller_id,reason,language,call_id,session_id,handled_at,handled_by,deliveries');
  t.match(csv.text, `"'=HYPERLINK(""http://evil"")"`, 'a formula is not a formula');
  t.match(csv.text, '"line one\nline ""two"""');
  t.notMatch(csv.text, 'call-2', 'filtered');
  const json = await c.call('GET', '/admin/messages/export?format=json', { token: viewer });
  t.equal(json.body.length, 2);
  t.match(json.body[0], { links: { ui: /^\/#\/messages\// }, deliveries: [] });
  const audit = (await c.call('GET', '/admin/audit?action=messages.export', { token: admin })).body.items;
  t.match(audit, [{ actor_name: 'vera', details: { format: 'json', rows: 2 } }, { actor_name: 'vera', details: { format: 'csv', rows: 1, filter: { channel: 'modem' } } }]);
});

t.test('GDPR: a caller\u2019s messages are exported and erased by their phone number; others stay', async (t) => {
  const c = await startControl({ EGRESS_ALLOW: '127.0.0.1' });
  t.teardown(c.stop);
  const admin = await c.userToken('dpo', 'admin');
  // A channel that is never reached: the deliveries stay pending, and must go with their message.
  await c.call('POST', '/admin/notifications/channels', { token: admin, body: { type: 'sms', name: 'Mobile', to: '+4915100000000' } });
  const PERSON = '+4915112345678';
  await take(
    c,
    message({ callbackNumber: 'plus four nine one five one one two three four five six seven eight' }),
    message({ callbackNumber: 'not given', callerId: PERSON, callId: 'call-2' }),
    message({ callbackNumber: '+15550000', callerName: 'Other', reason: `my neighbour ${PERSON} asked me to call`, callId: 'call-3' }),
  );
  t.equal(Number((await c.cp.db('notification_outbox').count({ c: '*' }))[0]!.c), 3);
  const exp = await c.call('POST', '/admin/legal/export', { token: admin, body: { subject: PERSON } });
  t.equal(exp.body.data.messages.length, 2, 'by callback number and by caller id');
  t.ok(exp.body.mentioned_in.messages.some((m: { caller_name: string }) => m.caller_name === 'Other'), 'mentions in others\u2019 messages');
  const erase = await c.call('POST', '/admin/legal/erase', { token: admin, body: { subject: PERSON, confirm: true } });
  t.equal(erase.status, 200);
  t.equal(erase.body.deleted.messages, 2);
  const left = await c.cp.db('messages').select();
  t.equal(left.length, 1);
  t.equal(left[0].reason, 'my neighbour [redacted] asked me to call');
  t.same((await c.cp.db('notification_outbox').select('message_id')).map((r) => r.message_id), [left[0].id], 'their deliveries went with them');
});

for (const engine of testEngines()) {
  t.test(`${engine}: backups carry the inbox, the channels (secrets still decrypt) and deliveries; unfinished ones are not sent again`, async (t) => {
    const c = await startControl({ EGRESS_ALLOW: '127.0.0.1' }, { engine });
    t.teardown(c.stop);
    let admin = await c.userToken('adam', 'admin');
    const hook = (await c.call('POST', '/admin/notifications/channels', { token: admin, body: { type: 'webhook', name: 'Hook', url: 'http://127.0.0.1:9/never', secret: 'q'.repeat(20) } })).body;
    await take(c, message());
    const id = (await c.cp.db('messages').first('id')).id as string;
    const handled = await c.call('PATCH', `/admin/messages/${id}`, { token: admin, body: { status: 'handled' } });
    const made = (await c.call('POST', '/admin/backups', { token: admin })).body;
    t.equal(made.manifest.tables.messages.rows, 1);
    t.equal(made.manifest.tables.notification_outbox.rows, 1);
    const zip = await download(c, admin, made.name);

    await c.call('POST', '/admin/legal/erase', { token: admin, body: { subject: '5551234', confirm: true } });
    await c.call('DELETE', `/admin/notifications/channels/${hook.id}`, { token: admin });
    t.equal((await c.cp.db('messages')).length, 0, 'gone before the restore');
    // The erasure ledger would erase them again at the restore: a fresh start without it.
    await c.cp.db('erasure_ledger').delete();
    const restored = await c.call('POST', `/admin/backups/${made.name}/restore`, { token: admin, body: { confirm: true } });
    t.equal(restored.status, 200, JSON.stringify(restored.body));
    admin = (await c.login('adam')).body.access_token;
    const back = (await c.call('GET', `/admin/messages/${id}`, { token: admin })).body;
    t.match(back, { id, status: 'handled', handled_by: handled.body.handled_by, caller_name: 'Jane Roe' });
    t.match(back.deliveries, [{ channel_name: 'Hook', status: 'failed', last_error: /^restored from a backup: not sent again/ }], 'a delivery unfinished in the backup is not made again');
    t.equal((await c.cp.repos.notificationChannels.secretOf(hook.id)), 'q'.repeat(20), 'the channel\u2019s secret decrypts');

    // A backup from the release before (migrations up to 0007) has no inbox tables, nor modem
    // personas (0010): it restores, with an empty inbox.
    const files = unzipSync(zip);
    const manifest = JSON.parse(strFromU8(files['manifest.json']!));
    const dropped = ['modem_personas', 'messages', 'notification_channels', 'notification_outbox'];
    for (const table of dropped) {
      delete files[`tables/${table}.json`];
      delete manifest.entries[`tables/${table}.json`];
      delete manifest.tables[table];
    }
    manifest.migrations = manifest.migrations.filter((m: string) => m < '0010');
    const sums = strFromU8(files.SHA256SUMS!).split('\n').filter((l) => !dropped.some((tb) => l.endsWith(`tables/${tb}.json`))).join('\n');
    files['SHA256SUMS'] = strToU8(sums);
    manifest.entries.SHA256SUMS = { bytes: files.SHA256SUMS.byteLength, sha256: createHash('sha256').update(files.SHA256SUMS).digest('hex') };
    const old = await upload(c, admin, zipSync({ ...files, 'manifest.json': strToU8(JSON.stringify(manifest)) }));
    t.equal(old.status, 201, JSON.stringify(old.body));
    const r = await c.call('POST', `/admin/backups/${old.body.name}/restore`, { token: admin, body: { confirm: true } });
    t.equal(r.status, 200, JSON.stringify(r.body));
    t.equal(r.body.tables.messages, 0);
    t.equal(r.body.tables.modem_personas, 0, 'no modem personas either');
    admin = (await c.login('adam')).body.access_token;
    t.same((await c.call('GET', '/admin/messages', { token: admin })).body.items, []);
  });
}

t.test('journal: a message entry applied twice is one message and one delivery per channel that wants it', async (t) => {
  for (const engine of testEngines()) {
    const { db, close } = await openTestDb(engine);
    t.teardown(close);
    const cipher = new FieldCipher(Buffer.alloc(32, 7));
    const { NotificationChannelsRepo } = await import('../../control/repositories/notification-channels.ts');
    const channels = new NotificationChannelsRepo(db, cipher);
    await channels.create({ name: 'all', type: 'sms', target: '+4915100000000' });
    await channels.create({ name: 'humans only', type: 'sms', target: '+4915100000001', kinds: ['human_requested'] });
    await channels.create({ name: 'off', type: 'sms', target: '+4915100000002', enabled: false });
    let queued = 0;
    const applier = databaseApplier(db, new Map(messageJournalHandlers(cipher, () => queued++)));
    const data = newMessage(message(), 'm-1');
    const entry = { seq: 1, op: 'message.taken', key: 'message:m-1', t: Date.now(), data };
    await applier.apply([entry]);
    await applier.apply([entry]); // a replay after a crash between the commit and the acknowledgement
    t.equal((await db('messages')).length, 1, `${engine}: one message`);
    t.same((await db('notification_outbox').select('channel_name')).map((r) => r.channel_name), ['all'], `${engine}: queued once, for the enabled channel that wants its kind`);
    await until('the worker woken after the commit', () => queued === 1);
  }
});

t.test('a message that cannot be made durable is refused, so the caller is not told it was recorded', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'vg-inbox-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const journal = await Journal.open({ dir, applier: { apply: async () => {}, isTransient: () => true }, log: createLogger('silent') });
  const inbox = new MessageInbox(journal, createLogger('silent'));
  t.match(await inbox.take(message()), /^[0-9a-f-]{36}$/, 'an id made when it is taken');
  await journal.close(0);
  await t.rejects(inbox.save(message()), MessageNotSavedError);
});
