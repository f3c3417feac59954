/**
 * Delivers the notification outbox: claims due rows (repositories/notification-outbox.ts), sends
 * each through its channel's sender, and writes the outcome: sent, tried again later (exponential
 * backoff with jitter, or when the target said), or failed for good.
 *
 * Woken at once when a message is queued (the journal handler calls `wake` after its commit), so
 * a reachable target hears within moments; a timer set to the next due retry or expiring lease,
 * and at most `pollMs` away, covers retries and rows queued by other gateways on the database.
 *
 * At-least-once: the row is claimed (attempt counted) before the send and settled after it, so a
 * crash in between leaves it claimed, and it is sent again, with the same idempotency key, by the
 * next life of this gateway at once (one process per data directory: its old leases are dead) or
 * by any gateway when the lease runs out. That gap is the only duplicate window.
 */
import type { Logger } from 'pino';
import { engineFailure } from '../../pipeline/engines/engine-error.ts';
import { dbErrorText, nowIso } from '../db/rows.ts';
import type { MessagesRepo } from '../repositories/messages.ts';
import type { NotificationChannelsRepo } from '../repositories/notification-channels.ts';
import type { Delivery, NotificationOutboxRepo } from '../repositories/notification-outbox.ts';
import { messageNotification } from './notification-content.ts';
import { DeliveryError, type NotificationSenders } from './notification-sender.ts';
import { retryDelayMs, type RetryPolicy } from './retry-policy.ts';

export interface DeliveryWorkerOptions {
  messages: MessagesRepo;
  channels: NotificationChannelsRepo;
  outbox: NotificationOutboxRepo;
  senders: NotificationSenders;
  retry: RetryPolicy;
  /** Prefix of the admin UI links in notifications (ADMIN_UI_URL), or null for bare paths. */
  uiBaseUrl: string | null;
  log: Logger;
  /** Deliveries in flight at once (default 4). */
  concurrency?: number;
  /** One attempt's limit (default 15 s); the lease is four times this. */
  sendTimeoutMs?: number;
  /** The longest sleep between looks at the outbox (default 15 s). */
  pollMs?: number;
  /** A wait longer than this that a target asks for (Retry-After) is cut to it (default 1 h). */
  maxRetryAfterMs?: number;
}

export interface DeliveryWorkerStats {
  in_flight: number;
  sent: number;
  retried: number;
  failed: number;
  /** The last time looking at the outbox failed (the database is away), if it still does. */
  poll_error: string | null;
}

export class DeliveryWorker {
  private owner: string | null = null;
  private stopped = false;
  private running = false;
  private again = false;
  private timer: NodeJS.Timeout | null = null;
  private readonly inFlight = new Set<Promise<void>>();
  private readonly abort = new AbortController();
  private readonly counters = { sent: 0, retried: 0, failed: 0 };
  private pollError: string | null = null;
  private readonly concurrency: number;
  private readonly sendTimeoutMs: number;
  private readonly pollMs: number;

  constructor(private readonly opts: DeliveryWorkerOptions) {
    this.concurrency = opts.concurrency ?? 4;
    this.sendTimeoutMs = opts.sendTimeoutMs ?? 15_000;
    this.pollMs = opts.pollMs ?? 15_000;
  }

  /**
   * Start delivering as `owner` (this gateway's node name, stable across its lives): rows an
   * earlier life claimed and never settled are due again at once.
   */
  async start(owner: string): Promise<void> {
    this.owner = owner;
    const released = await this.opts.outbox.releaseLeasesOf(owner).catch((err: Error) => {
      this.opts.log.error({ error: dbErrorText(err) }, 'notifications: could not release the deliveries an earlier run left claimed; they are retried when their lease runs out');
      return 0;
    });
    if (released) this.opts.log.warn({ deliveries: released }, 'notifications: deliveries cut short by a crash are sent again (with the same idempotency key)');
    this.wake();
  }

  /** Look at the outbox now (a message was queued, a delivery retried by hand). Safe to call any time. */
  wake(): void {
    if (this.stopped || this.owner === null) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    void this.run();
  }

  stats(): DeliveryWorkerStats {
    return { in_flight: this.inFlight.size, ...this.counters, poll_error: this.pollError };
  }

