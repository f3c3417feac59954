/**
 * Which gateway runs a bot when several share one database. Telegram serves one getUpdates poller
 * per bot (a second one gets 409 Conflict and they knock each other off in turn), and a webhook
 * is set and deleted per bot, so exactly one gateway of a cluster may run each bot; the others
 * stand by and take over when it stops or dies.
 *
 *  - SQLite: one gateway per database (DESIGN.md), so every claim succeeds and is never lost.
 *  - Postgres: a session-level advisory lock per bot, keyed by the database schema and the bot id
 *    (gateways of other schemas on the same server never collide), all held on one dedicated
 *    connection of this gateway (not the pool's: a pooled connection goes back to the pool).
 *    Postgres releases the locks of a connection that ends, so a gateway that dies (kill -9, a
 *    power cut) frees its bots for the others. The connection is pinged every `pingMs`; when it
 *    breaks, every claim made on it is `lost` at once (another gateway may hold the bot by now)
 *    and the next claim opens a new connection.
 */
import type { Knex } from 'knex';
import type { Logger } from 'pino';
import { dbErrorText } from '../db/rows.ts';

export interface BotClaim {
  /** Aborted when the claim is lost (the connection that held it broke): stop running the bot. */
  readonly lost: AbortSignal;
  /** Lets another gateway run the bot (after this one stopped it, its offset saved). */
  release(): Promise<void>;
}

export interface BotOwnership {
  /** This gateway runs the bot (a claim), or null while another gateway does. Rejects when the database cannot say. */
  claim(botId: number): Promise<BotClaim | null>;
  close(): Promise<void>;
}

/** SQLite: the only gateway on its database runs every bot. */
export const soleGateway: BotOwnership = {
  claim: async () => ({ lost: new AbortController().signal, release: async () => {} }),
  close: async () => {},
};

/** What tells the lock connection apart in pg_stat_activity (tests end it there to simulate an outage). */
export const BOT_LOCK_APPLICATION_NAME = 'voice-gateway-telegram-locks';

interface LockConnection {
  query(sql: string, values?: unknown[]): Promise<{ rows: Array<Record<string, unknown>> }>;
  on(event: 'error', listener: (err: Error) => void): void;
  on(event: 'end', listener: () => void): void;
}

interface Held {
  conn: LockConnection;
  /** Aborted when `conn` is lost. */
  lost: AbortController;
  bots: Set<number>;
  ping: NodeJS.Timeout;
}

const LOCK_KEY = `hashtext(current_schema() || '.telegram_bots')`;

export class PostgresBotOwnership implements BotOwnership {
  #held: Held | null = null;
  #connecting: Promise<Held> | null = null;
  #closed = false;

  constructor(
    private readonly db: Knex,
    private readonly log: Logger,
    private readonly pingMs = 10_000,
  ) {}

  async claim(botId: number): Promise<BotClaim | null> {
    if (this.#closed) return null;
    const held = await this.#connection();
    if (held.bots.has(botId)) throw new Error(`bot ${botId} is claimed already`); // a session lock taken twice needs two unlocks
    const r = await held.conn.query(`select pg_try_advisory_lock(${LOCK_KEY}, $1) as ok`, [botId]);
    if (r.rows[0]?.ok !== true) return null;
    held.bots.add(botId);
    return {
      lost: held.lost.signal,
      release: async () => {
        if (!held.bots.delete(botId) || held.lost.signal.aborted) return; // gone with its connection
        await held.conn.query(`select pg_advisory_unlock(${LOCK_KEY}, $1)`, [botId]).catch((err: unknown) => this.#lose(held, err));
      },
    };
  }

  async close(): Promise<void> {
    this.#closed = true;
    const held = this.#held ?? (await this.#connecting?.catch(() => null));
    if (held) await this.#drop(held);
  }

  #connection(): Promise<Held> {
    if (this.#held) return Promise.resolve(this.#held);
    return (this.#connecting ??= this.#connect().finally(() => (this.#connecting = null)));
  }

  async #connect(): Promise<Held> {
    const conn = (await this.db.client.acquireRawConnection()) as LockConnection;
    const held: Held = { conn, lost: new AbortController(), bots: new Set(), ping: setInterval(() => void this.#ping(held), this.pingMs) };
    held.ping.unref();
    conn.on('error', (err) => this.#lose(held, err));
    conn.on('end', () => this.#lose(held, new Error('the connection ended')));
    try {
      await conn.query(`SET application_name = '${BOT_LOCK_APPLICATION_NAME}'`);
    } catch (err) {
      await this.#drop(held);
      throw err;
    }
    if (this.#closed) {
      await this.#drop(held);
      throw new Error('closed');
    }
    this.#held = held;
    return held;
  }

  async #ping(held: Held): Promise<void> {
    await held.conn.query('select 1').catch((err: unknown) => this.#lose(held, err));
  }

  #lose(held: Held, err: unknown): void {
    if (held.lost.signal.aborted) return;
    if (held.bots.size) this.log.warn({ err: dbErrorText(err), bots: [...held.bots] }, 'telegram bots: the database connection holding this gateway\u2019s bot locks broke; its bots stop and are claimed again');
    void this.#drop(held);
  }

  async #drop(held: Held): Promise<void> {
    clearInterval(held.ping);
    held.bots.clear();
    held.lost.abort();
    if (this.#held === held) this.#held = null;
    await this.db.client.destroyRawConnection(held.conn).catch(() => {});
  }
}
