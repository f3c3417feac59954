/**
 * A write-ahead journal in front of the database: an ordered list of operations, each with an op
 * name, an idempotency key and its data. `append` returns at once; the entry goes to disk first
 * (batched appends with one fdatasync per batch, off the event loop) and is applied to the
 * database in order once it is there; then it is acknowledged and its segment is eventually
 * deleted. When the database is unavailable the entries wait (memory and disk) and are retried
 * with backoff; at start-up whatever the last life left unacknowledged is replayed first. A replay
 * after a crash between the database write and its acknowledgement applies entries twice, so
 * every op handler must be idempotent (see database-applier.ts).
 *
 * Generic on purpose: calls, turns and transcripts go through it today; the next features
 * (messages, a notification outbox) add op handlers, not another queue.
 *
 * When the journal itself cannot be written (disk full), that is reported (stats, an error log
 * line) and entries are applied to the database straight from memory, so the database still gets
 * them. The lines waiting for the disk (up to maxUnwrittenBytes) are written once it has room,
 * unless the database already has them; entries appended beyond that bound are never journaled
 * (held in memory for the database only, and lost in a crash before it takes them).
 * An entry the database refuses for good (a constraint, an unknown op) is moved to
 * `rejected.jsonl` and the journal goes on; one bad entry never blocks the rest.
 */
import type { Logger } from 'pino';
import { dbErrorText } from '../db/rows.ts';
import { encodeLine, JournalFiles, type ScanResult, type StoredEntry } from './journal-files.ts';

export type { StoredEntry } from './journal-files.ts';

const DEFAULT_MEMORY_ENTRIES = 20_000;

export interface JournalApplier {
  /** Apply entries in order, all or nothing (one transaction). */
  apply(entries: readonly StoredEntry[]): Promise<void>;
  /** The store is unavailable (retry the same entries later), rather than the entries being wrong. */
  isTransient(err: unknown): boolean;
  /**
   * Whether the store answers now. Asked before an entry is set aside for an error that does not
   * look transient: while the store is down, whatever it (or its driver, mid-outage) said is taken
   * as the outage's, and the entry is retried, never rejected.
   */
  reachable?(): Promise<boolean>;
}

/** How long the reachability probe may take before the store counts as down. */
const REACHABLE_PROBE_MS = 5000;

export interface JournalOptions {
  dir: string;
  applier: JournalApplier;
  log: Logger;
  /** Entries held in memory; beyond this, pending entries stay on disk and are read back in turn. */
  memoryEntries?: number;
  /** Entries applied per transaction. */
  batchEntries?: number;
  /** Backoff while the database is unavailable: from this, doubling, up to retryMaxMs. */
  retryMinMs?: number;
  retryMaxMs?: number;
  /** Retry interval while the journal cannot be written. */
  writeRetryMs?: number;
  /** Entries waiting for a disk that cannot take them are kept up to this many bytes. */
  maxUnwrittenBytes?: number;
  segmentBytes?: number;
}

export interface JournalStats {
  /** Appended and not yet in the database (or rejected). */
  pending: number;
  /** Age of the oldest pending entry held in memory. */
  oldest_pending_ms: number | null;
  applied: number;
  /** Entries in rejected.jsonl (refused by the database for good), and how many this life. */
  rejected: number;
  rejected_since_start: number;
  /** The last append to disk worked. */
  writable: boolean;
  write_error: string | null;
  write_errors: number;
  /** Set while applying fails because the database is unavailable. */
  apply_error: string | null;
  apply_errors: number;
  /** Entries that could be neither journaled nor kept in memory (disk full for long, with the database down). */
  lost: number;
  segments: number;
}

/** `append` after `close`. */
export class JournalClosedError extends Error {
  override name = 'JournalClosedError';
}

interface Unwritten {
  seq: number;
  line: string;
}

