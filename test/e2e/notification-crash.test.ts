/**
 * kill -9 between a message's confirmation and its delivery (the real gateway process, SQLite in
 * its data directory), then a restart on the same data directory: the owner's webhook still gets
 * it, once. With the receiver down at first, the restarted gateway delivers it (the message and
 * its outbox row come back from the journal or the database). With a receiver that is slow, the
 * crash cuts an attempt the receiver did get: the restart sends it again at once with the same
 * Idempotency-Key, which the receiver recognises: the one duplicate window, and how it is closed.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import t, { type Test } from 'tap';
import { openDatabase } from '../../control/db/connection.ts';
import { startWebhookReceiver } from '../fakes/webhook-receiver.ts';
import { deadPort } from '../helpers/dead-port.ts';
import { until } from '../helpers/until.ts';
import { TestClient } from '../helpers/ws-client.ts';
import { adminLogin, seedAdmin } from './helpers/admin-client.ts';
import { spawnGateway, type GatewayProcess } from './helpers/gateway-process.ts';

t.setTimeout(400_000);
// The two scenarios share nothing (each has its own data directory, gateway processes, receiver
// and ports), and each spends most of its time waiting on real-time reply audio: run them side by side.
t.jobs = 2;
const TOKEN = 'notification-crash-test-token-0123456789';
const SECRET = 'webhook-signing-secret-0123456789';

/** A gateway on a fresh data directory with an admin and one webhook channel to `url`. */
async function gatewayWithWebhook(t: Test, url: string) {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'vg-notify-crash-'));
  t.teardown(() => rmSync(dataDir, { recursive: true, force: true }));
  await seedAdmin(dataDir);
  const env = { DATA_DIR: dataDir, VOICE_WS_TOKEN: TOKEN, EGRESS_ALLOW: '127.0.0.1', PASSWORD_HASH_LN: '12', NOTIFY_RETRY_MIN_MS: '300', NOTIFY_RETRY_MAX_MS: '600' };
  const first = await spawnGateway(env);
  t.teardown(() => void (first.child.exitCode === null && first.child.kill('SIGKILL')));
  const admin = await adminLogin(`http://127.0.0.1:${first.port}`);
  const made = await admin.call('POST', '/admin/notifications/channels', { type: 'webhook', name: 'Owner', url, secret: SECRET });
  t.equal(made.status, 201, JSON.stringify(made.body));
  // What the secretary says and how fast is not under test here, only what happens to the message:
  // a short greeting and a voice at twice espeak's speed halve the real-time playback each answer
  // waits for. The persona is stored, so the restarted gateway speaks the same way.
  const preset = await admin.call('POST', '/admin/tts/presets', { name: 'fast', engine: 'espeak-ng', voice: 'en', speed: 2 });
  t.equal(preset.status, 201, JSON.stringify(preset.body));
  const persona = await admin.call('POST', '/admin/personas', { name: 'Anna', system_prompt: 'A secretary.', greeting: 'Hello.', tts_preset_id: preset.body.id });
  t.equal(persona.status, 201, JSON.stringify(persona.body));
  t.equal((await admin.call('POST', `/admin/personas/${persona.body.id}/default`)).status, 200);
  return { dataDir, env, first };
}

/** A caller leaves a message by typing; resolves once they were told it was recorded. */
async function leaveMessage(t: Test, g: GatewayProcess): Promise<string> {
  const client = new TestClient(`ws://127.0.0.1:${g.port}/ws/voice`, TOKEN);
  await client.opened;
  client.sendJson({ type: 'start', codec: 'pcm16', sample_rate: 16000, caller: '+15551234567' });
  const callId = String((await client.waitForEvent('started')).call_id);
  const ends = () => client.received.events.filter((e) => e.type === 'response_audio_end').length;
  const said = () => client.received.events.filter((e) => e.type === 'response_text_delta').map((e) => String(e.text)).join('');
  // Each answer waits for the question to have played, as a caller would.
  let replies = 1;
  await client.waitFor(() => ends() >= replies, 30_000, 'the greeting played');
  for (const text of ['I want to leave a message.', 'John Smith', 'Yes', 'Please call me back about my order.']) {
    client.sendJson({ type: 'text', text });
    replies++;
    await client.waitFor(() => ends() >= replies, 30_000, `the reply to "${text}"`);
  }
  t.match(said(), /Let me read that back/, 'the message was read back');
  client.sendJson({ type: 'text', text: 'Yes' });
  await client.waitFor(() => /your message has been recorded/.test(said()), 30_000, 'told it was recorded');
  return callId;
}

