/**
 * Owner notifications through one of the owner's configured Telegram bots: a notification channel
 * names the bot (`bot_id`) instead of carrying a token, and the real delivery worker sends
 * through the fake Bot API with the bot's token as it is at that moment. A changed token is used
 * at once; deleting a bot that channels use is refused; a bot gone anyway fails the delivery for
 * good with the reason. On SQLite, and on Postgres when TEST_DATABASE_URL is set.
 */
import t from 'tap';
import type { TakenMessage } from '../../pipeline/dialogue/message-store.ts';
import { startFakeTelegram } from '../fakes/fake-telegram.ts';
import { until } from '../helpers/until.ts';
import { startControl, type TestControl } from './helpers/control.ts';
import { testEngines } from './helpers/database.ts';

const TOKEN_A = '2001:' + 'A'.repeat(35);
const TOKEN_B = '2002:' + 'B'.repeat(35);
const OWN_TOKEN = '2003:' + 'C'.repeat(35);

const message = (reason: string): TakenMessage => ({
  kind: 'message',
  channel: 'telegram',
  sessionId: 7,
  callerName: 'Ann',
  callbackNumber: '+1 555 000 1111',
  reason,
  language: 'en',
  createdAt: new Date().toISOString(),
});

/** The delivery of the message with `reason`, once it is settled (sent or failed). */
async function settledDelivery(c: TestControl, admin: string, reason: string) {
  return until(`the delivery of "${reason}" settled`, async () => {
    const items = (await c.call('GET', '/admin/messages', { token: admin })).body.items as Array<{ id: string; reason: string }>;
    const m = items.find((x) => x.reason === reason);
    if (!m) return null;
    const d = (await c.call('GET', `/admin/messages/${m.id}`, { token: admin })).body.deliveries[0];
    return d && (d.status === 'sent' || d.status === 'failed') ? d : null;
  });
}

for (const engine of testEngines()) {
  t.test(`${engine}: a channel sends through a configured bot with the bot's current token; deleting a used bot is refused; a bot gone fails for good`, async (t) => {
    const tg = await startFakeTelegram({ tokens: [TOKEN_A, TOKEN_B, OWN_TOKEN] });
    const c = await startControl({ TELEGRAM_API_ROOT: tg.apiRoot, NOTIFY_RETRY_MIN_MS: '200', NOTIFY_RETRY_MAX_MS: '400' }, { engine });
    t.teardown(async () => {
      await c.stop();
      await tg.close();
    });
    const admin = await c.userToken('adam', 'admin');
    const bot = await c.call('POST', '/admin/telegram/bots', { token: admin, body: { name: 'Desk', token: TOKEN_A, auto_start: false } });
    t.equal(bot.status, 201, bot.text);
    const create = (body: object) => c.call('POST', '/admin/notifications/channels', { token: admin, body });

    const both = await create({ type: 'telegram', name: 'X', chat_id: '1', bot_token: OWN_TOKEN, bot_id: bot.body.id });
    t.equal(both.status, 400);
    t.match(both.body.error.message, 'bot_id: give bot_token or bot_id, not both');
    const neither = await create({ type: 'telegram', name: 'X', chat_id: '1' });
    t.equal(neither.status, 400);
    t.match(neither.body.error.message, 'give bot_token (a token from @BotFather) or bot_id (a configured bot)');
    const unknown = await create({ type: 'telegram', name: 'X', chat_id: '1', bot_id: bot.body.id + 100 });
    t.equal(unknown.status, 404);
    t.equal(unknown.body.error.code, 'not_found');
    t.equal((await create({ type: 'sms', name: 'S', to: '+4915100000000', bot_id: bot.body.id })).status, 400, 'bot_id is a Telegram field');

    const channel = await create({ type: 'telegram', name: 'Owner', chat_id: '4242', bot_id: bot.body.id });
    t.equal(channel.status, 201, channel.text);
    t.match(channel.body, { type: 'telegram', chat_id: '4242', bot_id: bot.body.id, has_bot_token: false });
    t.notMatch(channel.text, 'AAAAAAAAAA', 'no token in the answer');

    await c.cp.messages.save(message('first'));
    t.match(await settledDelivery(c, admin, 'first'), { status: 'sent', attempts: 1, external_ref: /^telegram:\d+$/ });
    t.equal(tg.sent.at(-1)!.token, TOKEN_A, 'sent with the bot\u2019s token');
    t.equal(tg.sent.at(-1)!.body.chat_id, 4242);

    // The bot gets a new token: the very next notification uses it, without a restart of anything.
    t.equal((await c.call('PATCH', `/admin/telegram/bots/${bot.body.id}`, { token: admin, body: { token: TOKEN_B } })).status, 200);
    await c.cp.messages.save(message('second'));
    t.match(await settledDelivery(c, admin, 'second'), { status: 'sent' });
    t.equal(tg.sent.at(-1)!.token, TOKEN_B, 'the bot\u2019s new token');
    const test = await c.call('POST', `/admin/notifications/channels/${channel.body.id}/test`, { token: admin });
    t.match(test.body, { ok: true, ref: /^telegram:\d+$/ }, 'the test action goes through the bot too');
    t.equal(tg.sent.at(-1)!.token, TOKEN_B);

    const refused = await c.call('DELETE', `/admin/telegram/bots/${bot.body.id}`, { token: admin });
    t.equal(refused.status, 409);
    t.match(refused.body.error, { code: 'bot_in_use', message: /\("Owner"\)/, details: { channel_ids: [channel.body.id] } });
    t.ok(await c.cp.repos.telegramBots.get(bot.body.id), 'the bot is still there');

    // Its own token instead: the bot is forgotten (and can go); back to the bot: the token is forgotten.
    const own = await c.call('PATCH', `/admin/notifications/channels/${channel.body.id}`, { token: admin, body: { bot_token: OWN_TOKEN } });
    t.match(own.body, { bot_id: null, has_bot_token: true });
    const back = await c.call('PATCH', `/admin/notifications/channels/${channel.body.id}`, { token: admin, body: { bot_id: bot.body.id } });
    t.match(back.body, { bot_id: bot.body.id, has_bot_token: false });
    t.equal(await c.cp.repos.notificationChannels.secretOf(channel.body.id), null, 'the channel\u2019s own token is gone');

    // A bot gone anyway (a race with the check, a hand-edited database): the delivery fails for good, saying why.
    await c.cp.db('telegram_bots').where({ id: bot.body.id }).delete();
    const before = tg.requests.length;
    await c.cp.messages.save(message('third'));
    const failed = await settledDelivery(c, admin, 'third');
    t.match(failed, { status: 'failed', attempts: 1, next_attempt_at: null });
    t.equal(failed.last_error, `the Telegram bot this channel sends through (bot ${bot.body.id}) was deleted: choose another bot or enter a bot token`);
    t.equal(tg.requests.length, before, 'nothing was sent');

    const audit = (await c.call('GET', '/admin/audit?action=telegram_bots.delete', { token: admin })).body.items;
    t.match(audit, [{ action: 'telegram_bots.delete', status: 409 }], 'the refused delete is audited');
  });
}
