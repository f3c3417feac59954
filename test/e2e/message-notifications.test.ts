/**
 * A message left by phone reaches the owner, end to end over the real gateway (as `npm start`
 * assembles it: Silero VAD, pocketsphinx, espeak-ng, the built-in secretary, SQLite): a caller
 * speaks with flite over the WebSocket, leaves name, number and reason, hears it was recorded;
 * the message is in `GET /admin/messages` with its call, and the owner is told on Telegram (a
 * fake Bot API on 127.0.0.1) and by a webhook whose receiver checks the signature itself.
 */
import t from 'tap';
import { runScriptedCall } from '../../bench/lib/scripted-caller.ts';
import { leaveMessageSteps } from './helpers/caller-script.ts';
import { hashPassword } from '../../control/auth/password.ts';
import { startFakeTelegram } from '../fakes/fake-telegram.ts';
import { startWebhookReceiver } from '../fakes/webhook-receiver.ts';
import { until } from '../helpers/until.ts';
import { ADMIN_PASSWORD, adminLogin } from './helpers/admin-client.ts';
import { startSecretaryGateway } from './helpers/secretary-gateway.ts';

t.setTimeout(300_000);
const BOT_TOKEN = '123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsawq';

t.test('a message left by phone is in the inbox and reaches Telegram and a signed webhook', async (t) => {
  const telegram = await startFakeTelegram({ tokens: [BOT_TOKEN] });
  t.teardown(() => telegram.close());
  const hook = await startWebhookReceiver();
  t.teardown(() => hook.close());
  const metricsToken = 'message-notifications-metrics';
  const gw = await startSecretaryGateway({ METRICS_TOKEN: metricsToken }, { TELEGRAM_API_ROOT: telegram.apiRoot, EGRESS_ALLOW: '127.0.0.1', PASSWORD_HASH_LN: '12' });
  t.teardown(() => gw.stop());
  const base = gw.url.replace(/^ws:/, 'http:').replace(/\/ws\/voice$/, '');
  await gw.controlPlane.repos.users.create({ username: 'owner', role: 'admin', password_hash: await hashPassword(ADMIN_PASSWORD, { ln: 12, r: 8, p: 1 }) });
  const admin = await adminLogin(base);
  // How the secretary sounds is not under test here, only where the message goes: a short greeting
  // and a voice at twice espeak's speed halve the real-time playback the caller waits out.
  const preset = await admin.call('POST', '/admin/tts/presets', { name: 'fast', engine: 'espeak-ng', voice: 'en', speed: 2 });
  t.equal(preset.status, 201, JSON.stringify(preset.body));
  const persona = await admin.call('POST', '/admin/personas', { name: 'Anna', system_prompt: 'A secretary.', greeting: 'Hello.', tts_preset_id: preset.body.id });
  t.equal(persona.status, 201, JSON.stringify(persona.body));
  t.equal((await admin.call('POST', `/admin/personas/${persona.body.id}/default`)).status, 200);
  t.equal((await admin.call('POST', '/admin/notifications/channels', { type: 'telegram', name: 'Owner', chat_id: '4242', bot_token: BOT_TOKEN })).status, 201);
  const webhook = await admin.call('POST', '/admin/notifications/channels', { type: 'webhook', name: 'CRM', url: hook.url });
  t.equal(webhook.status, 201);
  hook.secret = webhook.body.secret;

  let recordedAt = 0;
  const r = await runScriptedCall({
    url: gw.url,
    token: gw.token,
    caller: '+15551234567',
    steps: leaveMessageSteps(),
    // A ceiling, not a figure: the gateway hangs up when the dialogue is done (~45 s on an idle machine at espeak's own speed).
    maxMs: 120_000,
    onEvent: (e) => {
      if (!recordedAt && e.type === 'response_text_delta' && /your message has been recorded/.test(String(e.text))) recordedAt = Date.now();
    },
  });
  t.ok(recordedAt, 'the caller heard the message was recorded');
  const callId = String(r.events.find((e) => e.type === 'started')!.call_id);

  await until('Telegram and the webhook told', () => telegram.sent.length === 1 && hook.accepted.size === 1, { timeoutMs: 30_000 });
  // A figure, not a bound (timing goals are the benches'): the fakes stamp what they received.
  t.comment(`owner told ${telegram.sent[0]!.at - recordedAt} ms (Telegram) and ${[...hook.accepted.values()][0]!.at - recordedAt} ms (webhook) after the caller heard "recorded"`);
  // The fakes record a request before they answer it, and the worker marks a delivery sent only
  // after the answer: wait for both rows to settle before reading them.
  const inbox = await until('both deliveries settled', async () => {
    const r = await admin.call('GET', '/admin/messages?channel=ws');
    const ds: Array<{ status: string }> | undefined = r.body.items[0]?.deliveries;
    return ds?.length === 2 && ds.every((d) => d.status === 'sent' || d.status === 'failed') ? r : null;
  });
  t.equal(inbox.body.total, 1);
  const m = inbox.body.items[0];
  t.match(m, { kind: 'message', status: 'new', channel: 'ws', call_id: callId, callback_number: '+15551234567', caller_id: '+15551234567', links: { call: `/admin/calls/${callId}` } });
  t.ok(m.caller_name && m.reason, `name and reason kept: ${m.caller_name} / ${m.reason}`);
  t.match(m.deliveries, [{ channel_name: 'Owner', status: 'sent', attempts: 1 }, { channel_name: 'CRM', status: 'sent', attempts: 1 }]);

  const text = String(telegram.sent[0]!.body.text);
  t.match(text, /^New message \(voice call \(WebSocket\)\)\n/);
  t.match(text, 'Call back: +15551234567');
  t.match(text, `/#/messages/${m.id}`);
  const req = [...hook.accepted.values()][0]!;
  t.ok(req.valid, 'the webhook signature checks out');
  t.match(req.json, { event: 'message.created', message: { id: m.id, call_id: callId, callback_number: '+15551234567' } });
  const call = (await admin.call('GET', `/admin/calls/${callId}`)).body;
  t.ok(call.transcript.some((s: { speaker: string }) => s.speaker === 'message'), 'the message is in the call\u2019s transcript too');

  const auth = { headers: { authorization: `Bearer ${metricsToken}` } };
  const health = (await (await fetch(`${base}/health`, auth)).json()) as { components: Record<string, unknown> };
  t.match(health.components.notifications, { status: 'ok', deliveries: { sent: 2, pending: 0, failed: 0 }, worker: { sent: 2, in_flight: 0, poll_error: null } }, '/health tells the deliveries');
  const metrics = await (await fetch(`${base}/metrics`, auth)).text();
  t.match(metrics, /^voice_notifications_sent_total 2$/m);
  t.match(metrics, /^voice_notification_deliveries\{status="sent"\} 2$/m);
});
