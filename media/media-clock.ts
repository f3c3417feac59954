/**
 * One 20 ms clock for every call in the process (the idea of @discordjs/voice's module-level
 * audio timer): transports subscribe once per endpoint and step all their calls on each tick, so
 * a gateway pacing hundreds of calls wakes up 50 times a second, not 50 times per call.
 *
 * Ticks are scheduled against absolute deadlines on the monotonic clock (origin + n * 20 ms), never
 * "20 ms after the last one", so timer lateness does not accumulate into drift. When the event
 * loop was blocked and deadlines were missed, the missed ticks run back to back on the next wake
 * (at most `maxCatchUpTicks` extra), so audio time stays right; a longer stall drops the oldest
 * ticks, resynchronises and counts them in `stats.skippedTicks`. With no subscribers the timer is
 * stopped, so an idle gateway (or a test) does not keep waking up.
 */

export type TickListener = (tick: number) => void;

export interface MediaClockOptions {
  intervalMs?: number;
  /** Extra ticks one wake may run to catch up after a stall (beyond the one that was due). */
  maxCatchUpTicks?: number;
  /** A tick delivered later than this after its deadline counts as late. Default: half an interval. */
  lateThresholdMs?: number;
  /** Injectable time and timers, for deterministic tests. */
  now?: () => number;
  setTimer?: (fn: () => void, ms: number) => unknown;
  clearTimer?: (handle: unknown) => void;
  /** Where a throwing subscriber's error goes (the clock and the other subscribers carry on). */
  onError?: (err: unknown) => void;
}

export interface MediaClockStats {
  running: boolean;
  subscribers: number;
  /** Ticks delivered (each delivered tick reaches every subscriber once). */
  ticks: number;
  /** Delivered ticks that ran more than lateThresholdMs after their deadline. */
  lateTicks: number;
  /** Ticks delivered back to back to make up for a stall. */
  catchUpTicks: number;
  /** Ticks dropped because a stall outlasted the catch-up bound. */
  skippedTicks: number;
  /** Largest delay between a deadline and the wake that served it. */
  maxLatenessMs: number;
  errors: number;
}

interface Subscription {
  fn: TickListener;
  active: boolean;
}

export class MediaClock {
  readonly intervalMs: number;
  readonly maxCatchUpTicks: number;
  readonly lateThresholdMs: number;
  private readonly now: () => number;
  private readonly setTimer: (fn: () => void, ms: number) => unknown;
  private readonly clearTimer: (handle: unknown) => void;
  private readonly onError: (err: unknown) => void;

  /** Copy-on-write, so subscribing or unsubscribing inside a tick is safe. */
  private subs: readonly Subscription[] = [];
  private timer: unknown = null;
  private nextDeadline = 0;
  /** Index of the next tick; keeps counting across stops so a tick number never repeats. */
  private nextTick = 0;
  /** Bumped by stop(): a wake that sees it change knows its run was ended under it. */
  private generation = 0;
  private counters = { ticks: 0, lateTicks: 0, catchUpTicks: 0, skippedTicks: 0, maxLatenessMs: 0, errors: 0 };
  private readonly onTimer = () => this.wake();

  constructor(opts: MediaClockOptions = {}) {
    this.intervalMs = opts.intervalMs ?? 20;
    this.maxCatchUpTicks = opts.maxCatchUpTicks ?? 5;
    this.lateThresholdMs = opts.lateThresholdMs ?? this.intervalMs / 2;
    this.now = opts.now ?? (() => performance.now());
    this.setTimer = opts.setTimer ?? ((fn, ms) => setTimeout(fn, ms));
    this.clearTimer = opts.clearTimer ?? ((h) => clearTimeout(h as ReturnType<typeof setTimeout>));
    this.onError = opts.onError ?? ((err) => console.error('media clock: a tick subscriber threw', err));
    if (!(this.intervalMs > 0)) throw new RangeError('intervalMs must be positive');
  }

  /** Call `fn(tick)` every interval until the returned function is called. */
  subscribe(fn: TickListener): () => void {
    const sub: Subscription = { fn, active: true };
    this.subs = [...this.subs, sub];
    if (this.timer === null) this.start();
    return () => {
      if (!sub.active) return;
      sub.active = false;
      this.subs = this.subs.filter((s) => s !== sub);
      if (this.subs.length === 0) this.stop();
    };
  }

  get running(): boolean {
    return this.timer !== null;
  }

  get stats(): MediaClockStats {
    return { running: this.running, subscribers: this.subs.length, ...this.counters };
  }

  resetStats(): void {
    this.counters = { ticks: 0, lateTicks: 0, catchUpTicks: 0, skippedTicks: 0, maxLatenessMs: 0, errors: 0 };
  }

  private start(): void {
    this.nextDeadline = this.now() + this.intervalMs;
    this.schedule();
  }

  private stop(): void {
    if (this.timer !== null) this.clearTimer(this.timer);
    this.timer = null;
    this.generation++;
  }

  private schedule(): void {
    // Node timers have whole-millisecond resolution; rounding up avoids waking just before the deadline.
    const delay = Math.max(0, Math.ceil(this.nextDeadline - this.now()));
    this.timer = this.setTimer(this.onTimer, delay);
  }

  private wake(): void {
    this.timer = null;
    if (this.subs.length === 0) return;
    const t = this.now();
    const interval = this.intervalMs;
    const generation = this.generation;
    if (t >= this.nextDeadline) {
      const c = this.counters;
      const due = Math.floor((t - this.nextDeadline) / interval) + 1;
      c.maxLatenessMs = Math.max(c.maxLatenessMs, t - this.nextDeadline);
      const run = Math.min(due, 1 + this.maxCatchUpTicks);
      const skipped = due - run;
      if (skipped > 0) {
        // Too far behind to replay everything: drop the oldest ticks and keep the grid.
        c.skippedTicks += skipped;
        this.nextTick += skipped;
        this.nextDeadline += skipped * interval;
      }
      for (let k = 0; k < run; k++) {
        if (t - this.nextDeadline > this.lateThresholdMs) c.lateTicks++;
        if (k > 0) c.catchUpTicks++;
        c.ticks++;
        const tick = this.nextTick++;
        this.nextDeadline += interval;
        this.emit(tick);
        // Everyone left during the tick (maybe someone re-subscribed and started a new run): stop here.
        if (this.generation !== generation) return;
      }
    }
    if (this.timer === null && this.subs.length > 0) this.schedule();
  }

  private emit(tick: number): void {
    for (const sub of this.subs) {
      if (!sub.active) continue; // unsubscribed earlier in this same tick
      try {
        sub.fn(tick);
      } catch (err) {
        this.counters.errors++;
        this.onError(err);
      }
    }
  }
}

/** The process-wide clock every transport shares. */
export const sharedMediaClock = new MediaClock();