export class Journal {
  private nextSeq: number;
  private durableThrough: number;
  private appliedThrough: number;
  private pendingCount: number;
  /** Pending entries in memory, in order, from `head`. */
  private queue: StoredEntry[] = [];
  private head = 0;
  /** Some pending entries are only on disk (or on their way there), after the queue's last. */
  private spilled: boolean;
  /** Lines not yet on disk. */
  private unwritten: Unwritten[] = [];
  private unwrittenBytes = 0;
  /** The last seq handed to the disk writer (not a volatile one). */
  private lastJournaled = 0;
  /** Entries that could not be journaled: applied from memory only, never counted as durable. */
  private readonly volatile = new Set<number>();
  private ackToWrite = 0;
  private ackWritten = 0;
  private writing = false;
  private writeError: Error | null = null;
  private applyError: Error | null = null;
  private readonly counters = { applied: 0, rejected: 0, writeErrors: 0, applyErrors: 0, lost: 0 };
  private lastApplyLog = 0;
  private wakeApplier: (() => void) | null = null;
  private readonly watchers = new Set<() => void>();
  private closing = false;
  private stopped = false;
  /** Pending sleeps, cut short by close(). */
  private readonly sleepers = new Set<() => void>();
  private applying: Promise<void> = Promise.resolve();
  private writes: Promise<void> = Promise.resolve();
  private readonly memoryEntries: number;
  private readonly batchEntries: number;

  private constructor(
    private readonly files: JournalFiles,
    private readonly opts: JournalOptions,
    loaded: ScanResult,
  ) {
    this.memoryEntries = opts.memoryEntries ?? DEFAULT_MEMORY_ENTRIES;
    this.batchEntries = opts.batchEntries ?? 100;
    this.queue = loaded.entries;
    this.spilled = loaded.more;
    this.pendingCount = loaded.count;
    this.appliedThrough = this.ackWritten = this.ackToWrite = loaded.ackedThrough;
    this.durableThrough = Math.max(loaded.lastSeq, loaded.ackedThrough);
    this.nextSeq = this.durableThrough + 1;
  }

  /** Open the journal in `dir`, load what an earlier life left pending, and start applying it. */
  static async open(opts: JournalOptions): Promise<Journal> {
    const files = await JournalFiles.open(opts.dir, { segmentBytes: opts.segmentBytes });
    try {
      const found = await files.scan(0, 0);
      const loaded = await files.scan(found.ackedThrough, opts.memoryEntries ?? DEFAULT_MEMORY_ENTRIES);
      const journal = new Journal(files, opts, loaded);
      if (found.corrupt || found.torn) opts.log.warn({ corrupt_lines: found.corrupt, torn_segments: found.torn }, 'journal: skipped unreadable lines (a crash mid-append leaves one torn line)');
      if (loaded.count) opts.log.info({ pending: loaded.count }, 'journal: replaying entries an earlier run left unapplied');
      await files.compact(found.ackedThrough);
      journal.applying = journal.applyLoop();
      return journal;
    } catch (err) {
      await files.close();
      throw err;
    }
  }

  /**
   * Add an operation; returns its sequence number. Never blocks and never throws for a disk or
   * database problem (those are retried and reported); throws JournalClosedError after close().
   */
  append(op: string, key: string, data: unknown): number {
    if (this.closing) throw new JournalClosedError(`journal closed: ${op} ${key} not recorded`);
    const maxUnwritten = this.opts.maxUnwrittenBytes ?? 64 * 1024 * 1024;
    const journaled = !(this.writeError && this.unwrittenBytes >= maxUnwritten);
    const inMemory = !this.spilled && this.queue.length - this.head < this.memoryEntries;
    if (!journaled && !inMemory) {
      this.counters.lost++;
      this.opts.log.error({ op, key }, 'journal: entry lost (the journal cannot be written and the memory bound is reached)');
      return 0;
    }
    const entry: StoredEntry = { seq: this.nextSeq++, op, key, t: Date.now(), data };
    this.pendingCount++;
    if (journaled) {
      const line = encodeLine({ s: entry.seq, o: op, k: key, t: entry.t, d: data });
      this.unwritten.push({ seq: entry.seq, line });
      this.unwrittenBytes += Buffer.byteLength(line);
      this.lastJournaled = entry.seq;
      this.write();
    } else {
      this.volatile.add(entry.seq);
    }
    if (inMemory) this.queue.push(entry);
    else this.spilled = true;
    this.wake();
    return entry.seq;
  }

