/**
 * One bot's life: start (getMe, then getUpdates long polling or setWebhook), run, fail and retry,
 * stop. Its state is a union whose members carry only what exists in them, set in one place
 * (`#set`), like gateway/ws/voice-connection.ts:
 *
 *   stopped    nothing runs
 *   starting   claiming the bot (bot-ownership.ts), asking Telegram who it is, setting the webhook
 *   standby    another gateway on this database runs the bot; asked again every standbyMs, so
 *              this one takes over when that one stops or dies
 *   running    updates are received and handled
 *   retrying   it failed (network down, Telegram 5xx, 409 from a second poller): tried again
 *              after a pause that doubles from TELEGRAM_BACKOFF_MIN_MS up to _MAX_MS
 *   failed     stopped for good until an admin acts: Telegram refused the token (401/404), no
 *              token is stored or it does not decrypt, or webhook mode without PUBLIC_BASE_URL.
 *              A refused token is not retried: hammering Telegram with it helps nobody.
 *
 * Updates are handled through a ChatQueue (one chat in order, chats concurrently). In webhook mode
 * the route hands each update to `deliver`, which answers once it is handled (Telegram sends it
 * again on anything but a 2xx, and the same update_id arriving while it is handled waits for it).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Api } from 'grammy';
import type { Update } from 'grammy/types';
import type { Logger } from 'pino';
import { engineFailure } from '../../pipeline/engines/engine-error.ts';
import type { TelegramBot, TelegramBotsRepo } from '../repositories/telegram-bots.ts';
import { createBotApi, describeApiError } from './bot-api.ts';
import type { BotConversation, BotHandle } from './bot-conversation.ts';
import type { BotClaim, BotOwnership } from './bot-ownership.ts';
import { ChatQueue } from './chat-queue.ts';
import { UpdatePoller } from './update-poller.ts';

export interface BotRunnerDeps {
  repo: TelegramBotsRepo;
  conversation: BotConversation;
  apiRoot: string;
  /** PUBLIC_BASE_URL: where Telegram reaches this gateway (webhook mode); null when not set. */
  publicBaseUrl: string | null;
  log: Logger;
  backoff: { minMs: number; maxMs: number };
  pollTimeoutS: number;
  /** How long a stop waits for updates being handled. */
  graceMs: number;
  maxConcurrentChats: number;
  /** Which gateway of a cluster runs the bot. */
  ownership: BotOwnership;
  /** How often a gateway standing by asks whether it may run the bot now. */
  standbyMs: number;
}

export interface BotFailure {
  /** Our words; never Telegram's text. */
  message: string;
  error_id: string;
  at: string;
}

type RunState =
  | { status: 'stopped' }
  | { status: 'starting'; since: string }
  | { status: 'standby'; since: string; checkAt: string }
  | { status: 'running'; since: string; mode: TelegramBot['mode'] }
  | { status: 'retrying'; attempt: number; retryAt: string }
  | { status: 'failed' };

export interface BotRunStatus {
  /**
   * `error` covers both a bot waiting to retry (`next_retry_at`) and one stopped by an error;
   * `standby`: another gateway on this database runs it (this one asks again at `next_retry_at`).
   */
  state: 'stopped' | 'starting' | 'standby' | 'running' | 'error';
  since: string | null;
  next_retry_at: string | null;
  last_error: BotFailure | null;
  /** Updates being handled now. */
  handling: number;
}

/** The path Telegram POSTs a bot's updates to. */
export const webhookPath = (botId: number): string => `/telegram/webhook/${botId}`;

class PermanentFailure extends Error {
  override name = 'PermanentFailure';
}

/** The bot's row says it should not run (disabled or deleted through another gateway): it stops, no error. */
class NotToRun extends Error {
  override name = 'NotToRun';
}

export type WebhookOutcome = 'handled' | 'not_running';