  /** Stop claiming, cut sends short, and wait (up to `timeoutMs`) for those in flight to settle. */
  async stop(timeoutMs = 3000): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const settled = Promise.allSettled([...this.inFlight]);
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)));
    // Sends get a moment to finish on their own before being aborted: one that completes is not sent twice.
    await Promise.race([settled, late]);
    this.abort.abort();
    await Promise.race([settled, new Promise((r) => setTimeout(r, 500))]);
    clearTimeout(timer);
  }

  private async run(): Promise<void> {
    let delay = this.pollMs;
    try {
      do {
        this.again = false;
        await this.claimAndSend();
      } while (this.again && !this.stopped);
      delay = await this.untilNextDue();
      if (this.pollError) this.opts.log.info('notifications: the outbox can be read again');
      this.pollError = null;
    } catch (err) {
      if (!this.pollError) this.opts.log.error({ error: dbErrorText(err) }, 'notifications: cannot read the outbox (database unavailable?); trying again');
      this.pollError = dbErrorText(err);
      delay = Math.min(this.pollMs, 2000);
    } finally {
      this.running = false;
    }
    if (this.stopped) return;
    if (this.again) return this.wake();
    this.timer = setTimeout(() => this.wake(), delay);
    this.timer.unref();
  }

  private async claimAndSend(): Promise<void> {
    const free = this.concurrency - this.inFlight.size;
    if (free <= 0) return;
    const leaseUntil = nowIso(Date.now() + this.sendTimeoutMs * 4);
    const rows = await this.opts.outbox.claimDue(this.owner!, leaseUntil, free);
    for (const row of rows) {
      const p: Promise<void> = this.deliver(row)
        .catch((err: Error) => this.opts.log.error({ err, delivery_id: row.id }, 'notifications: settling a delivery failed; it is tried again when its lease runs out'))
        .finally(() => {
          this.inFlight.delete(p);
          this.wake();
        });
      this.inFlight.add(p);
    }
    if (rows.length === free) this.again = true; // there may be more due
  }

  /** Milliseconds until the next row becomes claimable, at most pollMs. */
  private async untilNextDue(): Promise<number> {
    const at = await this.opts.outbox.nextDueAt();
    if (!at) return this.pollMs;
    return Math.min(this.pollMs, Math.max(0, Date.parse(at) - Date.now()) + 5);
  }

  private async deliver(row: Delivery): Promise<void> {
    const owner = this.owner!;
    const { outbox, log } = this.opts;
    const fields = { delivery_id: row.id, message_id: row.message_id, channel_id: row.channel_id, channel_type: row.channel_type, attempt: row.attempts };
    const message = await this.opts.messages.get(row.message_id);
    const channel = row.channel_id === null ? undefined : await this.opts.channels.get(row.channel_id);
    const gone = !message ? 'the message was deleted' : !channel ? 'the channel was deleted' : !channel.enabled ? 'the channel is disabled' : null;
    if (gone || !message || !channel) {
      await outbox.markFailed(row.id, owner, gone!);
      this.counters.failed++;
      log.warn({ ...fields, reason: gone }, 'notifications: delivery dropped');
      return;
    }
    const signal = AbortSignal.any([this.abort.signal, AbortSignal.timeout(this.sendTimeoutMs)]);
    let outcome: { ref: string | null } | { error: DeliveryError };
    try {
      const secret = await this.opts.channels.secretOf(channel.id).catch(() => {
        throw new DeliveryError('the stored secret cannot be decrypted (was SECRET_KEY changed?)', true);
      });
      outcome = { ref: await this.opts.senders[channel.type].send({ channel, secret }, messageNotification(message, this.opts.uiBaseUrl), { idempotencyKey: row.idempotency_key, signal }) };
    } catch (err) {
      outcome = { error: err instanceof DeliveryError ? err : new DeliveryError(engineFailure(log, 'notifications', 'the delivery failed unexpectedly', { ...fields, err }).message, false) };
    }
    if ('ref' in outcome) {
      if (await outbox.markSent(row.id, owner, outcome.ref)) {
        this.counters.sent++;
        log.info(fields, 'notifications: delivered');
      } else {
        log.warn(fields, 'notifications: delivered, but the lease had run out; another gateway may deliver it again (same idempotency key)');
      }
      return;
    }
    const { error } = outcome;
    const exhausted = row.attempts >= this.opts.retry.maxAttempts;
    if (error.permanent || exhausted) {
      const why = exhausted && !error.permanent ? `${error.message}; gave up after ${row.attempts} attempts` : error.message;
      if (await outbox.markFailed(row.id, owner, why)) this.counters.failed++;
      log.warn({ ...fields, error: why }, 'notifications: delivery failed for good');
      return;
    }
    const wait = error.retryAfterMs !== undefined ? Math.min(error.retryAfterMs, this.opts.maxRetryAfterMs ?? 3_600_000) : retryDelayMs(row.attempts, this.opts.retry);
    if (await outbox.markRetry(row.id, owner, nowIso(Date.now() + wait), error.message)) this.counters.retried++;
    log.info({ ...fields, error: error.message, retry_in_ms: wait }, 'notifications: delivery failed; trying again later');
  }
}
