/**
 * The heavy half of a backup, run in a worker thread (archive-worker.mjs): hashing every entry,
 * writing the manifest those hashes go into, deflating it all into a zip; and the reverse,
 * inflating a zip with each entry's sha256. Hundreds of megabytes of recordings would otherwise
 * hold the gateway's event loop, which paces every live call's audio, for seconds (see
 * `npm run bench -- backup`). Buffers cross the thread boundary by transfer, never by copy, both
 * ways: each result names the buffers it holds (`buffers`), which the worker hands to piscina as
 * its transfer list.
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

export interface UnpackedEntry {
  data: Uint8Array;
  sha256: string;
}

export interface PackResult {
  manifest: PackManifest;
  sha256: string;
  zip: Uint8Array;
}

/**
 * An archive that cannot be read (or unpacks too large) is an answer, not a failure of the
 * thread: it comes back as data, because an Error crossing threads keeps only its message.
 */
export type UnzipResult = { ok: true; entries: Array<{ name: string } & UnpackedEntry>; sha256: string } | { ok: false; message: string };

const sha256 = (data: Uint8Array) => createHash('sha256').update(data).digest('hex');

/** The backup zip, the finished manifest and the zip's own sha256. */
export function packBackup(job: PackJob): PackResult {
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
  return { manifest: m, sha256: sha256(zip), zip };
}

/** Every entry with its sha256, and the zip's own sha256; or why the archive cannot be read. */
export function unzipEntries(job: UnzipJob): UnzipResult {
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
    return { ok: false, message: (err as Error).message };
  }
  const entries = Object.entries(files).map(([name, data]) => ({ name, data, sha256: sha256(data) }));
  return { ok: true, entries, sha256: sha256(job.zip) };
}

/** The buffers a result holds, to move rather than copy back (each once: a list may not repeat one). */
export function resultBuffers(result: PackResult | UnzipResult): ArrayBuffer[] {
  if ('zip' in result) return [result.zip.buffer as ArrayBuffer];
  return result.ok ? [...new Set(result.entries.map((e) => e.data.buffer as ArrayBuffer))] : [];
}
