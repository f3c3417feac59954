/**
 * The heavy half of a backup, run in a worker thread (archive-worker.mjs): hashing every entry,
 * writing the manifest those hashes go into, deflating it all into a zip; and the reverse,
 * inflating a zip with each entry's sha256. Hundreds of megabytes of recordings would otherwise
 * hold the gateway's event loop, which paces every live call's audio, for seconds (see
 * `npm run bench -- backup`). Buffers cross the thread boundary by transfer, never by copy; a
 * result comes back as one buffer (piscina moves only a top-level value): a 4-byte length, a JSON
 * head, then the body.
 */
import { createHash } from 'node:crypto';
import { unzipSync, zipSync, type Zippable } from 'fflate';

type Level = 0 | 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9;

/** What a manifest needs from the thread: `entries` (filled in here) and recordings that may differ from their rows. */
export interface PackManifest {
  entries: Record<string, { sha256: string; bytes: number }>;
  recordings?: Record<string, { entry: string; differs_from_row?: true } | { missing: string }>;
  [key: string]: unknown;
}

export interface PackJob {
  op: 'pack';
  /** Written as manifest.json with `entries` filled in (keep the key where it should appear), and SHA256SUMS. */
  manifest: PackManifest;
  entries: Array<{ name: string; data: Uint8Array; level: Level }>;
  /** Entry -> the sha256 its database row records: a recording whose bytes differ is marked differs_from_row. */
  rowSha256: Record<string, string>;
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

const sha256 = (data: Uint8Array) => createHash('sha256').update(data).digest('hex');

function frame(head: unknown, size: number, fill: (out: Uint8Array, at: number) => void): Uint8Array {
  const json = Buffer.from(JSON.stringify(head));
  const out = new Uint8Array(4 + json.byteLength + size);
  new DataView(out.buffer).setUint32(0, json.byteLength);
  out.set(json, 4);
  fill(out, 4 + json.byteLength);
  return out;
}

function unframe<T>(framed: Uint8Array): { head: T; body: Uint8Array } {
  const length = new DataView(framed.buffer, framed.byteOffset, framed.byteLength).getUint32(0);
  const head = JSON.parse(Buffer.from(framed.buffer, framed.byteOffset + 4, length).toString('utf8')) as T;
  return { head, body: framed.subarray(4 + length) };
}

/** The backup zip, framed with the finished manifest and the zip's own sha256. */
export function packBackup(job: PackJob): Uint8Array {
  const m = job.manifest;
  m.entries = Object.fromEntries(job.entries.map((e) => [e.name, { sha256: sha256(e.data), bytes: e.data.byteLength }]));
  for (const r of Object.values(m.recordings ?? {})) {
    if ('entry' in r && job.rowSha256[r.entry] && job.rowSha256[r.entry] !== m.entries[r.entry]?.sha256) r.differs_from_row = true;
  }
  const files: Zippable = {
    'manifest.json': [Buffer.from(JSON.stringify(m, null, 2)), { level: 6 }],
    SHA256SUMS: [Buffer.from(Object.entries(m.entries).map(([name, e]) => `${e.sha256}  ${name}\n`).join('')), { level: 6 }],
  };
  for (const e of job.entries) files[e.name] = [e.data, { level: e.level }];
  const zip = zipSync(files);
  return frame({ manifest: m, sha256: sha256(zip) }, zip.byteLength, (out, at) => out.set(zip, at));
}

export function readPacked(framed: Uint8Array): { manifest: PackManifest; sha256: string; zip: Uint8Array } {
  const { head, body } = unframe<{ manifest: PackManifest; sha256: string }>(framed);
  return { ...head, zip: body };
}

/** Every entry with its sha256, and the zip's own sha256. Throws (INVALID_ARCHIVE) when the archive cannot be read. */
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
    index.push({ name, offset, length: data.byteLength, sha256: sha256(data) });
    offset += data.byteLength;
  }
  return frame({ index, sha256: sha256(job.zip) }, offset, (out, at) => {
    for (const e of index) out.set(files[e.name], at + e.offset);
  });
}

/** unzipEntries' result as entries again (views into its buffer, no copies). */
export function readUnzipped(framed: Uint8Array): { entries: Map<string, UnpackedEntry>; sha256: string } {
  const { head, body } = unframe<{ index: Array<{ name: string; offset: number; length: number; sha256: string }>; sha256: string }>(framed);
  const entries = new Map(head.index.map((e) => [e.name, { data: body.subarray(e.offset, e.offset + e.length), sha256: e.sha256 }]));
  return { entries, sha256: head.sha256 };
}
