/**
 * Telegram bots against the fake Bot API (test/fakes/fake-telegram.ts), with grammy's own client
 * pointed at it through TELEGRAM_API_ROOT: the admin API (CRUD, status, start/stop, on SQLite and
 * Postgres), and what a user sees in the chat when they write to a bot that polls getUpdates:
 * FAQ answers streamed by edits, the commands, the allow-list, the secretary taking a message
 * into the owner's inbox.
 */
import t, { type Test } from 'tap';
import { startFakeTelegram, type FakeTelegram } from '../fakes/fake-telegram.ts';
import { until } from '../helpers/until.ts';
import { testEngines } from './helpers/database.ts';
import { startControl, type TestControl } from './helpers/control.ts';

const TOKEN_A = '1001:' + 'A'.repeat(35);
const TOKEN_B = '1002:' + 'B'.repeat(35);
const BAD_TOKEN = '1003:' + 'C'.repeat(35);

const ANSWER = 'We are open from nine to five, Monday to Friday. On Saturdays we open at ten. Sundays we rest.';

interface Env {
  c: TestControl;
  tg: FakeTelegram;
  op: string;
  viewer: string;
}

async function setup(t: Test, env: Record<string, string> = {}, engine?: 'sqlite' | 'postgres'): Promise<Env> {
  const tg = await startFakeTelegram({ tokens: [TOKEN_A, TOKEN_B] });
  const c = await startControl({ TELEGRAM_API_ROOT: tg.apiRoot, TELEGRAM_POLL_TIMEOUT_S: '2', TELEGRAM_REPLY_INTERVAL_MS: '300', TELEGRAM_BACKOFF_MIN_MS: '100', TELEGRAM_BACKOFF_MAX_MS: '400', ...env }, { engine });
  t.teardown(async () => {
    await c.stop();
    await tg.close();
  });
  const op = await c.userToken('olga', 'operator');
  const viewer = await c.userToken('vera', 'viewer');
  return { c, tg, op, viewer };
}

async function createBot(e: Env, body: Record<string, unknown>) {
  const res = await e.c.call('POST', '/admin/telegram/bots', { token: e.op, body: { name: 'Front desk', token: TOKEN_A, ...body } });
  if (res.status !== 201) throw new Error(`creating the bot: ${res.status} ${res.text}`);
  return res.body;
}

const botStatus = async (e: Env, id: number) => (await e.c.call('GET', `/admin/telegram/bots/${id}`, { token: e.viewer })).body;
const running = (e: Env, id: number) => until(`bot ${id} running`, async () => (await botStatus(e, id)).status.state === 'running');
/** The text of the bot's last message in the chat once it stops changing into `expected`. */
const lastBotText = (tg: FakeTelegram, token: string, chatId: number) => tg.botMessages(token, chatId).at(-1)?.text;
/** The assistant's messages stored for a chat's sessions, oldest first. */
async function storedReplies(c: TestControl, sourceId: string): Promise<string[]> {
  const sessions = (await c.cp.repos.chat.listSessions({ limit: 50, offset: 0 }, { source: 'telegram' })).filter((s) => s.source_id === sourceId);
  const all = await Promise.all(sessions.map((s) => c.cp.repos.chat.messages(s.id)));
  return all.flat().filter((m) => m.role === 'assistant').sort((a, b) => a.id - b.id).map((m) => m.content);
}

