/**
 * Every Telegram bot of this gateway: one BotRunner per bot, started, stopped and restarted by the
 * admin API, and at gateway start for the bots that are enabled with auto-start. Runners are
 * independent: one bot failing (a refused token, Telegram unreachable, 429s) leaves the others
 * running; each retries or stops on its own (bot-runner.ts).
 *
 * Gateways sharing a Postgres database run each bot on one of them (bot-ownership.ts); the others
 * stand by and take over. An admin's change made through any gateway reaches the others through
 * the configuration change bus (`sync`): a bot disabled or deleted stops everywhere, a new token
 * or mode restarts it where it runs. Start, stop and restart act on the gateway that answers the
 * request: to stop a bot on every gateway, disable it.
 *
 * Domain errors (BotNotFoundError, BotDisabledError) are for the HTTP layer to map.
 */
import type { Update } from 'grammy/types';
import type { Logger } from 'pino';
import { tokenMatches } from '../auth/token-compare.ts';
import type { TelegramBot, TelegramBotsRepo } from '../repositories/telegram-bots.ts';
import type { BotConversation } from './bot-conversation.ts';
import type { BotOwnership } from './bot-ownership.ts';
import { BotRunner, type BotRunnerDeps, type BotRunStatus, type WebhookOutcome } from './bot-runner.ts';

export class BotNotFoundError extends Error {
  override name = 'BotNotFoundError';
}

export class BotDisabledError extends Error {
  override name = 'BotDisabledError';
}

export interface BotManagerOptions {
  repo: TelegramBotsRepo;
  conversation: BotConversation;
  apiRoot: string;
  publicBaseUrl: string | null;
  log: Logger;
  backoff: { minMs: number; maxMs: number };
  pollTimeoutS: number;
  graceMs: number;
  /** Chats one bot handles at the same time (default 8). */
  maxConcurrentChats?: number;
  /** Which gateway of a cluster runs each bot. */
  ownership: BotOwnership;
  /** How often a gateway standing by asks whether it may run a bot now. */
  standbyMs: number;
}

export type WebhookAnswer = 'handled' | 'unauthorized' | 'forbidden' | 'not_running';

export class TelegramBotManager {
  readonly #runners = new Map<number, BotRunner>();
  readonly #deps: BotRunnerDeps;
  #closed = false;
  /** Bots run once the gateway listens (startAutoStart); changes announced before that start none. */
  #started = false;

