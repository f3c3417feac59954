/**
 * Applies journal entries to the control plane's database: a batch in one transaction, each entry
 * by the handler registered for its op. Handlers must be idempotent (an entry may be applied
 * again after a crash between the commit and the journal's acknowledgement): insert-or-ignore on
 * the row's natural key, upsert, or an update to fixed values.
 *
 * Which failures mean "the database is unavailable, retry" and which mean "this entry is wrong":
 * connection errors, timeouts, a full disk, a database shutting down or over capacity, lock and
 * serialisation conflicts are transient; constraint violations, bad data and unknown ops are not.
 * A failure with no code at all is transient only when it is one the drivers and the pool raise
 * for a lost or unreachable connection (the pg driver's "Connection terminated unexpectedly", knex's
 * pool timeout); any other (knex's "Undefined binding(s)", our own TypeError) says the entry is
 * wrong, and retrying it forever would block every entry after it. Before an entry is set aside,
 * the journal asks whether the database answers at all (`reachable`): during an outage the drivers
 * raise more kinds of errors than any list names (one lost a caller's line in the outage e2e), and
 * then the entry waits for the database like the rest.
 */
import type { Knex } from 'knex';
import type { JournalApplier, StoredEntry } from './journal.ts';

export type OpHandler = (trx: Knex.Transaction, data: any, entry: StoredEntry) => Promise<void>;

/** An entry whose op has no handler (a journal written by a newer version): refused for good. */
export class UnknownOpError extends Error {
  override name = 'UnknownOpError';
}

export function databaseApplier(db: Knex, handlers: ReadonlyMap<string, OpHandler>): JournalApplier {
  return {
    async apply(entries) {
      await db.transaction(async (trx) => {
        for (const entry of entries) {
          const handle = handlers.get(entry.op);
          if (!handle) throw new UnknownOpError(`no handler for journal op "${entry.op}"`);
          await handle(trx, entry.data, entry);
        }
      });
    },
    isTransient: isTransientDbError,
    async reachable() {
      await db.raw('select 1');
      return true;
    },
  };
}

/** SQLite result codes that say the database could not do the work now, not that the work is wrong. */
const SQLITE_TRANSIENT = new Set(['SQLITE_FULL', 'SQLITE_IOERR', 'SQLITE_BUSY', 'SQLITE_LOCKED', 'SQLITE_CANTOPEN', 'SQLITE_READONLY', 'SQLITE_NOMEM', 'SQLITE_PROTOCOL', 'SQLITE_INTERRUPT']);
/**
 * Postgres SQLSTATE classes of the same kind: 08 connection exception, 40 transaction rollback
 * (serialisation, deadlock), 53 insufficient resources (disk full, too many connections), 55 object
 * not in prerequisite state (lock not available), 57 operator intervention (shutdown, cannot
 * connect now), 58 system error (I/O).
 */
const PG_TRANSIENT_CLASSES = new Set(['08', '40', '53', '55', '57', '58']);

export function isTransientDbError(err: unknown): boolean {
  if (err instanceof UnknownOpError) return false;
  if (err instanceof TypeError || err instanceof RangeError || err instanceof SyntaxError || err instanceof ReferenceError) return false;
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code !== 'string') return isConnectionFailure(err);
  if (code.startsWith('SQLITE_')) return SQLITE_TRANSIENT.has(code);
  if (code.startsWith('E')) return true; // a socket error: ECONNREFUSED, ECONNRESET, ETIMEDOUT, EPIPE, ...
  if (/^[0-9A-Z]{5}$/.test(code)) return PG_TRANSIENT_CLASSES.has(code.slice(0, 2));
  return true;
}

/** Errors without a code that pg, pg-pool and knex raise when the connection, not the query, failed. */
const CONNECTION_FAILURE = /^(Connection terminated|Client has encountered a connection error|Client was closed and is not queryable|timeout exceeded when trying to connect|timeout expired|Query read timeout|Unable to acquire a connection|Cannot use a pool after calling end)/;

function isConnectionFailure(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  return err.name === 'KnexTimeoutError' || CONNECTION_FAILURE.test(err.message);
}
