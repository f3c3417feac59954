/**
 * The owner is told about new messages: a real control plane (its journal, outbox and delivery
 * worker) delivering to a fake Telegram Bot API and a webhook receiver on 127.0.0.1 that speak the
 * real protocols, and to the modem's SMS port. Delivery when the message is queued, retries with
 * backoff (a target down, then up), Telegram's retry_after, permanent failures stopping with the
 * error visible, a retry by hand, and one delivery per row with two gateways on one Postgres.
 */
import t from 'tap';
import type { GsmControl } from '../../control/gsm/gsm-control.ts';
import type { TakenMessage } from '../../pipeline/dialogue/message-store.ts';
import { startFakeTelegram, type FakeTelegram } from '../fakes/fake-telegram.ts';
import { startWebhookReceiver } from '../fakes/webhook-receiver.ts';
import { deadPort } from '../helpers/dead-port.ts';
import { until } from '../helpers/until.ts';
import { startControl, type TestControl } from './helpers/control.ts';
import { PG_URL, testDatabase } from './helpers/database.ts';

const TOKEN = '123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsawq';
const WRONG_TOKEN = '987654321:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsawX';

const message = (over: Partial<TakenMessage> = {}): TakenMessage => ({
  kind: 'message',
  channel: 'ws',
  callId: 'call-1',
  callerName: 'John Smith',
  callbackNumber: '+1 555 123 4567',
  reason: 'Please call me back about my order <b>#42</b>',
  language: 'en',
  callerId: '+15551234567',
  createdAt: new Date().toISOString(),
  ...over,
});

async function onlyMessage(c: TestControl, token: string) {
  const list = await until('the message in the inbox', async () => {
    const r = await c.call('GET', '/admin/messages', { token });
    return r.body.items.length ? r.body.items : null;
  });
  return list[0];
}

const deliveryOf = async (c: TestControl, token: string, id: string, channelName: string) =>
  (await c.call('GET', `/admin/messages/${id}`, { token })).body.deliveries.find((d: { channel_name: string }) => d.channel_name === channelName);

let tg: FakeTelegram;
t.before(async () => {
  tg = await startFakeTelegram({ tokens: [TOKEN] });
});
t.teardown(() => tg.close());