for (const engine of testEngines()) {
  t.test(`${engine}: bots CRUD: the token is write-only, settings validated, viewers read, operators write, audited`, async (t) => {
    const e = await setup(t, {}, engine);
    const { c, op, viewer } = e;
    const persona = await c.call('POST', '/admin/personas', { token: await c.userToken('adam', 'admin'), body: { name: 'Desk', system_prompt: 'You help.', language: 'en' } });
    t.equal(persona.status, 201, persona.text);
    const made = await c.call('POST', '/admin/telegram/bots', {
      token: op,
      body: { name: 'Desk bot', token: TOKEN_A, auto_start: false, persona_id: persona.body.id, llm: { backend: 'faq' }, greeting: 'Hi there!', allowed_user_ids: [42, 42, 7], reply_with_voice: true },
    });
    t.equal(made.status, 201, made.text);
    t.match(made.body, { name: 'Desk bot', has_token: true, enabled: true, auto_start: false, persona_id: persona.body.id, llm_backend: 'faq', greeting: 'Hi there!', mode: 'polling', reply_with_voice: true, status: { state: 'stopped' } });
    t.same(made.body.allowed_user_ids.sort(), [42, 7].sort(), 'duplicates dropped');
    t.notOk(JSON.stringify(made.body).includes(TOKEN_A.split(':')[1]!), 'the token is never returned');
    const row = await c.cp.db('telegram_bots').where({ id: made.body.id }).first();
    t.notOk(String(row.token_encrypted).includes(TOKEN_A.split(':')[1]!), 'stored encrypted');
    t.equal(await c.cp.repos.telegramBots.tokenOf(made.body.id), TOKEN_A);

    const list = await c.call('GET', '/admin/telegram/bots', { token: viewer });
    t.equal(list.status, 200);
    t.equal(list.body.items.length, 1);
    t.equal((await c.call('POST', '/admin/telegram/bots', { token: viewer, body: { name: 'x', token: TOKEN_B } })).status, 403, 'a viewer cannot add one');
    t.equal((await c.call('POST', `/admin/telegram/bots/${made.body.id}/start`, { token: viewer })).status, 403, 'nor start one');

    const bad = [
      { name: 'x', token: 'not-a-token' },
      { name: 'x', token: TOKEN_B, colour: 'red' },
      { name: 'x', token: TOKEN_B, allowed_user_ids: [-1] },
      { name: 'x', token: TOKEN_B, mode: 'carrier-pigeon' },
    ];
    for (const body of bad) {
      const res = await c.call('POST', '/admin/telegram/bots', { token: op, body });
      t.equal(res.status, 400, `refused: ${JSON.stringify(body)}`);
      t.equal(res.body.error.code, 'validation_failed');
    }
    const webhook = await c.call('POST', '/admin/telegram/bots', { token: op, body: { name: 'hook', token: TOKEN_B, mode: 'webhook' } });
    t.equal(webhook.status, 400);
    t.match(webhook.body.error, { code: 'public_base_url_missing', message: /PUBLIC_BASE_URL/ });
    t.equal((await c.call('POST', '/admin/telegram/bots', { token: op, body: { name: 'x', token: TOKEN_B, persona_id: 999 } })).status, 404, 'an unknown persona');
    t.equal((await c.call('POST', '/admin/telegram/bots', { token: op, body: { name: 'Desk bot', token: TOKEN_B, auto_start: false } })).status, 409, 'names are unique');

    const patched = await c.call('PATCH', `/admin/telegram/bots/${made.body.id}`, { token: op, body: { llm: { backend: 'default' }, allowed_user_ids: null, greeting: null } });
    t.equal(patched.status, 200, patched.text);
    t.match(patched.body, { llm_backend: null, allowed_user_ids: null, greeting: null, has_token: true });
    t.equal((await c.call('PATCH', `/admin/telegram/bots/${made.body.id}`, { token: op, body: { token: TOKEN_B } })).body.has_token, true);
    t.equal(await c.cp.repos.telegramBots.tokenOf(made.body.id), TOKEN_B, 'a new token replaces the old');

    const audit = await c.cp.repos.audit.list({ actor: 'olga' }, { limit: 100, offset: 0 });
    const actions = audit.items.map((a) => a.action);
    t.ok(actions.includes('telegram_bots.create') && actions.includes('telegram_bots.update'), 'audited');
    t.notOk(JSON.stringify(audit.items).includes(TOKEN_B.split(':')[1]!), 'no token in the audit log');

    t.equal((await c.call('DELETE', `/admin/telegram/bots/${made.body.id}`, { token: op })).status, 204);
    t.equal((await c.call('GET', `/admin/telegram/bots/${made.body.id}`, { token: viewer })).status, 404);
  });
}

