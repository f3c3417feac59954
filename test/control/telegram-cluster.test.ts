/**
 * Two gateways on one Postgres run each Telegram bot once: one polls, the other stands by
 * (control/telegram/bot-ownership.ts: an advisory lock per bot). A bot added through one gateway
 * is stood by for on the other (the configuration change bus); when the running gateway stops,
 * the other takes over and answers; when the connection holding the lock breaks, the bot is
 * claimed again. Against the fake Bot API, which answers a second poller with 409 like Telegram.
 */
import t from 'tap';
import { startFakeTelegram } from '../fakes/fake-telegram.ts';
import { until } from '../helpers/until.ts';
import { startControl, type TestControl } from './helpers/control.ts';
import { PG_URL, testDatabase } from './helpers/database.ts';

const TOKEN = '3001:' + 'E'.repeat(35);
const ANSWER = 'We are open from nine to five, Monday to Friday.';

const status = async (c: TestControl, token: string, id: number) => (await c.call('GET', `/admin/telegram/bots/${id}`, { token })).body.status;

t.test('two gateways on one Postgres: one runs the bot, the other stands by and takes over', { skip: PG_URL ? false : 'needs TEST_DATABASE_URL' }, async (t) => {
  const tg = await startFakeTelegram({ tokens: [TOKEN] });
  const shared = await testDatabase('postgres');
  const ownDir = await testDatabase('sqlite');
  const env = {
    TELEGRAM_API_ROOT: tg.apiRoot,
    TELEGRAM_POLL_TIMEOUT_S: '1',
    TELEGRAM_REPLY_INTERVAL_MS: '200',
    TELEGRAM_BACKOFF_MIN_MS: '100',
    TELEGRAM_BACKOFF_MAX_MS: '400',
    TELEGRAM_STANDBY_CHECK_MS: '300',
    SECRET_KEY: 'a-secret-key-both-gateways-share-0123456789',
  };
  const a = await startControl(env, { db: shared });
  const b0 = await startControl(env, { db: { ...ownDir, databaseUrl: shared.databaseUrl, pgSchema: shared.pgSchema } });
  const stopped = new Set<TestControl>();
  t.teardown(async () => {
    for (const c of [a, b0]) if (!stopped.has(c)) await c.stop();
    await tg.close();
    await shared.cleanup();
    await ownDir.cleanup();
  });
  // As the gateways do once they listen (there is no bot yet).
  await a.cp.telegram.startAutoStart();
  await b0.cp.telegram.startAutoStart();
  const op = await a.userToken('olga', 'operator');
  await a.call('POST', '/admin/faq', { token: op, body: { question: 'What are your opening hours?', answer: ANSWER, keywords: ['hours', 'open'] } });
  const made = await a.call('POST', '/admin/telegram/bots', { token: op, body: { name: 'Desk', token: TOKEN, llm: { backend: 'faq' } } });
  t.equal(made.status, 201, made.text);
  const id = made.body.id as number;

  // A started it; B, told of the new bot, started too: whichever claimed it first runs it.
  const [owner, other, standby] = await until('one gateway runs the bot, the other stands by', async () => {
    const [sa, sb] = [await status(a, op, id), await status(b0, op, id)];
    if (sa.state === 'running' && sb.state === 'standby') return [a, b0, sb] as const;
    if (sb.state === 'running' && sa.state === 'standby') return [b0, a, sa] as const;
    return null;
  });
  t.ok(Date.parse(standby.next_retry_at) > 0, 'and says when it asks again');
  tg.userWrites(TOKEN, { chatId: 501, text: 'What are your opening hours?' });
  await until('answered', () => tg.botMessages(TOKEN, 501).at(-1)?.text === ANSWER);
  // A while of both gateways alive: the other never polls, so Telegram never answers anyone 409.
  await until('the other asked again a few times', async () => Date.parse((await status(other, op, id)).next_retry_at) > Date.parse(standby.next_retry_at) + 600);
  t.equal((await status(owner, op, id)).last_error, null, 'the owner was never knocked off');
  t.equal((await status(owner, op, id)).state, 'running');
  t.equal((await status(other, op, id)).state, 'standby');
  t.equal(tg.botMessages(TOKEN, 501).length, 1, 'answered once');

  // The owner stops (a deploy, a crash): the other takes the bot over and answers, from the saved offset.
  await owner.stop();
  stopped.add(owner);
  const b = other;
  await until('the other gateway runs the bot', async () => (await status(b, op, id)).state === 'running', { timeoutMs: 20_000 });
  tg.userWrites(TOKEN, { chatId: 502, text: 'When are you open?' });
  await until('answered by B', () => tg.botMessages(TOKEN, 502).at(-1)?.text === ANSWER);
  t.equal(tg.botMessages(TOKEN, 501).length, 1, 'the first question was not answered again');

  // The connection holding B's lock breaks: B notices, claims the bot again and goes on.
  const killed = await b.cp.db.raw(
    `select pg_terminate_backend(pid) as ok from pg_locks where locktype = 'advisory' and objsubid = 2 and objid::bigint = ? and classid::bigint = (hashtext(current_schema() || '.telegram_bots')::bigint & 4294967295)`,
    [id],
  );
  t.equal(killed.rows.length, 1, 'one connection held the bot\u2019s lock');
  const again = await until('B runs the bot again after the lost lock', async () => {
    const s = await status(b, op, id);
    return s.state === 'running' && s.last_error ? s : null;
  }, { timeoutMs: 20_000 });
  t.match(again.last_error.message, 'the database connection that marked this gateway as the bot\u2019s runner broke');
  tg.userWrites(TOKEN, { chatId: 503, text: 'Are you open on Monday?' });
  await until('answered after the lock came back', () => tg.botMessages(TOKEN, 503).at(-1)?.text === ANSWER);

  // Disabled through B: stopped (and nothing stands by for it).
  t.equal((await b.call('PATCH', `/admin/telegram/bots/${id}`, { token: op, body: { enabled: false } })).status, 200);
  t.equal((await status(b, op, id)).state, 'stopped');
});
