/**
 * The notification outbox: one row per message and channel, the durable state of its delivery.
 *
 * A worker claims a due row by one conditional UPDATE (`pending` and due, or `sending` with an
 * expired lease) that names itself and a lease; only one of several gateways on one database gets
 * each row, on SQLite and Postgres alike, without locks held across the network call. What it
 * does afterwards (sent, retry later, failed) is written only while it still holds the lease, so
 * a worker that was too slow and lost its row to another never overwrites the other's outcome.
 */
import type { Knex } from 'knex';
import { nowIso, num, optNum, type Page, type Queryable } from '../db/rows.ts';
import type { ChannelType, NotificationChannel } from './notification-channels.ts';

export const DELIVERY_STATUSES = ['pending', 'sending', 'sent', 'failed'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

export interface Delivery {
  id: number;
  message_id: string;
  /** Null once the channel was deleted (its name and type stay). */
  channel_id: number | null;
  channel_type: ChannelType;
  channel_name: string;
  idempotency_key: string;
  status: DeliveryStatus;
  /** Attempts started (a claim counts, even one a crash cut short). */
  attempts: number;
  next_attempt_at: string | null;
  last_attempt_at: string | null;
  /** Our summary of the last failure, never the target's own answer (that is in the log, under the error id). */
  last_error: string | null;
  sent_at: string | null;
  external_ref: string | null;
  created_at: string;
  updated_at: string;
}

export interface DeliveryFilter {
  status?: DeliveryStatus;
  channel_id?: number;
  message_id?: string;
}

const str = (v: unknown) => (v === null || v === undefined ? null : String(v));

const toDelivery = (r: Record<string, unknown>): Delivery => ({
  id: num(r.id),
  message_id: String(r.message_id),
  channel_id: optNum(r.channel_id),
  channel_type: String(r.channel_type) as ChannelType,
  channel_name: String(r.channel_name),
  idempotency_key: String(r.idempotency_key),
  status: String(r.status) as DeliveryStatus,
  attempts: num(r.attempts),
  next_attempt_at: str(r.next_attempt_at),
  last_attempt_at: str(r.last_attempt_at),
  last_error: str(r.last_error),
  sent_at: str(r.sent_at),
  external_ref: str(r.external_ref),
  created_at: String(r.created_at),
  updated_at: String(r.updated_at),
});

/** The key a delivery carries on every attempt: the same for a message and a channel, whatever happens. */
export const idempotencyKey = (messageId: string, channelId: number) => `${messageId}.${channelId}`;

/** A row that may be claimed at `now`: due, or held by a lease that ran out (its holder died or hung). */
const claimable = (now: string) => (q: Knex.QueryBuilder) =>
  // One group, so it ANDs with whatever else the query has (`id = ?`) instead of OR-ing past it.
  q.where((any) =>
    any.where((w) => w.where('status', 'pending').andWhere('next_attempt_at', '<=', now)).orWhere((w) => w.where('status', 'sending').andWhere('lease_until', '<', now)),
  );

export class NotificationOutboxRepo {
  constructor(private readonly db: Queryable) {}

  /** Queue a message for each channel (a replay adds nothing: one row per message and channel). */
  async enqueue(messageId: string, channels: readonly NotificationChannel[], now = nowIso()): Promise<number> {
    if (!channels.length) return 0;
    const rows = channels.map((c) => ({
      message_id: messageId,
      channel_id: c.id,
      channel_type: c.type,
      channel_name: c.name,
      idempotency_key: idempotencyKey(messageId, c.id),
      status: 'pending',
      attempts: 0,
      next_attempt_at: now,
      created_at: now,
      updated_at: now,
    }));
    await this.db('notification_outbox').insert(rows).onConflict('idempotency_key').ignore();
    return rows.length;
  }

  /**
   * Claim up to `limit` due rows for `owner` until `leaseUntil`, counting an attempt on each.
   * Each claim is its own conditional UPDATE: a row another worker took first is skipped.
   */
  async claimDue(owner: string, leaseUntil: string, limit: number, now = nowIso()): Promise<Delivery[]> {
    if (limit <= 0) return [];
    const candidates = await this.db('notification_outbox').modify(claimable(now)).orderBy([{ column: 'next_attempt_at' }, { column: 'id' }]).limit(limit).select('id');
    const claimed: number[] = [];
    for (const { id } of candidates) {
      const n = await this.db('notification_outbox')
        .where({ id })
        .modify(claimable(now))
        .update({ status: 'sending', lease_owner: owner, lease_until: leaseUntil, attempts: this.db.raw('attempts + 1'), last_attempt_at: now, updated_at: now });
      if (n) claimed.push(num(id));
    }
    if (!claimed.length) return [];
    return (await this.db('notification_outbox').whereIn('id', claimed).orderBy('id')).map(toDelivery);
  }

  /** Rows a dead life of this worker left claimed: due again at once (rather than when their lease runs out). */
  async releaseLeasesOf(owner: string, now = nowIso()): Promise<number> {
    return this.db('notification_outbox').where({ status: 'sending', lease_owner: owner }).update({ status: 'pending', lease_owner: null, lease_until: null, next_attempt_at: now, updated_at: now });
  }

  async markSent(id: number, owner: string, externalRef: string | null, now = nowIso()): Promise<boolean> {
    return this.settle(id, owner, { status: 'sent', sent_at: now, external_ref: externalRef?.slice(0, 200) ?? null, next_attempt_at: null, last_error: null }, now);
  }

  async markRetry(id: number, owner: string, nextAttemptAt: string, error: string, now = nowIso()): Promise<boolean> {
    return this.settle(id, owner, { status: 'pending', next_attempt_at: nextAttemptAt, last_error: error.slice(0, 500) }, now);
  }

  async markFailed(id: number, owner: string, error: string, now = nowIso()): Promise<boolean> {
    return this.settle(id, owner, { status: 'failed', next_attempt_at: null, last_error: error.slice(0, 500) }, now);
  }

  /** Only while `owner` still holds the row: a worker that lost its lease to another changes nothing. */
  private async settle(id: number, owner: string, patch: Record<string, unknown>, now: string): Promise<boolean> {
    const n = await this.db('notification_outbox').where({ id, status: 'sending', lease_owner: owner }).update({ ...patch, lease_owner: null, lease_until: null, updated_at: now });
    return n > 0;
  }

  /** A failed delivery tried again from now, with a fresh budget of attempts. False when the row is not `failed`. */
  async retry(id: number, now = nowIso()): Promise<boolean> {
    const n = await this.db('notification_outbox').where({ id, status: 'failed' }).update({ status: 'pending', attempts: 0, next_attempt_at: now, updated_at: now });
    return n > 0;
  }

  /**
   * After a restore: deliveries the backup had not finished are not made again (they were most
   * likely made since the backup was taken); they stay visible as failed, and can be retried.
   */
  async abandonUnfinished(reason: string, now = nowIso()): Promise<number> {
    return this.db('notification_outbox')
      .whereIn('status', ['pending', 'sending'])
      .update({ status: 'failed', next_attempt_at: null, lease_owner: null, lease_until: null, last_error: reason.slice(0, 500), updated_at: now });
  }

  /** When the next row becomes claimable (a due retry or a lease running out); null when none will. */
  async nextDueAt(): Promise<string | null> {
    const [p] = await this.db('notification_outbox').where('status', 'pending').min({ at: 'next_attempt_at' });
    const [s] = await this.db('notification_outbox').where('status', 'sending').min({ at: 'lease_until' });
    const times = [str(p?.at), str(s?.at)].filter((t): t is string => t !== null);
    return times.length ? times.sort()[0] : null;
  }

  async get(id: number): Promise<Delivery | undefined> {
    const r = await this.db('notification_outbox').where({ id }).first();
    return r ? toDelivery(r) : undefined;
  }

  /** Every delivery of these messages, by message id. */
  async forMessages(ids: readonly string[]): Promise<Map<string, Delivery[]>> {
    const out = new Map<string, Delivery[]>(ids.map((id) => [id, []]));
    if (!ids.length) return out;
    for (const r of await this.db('notification_outbox').whereIn('message_id', ids).orderBy('id')) {
      const d = toDelivery(r);
      out.get(d.message_id)?.push(d);
    }
    return out;
  }

  /** Newest first, with the total for paging. */
  async list(filter: DeliveryFilter, page: Page): Promise<{ items: Delivery[]; total: number }> {
    const q = this.db('notification_outbox').modify((b: Knex.QueryBuilder) => {
      if (filter.status) b.where('status', filter.status);
      if (filter.channel_id !== undefined) b.where('channel_id', filter.channel_id);
      if (filter.message_id) b.where('message_id', filter.message_id);
    });
    const [{ c }] = await q.clone().count({ c: '*' });
    const rows = await q.orderBy('id', 'desc').limit(page.limit).offset(page.offset);
    return { items: rows.map(toDelivery), total: num(c) };
  }

  /** Rows per status, for /health and metrics. */
  async countByStatus(): Promise<Record<DeliveryStatus, number>> {
    const out = Object.fromEntries(DELIVERY_STATUSES.map((s) => [s, 0])) as Record<DeliveryStatus, number>;
    const rows = (await this.db('notification_outbox').select('status').count({ c: '*' }).groupBy('status')) as Array<{ status: unknown; c: unknown }>;
    for (const r of rows) {
      if ((DELIVERY_STATUSES as readonly string[]).includes(String(r.status))) out[String(r.status) as DeliveryStatus] = num(r.c);
    }
    return out;
  }
}