t.test('polling: a user asks an FAQ question and sees the answer appear, edited as it is written', async (t) => {
  const e = await setup(t);
  const { c, tg, op } = e;
  t.equal((await c.call('POST', '/admin/faq', { token: op, body: { question: 'What are your opening hours?', answer: ANSWER, keywords: ['hours', 'open'] } })).status, 201);
  const bot = await createBot(e, { llm: { backend: 'faq' } });
  await running(e, bot.id);
  t.match(await botStatus(e, bot.id), { username: 'fake1001_bot', bot_user_id: '1001' }, 'getMe stored');

  tg.userWrites(TOKEN_A, { chatId: 501, text: 'When are you open? What are your hours?' });
  // The FAQ's answer, and the secretary's offer of more help after it.
  const answer = await until('the reply stored', async () => (await storedReplies(c, `${bot.id}:501`))[0]);
  t.ok(answer.startsWith(ANSWER), answer);
  await until('the whole answer shown', () => lastBotText(tg, TOKEN_A, 501) === answer);
  const [reply] = tg.botMessages(TOKEN_A, 501);
  t.equal(tg.botMessages(TOKEN_A, 501).length, 1, 'one message, edited');
  t.ok(reply!.versions.length >= 2, `the answer grew by edits (${reply!.versions.length} versions)`);
  for (let i = 1; i < reply!.versions.length; i++) t.not(reply!.versions[i], reply!.versions[i - 1], 'never an edit with unchanged text');
  t.ok(reply!.versions.every((v, i, all) => i === 0 || v.startsWith(all[i - 1]!.trimEnd())), 'each version extends the one before');
  const chatRequests = tg.requests.filter((r) => r.token === TOKEN_A && (r.method === 'sendMessage' || r.method === 'editMessageText') && Number(r.body.chat_id) === 501);
  for (let i = 1; i < chatRequests.length; i++) t.ok(chatRequests[i]!.at - chatRequests[i - 1]!.at >= 290, `requests to the chat spaced (${chatRequests[i]!.at - chatRequests[i - 1]!.at} ms)`);
  t.ok(tg.requests.some((r) => r.method === 'sendChatAction' && r.body.action === 'typing'), 'the user saw "typing"');

  const session = (await c.cp.repos.chat.listSessions({ limit: 10, offset: 0 }, { source: 'telegram' }))[0]!;
  t.match(session, { source: 'telegram', source_id: `${bot.id}:501`, contact: 'telegram:501' });
  const stored = await c.cp.repos.chat.messages(session.id);
  t.same(stored.map((m) => m.role), ['user', 'assistant']);
  t.equal(stored[1]!.content, answer);
  await until('the offset acknowledged to Telegram', () => tg.pending(TOKEN_A) === 0);
  await c.cp.usage.flush();
  const usage = await c.cp.db('usage_log').where({ subject_type: 'telegram_bot', subject_id: String(bot.id) });
  t.equal(usage.length, 1, 'the turn is metered as the bot');
  t.match(usage[0], { kind: 'chat', source: 'faq' });
  const last = (await botStatus(e, bot.id)).last_update_at;
  t.ok(last, 'last update time shown');
});

