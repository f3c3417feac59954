/**
 * How Telegram bots keep every update and every answer through the hard parts, against the fake
 * Bot API: webhook delivery (with and without the right secret), 429 with retry_after, the
 * network cut and restored, a restart and a stop cut short, replies past 4096 characters.
 * Assertions are about what the user sees: each question answered once, completely.
 */
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import t, { type Test } from 'tap';
import { startFakeTelegram, type FakeTelegram } from '../fakes/fake-telegram.ts';
import { until } from '../helpers/until.ts';
import { startControl, type TestControl } from './helpers/control.ts';

const TOKEN = '2001:' + 'D'.repeat(35);
const ANSWER = 'We are open from nine to five, Monday to Friday. On Saturdays we open at ten. Sundays we rest.';

interface Env {
  c: TestControl;
  tg: FakeTelegram;
  op: string;
}

/** A front door whose address is known before the control plane listens (PUBLIC_BASE_URL), forwarding to it once it does. */
async function forwarder(): Promise<{ url: string; target: (base: string) => void; close: () => Promise<void> }> {
  let target = '';
  const server: Server = createServer((req, res) => {
    const up = request(target + req.url, { method: req.method, headers: req.headers }, (r) => {
      res.writeHead(r.statusCode ?? 502, r.headers);
      r.pipe(res);
    });
    up.on('error', () => res.writeHead(502).end());
    req.pipe(up);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    target: (base) => void (target = base),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

async function setup(t: Test, env: Record<string, string> = {}): Promise<Env> {
  const tg = await startFakeTelegram({ tokens: [TOKEN] });
  const front = await forwarder();
  const c = await startControl({
    TELEGRAM_API_ROOT: tg.apiRoot,
    PUBLIC_BASE_URL: front.url,
    TELEGRAM_POLL_TIMEOUT_S: '2',
    TELEGRAM_REPLY_INTERVAL_MS: '300',
    TELEGRAM_BACKOFF_MIN_MS: '100',
    TELEGRAM_BACKOFF_MAX_MS: '400',
    ...env,
  });
  front.target(c.base);
  t.teardown(async () => {
    await c.stop();
    await tg.close();
    await front.close();
  });
  const op = await c.userToken('olga', 'operator');
  await c.call('POST', '/admin/faq', { token: op, body: { question: 'What are your opening hours?', answer: ANSWER, keywords: ['hours', 'open'] } });
  return { c, tg, op };
}

async function createBot(e: Env, body: Record<string, unknown> = {}) {
  const res = await e.c.call('POST', '/admin/telegram/bots', { token: e.op, body: { name: 'Desk', token: TOKEN, llm: { backend: 'faq' }, ...body } });
  if (res.status !== 201) throw new Error(`creating the bot: ${res.status} ${res.text}`);
  return res.body as { id: number };
}

const state = async (e: Env, id: number) => (await e.c.call('GET', `/admin/telegram/bots/${id}`, { token: e.op })).body.status;
const running = (e: Env, id: number) => until(`bot ${id} running`, async () => (await state(e, id)).state === 'running');
/** Every bot message in the chat, final texts. */
const shown = (tg: FakeTelegram, chatId: number) => tg.botMessages(TOKEN, chatId).map((m) => m.text ?? '');
/** The chat shows exactly one complete FAQ answer. */
const answeredOnce = (tg: FakeTelegram, chatId: number) => {
  const texts = shown(tg, chatId);
  return texts.length === 1 && texts[0]!.startsWith(ANSWER) && /anything else/.test(texts[0]!);
};

t.test('webhook mode: Telegram posts updates with the secret token; without it 401, with a wrong one 403', async (t) => {
  const e = await setup(t);
  const { c, tg } = e;
  const bot = await createBot(e, { mode: 'webhook' });
  await running(e, bot.id);
  const hook = tg.webhook(TOKEN)!;
  t.match(hook, { url: new RegExp(`/telegram/webhook/${bot.id}$`), secret: /^[A-Za-z0-9_-]{40,}$/ }, 'setWebhook told the public URL and a secret');
  t.match((await c.call('GET', `/admin/telegram/bots/${bot.id}`, { token: e.op })).body, { mode: 'webhook', webhook_url: hook.url });
  t.notOk(JSON.stringify((await c.call('GET', `/admin/telegram/bots/${bot.id}`, { token: e.op })).body).includes(hook.secret!), 'the secret is not shown');

  tg.userWrites(TOKEN, { chatId: 61, text: 'What are your opening hours?' });
  await until('answered through the webhook', () => answeredOnce(tg, 61));
  await until('the delivery confirmed', () => tg.pending(TOKEN) === 0);
  t.ok(tg.deliveries.every((d) => d.status === 200), 'every delivery answered 200');
  t.notOk(tg.requests.some((r) => r.token === TOKEN && r.method === 'getUpdates'), 'no polling in webhook mode');

  const update = { update_id: 99_000, message: { message_id: 1, date: 1, chat: { id: 62, type: 'private' }, from: { id: 62, is_bot: false, first_name: 'X' }, text: '/help' } };
  const none = await c.call('POST', `/telegram/webhook/${bot.id}`, { body: update });
  t.equal(none.status, 401);
  t.equal(none.body.error.code, 'unauthorized');
  const wrong = await c.call('POST', `/telegram/webhook/${bot.id}`, { body: update, headers: { 'x-telegram-bot-api-secret-token': 'x'.repeat(43) } });
  t.equal(wrong.status, 403);
  t.equal(wrong.body.error.code, 'forbidden');
  const unknown = await c.call('POST', `/telegram/webhook/${bot.id + 100}`, { body: update, headers: { 'x-telegram-bot-api-secret-token': hook.secret! } });
  t.equal(unknown.status, 403, 'another bot’s id with this secret');
  t.equal(tg.botMessages(TOKEN, 62).length, 0, 'none of them was handled');
  const right = await c.call('POST', `/telegram/webhook/${bot.id}`, { body: update, headers: { 'x-telegram-bot-api-secret-token': hook.secret! } });
  t.equal(right.status, 200);
  t.equal(tg.botMessages(TOKEN, 62).length, 1, 'answered before the 200');
  const again = await c.call('POST', `/telegram/webhook/${bot.id}`, { body: update, headers: { 'x-telegram-bot-api-secret-token': hook.secret! } });
  t.equal(again.status, 200);
  t.equal(tg.botMessages(TOKEN, 62).length, 1, 'the same update again is not answered twice');

  t.equal((await c.call('POST', `/admin/telegram/bots/${bot.id}/stop`, { token: e.op })).status, 200);
  t.equal(tg.webhook(TOKEN), null, 'stopping removes the webhook (Telegram keeps the updates meanwhile)');
  const stopped = await c.call('POST', `/telegram/webhook/${bot.id}`, { body: { ...update, update_id: 99_001 }, headers: { 'x-telegram-bot-api-secret-token': hook.secret! } });
  t.equal(stopped.status, 503, 'a stopped bot asks Telegram to come back later');
});

t.test('429: the bot waits retry_after before its next request, then the answer arrives', async (t) => {
  const e = await setup(t);
  const { tg } = e;
  const bot = await createBot(e);
  await running(e, bot.id);
  tg.failMethod('sendMessage', { status: 429, retryAfterS: 2 });
  tg.userWrites(TOKEN, { chatId: 71, text: 'What are your opening hours?' });
  await until('answered after the wait', () => answeredOnce(tg, 71), 30_000);
  const [limited, retried] = tg.requests.filter((r) => r.token === TOKEN && r.method === 'sendMessage');
  // The refused call is made again only once the bot saw the 429, so it cannot race it.
  t.ok(retried && retried.at - limited!.at >= 1990, `the refused sendMessage made again ${retried ? retried.at - limited!.at : '-'} ms after the 429`);
  // Every other request waits too; but one the bot had already sent when the 429 came back (a
  // poll, the typing action) may be stamped just after it, so those in the first 500 ms are not
  // counted (polls come every second while a message is handled: one ignoring the wait lands after).
  const after = tg.requests.filter((r) => r.token === TOKEN && r.at > limited!.at + 500);
  t.ok(after.length > 0);
  for (const r of after) t.ok(r.at - limited!.at >= 1990, `${r.method} ${r.at - limited!.at} ms after the 429`);
  t.equal(tg.sent.length, 1, 'the message sent once');
});

t.test('the network cut and restored: the bot reports it, resumes, loses nothing and answers nothing twice', async (t) => {
  const e = await setup(t);
  const { tg } = e;
  const bot = await createBot(e);
  await running(e, bot.id);
  tg.userWrites(TOKEN, { chatId: 81, text: 'What are your opening hours?' });
  await until('the first answered', () => answeredOnce(tg, 81));

  tg.cut();
  tg.userWrites(TOKEN, { chatId: 82, text: 'What are your opening hours?' });
  tg.userWrites(TOKEN, { chatId: 83, text: 'When are you open?' });
  await until('the bot tried and was refused', () => tg.refused >= 2);
  const during = await until('the error shown', async () => {
    const s = await state(e, bot.id);
    return s.state === 'error' && s;
  });
  t.match(during, { next_retry_at: /Z$/, last_error: { message: /could not reach the Bot API/, error_id: /^[0-9a-f]{10}$/ } });
  tg.restore();
  await until('both answered after the network came back', () => answeredOnce(tg, 82) && answeredOnce(tg, 83), 30_000);
  await running(e, bot.id);
  await until('acknowledged', () => tg.pending(TOKEN) === 0);
  t.ok(answeredOnce(tg, 81), 'the first chat has its one answer still');

  // Cut while a reply is being sent: the send is retried when the link is back, shown once.
  let cutDone = false;
  const watcher = setInterval(() => {
    if (!cutDone && tg.requests.some((r) => r.method === 'sendChatAction' && Number(r.body.chat_id) === 84)) {
      cutDone = true;
      tg.cut();
      setTimeout(() => tg.restore(), 1500);
    }
  }, 1);
  t.teardown(() => clearInterval(watcher));
  tg.userWrites(TOKEN, { chatId: 84, text: 'What are your opening hours?' });
  await until('answered across the cut', () => answeredOnce(tg, 84), 30_000);
  t.ok(cutDone, 'the network was cut mid-answer');
});

t.test('a restart loses no update and answers none twice; the offset is kept', async (t) => {
  const e = await setup(t);
  const { c, tg } = e;
  const bot = await createBot(e);
  await running(e, bot.id);
  tg.userWrites(TOKEN, { chatId: 91, text: 'What are your opening hours?' });
  await until('handling started', () => tg.botMessages(TOKEN, 91).length === 1);
  const restart = c.call('POST', `/admin/telegram/bots/${bot.id}/restart`, { token: e.op });
  tg.userWrites(TOKEN, { chatId: 92, text: 'What are your opening hours?' }); // arrives while it restarts
  t.equal((await restart).status, 200);
  t.ok(answeredOnce(tg, 91), 'the answer in progress was finished before the stop');
  await until('the update sent during the restart answered', () => answeredOnce(tg, 92));
  await until('all acknowledged', () => tg.pending(TOKEN) === 0);
  const row = await c.cp.db('telegram_bots').where({ id: bot.id }).first();
  t.ok(Number(row.update_offset) > 0, 'the offset is stored');
  t.equal(tg.botMessages(TOKEN, 91).length + tg.botMessages(TOKEN, 92).length, 2, 'one answer each');
});

t.test('a stop cut short leaves the update unacknowledged: it comes again and is answered', async (t) => {
  const e = await setup(t, { TELEGRAM_STOP_GRACE_MS: '0' });
  const { c, tg } = e;
  const bot = await createBot(e);
  await running(e, bot.id);
  // The answer's first edit is told to wait (429, 15 s; the bot keeps honouring it after the start): the
  // update is surely still being handled when the stop comes.
  tg.failMethod('editMessageText', { status: 429, retryAfterS: 15 });
  tg.userWrites(TOKEN, { chatId: 95, text: 'What are your opening hours?' });
  await until('handling started and held', () => tg.botMessages(TOKEN, 95).length === 1 && tg.requests.some((r) => r.method === 'editMessageText'));
  t.equal((await c.call('POST', `/admin/telegram/bots/${bot.id}/stop`, { token: e.op })).status, 200);
  t.equal(tg.pending(TOKEN), 1, 'not acknowledged: Telegram still has it');
  t.equal((await c.call('POST', `/admin/telegram/bots/${bot.id}/start`, { token: e.op })).status, 200);
  await until('answered after the start', () => tg.botMessages(TOKEN, 95).some((m) => /anything else/.test(m.text ?? '')));
  await until('acknowledged', () => tg.pending(TOKEN) === 0);
});

t.test('at process shutdown the bots get the shutdown grace, not their own longer one; what is cut short stays unacknowledged', async (t) => {
  const e = await setup(t, { TELEGRAM_STOP_GRACE_MS: '600000' });
  const { c, tg } = e;
  const bot = await createBot(e);
  await running(e, bot.id);
  tg.failMethod('editMessageText', { status: 429, retryAfterS: 60 });
  tg.userWrites(TOKEN, { chatId: 97, text: 'What are your opening hours?' });
  await until('handling started and held by a 429', () => tg.botMessages(TOKEN, 97).length === 1 && tg.requests.some((r) => r.method === 'editMessageText'));
  const closing = Date.now();
  await c.cp.telegram.close(0);
  t.ok(Date.now() - closing < 30_000, 'the close did not wait out the 429 (60 s) nor the bot\'s grace (10 min)');
  t.notOk(answeredOnce(tg, 97), 'the answer was cut short rather than waited for (the bot\'s own grace is 10 minutes)');
  t.equal(tg.pending(TOKEN), 1, 'not acknowledged: Telegram delivers it again after the restart');
});

t.test('a reply longer than 4096 characters goes on in a new message, cut at a sentence', async (t) => {
  const e = await setup(t, { TELEGRAM_REPLY_INTERVAL_MS: '100' });
  const { c, tg } = e;
  const sentence = (i: number) => `Clause ${i} of our terms says that every order is handled with care and shipped within two working days. `;
  const long = Array.from({ length: 60 }, (_, i) => sentence(i)).join('').trim();
  t.ok(long.length > 4096 && long.length < 10_000);
  await c.call('POST', '/admin/faq', { token: e.op, body: { question: 'What do your terms of service say?', answer: long, keywords: ['terms'] } });
  const bot = await createBot(e);
  await running(e, bot.id);
  tg.userWrites(TOKEN, { chatId: 97, text: 'What do your terms of service say?' });
  await until('the whole reply shown', () => shown(tg, 97).join(' ').includes('Clause 59') && /anything else/.test(shown(tg, 97).at(-1) ?? ''), 30_000);
  const texts = shown(tg, 97);
  t.equal(texts.length, 2, 'two messages');
  t.ok(texts.every((x) => x.length <= 4096), texts.map((x) => x.length).join(', '));
  t.ok(texts[0]!.endsWith('days.'), 'the first ends at a sentence');
  t.equal(texts.join(' '), (await c.cp.repos.chat.messages((await c.cp.repos.chat.listSessions({ limit: 1, offset: 0 }, { source: 'telegram' }))[0]!.id)).at(-1)!.content, 'nothing lost at the cut');
});