t.test('a taken message reaches Telegram (plain text) and a webhook (signed) as soon as it is queued', async (t) => {
  const hook = await startWebhookReceiver();
  t.teardown(hook.close);
  const c = await startControl({ TELEGRAM_API_ROOT: tg.apiRoot, EGRESS_ALLOW: '127.0.0.1', ADMIN_UI_URL: 'https://gw.example/' });
  t.teardown(c.stop);
  const admin = await c.userToken('adam', 'admin');
  const telegram = await c.call('POST', '/admin/notifications/channels', { token: admin, body: { type: 'telegram', name: 'Owner', chat_id: '4242', bot_token: TOKEN } });
  t.equal(telegram.status, 201, JSON.stringify(telegram.body));
  t.match(telegram.body, { type: 'telegram', chat_id: '4242', has_bot_token: true, enabled: true, kinds: ['message', 'human_requested'] });
  const webhook = await c.call('POST', '/admin/notifications/channels', { token: admin, body: { type: 'webhook', name: 'CRM', url: hook.url } });
  t.equal(webhook.status, 201);
  t.match(webhook.body.secret, /^whsec_[A-Za-z0-9_-]{43}$/, 'a signing secret is made and shown once');
  hook.secret = webhook.body.secret;
  const listed = await c.call('GET', '/admin/notifications/channels', { token: admin });
  t.notMatch(listed.text, TOKEN, 'the bot token is never returned');
  t.notMatch(listed.text, webhook.body.secret, 'nor the webhook secret, after its creation');
  t.match(listed.body.items[1], { type: 'webhook', url: hook.url, has_secret: true });
  t.notMatch(JSON.stringify(await c.cp.db('notification_channels').select()), TOKEN, 'the token is encrypted at rest');

  await c.cp.messages.save(message());
  await until('Telegram and the webhook told', () => tg.sent.length === 1 && hook.accepted.size === 1);
  const m = await onlyMessage(c, admin);
  t.match(m, { kind: 'message', status: 'new', caller_name: 'John Smith', callback_number: '+15551234567', callback_text: '+1 555 123 4567', channel: 'ws', call_id: 'call-1' });

  const sent = tg.sent[0]!;
  t.equal(sent.token, TOKEN);
  t.equal(sent.body.chat_id, 4242, 'a numeric chat id goes as a number');
  t.equal(sent.body.parse_mode, undefined, 'no parse_mode: the caller\u2019s words are not markup');
  t.match(sent.body.text, /^New message \(voice call \(WebSocket\)\)\nFrom: John Smith\nCall back: \+15551234567\n/);
  t.match(sent.body.text, 'Message: Please call me back about my order <b>#42</b>', 'plain text, as said');
  t.match(sent.body.text, `https://gw.example/#/messages/${m.id}`, 'a link to the message in the admin UI');

  const req = [...hook.accepted.values()][0]!;
  t.ok(req.valid, 'the webhook signature verifies');
  t.equal(req.headers['x-vg-event'], 'message.created');
  t.match(req.json, { event: 'message.created', message: { id: m.id, caller_name: 'John Smith', callback_number: '+15551234567', links: { ui: `https://gw.example/#/messages/${m.id}`, call: '/admin/calls/call-1' } } });

  // The fakes record a request before they answer it, and the worker marks a delivery sent only
  // after the answer: wait for both rows to settle before reading them.
  const detail = await until('both deliveries settled', async () => {
    const body = (await c.call('GET', `/admin/messages/${m.id}`, { token: admin })).body;
    return body.deliveries.length === 2 && body.deliveries.every((d: { status: string }) => d.status === 'sent' || d.status === 'failed') ? body : null;
  });
  t.equal(detail.deliveries.length, 2);
  t.match(detail.deliveries, [
    { channel_name: 'Owner', channel_type: 'telegram', status: 'sent', attempts: 1, last_error: null, external_ref: 'telegram:1' },
    { channel_name: 'CRM', channel_type: 'webhook', status: 'sent', attempts: 1, external_ref: 'http:204' },
  ]);
  t.equal(req.headers['idempotency-key'], detail.deliveries[1].idempotency_key, 'the delivery\u2019s idempotency key is sent along');
});

