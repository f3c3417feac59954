/**
 * The heavy half of a backup, run in a worker thread (archive-worker.mjs): deflating entries into
 * a zip, and inflating a zip with its entries' sha256. Hundreds of megabytes of recordings would
 * otherwise hold the gateway's event loop, which paces every live call's audio, for seconds (see
 * `npm run bench -- backup`). Buffers cross the thread boundary by transfer, never by copy.
 */
import { createHash } from 'node:crypto';
import { unzipSync, zipSync, type Zippable } from 'fflate';

export interface ZipJob {
  op: 'zip';
  entries: Array<{ name: string; data: Uint8Array; level: 0 | 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9 }>;
}

export interface UnzipJob {
  op: 'unzip';
  zip: Uint8Array;
  /** Refuse an archive whose entries unpack to more than this many bytes (a zip bomb). */
  maxUnpacked: number;
}

/**
 * Marks an error as the archive's (unreadable, too large unpacked) rather than the thread's. A
 * prefix, because an Error crossing threads keeps its message but not a custom name or class.
 */
export const INVALID_ARCHIVE = 'invalid archive: ';

export const isInvalidArchive = (err: unknown): boolean => err instanceof Error && err.message.startsWith(INVALID_ARCHIVE);

export interface UnpackedEntry {
  data: Uint8Array;
  sha256: string;
}

export function zipEntries(job: ZipJob): Uint8Array {
  const files: Zippable = {};
  for (const e of job.entries) files[e.name] = [e.data, { level: e.level }];
  return zipSync(files);
}

/**
 * Every entry with its sha256, in one buffer so that it crosses back to the caller's thread in
 * one transfer (piscina moves only a top-level value): a 4-byte length, a JSON index of names,
 * offsets and hashes, then the entries' bytes. Throws when the archive cannot be read.
 */
export function unzipEntries(job: UnzipJob): Uint8Array {
  let total = 0;
  let files: Record<string, Uint8Array>;
  try {
    files = unzipSync(job.zip, {
      filter: (f) => {
        total += f.originalSize;
        if (total > job.maxUnpacked) throw new Error(`unpacks to more than ${job.maxUnpacked} bytes`);
        return true;
      },
    });
  } catch (err) {
    throw new Error(INVALID_ARCHIVE + (err as Error).message);
  }
  const index: Array<{ name: string; offset: number; length: number; sha256: string }> = [];
  let offset = 0;
  for (const [name, data] of Object.entries(files)) {
    index.push({ name, offset, length: data.byteLength, sha256: createHash('sha256').update(data).digest('hex') });
    offset += data.byteLength;
  }
  const head = Buffer.from(JSON.stringify(index));
  const out = new Uint8Array(4 + head.byteLength + offset);
  new DataView(out.buffer).setUint32(0, head.byteLength);
  out.set(head, 4);
  const base = 4 + head.byteLength;
  for (const e of index) out.set(files[e.name], base + e.offset);
  return out;
}

/** unzipEntries' buffer as entries again (views into it, no copies). */
export function readUnzipped(packed: Uint8Array): Map<string, UnpackedEntry> {
  const view = new DataView(packed.buffer, packed.byteOffset, packed.byteLength);
  const headLength = view.getUint32(0);
  const index = JSON.parse(Buffer.from(packed.buffer, packed.byteOffset + 4, headLength).toString('utf8')) as Array<{ name: string; offset: number; length: number; sha256: string }>;
  const base = packed.byteOffset + 4 + headLength;
  return new Map(index.map((e) => [e.name, { data: new Uint8Array(packed.buffer, base + e.offset, e.length), sha256: e.sha256 }]));
}
