/**
 * The counters behind login throttling (auth/login-throttle.ts): the account's bucket for unknown
 * clients lives on its `users` row (`failed_logins`, `locked_until`), each remembered device's in
 * `login_device_throttles`, with the same three columns, so one statement serves both.
 *
 * `claim` decides whether an attempt is checked, counts it as a failure in advance and, when that
 * count calls for it, starts the next wait, all in ONE UPDATE ... RETURNING: ten parallel attempts
 * count exactly ten failures and at most the free ones are checked, on SQLite and on Postgres (whose
 * row lock makes a concurrent UPDATE re-read the row it waited for). A successful check clears the
 * bucket afterwards. Whether the UPDATE let this attempt through is told by a random attempt id it
 * writes only when it does (`last_checked_attempt`), since RETURNING shows only the new row.
 */
import { randomBytes } from 'node:crypto';
import type { Knex } from 'knex';
import { delayLadderS, FORGIVE_AFTER_MS, type ThrottlePolicy } from '../auth/login-throttle.ts';
import { nowIso, num, type Queryable } from '../db/rows.ts';

/** No device: the account's bucket for clients it has not logged in from. */
export interface ThrottleBucket {
  userId: number;
  deviceId?: string;
}

export interface ClaimedAttempt {
  /** False while a wait runs: the password must not be taken even if it is right. */
  checked: boolean;
  /** Failures in a row, this attempt counted as one. */
  failures: number;
  /** When the next attempt will be checked (null: at once). */
  lockedUntil: string | null;
}

export class LoginThrottlesRepo {
  constructor(private readonly db: Queryable) {}

  #rows(b: ThrottleBucket): Knex.QueryBuilder {
    return b.deviceId === undefined ? this.db('users').where({ id: b.userId }) : this.db('login_device_throttles').where({ user_id: b.userId, device_id: b.deviceId });
  }

  async claim(bucket: ThrottleBucket, policy: ThrottlePolicy, nowMs: number = Date.now()): Promise<ClaimedAttempt> {
    if (bucket.deviceId !== undefined) {
      await this.db('login_device_throttles').insert({ user_id: bucket.userId, device_id: bucket.deviceId, failed_logins: 0 }).onConflict(['user_id', 'device_id']).ignore();
    }
    const now = nowIso(nowMs);
    const attempt = randomBytes(12).toString('hex');
    const inWait = 'locked_until > ?';
    // The count this failure makes: one more, or a fresh start after a long quiet spell.
    const count = '(CASE WHEN locked_until <= ? THEN 1 ELSE failed_logins + 1 END)';
    const countArgs = [nowIso(nowMs - FORGIVE_AFTER_MS)];
    const ladder = delayLadderS(policy);
    const until = (s: number) => nowIso(nowMs + s * 1000);
    const rungs = ladder.slice(0, -1).map((s, k) => ({ sql: `WHEN ${count} = ? THEN ?`, args: [...countArgs, policy.freeFailures + k, until(s)] }));
    const nextWait = `CASE WHEN ${count} < ? THEN NULL ${rungs.map((r) => r.sql).join(' ')} ELSE ? END`;
    const nextWaitArgs = [...countArgs, policy.freeFailures, ...rungs.flatMap((r) => r.args), until(ladder.at(-1)!)];
    const rows: Array<Record<string, unknown>> = await this.#rows(bucket)
      .update({
        failed_logins: this.db.raw(`CASE WHEN ${inWait} THEN failed_logins + 1 ELSE ${count} END`, [now, ...countArgs]),
        locked_until: this.db.raw(`CASE WHEN ${inWait} THEN locked_until ELSE ${nextWait} END`, [now, ...nextWaitArgs]),
        last_checked_attempt: this.db.raw(`CASE WHEN ${inWait} THEN last_checked_attempt ELSE ? END`, [now, attempt]),
      })
      .returning(['failed_logins', 'locked_until', 'last_checked_attempt']);
    const row = rows[0];
    if (!row) return { checked: false, failures: 0, lockedUntil: null }; // the user was deleted meanwhile
    return { checked: row.last_checked_attempt === attempt, failures: num(row.failed_logins), lockedUntil: (row.locked_until as string | null) ?? null };
  }

  /** After a successful login: that bucket starts over (a device's row goes). */
  async clear(bucket: ThrottleBucket): Promise<void> {
    if (bucket.deviceId === undefined) await this.#rows(bucket).update({ failed_logins: 0, locked_until: null });
    else await this.#rows(bucket).delete();
  }

  /** After a password reset: every bucket of the user starts over. */
  async clearAll(userId: number): Promise<void> {
    await this.db('users').where({ id: userId }).update({ failed_logins: 0, locked_until: null });
    await this.db('login_device_throttles').where({ user_id: userId }).delete();
  }
}