t.test('/start greets (opening a session), /help explains, /reset starts a new session; unknown media politely refused', async (t) => {
  const e = await setup(t);
  const { c, tg } = e;
  const bot = await createBot(e, { greeting: 'Welcome to the front desk!', llm: { backend: 'faq' } });
  await running(e, bot.id);
  tg.userWrites(TOKEN_A, { chatId: 77, text: '/start' });
  await until('greeted', () => lastBotText(tg, TOKEN_A, 77) === 'Welcome to the front desk!');
  const sessions = async () => (await c.cp.repos.chat.listSessions({ limit: 10, offset: 0 }, { source: 'telegram' })).filter((s) => s.source_id === `${bot.id}:77`);
  t.equal((await sessions()).length, 1, '/start opened a session');
  tg.userWrites(TOKEN_A, { chatId: 77, text: '/start' });
  await until('greeted again', () => tg.botMessages(TOKEN_A, 77).length === 2);
  t.equal((await sessions()).length, 1, 'a second /start keeps the session');
  tg.userWrites(TOKEN_A, { chatId: 77, text: '/help@fake1001_bot' });
  await until('help shown', () => /\/reset/.test(lastBotText(tg, TOKEN_A, 77) ?? ''));
  tg.userWrites(TOKEN_A, { chatId: 77, text: '/help@some_other_bot' });
  tg.userWrites(TOKEN_A, { chatId: 77, text: '/reset' });
  await until('reset confirmed', () => /Started a new conversation/.test(lastBotText(tg, TOKEN_A, 77) ?? ''));
  t.equal(tg.botMessages(TOKEN_A, 77).length, 4, 'a command for another bot is not answered');
  t.equal((await sessions()).length, 2, '/reset made a new session');
});

t.test('the allow-list: others are refused politely and never reach the conversation core', async (t) => {
  const e = await setup(t);
  const { c, tg, op } = e;
  await c.call('POST', '/admin/faq', { token: op, body: { question: 'What are your opening hours?', answer: ANSWER, keywords: ['hours'] } });
  const bot = await createBot(e, { allowed_user_ids: [900], llm: { backend: 'faq' } });
  await running(e, bot.id);
  tg.userWrites(TOKEN_A, { chatId: 901, text: 'What are your opening hours?' });
  tg.userWrites(TOKEN_A, { chatId: 900, text: 'What are your opening hours?' });
  await until('the allowed user answered', () => lastBotText(tg, TOKEN_A, 900)?.startsWith(ANSWER));
  await until('the other refused', () => /only answers/.test(lastBotText(tg, TOKEN_A, 901) ?? ''));
  const sessions = await c.cp.repos.chat.listSessions({ limit: 10, offset: 0 }, { source: 'telegram' });
  t.same(sessions.map((s) => s.source_id), [`${bot.id}:900`], 'no session for the refused user');
  tg.userWrites(TOKEN_A, { chatId: 902, userId: 900, text: 'hello', languageCode: 'en' });
  await until('the allowed user is answered in a group chat too', () => tg.botMessages(TOKEN_A, 902).length === 1);
});

t.test('a user writing faster than TELEGRAM_USER_MESSAGES_PER_MIN is told once to wait; the rest are acknowledged, not answered; others are unaffected', async (t) => {
  const e = await setup(t, { TELEGRAM_USER_MESSAGES_PER_MIN: '1' });
  const { c, tg, op } = e;
  await c.call('POST', '/admin/faq', { token: op, body: { question: 'What are your opening hours?', answer: ANSWER, keywords: ['hours'] } });
  const bot = await createBot(e, { llm: { backend: 'faq' } });
  await running(e, bot.id);
  for (let i = 0; i < 4; i++) tg.userWrites(TOKEN_A, { chatId: 905, text: 'What are your opening hours?' });
  await until('all four acknowledged', () => tg.pending(TOKEN_A) === 0, 30_000);
  await until('the first answered in full', () => tg.botMessages(TOKEN_A, 905).some((m) => /anything else/.test(m.text ?? '')));
  const texts = tg.botMessages(TOKEN_A, 905).map((m) => m.text ?? '');
  t.equal(texts.length, 2, 'one answer and one notice, not four replies');
  t.ok(texts[0]!.startsWith(ANSWER));
  t.match(texts[1], /faster than I can answer\. Please wait \d+ s/);
  tg.userWrites(TOKEN_A, { chatId: 906, text: 'What are your opening hours?' });
  await until('another user is answered', () => lastBotText(tg, TOKEN_A, 906)?.startsWith(ANSWER));
  t.equal(tg.botMessages(TOKEN_A, 905).length, 2, 'nothing more was sent to the fast writer');
});