  /**
   * Resolves true once entry `seq` can no longer be lost: on disk, or in the database; false when
   * neither happened within `timeoutMs`.
   */
  whenSaved(seq: number, timeoutMs: number): Promise<boolean> {
    if (seq <= 0) return Promise.resolve(false);
    return this.waitFor(() => seq <= this.appliedThrough || (seq <= this.durableThrough && !this.volatile.has(seq)), timeoutMs);
  }

  /** Resolves true once everything appended so far is in the database (or rejected); false on timeout. */
  flush(timeoutMs = 60_000): Promise<boolean> {
    const last = this.nextSeq - 1;
    return this.waitFor(() => this.appliedThrough >= last || (this.pendingCount === 0 && !this.spilled), timeoutMs);
  }

  stats(): JournalStats {
    const oldest = this.queue[this.head];
    return {
      pending: this.pendingCount,
      oldest_pending_ms: oldest ? Date.now() - oldest.t : null,
      applied: this.counters.applied,
      rejected: this.files.rejected,
      rejected_since_start: this.counters.rejected,
      writable: this.writeError === null,
      write_error: this.writeError?.message ?? null,
      write_errors: this.counters.writeErrors,
      apply_error: this.applyError ? dbErrorText(this.applyError) : null,
      apply_errors: this.counters.applyErrors,
      lost: this.counters.lost,
      segments: this.files.segments,
    };
  }

