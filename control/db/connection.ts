/**
 * Opens the control-plane database: SQLite in `<dataDir>/secretary.db` by default, Postgres when a
 * URL is given. Every SQLite connection gets WAL and foreign keys in the pool's afterCreate hook,
 * because SQLite forgets PRAGMAs per connection and a connection without `foreign_keys=ON` would
 * silently skip our ON DELETE CASCADE rules (GDPR deletes depend on them).
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import knexFactory, { type Knex } from 'knex';
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
}

export const SQLITE_FILE = 'secretary.db';

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
      connection: opts.databaseUrl,
      searchPath: opts.pgSchema ? [opts.pgSchema] : undefined,
      pool: { min: 0, max: 10 },
    });
  } else {
    mkdirSync(opts.dataDir, { recursive: true });
    db = knexFactory({
      client: 'sqlite3',
      connection: { filename: path.join(opts.dataDir, SQLITE_FILE) },
      useNullAsDefault: true,
      // One connection: SQLite serialises writers anyway, and a single connection avoids
      // SQLITE_BUSY on read-to-write upgrades inside deferred transactions.
      pool: {
        min: 1,
        max: 1,
        afterCreate: (conn: SqliteConnection, done: (err: Error | null, conn: SqliteConnection) => void) => {
          conn.exec(
            'PRAGMA journal_mode = WAL; PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000; PRAGMA synchronous = NORMAL;',
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
