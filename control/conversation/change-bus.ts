/**
 * How a configuration change made through one gateway reaches the others on the same database.
 *
 * SQLite is one process: the writer reloads its own snapshot and there is no one else to tell.
 * Postgres may have several gateways: a change is announced with NOTIFY on a channel of this
 * schema, and every gateway LISTENs on a connection of its own (not the pool's: a pooled
 * connection is handed to queries and would miss notifications). That connection can die with the
 * database (a restart, a failover, a network cut); notifications sent meanwhile are lost, so after
 * reconnecting the listener is called once as if a change had arrived: everything is reloaded.
 */
import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import type { Logger } from 'pino';
import { dbErrorText } from '../db/rows.ts';

export interface ConfigChangeBus {
  /** Tell the other gateways that the configuration changed (after the change is committed). */
  publish(): Promise<void>;
  /**
   * Start listening: `listener` runs when another gateway changed the configuration, and after a
   * lost connection came back (changes may have been missed). Resolves once listening, or once the
   * first attempt failed (it is then retried in the background).
   */
  start(listener: () => void): Promise<void>;
  close(): Promise<void>;
}

/** SQLite: one process per database, nothing to tell anyone. */
export class LocalChangeBus implements ConfigChangeBus {
  async publish(): Promise<void> {}
  async start(): Promise<void> {}
  async close(): Promise<void> {}
}

/** What we use of the node-postgres client knex hands out as a raw connection. */
interface ListenConnection {
  query(sql: string): Promise<unknown>;
  on(event: 'notification', listener: (n: { channel: string; payload?: string }) => void): unknown;
  on(event: 'error' | 'end', listener: (err?: Error) => void): unknown;
}

export interface PostgresChangeBusOptions {
  /** First wait before reconnecting, doubled per failure up to `reconnectMaxMs` (250 ms, 5 s). */
  reconnectMinMs?: number;
  reconnectMaxMs?: number;
}

/** What tells the listening connection apart in pg_stat_activity (tests end it there to simulate an outage). */
export const LISTENER_APPLICATION_NAME = 'voice-gateway-config-listener';

export class PostgresChangeBus implements ConfigChangeBus {
  /** Our own notifications come back to us too; this tells them apart. */
  readonly #origin = randomUUID();
  #channel: string | null = null;
  #conn: ListenConnection | null = null;
  #listener: () => void = () => {};
  #timer: NodeJS.Timeout | null = null;
  #failures = 0;
  #lostAt: number | null = null;
  #closed = false;

  constructor(
    private readonly db: Knex,
    private readonly log: Logger,
    private readonly opts: PostgresChangeBusOptions = {},
  ) {}

  /** The channel of this database schema: gateways of other schemas on the same server are not told. */
  async channel(): Promise<string> {
    if (!this.#channel) {
      const r = (await this.db.raw('select current_schema() as schema')) as { rows: Array<{ schema: string | null }> };
      this.#channel = `vg_config_${String(r.rows[0]?.schema ?? 'public')}`.replace(/[^A-Za-z0-9_]/g, '_').slice(0, 63);
    }
    return this.#channel;
  }

  async publish(): Promise<void> {
    await this.db.raw('select pg_notify(?, ?)', [await this.channel(), this.#origin]);
  }

  async start(listener: () => void): Promise<void> {
    this.#listener = listener;
    await this.#connect();
  }

  async #connect(): Promise<void> {
    this.#timer = null;
    if (this.#closed) return;
    let conn: ListenConnection | null = null;
    try {
      const channel = await this.channel();
      conn = (await this.db.client.acquireRawConnection()) as ListenConnection;
      const c = conn;
      c.on('notification', (n) => {
        if (n.channel === channel && n.payload !== this.#origin) this.#listener();
      });
      c.on('error', (err) => this.#lost(c, err ?? new Error('connection error')));
      c.on('end', () => this.#lost(c, new Error('the connection ended')));
      await c.query(`SET application_name = '${LISTENER_APPLICATION_NAME}'`);
      await c.query(`LISTEN "${channel}"`);
      if (this.#closed) return void (await this.#destroy(c));
      this.#conn = c;
      this.#failures = 0;
      if (this.#lostAt !== null) {
        this.log.info({ down_ms: Date.now() - this.#lostAt }, 'listening for configuration changes again; reloading the configuration (changes made meanwhile were not announced)');
        this.#lostAt = null;
        this.#listener();
      }
    } catch (err) {
      if (conn) await this.#destroy(conn);
      if (this.#lostAt === null) this.#lostAt = Date.now();
      this.#retry(err);
    }
  }

  #lost(conn: ListenConnection, err: Error): void {
    if (this.#closed || this.#conn !== conn) return;
    this.#conn = null;
    this.#lostAt = Date.now();
    void this.#destroy(conn);
    this.#retry(err);
  }

  #retry(err: unknown): void {
    if (this.#closed || this.#timer) return;
    const min = this.opts.reconnectMinMs ?? 250;
    const delay = Math.min(this.opts.reconnectMaxMs ?? 5000, min * 2 ** this.#failures++);
    // The first failure is worth a warning; the retries after it only at debug.
    (this.#failures === 1 ? this.log.warn : this.log.debug).call(this.log, { err: dbErrorText(err), retry_in_ms: delay }, 'not listening for configuration changes from other gateways; reconnecting');
    this.#timer = setTimeout(() => void this.#connect(), delay);
    this.#timer.unref();
  }

  async #destroy(conn: ListenConnection): Promise<void> {
    await this.db.client.destroyRawConnection(conn).catch(() => {});
  }

  async close(): Promise<void> {
    this.#closed = true;
    if (this.#timer) clearTimeout(this.#timer);
    const conn = this.#conn;
    this.#conn = null;
    if (conn) await this.#destroy(conn);
  }
}