t.test('retries: a webhook down then up, Telegram\u2019s retry_after, a refused token stops at once; a retry by hand after fixing it', async (t) => {
  const port = await deadPort();
  const c = await startControl({ TELEGRAM_API_ROOT: tg.apiRoot, EGRESS_ALLOW: '127.0.0.1', NOTIFY_RETRY_MIN_MS: '200', NOTIFY_RETRY_MAX_MS: '400' });
  t.teardown(c.stop);
  const admin = await c.userToken('adam', 'admin');
  const secret = 's'.repeat(32);
  const create = (body: object) => c.call('POST', '/admin/notifications/channels', { token: admin, body });
  await create({ type: 'webhook', name: 'Hook', url: `http://127.0.0.1:${port}/hook`, secret });
  const refused = (await create({ type: 'telegram', name: 'Refused', chat_id: '7', bot_token: WRONG_TOKEN })).body;
  await create({ type: 'telegram', name: 'Limited', chat_id: '@owner_channel', bot_token: TOKEN });
  const before = tg.requests.length;
  tg.failNext({ status: 429, retryAfterS: 1 });

  await c.cp.messages.save(message());
  const m = await onlyMessage(c, admin);
  const down = await until('the webhook retried while down', async () => {
    const d = await deliveryOf(c, admin, m.id, 'Hook');
    return d.attempts >= 2 && d.status === 'pending' ? d : null;
  });
  t.match(down.last_error, /^could not reach the webhook \(ECONNREFUSED\) \(error id [0-9a-f]{10}\)$/, 'why, in our words');
  t.ok(Date.parse(down.next_attempt_at) > Date.parse(down.last_attempt_at), 'and when the next attempt is');

  const hook = await startWebhookReceiver({ port, secret });
  t.teardown(hook.close);
  const delivered = await until('the webhook delivered once it is up', async () => {
    const d = await deliveryOf(c, admin, m.id, 'Hook');
    return d.status === 'sent' ? d : null;
  });
  t.equal(hook.accepted.size, 1);
  t.ok([...hook.accepted.values()][0]!.valid);
  t.ok(delivered.attempts >= 3, `${delivered.attempts} attempts shown`);
  t.equal(delivered.last_error, null);

  const limited = await until('the rate-limited Telegram delivery made', async () => {
    const d = await deliveryOf(c, admin, m.id, 'Limited');
    return d.status === 'sent' ? d : null;
  });
  t.equal(limited.attempts, 2);
  const attempts = tg.requests.slice(before).filter((r) => r.token === TOKEN);
  t.equal(attempts.length, 2);
  t.equal(attempts[1]!.body.chat_id, '@owner_channel');
  t.ok(attempts[1]!.at - attempts[0]!.at >= 1000, `retry_after (1 s) honoured: ${attempts[1]!.at - attempts[0]!.at} ms between the attempts`);

  const failed = await deliveryOf(c, admin, m.id, 'Refused');
  t.match(failed, { status: 'failed', attempts: 1, next_attempt_at: null }, 'a refused token is not tried again');
  t.match(failed.last_error, /^the bot token was refused \(401\) \(error id [0-9a-f]{10}\)$/);
  t.equal(tg.requests.filter((r) => r.token === WRONG_TOKEN).length, 1, 'one request with it, even after the later deliveries');
  t.notMatch(JSON.stringify(await c.call('GET', `/admin/messages/${m.id}`, { token: admin })), /AAHdq/, 'no token in the answer');

  const notFailed = await c.call('POST', `/admin/messages/${m.id}/deliveries/${delivered.id}/retry`, { token: admin });
  t.equal(notFailed.status, 409, 'only a failed delivery can be retried');
  t.equal((await c.call('PATCH', `/admin/notifications/channels/${refused.id}`, { token: admin, body: { bot_token: TOKEN } })).status, 200);
  const retried = await c.call('POST', `/admin/messages/${m.id}/deliveries/${failed.id}/retry`, { token: admin });
  t.equal(retried.status, 200);
  const fixed = await until('the fixed channel delivered', async () => {
    const d = await deliveryOf(c, admin, m.id, 'Refused');
    return d.status === 'sent' ? d : null;
  });
  t.equal(fixed.attempts, 1, 'a fresh budget of attempts');
  const audit = (await c.call('GET', '/admin/audit?action=messages.', { token: admin })).body.items;
  t.same(audit.map((e: { action: string; status: number }) => [e.action, e.status]), [['messages.delivery_retry', 200], ['messages.delivery_retry', 409]]);
});