interface Life {
  stop: AbortController;
  /**
   * Of the current run (one claim of the bot): aborted when a stop's grace period is over, so
   * handling in progress ends, unacknowledged. A new run gets a new one.
   */
  abortHandling: AbortController;
  done: Promise<void>;
  handle: BotHandle | null;
  /** A failed poller's updates in flight finishing and their acknowledgement saved. */
  settling: Promise<void>;
  /** How long a stop lets updates in flight finish: the bot's grace, or less when the process is shutting down. */
  graceMs: number;
}

export class BotRunner {
  #state: RunState = { status: 'stopped' };
  #lastError: BotFailure | null = null;
  #life: Life | null = null;
  readonly #queue: ChatQueue;
  /** Webhook deliveries being handled, by update_id (Telegram may send one again before we answer). */
  readonly #delivering = new Map<number, Promise<void>>();
  /** Update ids handled lately through the webhook, oldest first (answered 200 again without handling). */
  readonly #recent: number[] = [];
  readonly #log: Logger;

  constructor(
    readonly botId: number,
    private readonly deps: BotRunnerDeps,
  ) {
    this.#queue = new ChatQueue(deps.maxConcurrentChats);
    this.#log = deps.log.child({ bot_id: botId });
  }

  get active(): boolean {
    return this.#life !== null;
  }

  /** The token and mode of the run under way (null while none runs here): a change to either restarts it. */
  get startedWith(): { token: string; mode: TelegramBot['mode'] } | null {
    const h = this.#life?.handle;
    return h ? { token: h.token, mode: h.bot.mode } : null;
  }

  status(): BotRunStatus {
    const s = this.#state;
    return {
      state: s.status === 'retrying' || s.status === 'failed' ? 'error' : s.status,
      since: s.status === 'running' || s.status === 'starting' || s.status === 'standby' ? s.since : null,
      next_retry_at: s.status === 'retrying' ? s.retryAt : s.status === 'standby' ? s.checkAt : null,
      last_error: this.#lastError,
      handling: this.#queue.size,
    };
  }

  /** Starts the bot unless it runs already. */
  start(): void {
    if (this.#life) return;
    const stop = new AbortController();
    const abortHandling = new AbortController();
    const life: Life = { stop, abortHandling, done: Promise.resolve(), handle: null, settling: Promise.resolve(), graceMs: this.deps.graceMs };
    this.#life = life;
    life.done = this.#run(life).finally(() => {
      if (this.#life === life) this.#life = null;
    });
  }