async function outboxRow(dataDir: string) {
  const db = await openDatabase({ dataDir, migrate: false });
  try {
    return await db('notification_outbox').first();
  } finally {
    await db.destroy();
  }
}

t.test('receiver down, kill -9 right after "recorded", restart: delivered once', async (t) => {
  const port = await deadPort();
  const { dataDir, env, first } = await gatewayWithWebhook(t, `http://127.0.0.1:${port}/hook`);
  const callId = await leaveMessage(t, first);
  first.child.kill('SIGKILL');
  t.equal((await first.exited).signal, 'SIGKILL');

  const hook = await startWebhookReceiver({ port, secret: SECRET });
  t.teardown(() => hook.close());
  const second = await spawnGateway(env);
  t.teardown(() => void (second.child.exitCode === null && second.child.kill('SIGKILL')));
  await until('the message delivered after the restart', () => hook.accepted.size === 1, { timeoutMs: 30_000 });
  const req = [...hook.accepted.values()][0]!;
  t.ok(req.valid, 'signed');
  t.match(req.json, { event: 'message.created', message: { call_id: callId, callback_number: '+15551234567', caller_name: /john smith/i } });
  const admin = await adminLogin(`http://127.0.0.1:${second.port}`);
  const m = await until('the delivery marked sent', async () => {
    const items = (await admin.call('GET', '/admin/messages')).body.items;
    return items[0]?.deliveries[0]?.status === 'sent' ? items[0] : null;
  });
  t.equal(m.call_id, callId);
  t.equal(req.headers['idempotency-key'], m.deliveries[0].idempotency_key);
  t.equal(hook.requests.length, 1, 'one request in all: nothing reached the receiver before the crash, nothing twice after');

  second.child.kill('SIGTERM');
  t.equal((await second.exited).code, 0);
});

t.test('receiver slow, kill -9 mid-delivery, restart: sent again at once with the same Idempotency-Key, accepted once', async (t) => {
  const hook = await startWebhookReceiver({ secret: SECRET });
  t.teardown(() => hook.close());
  let release!: () => void;
  hook.hold = new Promise<void>((r) => (release = r));
  const { dataDir, env, first } = await gatewayWithWebhook(t, hook.url);
  await leaveMessage(t, first);
  await until('the receiver holding the first attempt', () => hook.requests.length === 1, { timeoutMs: 30_000 });
  t.match(await outboxRow(dataDir), { status: 'sending', attempts: 1 }, 'claimed, not yet settled');
  first.child.kill('SIGKILL');
  await first.exited;
  // The receiver finishes the request it got (it has done the work); the gateway never heard back.
  hook.hold = null;
  release();
  await until('the first attempt accepted by the receiver', () => hook.accepted.size === 1);

  const second = await spawnGateway(env);
  t.teardown(() => void (second.child.exitCode === null && second.child.kill('SIGKILL')));
  await until('the delivery sent again by the restarted gateway', () => hook.requests.length === 2, { timeoutMs: 30_000 });
  const [a, b] = hook.requests;
  t.equal(b!.headers['idempotency-key'], a!.headers['idempotency-key'], 'the same key');
  t.ok(b!.duplicate && b!.valid, 'recognised as the same delivery');
  t.equal(hook.accepted.size, 1, 'accepted once');
  t.match(second.output(), /deliveries cut short by a crash are sent again/, 'the restart says so');
  const row = await until('marked sent', async () => {
    const r = await outboxRow(dataDir);
    return r?.status === 'sent' ? r : null;
  });
  t.equal(row.attempts, 2, 'both attempts counted');

  second.child.kill('SIGTERM');
  t.equal((await second.exited).code, 0);
});
