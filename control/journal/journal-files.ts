/**
 * The journal on disk: append-only segment files of checksummed JSON lines in one directory
 * (`DATA_DIR/journal`, mode 0700; files 0600), plus `rejected.jsonl` for entries the database
 * refused for good, and `owner.pid` (`<pid> <start ticks>`) so two processes never write the same journal.
 *
 * A line is `<crc32 hex> <json>\n`: an entry `{"s":seq,"o":op,"k":key,"t":ms,"d":data}` or an
 * acknowledgement `{"a":seq}` (every entry up to seq is in the database). A crash mid-append
 * leaves a last line without its newline (or with a checksum that does not match): it is ignored,
 * and since every start writes to a new segment, a torn line is always the last of its file.
 * Segments roll at `segmentBytes` and are deleted once every entry in them is acknowledged: that
 * is the compaction; nothing is ever rewritten in place.
 *
 * Everything here is asynchronous (the libuv thread pool does the writes and fsyncs), so the event
 * loop that paces live calls never waits on the disk.
 */
import { createReadStream } from 'node:fs';
import { appendFile, chmod, mkdir, open, readdir, readFile, rm, writeFile, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { crc32 } from 'node:zlib';
import { syncDir } from '../../runtime/durable-files.ts';
import { ownerAlive, ownStartTicks } from '../../runtime/owned-temp.ts';

export interface StoredEntry {
  seq: number;
  op: string;
  key: string;
  /** When it was appended (epoch ms). */
  t: number;
  data: unknown;
}

export interface ScanResult {
  /** Entries with seq > `after`, in order, at most `limit`. */
  entries: StoredEntry[];
  /** How many entries with seq > `after` there are in all. */
  count: number;
  /** More such entries are on disk than were returned. */
  more: boolean;
  /** Highest acknowledged seq found. */
  ackedThrough: number;
  /** Highest entry seq found. */
  lastSeq: number;
  /** Lines whose checksum or JSON was bad (not counting torn last lines). */
  corrupt: number;
  /** Segments that ended in a torn line (a crash mid-append). */
  torn: number;
}

/** Another live process holds this journal (two gateways on one DATA_DIR). */
export class JournalLockedError extends Error {
  override name = 'JournalLockedError';
}

const SEGMENT = /^seg-(\d{10})\.log$/;
const segmentName = (n: number) => `seg-${String(n).padStart(10, '0')}.log`;
const OWNER = 'owner.pid';
const REJECTED = 'rejected.jsonl';

/** Journal directories this process has open: its own pid in owner.pid is only stale when not listed. */
const openHere = new Set<string>();

export function encodeLine(record: object): string {
  const json = JSON.stringify(record);
  return `${crc32(json).toString(16).padStart(8, '0')} ${json}\n`;
}

type Decoded = { kind: 'entry'; entry: StoredEntry } | { kind: 'ack'; seq: number } | { kind: 'bad' };

export function decodeLine(line: string): Decoded {
  const sp = line.indexOf(' ');
  if (sp !== 8) return { kind: 'bad' };
  const json = line.slice(9);
  if (parseInt(line.slice(0, 8), 16) !== crc32(json)) return { kind: 'bad' };
  try {
    const r = JSON.parse(json) as Record<string, unknown>;
    if (typeof r.a === 'number') return { kind: 'ack', seq: r.a };
    if (typeof r.s === 'number' && typeof r.o === 'string' && typeof r.k === 'string') {
      return { kind: 'entry', entry: { seq: r.s, op: r.o, key: r.k, t: typeof r.t === 'number' ? r.t : 0, data: r.d } };
    }
  } catch {
    // fall through: counted as corrupt
  }
  return { kind: 'bad' };
}

const ENTRY_PREFIX = '{"s":';

/** The seq of an entry line, read from its prefix (`<crc> {"s":<seq>,`); null for any other line. */
function peekSeq(line: string): number | null {
  if (!line.startsWith(ENTRY_PREFIX, 9)) return null;
  const end = line.indexOf(',', 9 + ENTRY_PREFIX.length);
  const seq = end < 0 ? NaN : Number(line.slice(9 + ENTRY_PREFIX.length, end));
  return Number.isSafeInteger(seq) ? seq : null;
}

interface Segment {
  n: number;
  file: string;
  /** Highest entry seq written to it (0: none). */
  lastSeq: number;
}

export class JournalFiles {
  private readonly closed: Segment[] = [];
  private current!: Segment;
  private fh!: FileHandle;
  private size = 0;
  /** A failed append could not be undone: the next one starts a fresh segment. */
  private mustRoll = false;
  private rejectedCount = 0;

  private constructor(
    readonly dir: string,
    private readonly segmentBytes: number,
  ) {}

  /** Open (creating) the journal directory, take it over from a dead owner, and start a new segment. */
  static async open(dir: string, opts: { segmentBytes?: number } = {}): Promise<JournalFiles> {
    const abs = path.resolve(dir);
    await mkdir(abs, { recursive: true, mode: 0o700 });
    await chmod(abs, 0o700);
    await claim(abs);
    const files = new JournalFiles(abs, opts.segmentBytes ?? 1024 * 1024);
    try {
      const names = (await readdir(abs)).filter((f) => SEGMENT.test(f)).sort();
      for (const name of names) files.closed.push({ n: Number(SEGMENT.exec(name)![1]), file: path.join(abs, name), lastSeq: 0 });
      files.rejectedCount = await countLines(path.join(abs, REJECTED));
      await files.startSegment((files.closed.at(-1)?.n ?? 0) + 1);
    } catch (err) {
      openHere.delete(abs);
      throw err;
    }
    return files;
  }

  /** Entries on disk with seq > `after` (at most `limit`), and what the scan learned about the files. */
  async scan(after: number, limit: number): Promise<ScanResult> {
    const result: ScanResult = { entries: [], count: 0, more: false, ackedThrough: 0, lastSeq: 0, corrupt: 0, torn: 0 };
    for (const seg of [...this.closed, this.current]) {
      let last = 0;
      const torn = await readLines(seg.file, (line) => {
        // An entry already applied needs only its seq: no checksum, no JSON.parse of its data (a
        // catch-up rescans what is left of a big backlog, most of it applied by then).
        const applied = peekSeq(line);
        if (applied !== null && applied <= after) return void (last = Math.max(last, applied));
        const d = decodeLine(line);
        if (d.kind === 'bad') return void result.corrupt++;
        if (d.kind === 'ack') return void (result.ackedThrough = Math.max(result.ackedThrough, d.seq));
        last = Math.max(last, d.entry.seq);
        if (d.entry.seq <= after) return;
        result.count++;
        if (result.entries.length < limit) result.entries.push(d.entry);
        else result.more = true;
      });
      if (torn) result.torn++;
      seg.lastSeq = Math.max(seg.lastSeq, last);
      result.lastSeq = Math.max(result.lastSeq, last);
    }
    return result;
  }

  /**
   * Append text (whole lines) to the current segment; with `sync`, return only once it is on disk
   * (fdatasync). `lastSeq` is the highest entry seq in it. A failed append is cut off again, so a
   * retry never glues a torn fragment to the front of a good line.
   */
  async append(text: string, sync: boolean, lastSeq: number): Promise<void> {
    if (this.mustRoll || this.size >= this.segmentBytes) await this.roll();
    const buf = Buffer.from(text);
    const start = this.size;
    try {
      for (let off = 0; off < buf.length; ) off += (await this.fh.write(buf, off, buf.length - off)).bytesWritten;
      if (sync) await this.fh.datasync();
    } catch (err) {
      await this.fh.truncate(start).catch(() => (this.mustRoll = true));
      throw err;
    }
    this.size += buf.length;
    this.current.lastSeq = Math.max(this.current.lastSeq, lastSeq);
  }

  /** Delete the segments (never the current one) whose every entry is acknowledged. */
  async compact(ackedThrough: number): Promise<number> {
    let removed = 0;
    while (this.closed.length && this.closed[0].lastSeq <= ackedThrough) {
      await rm(this.closed.shift()!.file, { force: true });
      removed++;
    }
    return removed;
  }

  /** Keep an entry the database refused for good, with the reason, for an operator. */
  async reject(entry: StoredEntry, reason: string): Promise<void> {
    const file = path.join(this.dir, REJECTED);
    await appendFile(file, JSON.stringify({ ...entry, error: reason, rejected_at: new Date().toISOString() }) + '\n', { mode: 0o600, flush: true });
    this.rejectedCount++;
  }

  get rejected(): number {
    return this.rejectedCount;
  }

  /** Segment files on disk (for tests and health). */
  get segments(): number {
    return this.closed.length + 1;
  }

  async close(): Promise<void> {
    await this.fh.close().catch(() => {});
    if (this.size === 0) await rm(this.current.file, { force: true }); // nothing written this life
    await rm(path.join(this.dir, OWNER), { force: true });
    openHere.delete(this.dir);
  }

  /**
   * Close the current segment and continue in the next. The new file is opened first and the lists
   * change in one synchronous step: a scan that starts mid-roll must never list a segment twice
   * (it would count its entries twice) nor miss one.
   */
  private async roll(): Promise<void> {
    const old = this.current;
    const oldFh = this.fh;
    const keep = this.size > 0 || old.lastSeq > 0;
    await this.startSegment(old.n + 1, () => {
      if (keep) this.closed.push(old);
    });
    await oldFh.close().catch(() => {});
    if (!keep) await rm(old.file, { force: true });
  }

  /**
   * Create segment `n` and make it current; `beforeSwitch` runs in the same synchronous step. The
   * directory is fsynced so that the new file itself survives a power cut (an fdatasync of its
   * content does not make its directory entry durable).
   */
  private async startSegment(n: number, beforeSwitch?: () => void): Promise<void> {
    const file = path.join(this.dir, segmentName(n));
    const fh = await open(file, 'a', 0o600);
    try {
      await syncDir(this.dir);
    } catch (err) {
      await fh.close().catch(() => {});
      throw err;
    }
    beforeSwitch?.();
    this.fh = fh;
    this.current = { n, file, lastSeq: 0 };
    this.size = 0;
    this.mustRoll = false;
  }
}

/**
 * Take the directory: refuse while another live process owns it; a dead owner's claim is stale.
 * The claim is `<pid> <start ticks>` (runtime/owned-temp.ts), so a pid reused after a reboot, or
 * the same pid 1 of a container's next life, is not taken for the owner; it is created exclusively
 * ('wx'), so of two starts at the same moment one wins. (Two starts that both find the same stale
 * claim could still both remove it; each re-reads the claim after writing it and refuses unless it
 * is its own.)
 */
async function claim(dir: string): Promise<void> {
  const file = path.join(dir, OWNER);
  const mine = `${process.pid} ${ownStartTicks()}`;
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      await writeFile(file, `${mine}\n`, { mode: 0o600, flag: 'wx' });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const owner = await readFile(file, 'utf8').catch(() => '');
      if (ownedByLiveProcess(owner, dir)) throw new JournalLockedError(`the journal in ${dir} is in use by process ${owner.trim().split(/\s+/)[0]} (one gateway per data directory)`);
      await rm(file, { force: true }); // stale: its owner no longer runs
      continue;
    }
    if ((await readFile(file, 'utf8').catch(() => '')).trim() !== mine) continue; // taken over meanwhile
    openHere.add(dir);
    return;
  }
  throw new JournalLockedError(`the journal in ${dir} is being claimed by another process (one gateway per data directory)`);
}

/** Whether an owner.pid's `<pid> [<start ticks>]` names a process still running (this one only when it has the journal open). */
function ownedByLiveProcess(owner: string, dir: string): boolean {
  const [pid, start] = owner.trim().split(/\s+/).map(Number);
  if (!Number.isSafeInteger(pid) || pid <= 0) return false; // empty or garbled: a crash mid-write
  const startTicks = Number.isSafeInteger(start) ? start : 0; // an older version wrote the pid only
  if (pid === process.pid && (startTicks === 0 || startTicks === ownStartTicks())) return openHere.has(dir);
  return ownerAlive(pid, startTicks);
}

/** Calls `onLine` for every complete line; resolves true when the file ended in a torn (unterminated) line. */
async function readLines(file: string, onLine: (line: string) => void): Promise<boolean> {
  let rest = '';
  try {
    for await (const chunk of createReadStream(file, { encoding: 'utf8', highWaterMark: 256 * 1024 })) {
      const lines = (rest + (chunk as string)).split('\n');
      rest = lines.pop()!;
      for (const line of lines) if (line) onLine(line);
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
  return rest.length > 0;
}

async function countLines(file: string): Promise<number> {
  let n = 0;
  await readLines(file, () => n++);
  return n;
}
