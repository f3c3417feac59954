/**
 * The write-ahead journal on its own: entries reach the store in the order they were appended,
 * across outages, restarts and a memory bound; a crash between the database commit and the
 * acknowledgement replays into the same rows (a real process killed with SIGKILL, a real
 * database); a line torn by a crash mid-append is skipped, the rest replayed; applied segments
 * are deleted; an entry the store refuses is set aside without blocking the others; and one
 * journal directory has one owner.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import t, { type Test } from 'tap';
import { callJournalHandlers } from '../../control/calls/call-journal.ts';
import { openDatabase } from '../../control/db/connection.ts';
import { databaseApplier } from '../../control/journal/database-applier.ts';
import { JournalLockedError } from '../../control/journal/journal-files.ts';
import { Journal, type JournalApplier, type StoredEntry } from '../../control/journal/journal.ts';
import { createRepositories } from '../../control/repositories/index.ts';
import { FieldCipher } from '../../control/crypto/field-cipher.ts';
import { until } from '../helpers/until.ts';
import { testDatabase, testEngines } from './helpers/database.ts';

const silent = pino({ level: 'silent' });

/** A store that can be "down" (transient failures), refuses ops named `bad`, and records what it took. */
class FakeStore implements JournalApplier {
  readonly applied: StoredEntry[] = [];
  down = false;
  attempts = 0;
  async apply(entries: readonly StoredEntry[]): Promise<void> {
    this.attempts++;
    if (this.down) throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
    if (entries.some((e) => e.op === 'bad')) throw Object.assign(new Error('CHECK constraint failed'), { code: 'SQLITE_CONSTRAINT' });
    this.applied.push(...entries);
  }
  isTransient(err: unknown): boolean {
    return (err as { code?: string }).code === 'ECONNREFUSED';
  }
  get keys(): string[] {
    return this.applied.map((e) => e.key);
  }
}

function tempDir(t: Test): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'vg-journal-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const open = (dir: string, store: JournalApplier, extra: Partial<Parameters<typeof Journal.open>[0]> = {}) =>
  Journal.open({ dir, applier: store, log: silent, retryMinMs: 10, retryMaxMs: 50, ...extra });

const segmentsIn = (dir: string) => readdirSync(dir).filter((f) => f.startsWith('seg-'));

t.test('entries reach the store in append order, across an outage and a restart', async (t) => {
  const dir = tempDir(t);
  const store = new FakeStore();
  store.down = true;
  const j1 = await open(dir, store);
  for (let i = 1; i <= 30; i++) j1.append('op', `k${i}`, { i });
  await until('entries journaled to disk while the store is down', () => j1.whenSaved(30, 1).then(Boolean));
  await until('a failed attempt', () => j1.stats().apply_error !== null);
  t.match(j1.stats(), { pending: 30, writable: true, apply_error: /ECONNREFUSED/ });
  t.same(store.applied, [], 'nothing applied while down');
  await j1.close(0); // the process stops with all 30 pending

  const again = new FakeStore();
  const j2 = await open(dir, again);
  t.ok(await j2.flush(10_000), 'the earlier life\'s entries are replayed at start');
  t.same(again.keys, Array.from({ length: 30 }, (_, i) => `k${i + 1}`), 'in order');
  t.same(again.applied[4].data, { i: 5 }, 'with their data');
  again.down = true;
  const next = j2.append('op', 'k31', { i: 31 });
  t.equal(next, 31, 'numbering goes on after the replayed entries');
  j2.append('op', 'k32', {});
  await until('the new entries failing', () => again.attempts > 3);
  again.down = false;
  t.ok(await j2.flush(10_000));
  t.same(again.keys.slice(30), ['k31', 'k32'], 'retried in order once the store is back');
  t.match(j2.stats(), { pending: 0, apply_error: null, applied: 32 });
  await j2.close();
});