  /**
   * Graceful: updates being handled finish (up to the grace period, or `graceMs` when shorter), the
   * last offset reaches Telegram. Updates cut short are not acknowledged: Telegram sends them again.
   */
  async stop(graceMs = this.deps.graceMs): Promise<void> {
    const life = this.#life;
    if (!life) return;
    life.graceMs = Math.min(life.graceMs, graceMs);
    life.stop.abort();
    await life.done;
    if (this.#state.status !== 'failed') this.#set({ status: 'stopped' });
  }

  /** The settings the next updates are handled with (an admin changed the bot). */
  async refresh(): Promise<void> {
    const h = this.#life?.handle;
    if (!h) return;
    const bot = await this.deps.repo.get(this.botId);
    if (bot) h.bot = bot;
  }

  /** A webhook delivery: resolves once handled ('handled'), or at once when the bot is not receiving by webhook. */
  async deliver(update: Update): Promise<WebhookOutcome> {
    const life = this.#life;
    const h = life?.handle;
    if (!life || !h || life.stop.signal.aborted || this.#state.status !== 'running' || this.#state.mode !== 'webhook') return 'not_running';
    const id = update.update_id;
    if (this.#recent.includes(id)) return 'handled';
    let work = this.#delivering.get(id);
    if (!work) {
      work = this.#handle(h, update).finally(() => this.#delivering.delete(id));
      this.#delivering.set(id, work);
    }
    await work;
    if (h.signal.aborted) return 'not_running'; // cut off by a stop: Telegram sends it again
    this.#recent.push(id);
    if (this.#recent.length > 1000) this.#recent.shift();
    return 'handled';
  }

  #set(s: RunState): void {
    this.#state = s;
  }

  #fail(summary: string, detail: Record<string, unknown>): BotFailure {
    const e = engineFailure(this.#log, 'telegram', `bot ${this.botId}: ${summary}`, detail);
    const failure = { message: summary, error_id: e.errorId, at: new Date().toISOString() };
    this.#lastError = failure;
    return failure;
  }

  async #run(life: Life): Promise<void> {
    const { stop } = life;
    let attempt = 0;
    let standby = false;
    while (!stop.signal.aborted) {
      if (!standby) this.#set({ status: 'starting', since: new Date().toISOString() });
      let claim: BotClaim | null = null;
      try {
        claim = await this.deps.ownership.claim(this.botId);
        if (!claim) {
          // Another gateway runs it. Not an error: the status says so, and this one asks again later.
          if (!standby) this.#log.info('telegram bot runs on another gateway of this database; standing by');
          const since = this.#state.status === 'standby' ? this.#state.since : new Date().toISOString();
          this.#set({ status: 'standby', since, checkAt: new Date(Date.now() + this.deps.standbyMs).toISOString() });
          standby = true;
          await sleep(this.deps.standbyMs, undefined, { signal: stop.signal }).catch(() => {});
          continue;
        }
        standby = false;
        await this.#once(life, claim, () => {
          attempt = 0;
        });
        if (stop.signal.aborted) break;
        if (claim.lost.aborted) {
          this.#fail('the database connection that marked this gateway as the bot’s runner broke; claiming the bot again', {});
          await this.#queue.idle(); // what is still being handled finishes before a new run polls
        }
      } catch (err) {
        standby = false;
        if (stop.signal.aborted) break;
        if (err instanceof NotToRun) {
          this.#set({ status: 'stopped' });
          return;
        }
        if (err instanceof PermanentFailure) {
          this.#fail(err.message, {});
          this.#set({ status: 'failed' });
          return;
        }
        const d = describeApiError(err);
        this.#fail(d.summary, d.detail);
        if (d.unauthorized) {
          this.#set({ status: 'failed' });
          return;
        }
        attempt++;
        const base = Math.min(this.deps.backoff.maxMs, this.deps.backoff.minMs * 2 ** Math.min(attempt - 1, 20));
        const pause = Math.round(base * (0.8 + Math.random() * 0.2));
        this.#set({ status: 'retrying', attempt, retryAt: new Date(Date.now() + pause).toISOString() });
        // Updates still being handled finish first (they retry their own sends) and their offset
        // is saved: a new poll starting from the saved offset would otherwise get them again.
        await Promise.all([sleep(pause, undefined, { signal: stop.signal }).catch(() => {}), this.#queue.idle(), life.settling]);
      } finally {
        // After the run: its last offset is saved and sent, so the next runner starts after it.
        await claim?.release();
      }
    }
    await this.#drain(life);
  }

  /**
   * One run under a claim, until stopped, the claim lost, or failed. `healthy` is called whenever
   * Telegram answered as it should.
   */
  async #once(life: Life, claim: BotClaim, healthy: () => void): Promise<void> {
    const bot = await this.deps.repo.get(this.botId);
    if (!bot || !bot.enabled) throw new NotToRun();
    const token = await this.deps.repo.tokenOf(this.botId);
    if (!token) throw new PermanentFailure('no usable token is stored (saved under another SECRET_KEY?): enter the token again');
    if (bot.mode === 'webhook' && !this.deps.publicBaseUrl) throw new PermanentFailure('webhook mode needs PUBLIC_BASE_URL (the address Telegram reaches this gateway at)');
    const abortHandling = new AbortController();
    life.abortHandling = abortHandling;
    /** Ends this run: the bot is stopped, or another gateway may run it now. */
    const ending = AbortSignal.any([life.stop.signal, claim.lost]);
    const api = createBotApi({ token, apiRoot: this.deps.apiRoot, signal: abortHandling.signal });
    const signal = ending as Parameters<Api['getMe']>[0];
    const me = await api.getMe(signal);
    healthy();
    if (bot.bot_user_id !== String(me.id) || bot.username !== (me.username ?? '')) {
      await this.deps.repo.setIdentity(this.botId, { bot_user_id: String(me.id), username: me.username ?? '' });
    }
    const handle: BotHandle = { bot: { ...bot, bot_user_id: String(me.id), username: me.username ?? null }, api, token, username: me.username ?? '', signal: abortHandling.signal };
    if (bot.mode === 'webhook') {
      const secret = await this.deps.repo.webhookSecretOf(this.botId);
      if (!secret) throw new PermanentFailure('the webhook secret does not decrypt (saved under another SECRET_KEY?): save the bot again');
      await api.setWebhook(this.deps.publicBaseUrl!.replace(/\/+$/, '') + webhookPath(this.botId), { secret_token: secret, allowed_updates: ['message'], max_connections: 40 }, signal as never);
      life.handle = handle;
      this.#set({ status: 'running', since: new Date().toISOString(), mode: 'webhook' });
      await new Promise<void>((resolve) => (ending.aborted ? resolve() : ending.addEventListener('abort', () => resolve(), { once: true })));
      await this.#drain(life);
      // The gateway that claimed the bot since may have set its own webhook: not ours to delete.
      if (claim.lost.aborted) return;
      // Telegram keeps updates while no webhook is set, for the next start (by webhook or polling).
      await api.deleteWebhook({ drop_pending_updates: false }, AbortSignal.timeout(5000) as never).catch(() => {});
      return;
    }
    // getUpdates answers 409 while a webhook is set (by us earlier, or by someone else).
    await api.deleteWebhook({ drop_pending_updates: false }, signal as never);
    const poller = new UpdatePoller({
      api,
      startOffset: await this.deps.repo.updateOffset(this.botId),
      handle: (u) => this.#handle(handle, u),
      saveOffset: (offset) => this.deps.repo.setUpdateOffset(this.botId, offset, String(me.id)),
      onPoll: (fresh) => {
        healthy();
        if (this.#state.status !== 'running') this.#set({ status: 'running', since: new Date().toISOString(), mode: 'polling' });
        if (fresh) void this.deps.repo.touchLastUpdate(this.botId).catch(() => {});
      },
      timeoutS: this.deps.pollTimeoutS,
      abortHandling,
    });
    life.handle = handle;
    const stopPoller = () => void poller.stop(life.graceMs);
    if (ending.aborted) stopPoller();
    else ending.addEventListener('abort', stopPoller, { once: true });
    this.#set({ status: 'running', since: new Date().toISOString(), mode: 'polling' });
    try {
      await poller.run();
    } catch (err) {
      life.settling = poller.settle(); // awaited before a retry's new poller reads the saved offset
      throw err;
    } finally {
      ending.removeEventListener('abort', stopPoller);
    }
    // Stopped: the graceful part (updates in flight, the final offset) is poller.stop's, already under way.
    await poller.stop(life.graceMs);
  }

  /** Stop of a webhook bot: deliveries in flight finish, up to the grace period. */
  async #drain(life: Life): Promise<void> {
    const cancel = new AbortController();
    const late = await Promise.race([this.#queue.idle().then(() => false), sleep(life.graceMs, true, { signal: cancel.signal }).catch(() => false)]);
    cancel.abort();
    if (late) {
      life.abortHandling.abort();
      await this.#queue.idle();
    }
  }

  #handle(h: BotHandle, u: Update): Promise<void> {
    const chat = u.message?.chat.id ?? 0;
    if (this.#life?.handle === h && h.bot.mode === 'webhook') void this.deps.repo.touchLastUpdate(this.botId).catch(() => {});
    return this.#queue.run(String(chat), async () => {
      if (h.signal.aborted) throw new Error('stopped');
      await this.deps.conversation.handle(h, u);
    });
  }
}
