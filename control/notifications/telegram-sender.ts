/**
 * Telegram through grammy's Bot API client (`new Api(token, { apiRoot })`): `sendMessage` to the
 * channel's chat, in plain text (no parse_mode, so a caller's words are never read as markup).
 *
 * The token is the channel's own, or, when the channel names a configured bot (`bot_id`), that
 * bot's, read and decrypted at each send: a bot given a new token sends with it at once. A bot
 * that is gone, or whose token does not decrypt, fails the delivery for good with that reason
 * (no retry brings the bot back); the admin API refuses to delete a bot that channels use.
 *
 * The token is part of every request URL, so neither it nor the network error (whose message
 * quotes that URL) is ever logged or shown: a failure is logged as the Bot API's error code and
 * description, or the network error's code, under an error id. 429 waits as long as Telegram's
 * `retry_after` says; a refused token (401), a bot barred from the chat (403) and a request the
 * Bot API rejects (400: an unknown chat id) fail at once, as no retry can fix them.
 */
import { Api, GrammyError, HttpError } from 'grammy';
import { engineFailure, type EngineLog } from '../../pipeline/engines/engine-error.ts';
import { DeliveryError, type NotificationSender } from './notification-sender.ts';

/** A configured bot as the sender needs it: null when no such bot exists; `token` null when none decrypts. */
export type ConfiguredBotToken = { name: string; token: string | null } | null;

export interface TelegramSenderOptions {
  /** The Bot API's address (TELEGRAM_API_ROOT; a local Bot API server, or a fake in tests). */
  apiRoot: string;
  log: EngineLog;
  timeoutMs: number;
  /** The token of a configured bot (telegram_bots), decrypted, at the moment of sending. */
  botToken(botId: number): Promise<ConfiguredBotToken>;
}

const PERMANENT: Record<number, string> = {
  400: 'the Bot API refused the request (400; an unknown chat id?)',
  401: 'the bot token was refused (401)',
  403: 'the bot may not write to this chat (403; blocked, or not a member?)',
  404: 'the Bot API does not know this bot (404)',
};

/** A chat id: numeric ids go as numbers, `@channel` names as they are. */
export const telegramChatId = (target: string): number | string => (/^-?\d{1,16}$/.test(target) ? Number(target) : target);

export function telegramSender(opts: TelegramSenderOptions): NotificationSender {
  const fail = (summary: string, detail: Record<string, unknown>, permanent: boolean, retryAfterMs?: number) =>
    new DeliveryError(engineFailure(opts.log, 'telegram', summary, detail).message, permanent, retryAfterMs);
  return {
    async send({ channel, secret }, content, { signal }) {
      let token = secret;
      if (channel.bot_id !== null) {
        const bot = await opts.botToken(channel.bot_id);
        if (!bot) throw new DeliveryError(`the Telegram bot this channel sends through (bot ${channel.bot_id}) was deleted: choose another bot or enter a bot token`, true);
        if (!bot.token) throw new DeliveryError(`the token of the Telegram bot "${bot.name}" cannot be decrypted (saved under another SECRET_KEY?): enter it again`, true);
        token = bot.token;
      }
      if (!token) throw new DeliveryError('no bot token is stored for this channel', true);
      const api = new Api(token, { apiRoot: opts.apiRoot, timeoutSeconds: Math.max(1, Math.ceil(opts.timeoutMs / 1000)) });
      try {
        // grammy types its signal as the abort-controller shim's; Node's own is what node-fetch takes.
        const abort = signal as unknown as Parameters<Api['sendMessage']>[3];
        const sent = await api.sendMessage(telegramChatId(channel.target), content.text, { link_preview_options: { is_disabled: true } }, abort);
        return `telegram:${sent.message_id}`;
      } catch (err) {
        if (err instanceof GrammyError) {
          const detail = { channel_id: channel.id, error_code: err.error_code, description: err.description };
          if (err.error_code === 429) {
            const after = Math.max(1, Number(err.parameters.retry_after) || 1);
            throw fail(`the Bot API asks to wait ${after} s (429)`, detail, false, after * 1000);
          }
          const permanent = PERMANENT[err.error_code];
          if (permanent) throw fail(permanent, detail, true);
          throw fail(`the Bot API answered ${err.error_code}`, detail, false);
        }
        if (signal.aborted) throw new DeliveryError('the Bot API did not answer in time', false);
        const cause = err instanceof HttpError ? (err.error as { code?: unknown; type?: unknown } | undefined) : undefined;
        const code = typeof cause?.code === 'string' ? cause.code : typeof cause?.type === 'string' ? cause.type : 'unknown';
        // Never the error itself: its message quotes the request URL, token included.
        throw fail(`could not reach the Bot API (${code})`, { channel_id: channel.id, network_error: code }, false);
      }
    },
  };
}