  /**
   * Stop taking entries, give the database up to `drainMs` to take what is pending, write the last
   * acknowledgement, and close the files. What is still pending stays on disk for the next start.
   */
  async close(drainMs = 5000): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    await this.flush(drainMs);
    this.stopped = true;
    for (const cut of [...this.sleepers]) cut();
    this.wake();
    // A database that hangs rather than fails must not hold the shutdown: what it has not
    // committed is still on disk and is applied at the next start.
    await Promise.race([this.applying, this.sleep(drainMs)]);
    await this.writes;
    await this.writeLoop(true);
    const left = this.pendingCount;
    if (left) this.opts.log.warn({ pending: left, unwritten: this.unwritten.length }, 'journal: closed with entries not yet in the database; they are applied at the next start');
    await this.files.close();
  }

  // -- writing --------------------------------------------------------------------------------

  private write(): void {
    if (!this.writing) this.writes = this.writeLoop();
  }

  /** Write what is buffered, in batches (one fdatasync each); on failure retry, reporting it. */
  private async writeLoop(final = false): Promise<void> {
    if (this.writing) return;
    this.writing = true;
    try {
      await null; // entries appended in the same turn of the event loop go out in one write
      while (this.unwritten.length || this.ackToWrite > this.ackWritten) {
        // Lines the database already took while the disk failed need no journaling any more.
        const lines = this.unwritten.filter((u) => u.seq > this.appliedThrough);
        const batch = lines.length;
        const batchBytes = lines.length === this.unwritten.length ? this.unwrittenBytes : lines.reduce((n, u) => n + Buffer.byteLength(u.line), 0);
        this.unwritten = [];
        this.unwrittenBytes = 0;
        const ack = this.ackToWrite;
        const text = lines.map((u) => u.line).join('') + (ack > this.ackWritten ? encodeLine({ a: ack }) : '');
        const lastSeq = batch ? lines[batch - 1].seq : 0;
        try {
          await this.files.append(text, batch > 0, lastSeq);
        } catch (err) {
          this.unwritten = lines.concat(this.unwritten);
          this.unwrittenBytes += batchBytes; // plus what was appended during the attempt
          this.counters.writeErrors++;
          if (!this.writeError) this.opts.log.error({ err, dir: this.files.dir }, 'journal: cannot write to disk; calls go on, entries are kept in memory and written to the database directly');
          this.writeError = err as Error;
          this.wake(); // the applier may now take entries that are not on disk
          this.notify();
          if (final || this.stopped) return;
          await this.sleep(this.opts.writeRetryMs ?? 1000);
          continue;
        }
        this.ackWritten = Math.max(this.ackWritten, ack);
        if (batch) this.durableThrough = Math.max(this.durableThrough, lastSeq);
        this.compact(); // the write may have closed a segment whose entries are all applied
        if (this.writeError) {
          this.opts.log.info({ dir: this.files.dir }, 'journal: writing to disk again');
          this.writeError = null;
        }
        this.wake();
        this.notify();
      }
    } finally {
      this.writing = false;
    }
  }

  // -- applying -------------------------------------------------------------------------------

  private async applyLoop(): Promise<void> {
    let backoff = this.opts.retryMinMs ?? 200;
    while (!this.stopped) {
      const batch = this.nextBatch();
      if (!batch.length) {
        if (this.spilled && this.head === this.queue.length && this.allOnDisk()) await this.reload();
        else await new Promise<void>((resolve) => (this.wakeApplier = resolve));
        continue;
      }
      const failure = await this.applyBatch(batch);
      if (!failure) {
        backoff = this.opts.retryMinMs ?? 200;
        continue;
      }
      this.noteApplyFailure(failure);
      await this.sleep(backoff);
      backoff = Math.min(backoff * 2, this.opts.retryMaxMs ?? 5000);
    }
  }

  /** Applies the batch (bisecting to single entries to find one the database refuses); returns a transient failure, if any. */
  private async applyBatch(batch: StoredEntry[], retried = false): Promise<Error | null> {
    try {
      await this.opts.applier.apply(batch);
      this.done(batch.length);
      return null;
    } catch (err) {
      if (this.opts.applier.isTransient(err) || !(await this.storeReachable())) return err as Error;
      if (batch.length === 1) {
        // Once more now that the store answers: a connection that broke in the outage's last moment
        // fails an entry that is fine; a wrong entry fails again.
        if (!retried) return this.applyBatch(batch, true);
        await this.reject(batch[0], err as Error);
        return null;
      }
    }
    for (const entry of batch) {
      const failure = await this.applyBatch([entry]);
      if (failure) return failure;
    }
    return null;
  }

  private async storeReachable(): Promise<boolean> {
    const probe = this.opts.applier.reachable;
    if (!probe) return true;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), REACHABLE_PROBE_MS)));
    try {
      return await Promise.race([probe.call(this.opts.applier).catch(() => false), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** The next entries that may be applied: in order, each on disk (or the disk is failing). */
  private nextBatch(): StoredEntry[] {
    const out: StoredEntry[] = [];
    for (let i = this.head; i < this.queue.length && out.length < this.batchEntries; i++) {
      const e = this.queue[i];
      if (e.seq > this.durableThrough && !this.writeError && !this.volatile.has(e.seq)) break;
      out.push(e);
    }
    return out;
  }

  /** The first `n` queued entries are in the database (or rejected). */
  private done(n: number, rejected = false): void {
    const last = this.queue[this.head + n - 1];
    for (let i = this.head; i < this.head + n; i++) this.volatile.delete(this.queue[i].seq);
    this.head += n;
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
    this.pendingCount -= n;
    if (!rejected) this.counters.applied += n;
    this.appliedThrough = last.seq;
    this.ackToWrite = last.seq;
    if (this.applyError) {
      this.opts.log.info({ pending: this.pendingCount }, 'journal: database writes work again; catching up');
      this.applyError = null;
    }
    this.write();
    this.compact();
    this.notify();
  }

  /** Delete the closed segments whose every entry is applied. */
  private compact(): void {
    void this.files.compact(this.appliedThrough).catch((err: Error) => this.opts.log.warn({ err }, 'journal: could not delete an applied segment'));
  }

  private async reject(entry: StoredEntry, err: Error): Promise<void> {
    this.counters.rejected++;
    // The error's text only: a driver's message quotes the SQL with its values (what callers said).
    this.opts.log.error({ op: entry.op, key: entry.key, error: dbErrorText(err) }, 'journal: the database refused an entry; it is kept in journal/rejected.jsonl');
    await this.files.reject(entry, dbErrorText(err)).catch((e: Error) => this.opts.log.error({ err: e, op: entry.op, key: entry.key }, 'journal: could not keep a refused entry'));
    this.done(1, true);
  }

  private noteApplyFailure(err: Error): void {
    this.counters.applyErrors++;
    const first = !this.applyError;
    this.applyError = err;
    const now = Date.now();
    if (first || now - this.lastApplyLog > 30_000) {
      this.lastApplyLog = now;
      this.opts.log.error({ error: dbErrorText(err), pending: this.pendingCount }, 'journal: database unavailable; entries wait in the journal and are retried');
    }
    this.notify();
  }

  /**
   * Every entry handed to the disk writer is on disk (or already applied, for one the database took
   * from memory while the disk failed). Only then is a scan a complete picture: the writer empties
   * `unwritten` before its write lands, so an empty `unwritten` alone does not say so.
   */
  private allOnDisk(): boolean {
    return !this.writeError && !this.unwritten.length && this.lastJournaled <= Math.max(this.durableThrough, this.appliedThrough);
  }

  /** Read the next pending entries back from disk (they did not fit in memory). */
  private async reload(): Promise<void> {
    const before = this.nextSeq;
    const r = await this.files.scan(this.appliedThrough, this.memoryEntries);
    this.queue = r.entries;
    this.head = 0;
    // Entries appended during the scan may or may not be in it (the queue is a prefix of what is
    // pending either way): leave `spilled` set and scan again once these are applied.
    if (this.nextSeq !== before || r.more) return;
    // The scan saw every journaled entry (nothing was in flight when it began, nothing came since).
    this.spilled = false;
    if (r.count !== this.pendingCount) {
      // Pending but on disk nowhere (a segment removed by hand, a corrupt line): say so, count it,
      // and stop waiting for it; never inferred from a scan that may have missed an append.
      const missing = this.pendingCount - r.count;
      if (missing > 0) {
        this.counters.lost += missing;
        this.opts.log.error({ missing }, 'journal: pending entries are missing from disk');
      }
      this.pendingCount = r.count;
      this.notify();
    }
  }

  // -- plumbing -------------------------------------------------------------------------------

  private wake(): void {
    const w = this.wakeApplier;
    this.wakeApplier = null;
    w?.();
  }

  private notify(): void {
    for (const w of [...this.watchers]) w();
  }

  private waitFor(done: () => boolean, timeoutMs: number): Promise<boolean> {
    if (done()) return Promise.resolve(true);
    return new Promise((resolve) => {
      const check = () => {
        if (!done()) return;
        finish(true);
      };
      const finish = (ok: boolean) => {
        clearTimeout(timer);
        this.watchers.delete(check);
        resolve(ok);
      };
      // Not unref'd: whoever waits keeps the process alive until the answer (the retries it waits for are).
      const timer = setTimeout(() => finish(false), timeoutMs);
      this.watchers.add(check);
    });
  }

  /** A pause that close() cuts short, and that does not keep the process alive by itself. */
  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.sleepers.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      timer.unref();
      this.sleepers.add(done);
    });
  }
}
