/**
 * getUpdates long polling that acknowledges only what was handled. Telegram forgets every update
 * below the `offset` of a getUpdates call, so the offset sent is never past an update still being
 * handled: it is the lowest update id in flight, or one past the highest id seen when none is.
 * (grammy's Bot.start() advances the offset past a whole batch before handling it; this loop is
 * written over grammy's Api instead, for this rule.)
 *
 *  - Updates are handled concurrently across chats and in order within a chat (ChatQueue); a poll
 *    that returns only updates already in flight waits for one of them to finish (or a second)
 *    rather than asking again at once.
 *  - When an update finishes and the offset can move, the long poll under way is cut short and a
 *    new one sent with the new offset, so Telegram hears of it at once, not 30 s later.
 *  - The offset is also saved (`saveOffset`), and updates below the saved one are skipped after a
 *    restart: one handled just before the process died is not answered twice.
 *  - Stopping (`stop`): no new poll; the updates in flight finish (up to `graceMs`, after which
 *    their handling is aborted and they stay unacknowledged, so they come again); then one last
 *    getUpdates with the final offset tells Telegram what was handled.
 *
 * A failed getUpdates (network, 5xx, 401, 409) ends `run` with the error; the runner decides
 * about retrying. 429s are waited out inside the client (bot-api.ts).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Api } from 'grammy';
import type { Update } from 'grammy/types';

export interface UpdatePollerOptions {
  api: Api;
  /** Updates below it were handled in an earlier life (null: none known). */
  startOffset: number | null;
  /** Handles one update completely; a rejection is logged by the caller and the update counts as handled, unless `abortHandling` fired. */
  handle(update: Update): Promise<void>;
  /** Persists the acknowledgement. */
  saveOffset(offset: number): Promise<void>;
  /** A poll succeeded (the bot is healthy) and how many new updates it brought. */
  onPoll?(fresh: number): void;
  /** Long-poll timeout in seconds (default 30). */
  timeoutS?: number;
  /** Aborted when handling must stop now (the grace period of a stop is over). */
  abortHandling: AbortController;
}

type Signal = Parameters<Api['getUpdates']>[1];

export class UpdatePoller {
  /** Every update below it was handled. */
  #ack: number;
  #maxSeen: number;
  readonly #inFlight = new Map<number, Promise<void>>();
  /** Finished updates at or above #ack (some lower one is still in flight). */
  readonly #done = new Set<number>();
  readonly #stopping = new AbortController();
  #poll: AbortController | null = null;
  #saving: Promise<void> = Promise.resolve();
  #savedAck: number;
  #running: Promise<void> | null = null;
  #stopped: Promise<void> | null = null;

  constructor(private readonly o: UpdatePollerOptions) {
    this.#ack = o.startOffset ?? 0;
    this.#savedAck = this.#ack;
    this.#maxSeen = this.#ack - 1;
  }

  /** Updates below this have been handled. */
  get offset(): number {
    return this.#ack;
  }

  get inFlight(): number {
    return this.#inFlight.size;
  }

  /** Polls until stopped (resolves) or getUpdates fails (rejects; updates in flight keep running). */
  run(): Promise<void> {
    return (this.#running ??= this.#loop());
  }

  async #loop(): Promise<void> {
    const timeout = this.o.timeoutS ?? 30;
    while (!this.#stopping.signal.aborted) {
      const poll = new AbortController();
      this.#poll = poll;
      const stop = () => poll.abort();
      this.#stopping.signal.addEventListener('abort', stop, { once: true });
      let updates: Update[];
      try {
        updates = await this.o.api.getUpdates(
          { offset: this.#ack > 0 ? this.#ack : undefined, timeout: this.#inFlight.size ? 0 : timeout, limit: 100, allowed_updates: ['message'] },
          poll.signal as Signal,
        );
      } catch (err) {
        if (this.#stopping.signal.aborted) break;
        if (poll.signal.aborted) continue; // cut short to send a new offset
        throw err;
      } finally {
        this.#stopping.signal.removeEventListener('abort', stop);
        this.#poll = null;
      }
      const fresh = updates.filter((u) => u.update_id >= this.#ack && !this.#inFlight.has(u.update_id) && !this.#done.has(u.update_id));
      this.o.onPoll?.(fresh.length);
      for (const u of fresh) this.#dispatch(u);
      if (!fresh.length && this.#inFlight.size) {
        // Everything Telegram has for us is being handled: wait for some of it (or a second, for other chats' news).
        await Promise.race([...this.#inFlight.values(), sleep(1000, undefined, { signal: this.#stopping.signal }).catch(() => {})]);
      }
    }
  }

  #dispatch(u: Update): void {
    this.#maxSeen = Math.max(this.#maxSeen, u.update_id);
    const done = this.o
      .handle(u)
      .catch(() => {}) // the handler logs; an update that failed for good is not retried forever
      .then(() => {
        this.#inFlight.delete(u.update_id);
        // Aborted by a stop past its grace: not acknowledged, so Telegram sends it again.
        if (this.o.abortHandling.signal.aborted) return;
        this.#done.add(u.update_id);
        this.#advance();
      });
    this.#inFlight.set(u.update_id, done);
  }

  #advance(): void {
    const lowest = this.#inFlight.size ? Math.min(...this.#inFlight.keys()) : this.#maxSeen + 1;
    if (lowest <= this.#ack) return;
    this.#ack = lowest;
    for (const id of this.#done) if (id < lowest) this.#done.delete(id);
    this.#save();
    this.#poll?.abort(); // tell Telegram now
  }

  #save(): void {
    const ack = this.#ack;
    this.#saving = this.#saving.then(async () => {
      if (ack <= this.#savedAck) return;
      await this.o.saveOffset(ack).catch(() => {}); // Telegram's own offset still holds; the saved one only guards a crash
      this.#savedAck = ack;
    });
  }

  /**
   * After `run` failed (the network, Telegram): no more polls; the updates in flight finish (they
   * retry their own sends, nothing is aborted) and the acknowledgement of the last of them is saved,
   * so a poller started next, from the saved offset, does not get them again.
   */
  async settle(): Promise<void> {
    this.#stopping.abort();
    while (this.#inFlight.size) await Promise.all([...this.#inFlight.values()]);
    for (let saving = this.#saving; ; saving = this.#saving) {
      await saving;
      if (saving === this.#saving) break;
    }
  }

  /**
   * Graceful stop: no more polls, wait for the updates in flight (at most `graceMs`, then their
   * handling is aborted), save and send the final offset. Resolves when done.
   */
  stop(graceMs: number): Promise<void> {
    return (this.#stopped ??= this.#stop(graceMs));
  }

  async #stop(graceMs: number): Promise<void> {
    this.#stopping.abort();
    await this.#running?.catch(() => {});
    if (this.#inFlight.size) {
      const all = Promise.all([...this.#inFlight.values()]);
      const cancel = new AbortController();
      const timer = sleep(graceMs, 'late' as const, { signal: cancel.signal }).catch(() => 'done' as const);
      const outcome = await Promise.race([all.then(() => 'done' as const), timer]);
      cancel.abort();
      if (outcome === 'late') {
        this.o.abortHandling.abort();
        await all;
      }
    }
    await this.#saving;
    if (this.#ack > 0) {
      // The acknowledgement reaches Telegram only with a getUpdates call; the saved offset covers it failing.
      await this.o.api.getUpdates({ offset: this.#ack, timeout: 0, limit: 1, allowed_updates: ['message'] }, AbortSignal.timeout(5000) as Signal).catch(() => {});
    }
  }
}