t.test('the secretary takes a message over several typed turns into the inbox, marked telegram with the chat', async (t) => {
  const e = await setup(t);
  const { c, tg, viewer } = e;
  const bot = await createBot(e, { llm: { backend: 'faq' } });
  await running(e, bot.id);
  const say = async (text: string, expect: RegExp) => {
    const before = tg.botMessages(TOKEN_A, 333).length;
    tg.userWrites(TOKEN_A, { chatId: 333, text });
    await until(`an answer to "${text}"`, () => tg.botMessages(TOKEN_A, 333).length > before && expect.test(lastBotText(tg, TOKEN_A, 333) ?? ''));
    await until('the answer complete', async () => (await c.cp.repos.chat.listSessions({ limit: 5, offset: 0 }, { source: 'telegram' })).length > 0 && (await botStatus(e, bot.id)).status.handling === 0);
  };
  await say('I would like to leave a message', /name/i);
  await say('Ann Smith', /number/i);
  await say('+1 555 123 4567', /message|reason|what/i);
  await say('Please call me back about my order', /right|correct|confirm|read/i);
  await say('yes', /pass|thank|deliver|recorded|sure/i);
  const inbox = await until('the message in the inbox', async () => (await c.call('GET', '/admin/messages?channel=telegram', { token: viewer })).body.items[0]);
  const session = (await c.cp.repos.chat.listSessions({ limit: 5, offset: 0 }, { source: 'telegram' }))[0]!;
  t.match(inbox, { channel: 'telegram', caller_name: 'Ann Smith', callback_number: '+15551234567', caller_id: 'telegram:333', session_id: session.id, links: { chat: `/admin/chat/sessions/${session.id}/messages` } });

  // GDPR: erasing the Telegram user removes their chat and the message they left.
  const admin = await c.userToken('adam', 'admin');
  const erased = await c.call('POST', '/admin/legal/erase', { token: admin, body: { subject: 'telegram:333', confirm: true } });
  t.equal(erased.status, 200, erased.text);
  t.equal((await c.cp.repos.chat.listSessions({ limit: 5, offset: 0 }, { source: 'telegram' })).length, 0, 'the session is gone');
  t.equal((await c.cp.db('chat_messages').where({ source: 'telegram' })).length, 0, 'its messages too');
  t.equal((await c.call('GET', '/admin/messages?channel=telegram', { token: viewer })).body.total, 0, 'and the message taken in it');
});

t.test('a refused token (401): that bot shows an error and is not retried; the other bot keeps answering', async (t) => {
  const e = await setup(t);
  const { c, tg } = e;
  const good = await createBot(e, { name: 'good', token: TOKEN_B, llm: { backend: 'faq' } });
  const bad = await createBot(e, { name: 'bad', token: BAD_TOKEN });
  await until('the bad bot in error', async () => (await botStatus(e, bad.id)).status.state === 'error');
  const status = (await botStatus(e, bad.id)).status;
  t.match(status, { state: 'error', next_retry_at: null, last_error: { message: /refused the bot token \(401\)/, error_id: /^[0-9a-f]{10}$/ } });
  t.notOk(JSON.stringify(status).includes('Unauthorized'), "Telegram's own words stay in the log");
  await running(e, good.id);
  tg.userWrites(TOKEN_B, { chatId: 11, text: '/help' });
  await until('the good bot answers', () => tg.botMessages(TOKEN_B, 11).length === 1);
  const tries = tg.requests.filter((r) => r.token === BAD_TOKEN).length;
  await until('the good bot polled a few more times', () => tg.requests.filter((r) => r.token === TOKEN_B && r.method === 'getUpdates').length >= 4);
  t.equal(tg.requests.filter((r) => r.token === BAD_TOKEN).length, tries, 'the refused token is not hammered');
  // Saving the right token restarts it.
  const fixed = await c.call('PATCH', `/admin/telegram/bots/${bad.id}`, { token: e.op, body: { token: TOKEN_A } });
  t.equal(fixed.status, 200);
  t.equal((await c.call('POST', `/admin/telegram/bots/${bad.id}/start`, { token: e.op })).status, 200);
  await running(e, bad.id);
});
