/**
 * Enforces usage limits and records usage, in memory first. A request passes `begin` (which
 * refuses with 429 once a limit's window is full and reserves one request), then `commit`s with its
 * token counts or `cancel`s if it failed. Counters are per calendar window and are seeded from
 * usage_log at start, so a restart does not hand out a fresh allowance. Records are written to
 * usage_log in batches once a second: one insert per chat request would cap throughput at the
 * database's write rate.
 *
 * Counting is per process; with several gateway processes on one database each enforces against
 * its own traffic plus what was logged before it started (documented in docs/control-plane.md).
 */
import type { Logger } from 'pino';
import { nowIso } from '../db/rows.ts';
import { tooManyRequests } from '../http/errors.ts';
import type { Principal, UsageNote } from '../http/route.ts';
import { USAGE_PERIODS, type UsageLimit, type UsageLimitsRepo, type UsageLogRepo, type UsagePeriod, type UsageRecord } from '../repositories/usage.ts';
import { windowEnd, windowStart } from './windows.ts';

interface Counter {
  window: number;
  requests: number;
  tokens: number;
}

export interface UsageTicket {
  commit(note: UsageNote): void;
  cancel(): void;
}

export type UsageSubject = { type: UsageRecord['subject_type']; id: string };
type Subject = UsageSubject;

export function subjectOf(principal: Principal, ip: string): Subject {
  if (principal.kind === 'api_key') return { type: 'api_key', id: String(principal.key.id) };
  if (principal.kind === 'user') return { type: 'user', id: String(principal.user.id) };
  // A website's visitors count together, as their widget instance: an admin limits an instance, not a visitor.
  if (principal.kind === 'widget_visitor') return { type: 'widget', id: String(principal.visitor.instanceId) };
  return { type: 'ip', id: ip };
}

const MAX_BUFFERED = 10_000;

export class UsageMeter {
  #limits: UsageLimit[] = [];
  readonly #counters = new Map<string, Counter>();
  #buffer: UsageRecord[] = [];
  #flushing: Promise<void> | null = null;
  readonly #timer: NodeJS.Timeout;

  constructor(
    private readonly log: UsageLogRepo,
    private readonly limitsRepo: UsageLimitsRepo,
    private readonly logger: Logger,
    private readonly now: () => number = Date.now,
  ) {
    this.#timer = setInterval(() => void this.flush(), 1000);
    this.#timer.unref();
  }

  /** Load limits and seed the current windows from usage_log. */
  async start(): Promise<void> {
    await this.reloadLimits();
    const t = this.now();
    for (const period of USAGE_PERIODS) {
      const w = windowStart(period, t);
      for (const row of await this.log.totalsSince(nowIso(w))) {
        this.#add(this.#counter(period, { type: row.subject_type as Subject['type'], id: row.subject_id }, row.kind, w), row.requests, row.tokens);
        this.#add(this.#counter(period, null, row.kind, w), row.requests, row.tokens);
      }
    }
  }

  async reloadLimits(): Promise<void> {
    this.#limits = (await this.limitsRepo.list()).filter((l) => l.enabled);
  }

  get limits(): readonly UsageLimit[] {
    return this.#limits;
  }

  begin(principal: Principal, ip: string, kind: string): UsageTicket {
    return this.beginFor(subjectOf(principal, ip), kind);
  }

  /** `begin` for a subject that is not an HTTP caller (a Telegram bot's chats count as the bot: `telegram_bot`, its id). */
  beginFor(subject: UsageSubject, kind: string): UsageTicket {
    const t = this.now();
    for (const limit of this.#limits) {
      if (limit.kind !== kind || !applies(limit, subject)) continue;
      const c = this.#counter(limit.period, limit.subject_type === 'global' ? null : subject, kind, windowStart(limit.period, t));
      const used = limit.metric === 'requests' ? c.requests : c.tokens;
      if (used >= limit.max_value) {
        throw tooManyRequests('usage_limit_exceeded', `usage limit "${limit.name}" reached: ${limit.max_value} ${limit.metric} per ${limit.period}`, (windowEnd(limit.period, t) - t) / 1000, {
          limit_id: limit.id,
          metric: limit.metric,
          period: limit.period,
          max_value: limit.max_value,
        });
      }
    }
    // Reserve the request now, so concurrent requests cannot all pass the same last slot.
    this.#each(subject, kind, t, (c) => this.#add(c, 1, 0));
    let settled = false;
    return {
      commit: (note) => {
        if (settled) return;
        settled = true;
        const tokens = (note.tokensIn ?? 0) + (note.tokensOut ?? 0);
        if (tokens) this.#each(subject, kind, t, (c) => this.#add(c, 0, tokens));
        this.#buffer.push({
          at: nowIso(t),
          subject_type: subject.type,
          subject_id: subject.id,
          kind,
          source: note.source ?? null,
          units: 1,
          tokens_in: note.tokensIn ?? 0,
          tokens_out: note.tokensOut ?? 0,
        });
        if (this.#buffer.length >= 500) void this.flush();
      },
      cancel: () => {
        if (settled) return;
        settled = true;
        this.#each(subject, kind, t, (c) => this.#add(c, -1, 0));
      },
    };
  }

  /** Write buffered records; callers that list usage flush first so they see every request. */
  flush(): Promise<void> {
    if (this.#flushing) return this.#flushing.then(() => this.flush());
    if (!this.#buffer.length) return Promise.resolve();
    const batch = this.#buffer;
    this.#buffer = [];
    this.#flushing = this.log
      .insertMany(batch)
      .catch((err) => {
        this.logger.error({ err, records: batch.length }, 'usage flush failed; will retry');
        this.#buffer = [...batch, ...this.#buffer].slice(-MAX_BUFFERED);
      })
      .finally(() => {
        this.#flushing = null;
      });
    return this.#flushing;
  }

  async close(): Promise<void> {
    clearInterval(this.#timer);
    await this.flush();
  }

  #each(subject: Subject, kind: string, t: number, f: (c: Counter) => void): void {
    for (const period of USAGE_PERIODS) {
      const w = windowStart(period, t);
      f(this.#counter(period, subject, kind, w));
      f(this.#counter(period, null, kind, w));
    }
  }

  #counter(period: UsagePeriod, subject: Subject | null, kind: string, window: number): Counter {
    const key = subject ? `${period}|${subject.type}|${subject.id}|${kind}` : `${period}|global||${kind}`;
    let c = this.#counters.get(key);
    if (!c) {
      if (this.#counters.size > 200_000) this.#evictStale();
      c = { window, requests: 0, tokens: 0 };
      this.#counters.set(key, c);
    } else if (c.window !== window) {
      c.window = window;
      c.requests = 0;
      c.tokens = 0;
    }
    return c;
  }

  #add(c: Counter, requests: number, tokens: number): void {
    c.requests = Math.max(0, c.requests + requests);
    c.tokens += tokens;
  }

  #evictStale(): void {
    const t = this.now();
    for (const [key, c] of this.#counters) {
      if (c.window !== windowStart(key.slice(0, key.indexOf('|')) as UsagePeriod, t)) this.#counters.delete(key);
    }
  }
}

function applies(limit: UsageLimit, subject: Subject): boolean {
  if (limit.subject_type === 'global') return true;
  return limit.subject_type === subject.type && (limit.subject_id === null || limit.subject_id === subject.id);
}