t.test('a crash between the database commit and the acknowledgement replays into the same rows', async (t) => {
  for (const engine of testEngines()) {
    const tdb = await testDatabase(engine);
    t.teardown(() => tdb.cleanup());
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(import.meta.dirname, 'helpers/journal-crash-child.ts'), JSON.stringify({ ...tdb, callId: 'crashed-call' })], { stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const signal = await new Promise<NodeJS.Signals | null>((resolve) => child.once('exit', (_code, sig) => resolve(sig)));
    t.equal(signal, 'SIGKILL', `${engine}: the writer died right after its commit ${err}`);

    const db = await openDatabase({ dataDir: tdb.dataDir, databaseUrl: tdb.databaseUrl, pgSchema: tdb.pgSchema });
    t.teardown(() => db.destroy());
    const repos = createRepositories(db, new FieldCipher(Buffer.alloc(32, 7)));
    t.equal((await repos.calls.transcript('crashed-call')).length, 4, `${engine}: the dying process's commit is in the database`);
    const lines = readFileSync(path.join(tdb.dataDir, 'journal', segmentsIn(path.join(tdb.dataDir, 'journal'))[0]!), 'utf8');
    t.notMatch(lines, /"a":7\b/, `${engine}: and was never acknowledged`);

    const journal = await Journal.open({ dir: path.join(tdb.dataDir, 'journal'), applier: databaseApplier(db, new Map(callJournalHandlers())), log: silent });
    t.ok(await journal.flush(10_000), `${engine}: the replay is applied`);
    t.ok(journal.stats().applied > 0, `${engine}: entries were applied again`);
    t.equal(journal.stats().rejected, 0, `${engine}: and none refused`);
    await journal.close();
    t.same((await repos.calls.transcript('crashed-call')).map((s) => [s.seq, s.speaker, s.text]), [
      [1, 'caller', 'what are your hours'],
      [2, 'assistant', 'We open at nine.'],
      [3, 'caller', 'thank you'],
      [4, 'assistant', 'Goodbye.'],
    ], `${engine}: each segment once`);
    t.equal((await repos.calls.turns('crashed-call')).length, 1, `${engine}: the turn once`);
    t.equal((await db('calls').where({ id: 'crashed-call' })).length, 1, `${engine}: the call once`);
  }
});

t.test('a line torn by a crash mid-append is skipped; the entries before it are replayed', async (t) => {
  const dir = tempDir(t);
  const store = new FakeStore();
  store.down = true;
  const j1 = await open(dir, store);
  for (let i = 1; i <= 5; i++) j1.append('op', `k${i}`, { text: 'x'.repeat(40) });
  await until('on disk', () => j1.whenSaved(5, 1).then(Boolean));
  await j1.close(0);
  const [seg] = segmentsIn(dir);
  const file = path.join(dir, seg!);
  const text = readFileSync(file, 'utf8');
  // The kernel had taken only half of the last line when the process died.
  truncateSync(file, text.length - 30);

  const again = new FakeStore();
  const j2 = await open(dir, again);
  t.ok(await j2.flush(10_000));
  t.same(again.keys, ['k1', 'k2', 'k3', 'k4'], 'the torn entry is ignored, nothing else lost');
  t.equal(j2.append('op', 'k5b', {}), 5, 'its number is reused: it never existed');
  t.ok(await j2.flush(10_000));
  await j2.close();

  // A flipped byte inside a line fails its checksum: that line is skipped, not misread.
  const dir2 = tempDir(t);
  const s3 = new FakeStore();
  s3.down = true;
  const j3 = await open(dir2, s3);
  for (let i = 1; i <= 3; i++) j3.append('op', `m${i}`, { v: 'abc' });
  await until('on disk', () => j3.whenSaved(3, 1).then(Boolean));
  await j3.close(0);
  const f2 = path.join(dir2, segmentsIn(dir2)[0]!);
  writeFileSync(f2, readFileSync(f2, 'utf8').replace('"m2","t"', '"m9","t"'));
  const s4 = new FakeStore();
  const j4 = await open(dir2, s4);
  t.ok(await j4.flush(10_000));
  t.same(s4.keys, ['m1', 'm3'], 'the corrupted line is skipped');
  await j4.close();
});

