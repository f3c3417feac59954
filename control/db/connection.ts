/**
 * Opens the control-plane database: SQLite in `<dataDir>/secretary.db` by default, Postgres when a
 * URL is given. Every SQLite connection gets WAL and foreign keys in the pool's afterCreate hook,
 * because SQLite forgets PRAGMAs per connection and a connection without `foreign_keys=ON` would
 * silently skip our ON DELETE CASCADE rules (GDPR deletes depend on them).
 *
 * `synchronous = FULL`: in WAL mode NORMAL does not fsync at commit, so a power cut could take
 * commits the journal (control/journal/) had already acknowledged and deleted from its own files;
 * FULL makes a commit durable when it returns (one WAL fsync per transaction; the journal applies
 * up to 100 entries per transaction).
 *
 * The SQLite file is created 0600 before SQLite opens it: SQLite gives its `-wal` and `-shm` files
 * the database file's mode, so all three stay private whatever the umask. A Postgres that cannot be
 * reached or refuses us is a DatabaseUnavailableError naming why (connect-errors.ts), and knex's
 * own messages go to our logger, never to stdout as a stack trace.
 */
import path from 'node:path';
import knexFactory, { type Knex } from 'knex';
import type { Logger } from 'pino';
import { ensurePrivateDir, ensurePrivateFile } from '../../runtime/private-files.ts';
import { connectFailure } from './connect-errors.ts';
import { runMigrations } from './migration-source.ts';

export type Db = Knex;
export type DbClient = 'sqlite' | 'postgres';

export interface OpenDatabaseOptions {
  dataDir: string;
  /** `postgres://...`; when absent, SQLite in dataDir. */
  databaseUrl?: string;
  /** Postgres schema to use (tests isolate themselves with one schema each). */
  pgSchema?: string;
  /** Run migrations to latest after connecting (default true). */
  migrate?: boolean;
  /** Where knex's warnings go (default: nowhere; the errors they announce reach the caller anyway). */
  log?: Logger;
}

export const SQLITE_FILE = 'secretary.db';

/** A connect attempt to Postgres that has had no answer by then fails, rather than hang a start or a query. */
const PG_CONNECT_TIMEOUT_MS = 10_000;
/**
 * A query with no answer by then fails (the client gives up; the server may still be working), so
 * a server that stops answering without resetting the connection (a hung host, a network that
 * drops packets) is noticed and the journal retries, instead of every writer waiting for minutes.
 * Generous: a backup or restore reads and writes whole tables in single queries.
 */
const PG_QUERY_TIMEOUT_MS = 120_000;
/** TCP keepalive probes on idle connections, so a dead peer is found before the next query needs it. */
const PG_KEEPALIVE_DELAY_MS = 10_000;

interface SqliteConnection {
  exec(sql: string, cb: (err: Error | null) => void): void;
}

export function dbClient(db: Db): DbClient {
  return db.client.config.client === 'pg' ? 'postgres' : 'sqlite';
}

export async function openDatabase(opts: OpenDatabaseOptions): Promise<Db> {
  let db: Db;
  if (opts.databaseUrl) {
    db = knexFactory({
      client: 'pg',
      connection: {
        connectionString: opts.databaseUrl,
        connectionTimeoutMillis: PG_CONNECT_TIMEOUT_MS,
        query_timeout: PG_QUERY_TIMEOUT_MS,
        keepAlive: true,
        keepAliveInitialDelayMillis: PG_KEEPALIVE_DELAY_MS,
      },
      searchPath: opts.pgSchema ? [opts.pgSchema] : undefined,
      pool: { min: 0, max: 10 },
      log: knexLog(opts.log),
    });
    try {
      await db.raw('select 1');
    } catch (err) {
      await db.destroy();
      throw connectFailure(err, opts.databaseUrl);
    }
  } else {
    ensurePrivateDir(opts.dataDir);
    const file = path.join(opts.dataDir, SQLITE_FILE);
    ensurePrivateFile(file);
    db = knexFactory({
      client: 'sqlite3',
      connection: { filename: file },
      useNullAsDefault: true,
      log: knexLog(opts.log),
      // One connection: SQLite serialises writers anyway, and a single connection avoids
      // SQLITE_BUSY on read-to-write upgrades inside deferred transactions.
      pool: {
        min: 1,
        max: 1,
        afterCreate: (conn: SqliteConnection, done: (err: Error | null, conn: SqliteConnection) => void) => {
          conn.exec(
            'PRAGMA journal_mode = WAL; PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000; PRAGMA synchronous = FULL;',
            (err) => done(err, conn),
          );
        },
      },
    });
  }
  try {
    if (opts.migrate !== false) await runMigrations(db);
  } catch (err) {
    await db.destroy();
    throw err;
  }
  return db;
}

/**
 * knex's logger prints to stdout with console.log, stacks included ("Acquire connection error:
 * ..."), which would break our JSON log lines. Its messages go to pino instead, first line only;
 * connection errors at debug level, since the query that met them fails and its caller reports it.
 */
function knexLog(log: Logger | undefined): Knex.Config['log'] {
  const firstLine = (m: unknown) => String(m instanceof Error ? m.message : m).split('\n')[0];
  const warn = (m: unknown) => {
    const line = firstLine(m);
    if (/^(Acquire connection error|Connection Error)/.test(line)) log?.debug({ component: 'knex' }, line);
    else log?.warn({ component: 'knex' }, line);
  };
  return {
    warn,
    error: (m: unknown) => log?.error({ component: 'knex' }, firstLine(m)),
    deprecate: (m: unknown) => log?.debug({ component: 'knex' }, firstLine(m)),
    debug: (m: unknown) => log?.debug({ component: 'knex' }, firstLine(m)),
  };
}
