/**
 * grammy's Bot API client for one running bot, with the two rules every call of it keeps:
 *
 *  - Flood control: a 429 answer's `retry_after` holds back every request of this bot (not only
 *    the one refused) until it has passed, then the refused call is made again (a few times at
 *    most). Telegram counts limits per bot, so the next request never goes before retry_after.
 *  - A network that went away: calls that send something to a chat (messages, edits, voice notes)
 *    are tried again with a growing pause until they get through or the bot stops, so a reply
 *    being written when the link dropped arrives once it is back. getMe, getUpdates and the
 *    webhook calls are not retried here: the runner backs off itself and reports the bot's status.
 *
 * The token is part of every request URL, so neither it nor a network error's message (which may
 * quote that URL) is ever logged or shown: `describeApiError` turns a failure into our words and
 * the facts safe to log.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { Api, GrammyError, HttpError } from 'grammy';

export interface BotApiOptions {
  token: string;
  /** TELEGRAM_API_ROOT without a trailing slash. */
  apiRoot: string;
  /** Aborted when the bot stops: ends every wait and retry. */
  signal: AbortSignal;
  /** How long a sending call is retried through network failures (default 120 s). */
  sendRetryMs?: number;
  /** The longest pause between those retries (default 5 s). */
  maxRetryPauseMs?: number;
  /** Told about each 429 (the status shows it). */
  onFlood?: (retryAfterS: number) => void;
}

/** What a reply in progress needs: retried through a network cut. Everything else fails fast, for its caller (the runner) to report and retry. */
const RETRIED_THROUGH_CUTS = new Set(['sendMessage', 'editMessageText', 'sendVoice', 'getFile']);

/** Rate-limit answers obeyed for one call before it fails with the 429. */
const MAX_FLOOD_RETRIES = 5;
/** Long polls last up to 30 s; anything else far less. */
const REQUEST_TIMEOUT_S = 60;

export function createBotApi(o: BotApiOptions): Api {
  const api = new Api(o.token, { apiRoot: o.apiRoot, timeoutSeconds: REQUEST_TIMEOUT_S });
  let notBefore = 0;
  const sendRetryMs = o.sendRetryMs ?? 120_000;
  const maxPause = o.maxRetryPauseMs ?? 5000;
  api.config.use(async (prev, method, payload, signal) => {
    const started = Date.now();
    let floods = 0;
    for (let attempt = 0; ; attempt++) {
      const wait = notBefore - Date.now();
      if (wait > 0) await sleep(wait, undefined, { signal: o.signal });
      try {
        const res = await prev(method, payload, signal);
        if (!res.ok && res.error_code === 429 && floods < MAX_FLOOD_RETRIES && !o.signal.aborted) {
          const after = Math.max(1, Number(res.parameters?.retry_after) || 1);
          notBefore = Math.max(notBefore, Date.now() + after * 1000);
          floods++;
          o.onFlood?.(after);
          continue;
        }
        return res;
      } catch (err) {
        const retryable = err instanceof HttpError && RETRIED_THROUGH_CUTS.has(method) && !o.signal.aborted && !signal?.aborted && Date.now() - started < sendRetryMs;
        if (!retryable) throw err;
        await sleep(Math.min(maxPause, 250 * 2 ** Math.min(attempt, 10)), undefined, { signal: o.signal });
      }
    }
  });
  return api;
}

export interface DescribedApiError {
  /** For the admin and the log: what went wrong, in our words (never Telegram's text or the URL). */
  summary: string;
  /** Safe to log: the Bot API's error code and description, or the network error's code. */
  detail: Record<string, unknown>;
  /** A 401: the token is wrong or revoked; retrying cannot help. */
  unauthorized: boolean;
  /** A 409 from getUpdates: another poller or a webhook holds the bot. */
  conflict: boolean;
}

export function describeApiError(err: unknown): DescribedApiError {
  if (err instanceof GrammyError) {
    const detail = { method: err.method, error_code: err.error_code, description: err.description };
    const code = err.error_code;
    const summary =
      code === 401
        ? 'Telegram refused the bot token (401): check it with @BotFather and save it again'
        : code === 404
          ? 'Telegram does not know this bot (404): check the token'
          : code === 409
            ? 'another program is receiving this bot’s updates (409: a second gateway, or a webhook set elsewhere)'
            : code === 429
              ? 'Telegram kept asking the bot to slow down (429)'
              : code === 403
                ? 'Telegram does not let the bot write to this chat (403)'
                : `the Bot API refused ${err.method} (${code})`;
    return { summary, detail, unauthorized: code === 401 || code === 404, conflict: code === 409 };
  }
  if (err instanceof HttpError) {
    const cause = err.error as { code?: unknown; type?: unknown; name?: unknown } | undefined;
    const code = typeof cause?.code === 'string' ? cause.code : typeof cause?.type === 'string' ? cause.type : typeof cause?.name === 'string' ? cause.name : 'unknown';
    return { summary: `could not reach the Bot API (${code})`, detail: { network_error: code }, unauthorized: false, conflict: false };
  }
  const name = err instanceof Error ? err.name : typeof err;
  return { summary: `the bot failed (${name})`, detail: { error: name }, unauthorized: false, conflict: false };
}