t.test('compaction: applied segments are deleted, pending ones kept until applied', async (t) => {
  const dir = tempDir(t);
  const store = new FakeStore();
  const j = await open(dir, store, { segmentBytes: 300 });
  for (let i = 1; i <= 40; i++) {
    j.append('op', `k${i}`, { pad: 'y'.repeat(60) });
    if (i % 5 === 0) await j.flush(10_000);
  }
  t.ok(await j.flush(10_000));
  await until('applied segments deleted', () => segmentsIn(dir).length === 1);
  t.equal(j.stats().segments, 1, 'only the segment being written is left');

  store.down = true;
  for (let i = 41; i <= 60; i++) {
    j.append('op', `k${i}`, { pad: 'y'.repeat(60) });
    await j.whenSaved(i, 5000);
  }
  t.ok(segmentsIn(dir).length > 3, 'segments pile up while the store is down');
  store.down = false;
  t.ok(await j.flush(10_000));
  await until('deleted once applied', () => segmentsIn(dir).length === 1);
  t.same(store.keys, Array.from({ length: 60 }, (_, i) => `k${i + 1}`));
  await j.close();
  t.same(segmentsIn(dir).length <= 1, true, 'close leaves at most the last segment');

  const reopened = new FakeStore();
  const j2 = await open(dir, reopened);
  t.ok(await j2.flush(10_000));
  t.same(reopened.applied, [], 'nothing applied twice after a clean close');
  await j2.close();
});