  constructor(private readonly o: BotManagerOptions) {
    this.#deps = {
      repo: o.repo,
      conversation: o.conversation,
      apiRoot: o.apiRoot,
      publicBaseUrl: o.publicBaseUrl,
      log: o.log,
      backoff: o.backoff,
      pollTimeoutS: o.pollTimeoutS,
      graceMs: o.graceMs,
      maxConcurrentChats: o.maxConcurrentChats ?? 8,
      ownership: o.ownership,
      standbyMs: o.standbyMs,
    };
  }

  get publicBaseUrl(): string | null {
    return this.o.publicBaseUrl;
  }

  #runner(id: number): BotRunner {
    let r = this.#runners.get(id);
    if (!r) this.#runners.set(id, (r = new BotRunner(id, this.#deps)));
    return r;
  }

  /** The enabled bots with auto-start (at gateway start and after a restore). Each starts on its own; none waits for another. */
  async startAutoStart(): Promise<number> {
    if (this.#closed) return 0;
    this.#started = true;
    const bots = (await this.o.repo.list()).filter((b) => b.enabled && b.auto_start);
    for (const b of bots) this.#runner(b.id).start();
    if (bots.length) this.o.log.info({ bots: bots.map((b) => b.id) }, 'telegram bots starting');
    return bots.length;
  }

  status(id: number): BotRunStatus {
    return this.#runners.get(id)?.status() ?? { state: 'stopped', since: null, next_retry_at: null, last_error: null, handling: 0 };
  }

  async start(id: number): Promise<void> {
    const bot = await this.#bot(id);
    if (!bot.enabled) throw new BotDisabledError('the bot is disabled: enable it first');
    if (this.#closed) return;
    this.#runner(id).start();
  }

  async stop(id: number): Promise<void> {
    await this.#bot(id);
    await this.#runners.get(id)?.stop();
  }

  async restart(id: number): Promise<void> {
    await this.stop(id);
    await this.start(id);
  }

  /**
   * After an admin's change: a disabled bot stops; a running one restarts when its token or mode
   * changed (`restart`), and otherwise handles its next updates with the new settings.
   */
  async changed(bot: TelegramBot, restart: boolean): Promise<void> {
    const r = this.#runners.get(bot.id);
    if (!r?.active) return;
    if (!bot.enabled) return r.stop();
    if (restart) {
      await r.stop();
      if (!this.#closed) r.start();
      return;
    }
    await r.refresh();
  }

  /**
   * The bots' rows may have changed through another gateway (the configuration change bus, or a
   * reload after it reconnected): every bot this gateway runs or stands by for is checked against
   * its row, as `changed` does for a change made here, and a bot added elsewhere with auto-start
   * is stood by for here too (this gateway takes it over should that one stop). A bot this
   * gateway has a runner for, stopped by an admin, stays stopped.
   */
  async sync(): Promise<void> {
    if (!this.#started || this.#closed) return;
    for (const b of await this.o.repo.list()) if (b.enabled && b.auto_start && !this.#runners.has(b.id)) this.#runner(b.id).start();
    for (const [id, r] of this.#runners) {
      if (!r.active) continue;
      const bot = await this.o.repo.get(id);
      if (!bot || !bot.enabled) await r.stop();
      else if (r.startedWith && (r.startedWith.mode !== bot.mode || r.startedWith.token !== (await this.o.repo.tokenOf(id)))) await this.changed(bot, true);
      else await r.refresh();
    }
  }

  /** Before the row goes: the runner stops (what it handles finishes) and is forgotten. */
  async removing(id: number): Promise<void> {
    await this.#runners.get(id)?.stop();
    this.#runners.delete(id);
  }

  /**
   * A webhook delivery: the secret header checked in constant time (a missing one is
   * `unauthorized`, a wrong one or an unknown bot `forbidden`), then handled to the end.
   */
  async webhook(id: number, secretHeader: string | undefined, update: Update): Promise<WebhookAnswer> {
    const secret = await this.o.repo.webhookSecretOf(id);
    if (secretHeader === undefined || secretHeader === '') return 'unauthorized';
    // Compared even for an unknown bot, so the answer's timing says nothing about which ids exist.
    const matches = tokenMatches(secretHeader, secret ?? 'no bot has this secret');
    if (!secret || !matches) return 'forbidden';
    const runner = this.#runners.get(id);
    const outcome: WebhookOutcome = runner ? await runner.deliver(update) : 'not_running';
    return outcome;
  }

  /**
   * Stops every bot (gracefully, all at once). `graceMs`: at process shutdown the gateway's own
   * SHUTDOWN_GRACE_MS, so a supervisor's stop timeout is not outlasted; what is cut short is redelivered.
   */
  async close(graceMs?: number): Promise<void> {
    this.#closed = true;
    await Promise.all([...this.#runners.values()].map((r) => r.stop(graceMs)));
    this.o.conversation.close();
    await this.o.ownership.close();
  }

  /** Stops every bot and starts the auto-start ones again (after a restore brought other rows). */
  async reload(): Promise<void> {
    await Promise.all([...this.#runners.values()].map((r) => r.stop()));
    this.#runners.clear();
    await this.startAutoStart();
  }

  async #bot(id: number): Promise<TelegramBot> {
    const bot = await this.o.repo.get(id);
    if (!bot) throw new BotNotFoundError('telegram bot not found');
    return bot;
  }
}