t.test('SMS through the modem: retried while none is attached, sent once one is, kept in the SMS log', async (t) => {
  const c = await startControl({ NOTIFY_RETRY_MIN_MS: '200', NOTIFY_RETRY_MAX_MS: '400' });
  t.teardown(c.stop);
  const admin = await c.userToken('adam', 'admin');
  t.equal((await c.call('POST', '/admin/notifications/channels', { token: admin, body: { type: 'sms', name: 'Mobile', to: '+4915100000000', kinds: ['human_requested'] } })).status, 201);
  await c.cp.messages.save(message({ kind: 'message', reason: 'not for SMS' }));
  await c.cp.messages.save(message({ kind: 'human_requested', callerName: '', callbackNumber: '', reason: 'The caller wants to talk to a person', channel: 'modem' }));
  const items = await until('both messages in', async () => {
    const r = (await c.call('GET', '/admin/messages', { token: admin })).body.items;
    return r.length === 2 ? r : null;
  });
  const human = items.find((m: { kind: string }) => m.kind === 'human_requested');
  t.same(items.find((m: { kind: string }) => m.kind === 'message').deliveries, [], 'a channel only hears of the kinds it wants');
  const waiting = await until('retried while no modem is attached', async () => {
    const d = await deliveryOf(c, admin, human.id, 'Mobile');
    return d.attempts >= 2 && d.status === 'pending' ? d : null;
  });
  t.equal(waiting.last_error, 'no modem is attached');

  const texts: Array<{ to: string; text: string }> = [];
  const modem: GsmControl = {
    status: async () => ({ connected: true }),
    dial: async () => ({ call_id: 'x' }),
    hangUp: async () => 0,
    sendSms: async (to, text) => {
      texts.push({ to, text });
      return { references: [17] };
    },
    ussd: async () => ({ response: '' }),
    at: async () => ({ ok: true, lines: [] }),
  };
  c.cp.setGsm(modem);
  const sent = await until('sent once the modem is there', async () => {
    const d = await deliveryOf(c, admin, human.id, 'Mobile');
    return d.status === 'sent' ? d : null;
  });
  t.equal(sent.external_ref, 'sms:17');
  t.equal(texts.length, 1);
  t.equal(texts[0]!.to, '+4915100000000');
  t.match(texts[0]!.text, /^Caller asks for a person \(phone call\): The caller wants to talk to a person \/#\/messages\//);
  const log = (await c.call('GET', '/admin/gsm/sms?direction=out', { token: admin })).body.items;
  t.match(log, [{ phone_number: '+4915100000000', status: 'sent', body: texts[0]!.text }]);
});

t.test('channels: checked per type, URLs under the egress policy, admin only to change, a test action per channel', async (t) => {
  const hook = await startWebhookReceiver({ secret: 'w'.repeat(24) });
  t.teardown(hook.close);
  const c = await startControl({ TELEGRAM_API_ROOT: tg.apiRoot });
  t.teardown(c.stop);
  const admin = await c.userToken('adam', 'admin');
  const operator = await c.userToken('olga', 'operator');
  const create = (body: object, token = admin) => c.call('POST', '/admin/notifications/channels', { token, body });

  const egress = await create({ type: 'webhook', name: 'Local', url: hook.url, secret: 'w'.repeat(24) });
  t.equal(egress.status, 400, 'a loopback webhook is refused without EGRESS_ALLOW');
  t.equal(egress.body.error.code, 'egress_refused');
  t.match(egress.body.error.message, /^body: url: /);
  t.equal((await create({ type: 'telegram', name: 'T', chat_id: '1', bot_token: 'nope' })).status, 400);
  t.equal((await create({ type: 'telegram', name: 'T', chat_id: 'not a chat', bot_token: TOKEN })).status, 400);
  t.equal((await create({ type: 'sms', name: 'S', to: '+49 151' })).status, 400);
  t.equal((await create({ type: 'fax', name: 'F', to: '1' })).status, 400);
  t.equal((await create({ type: 'webhook', name: 'W', url: 'https://hooks.example/x', secret: 'short' })).status, 400);
  t.equal((await create({ type: 'sms', name: 'S', to: '+4915100000000' }, operator)).status, 403, 'operators may not add channels');

  const tgChannel = (await create({ type: 'telegram', name: 'Owner', chat_id: -1001234567890, bot_token: TOKEN })).body;
  t.equal(tgChannel.chat_id, '-1001234567890');
  t.equal((await c.call('GET', '/admin/notifications/channels', { token: operator })).status, 200, 'operators may read them');
  const wrongField = await c.call('PATCH', `/admin/notifications/channels/${tgChannel.id}`, { token: admin, body: { url: 'https://x.example/' } });
  t.equal(wrongField.status, 400);
  t.match(wrongField.body.error.message, 'body: url: not a field of a telegram channel');
  t.equal((await c.call('PATCH', `/admin/notifications/channels/${tgChannel.id}`, { token: operator, body: { enabled: false } })).status, 403);

  const ok = await c.call('POST', `/admin/notifications/channels/${tgChannel.id}/test`, { token: admin });
  t.match(ok.body, { channel_id: tgChannel.id, ok: true, ref: /^telegram:\d+$/ });
  t.match(tg.sent.at(-1)!.body, { chat_id: -1001234567890, text: /channel "Owner" works/ });
  await c.call('PATCH', `/admin/notifications/channels/${tgChannel.id}`, { token: admin, body: { bot_token: WRONG_TOKEN } });
  const bad = await c.call('POST', `/admin/notifications/channels/${tgChannel.id}/test`, { token: admin });
  t.match(bad.body, { ok: false, retryable: false, error: /^the bot token was refused \(401\) \(error id [0-9a-f]{10}\)$/ });
  t.notMatch(bad.text, /AAHdq|Unauthorized/, 'neither the token nor the Bot API\u2019s own words');

  const audit = (await c.call('GET', '/admin/audit?action=notification_channels.', { token: admin })).body.items;
  t.ok(audit.some((e: { action: string; status: number }) => e.action === 'notification_channels.test' && e.status === 200));
  t.ok(audit.some((e: { action: string; status: number }) => e.action === 'notification_channels.create' && e.status === 403), 'refusals are audited');
  t.notMatch(JSON.stringify(audit), /AAHdq/, 'the audit log holds no token');

  // A deleted channel: its queued deliveries fail as such, and stay in the message's history.
  const paused = (await create({ type: 'sms', name: 'Mobile', to: '+4915100000000' })).body;
  await c.cp.messages.save(message());
  const m = await onlyMessage(c, admin);
  t.equal((await c.call('DELETE', `/admin/notifications/channels/${paused.id}`, { token: admin })).status, 204);
  const gone = await until('the deleted channel\u2019s delivery dropped', async () => {
    const d = await deliveryOf(c, admin, m.id, 'Mobile');
    return d.status === 'failed' ? d : null;
  });
  t.match(gone, { channel_id: null, channel_type: 'sms', last_error: 'the channel was deleted' });
});

t.test('two gateways on one Postgres deliver every outbox row exactly once', { skip: PG_URL ? false : 'needs TEST_DATABASE_URL' }, async (t) => {
  const hook = await startWebhookReceiver({ secret: 'k'.repeat(32) });
  t.teardown(hook.close);
  const shared = await testDatabase('postgres');
  // Gateways on one database share the secret key: either may decrypt what the other stored.
  const env = { EGRESS_ALLOW: '127.0.0.1', SECRET_KEY: 'a-secret-key-both-gateways-share-0123456789' };
  const a = await startControl(env, { db: shared });
  // The second gateway: its own data directory (journal, node), the same database.
  const ownDir = await testDatabase('sqlite');
  const b = await startControl(env, { db: { ...ownDir, databaseUrl: shared.databaseUrl, pgSchema: shared.pgSchema } });
  t.teardown(async () => {
    await b.stop();
    await a.stop();
    await shared.cleanup();
    await ownDir.cleanup();
  });
  const admin = await a.userToken('adam', 'admin');
  await a.call('POST', '/admin/notifications/channels', { token: admin, body: { type: 'webhook', name: 'Hook', url: hook.url, secret: 'k'.repeat(32) } });
  const N = 30;
  await Promise.all(Array.from({ length: N }, (_, i) => (i % 2 ? a : b).cp.messages.save(message({ callId: `call-${i}` }))));
  await until('every message delivered', () => hook.accepted.size === N, { timeoutMs: 30_000 });
  // Both workers keep polling; a later message that arrives proves they looked again since.
  await b.cp.messages.save(message({ callId: 'marker' }));
  await until('the marker delivered', () => hook.accepted.size === N + 1, { timeoutMs: 30_000 });
  // The receiver answers before the worker marks the row sent: wait for the marks, not just the requests.
  const sentRows = async () => Number((await a.cp.db('notification_outbox').where({ status: 'sent' }).count({ c: '*' }))[0]!.c);
  await until('every row marked sent', async () => (await sentRows()) === N + 1, { timeoutMs: 30_000 });
  t.equal(hook.requests.length, N + 1, 'one request per delivery: no row was claimed twice');
  t.ok(hook.requests.every((r) => r.valid && !r.duplicate));
});