t.test('an entry the store refuses for good is set aside; the others go on', async (t) => {
  const dir = tempDir(t);
  const store = new FakeStore();
  const j = await open(dir, store);
  j.append('op', 'a', {});
  j.append('bad', 'b', { why: 'violates a constraint' });
  j.append('op', 'c', {});
  t.ok(await j.flush(10_000));
  t.same(store.keys, ['a', 'c']);
  t.match(j.stats(), { rejected: 1, rejected_since_start: 1, pending: 0 });
  const rejected = readFileSync(path.join(dir, 'rejected.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  t.match(rejected, [{ op: 'bad', key: 'b', data: { why: 'violates a constraint' }, error: /SQLITE_CONSTRAINT/ }]);
  await j.close();
});

t.test('more pending entries than memory holds wait on disk and are read back in order', async (t) => {
  const dir = tempDir(t);
  const store = new FakeStore();
  store.down = true;
  const j = await open(dir, store, { memoryEntries: 4, batchEntries: 3 });
  for (let i = 1; i <= 25; i++) j.append('op', `k${i}`, { i });
  t.equal(j.stats().pending, 25);
  await until('all on disk', () => j.whenSaved(25, 1).then(Boolean));
  store.down = false;
  t.ok(await j.flush(10_000));
  t.same(store.keys, Array.from({ length: 25 }, (_, i) => `k${i + 1}`));
  await j.close();
});

t.test('one owner per journal directory; a dead owner\'s claim is taken over', async (t) => {
  const dir = tempDir(t);
  const j = await open(dir, new FakeStore());
  await t.rejects(open(dir, new FakeStore()), JournalLockedError, 'a second journal on the same directory is refused');
  await j.close();
  t.notOk(existsSync(path.join(dir, 'owner.pid')), 'the claim is released on close');
  // A process that died without releasing it (kill -9).
  const dead = spawn(process.execPath, ['-e', '0']);
  const deadPid = dead.pid!;
  await new Promise((r) => dead.once('exit', r));
  writeFileSync(path.join(dir, 'owner.pid'), `${deadPid}\n`);
  const j2 = await open(dir, new FakeStore());
  t.match(readFileSync(path.join(dir, 'owner.pid'), 'utf8').trim(), new RegExp(`^${process.pid} \\d+$`), 'the claim names this process and its start time');
  await j2.close();

  // A running process with the recorded pid: the owner only if it also started when the claim says.
  const live = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)']);
  t.teardown(() => void live.kill('SIGKILL'));
  await new Promise((r) => live.once('spawn', r));
  const start = Number(readFileSync(`/proc/${live.pid}/stat`, 'utf8').split(') ')[1]!.split(' ')[19]);
  writeFileSync(path.join(dir, 'owner.pid'), `${live.pid} ${start}\n`);
  await t.rejects(open(dir, new FakeStore()), JournalLockedError, 'the live owner keeps it');
  writeFileSync(path.join(dir, 'owner.pid'), `${live.pid}\n`);
  await t.rejects(open(dir, new FakeStore()), JournalLockedError, 'an older claim (pid only) of a live process is kept');
  writeFileSync(path.join(dir, 'owner.pid'), `${live.pid} ${start + 1}\n`);
  const j3 = await open(dir, new FakeStore());
  t.pass('a pid reused by another process (a different start time) does not hold the journal');
  await j3.close();
});

t.test('appends during a catch-up from disk are neither lost nor stranded (entries spilled to small segments)', async (t) => {
  // Many rounds: whether an append lands mid-scan, mid-write or mid-roll is up to the scheduler.
  for (let run = 0; run < 30; run++) {
    const dir = tempDir(t);
    const store = new FakeStore();
    store.down = true;
    const j = await open(dir, store, { memoryEntries: 20, batchEntries: 7, segmentBytes: 600 });
    const keys: string[] = [];
    const add = () => {
      const key = `k${keys.length + 1}`;
      keys.push(key);
      return j.append('op', key, { n: keys.length });
    };
    for (let i = 0; i < 200; i++) add();
    await until('the backlog on disk', () => j.whenSaved(200, 1).then(Boolean));
    store.down = false;
    // Keep appending, a few at a time with small random pauses, while the backlog is read back.
    for (let i = 0; i < 60; i++) {
      const seq = add();
      if (i % 3 === 0) await new Promise((r) => setTimeout(r, run % 4));
      else if (i % 3 === 1) await new Promise((r) => setImmediate(r));
      if (i === 59) t.ok(await j.whenSaved(seq, 10_000), `run ${run}: the last entry is saved`);
    }
    t.ok(await j.flush(20_000), `run ${run}: everything applied`);
    t.same(store.keys, keys, `run ${run}: every entry applied once, in order`);
    t.match(j.stats(), { pending: 0, lost: 0 }, `run ${run}: nothing lost or left pending`);
    await j.close();
  }
});

t.test('an entry that fails with an error of no code (not a connection failure) is set aside, not retried forever', async (t) => {
  for (const engine of testEngines()) {
    const tdb = await testDatabase(engine);
    t.teardown(() => tdb.cleanup());
    const db = await openDatabase({ dataDir: tdb.dataDir, databaseUrl: tdb.databaseUrl, pgSchema: tdb.pgSchema });
    t.teardown(() => db.destroy());
    const handlers = new Map([
      ...callJournalHandlers(),
      // A handler bug: knex refuses an undefined binding with a plain Error (no code).
      ['lookup', async (trx: Parameters<ReturnType<typeof callJournalHandlers>[number][1]>[0], data: { id?: string }) => void (await trx('calls').where({ id: data.id }).first())],
    ]);
    const journal = await Journal.open({ dir: path.join(tdb.dataDir, 'journal'), applier: databaseApplier(db, handlers), log: silent, retryMinMs: 10, retryMaxMs: 50 });
    journal.append('lookup', 'no-id', {});
    journal.append('lookup', 'with-id', { id: 'c1' });
    t.ok(await journal.flush(10_000), `${engine}: the entries after it are not blocked`);
    t.match(journal.stats(), { rejected: 1, applied: 1, apply_errors: 0, pending: 0 }, `${engine}: refused at the first try`);
    const rejected = readFileSync(path.join(tdb.dataDir, 'journal', 'rejected.jsonl'), 'utf8');
    t.match(rejected, /"key":"no-id".*Undefined binding/, `${engine}: kept with the reason`);
    await journal.close();
  }
});

t.test('an error that looks permanent while the store does not answer is the outage\'s: the entry waits and is applied, never set aside', async (t) => {
  const dir = tempDir(t);
  /** Mid-outage, a driver says something no list of connection errors names. */
  class OddOutage extends FakeStore {
    reachableAsked = 0;
    override async apply(entries: readonly StoredEntry[]): Promise<void> {
      this.attempts++;
      if (this.down) throw new Error('Transaction query already complete, run with DEBUG=knex:tx for more info');
      this.applied.push(...entries);
    }
    async reachable(): Promise<boolean> {
      this.reachableAsked++;
      return !this.down;
    }
  }
  const store = new OddOutage();
  store.down = true;
  const journal = await open(dir, store);
  journal.append('op', 'john-smith', { text: 'john smith' });
  await until('several failed attempts', () => store.attempts >= 3);
  t.equal(journal.stats().rejected, 0, 'not set aside while the store is down');
  t.ok(store.reachableAsked >= 1, 'the store was asked whether it answers');
  store.down = false;
  t.ok(await journal.flush(10_000), 'applied once the store is back');
  t.same(store.keys, ['john-smith']);
  t.match(journal.stats(), { rejected: 0, pending: 0 });
  await journal.close();
});

t.test('a disk that cannot take the journal (ENOSPC): entries go to the database from memory, are journaled once it has room, and only what fits nowhere is lost', async (t) => {
  const dir = tempDir(t);
  const store = new FakeStore();
  // Every segment after the first is /dev/full (a failed write makes the journal move on to the
  // next segment, removing the link it could not use): the disk is full until the links go.
  const links = Array.from({ length: 3000 }, (_, i) => path.join(dir, `seg-${String(i + 2).padStart(10, '0')}.log`));
  const j = await open(dir, store, { segmentBytes: 1, writeRetryMs: 10, maxUnwrittenBytes: 400, memoryEntries: 5 });
  for (const link of links) symlinkSync('/dev/full', link);
  j.append('op', 'k1', {}); // fills the first segment past segmentBytes
  await until('k1 on disk', () => j.whenSaved(1, 1).then(Boolean));
  store.down = true;
  j.append('op', 'k2', { pad: 'x'.repeat(100) });
  await until('the write failing', () => j.stats().write_error !== null);
  t.match(j.stats(), { writable: false, write_error: /ENOSPC/ });
  for (let i = 3; i <= 6; i++) j.append('op', `k${i}`, { pad: 'x'.repeat(100) }); // past maxUnwrittenBytes: held in memory only
  t.equal(j.append('op', 'k7', {}), 0, 'neither journaled nor in memory (the memory bound): lost, and said so');
  t.equal(j.stats().lost, 1);
  store.down = false;
  t.ok(await j.flush(10_000), 'the database takes what was held in memory');
  t.same(store.keys, ['k1', 'k2', 'k3', 'k4', 'k5', 'k6']);
  for (const link of links) rmSync(link, { force: true }); // space returns
  await until('writing again', () => j.stats().writable);
  const k8 = j.append('op', 'k8', {});
  t.equal(k8, 7, 'a lost entry took no sequence number');
  t.ok(await j.whenSaved(k8, 10_000), 'new entries are journaled again');
  t.ok(await j.flush(10_000));
  await j.close();
  const again = new FakeStore();
  const j2 = await open(dir, again);
  t.ok(await j2.flush(10_000));
  t.same(again.keys, [], 'nothing applied twice after a restart: the acknowledgement covers what the database took from memory');
  await j2.close();
});
