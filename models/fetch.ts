// Fetch one manifest entry into the models dir: download (resumable) or pick up a file the user
// placed by hand, verify it against the manifest, unpack, and move it into place atomically.
//
// What happens to the bytes when something goes wrong (documented in docs/models.md):
// - connection cut / timeout mid-transfer: retried with Range; if retries run out the .part file
//   is KEPT, and running fetch again resumes from it;
// - sha256 (or, with no sha256 pinned, size) mismatch: the .part file is DELETED, because resuming
//   a corrupt prefix can never produce the right file; a hand-placed file is left alone;
// - host unreachable: OfflineError, telling the user where to put a hand-downloaded file.
import { mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { downloadResumable, type DownloadOptions } from './download.ts';
import type { FetchListener } from './fetch-events.ts';
import { sha256File } from './hash.ts';
import { UnreachableError } from './http-get.ts';
import { installDownloaded, missingFiles, readStamp } from './install.ts';
import { modelsDir } from './locations.ts';
import { urlFileName, type ModelEntry } from './manifest.ts';

export class OfflineError extends Error {
  constructor(message: string) { super(message); this.name = 'OfflineError'; }
}

export class IntegrityError extends Error {
  constructor(message: string) { super(message); this.name = 'IntegrityError'; }
}

export interface FetchOptions extends Omit<DownloadOptions, 'expectedSize'> {
  dir?: string;
  /** Fetch again even if a complete install with the right checksum is already there. */
  force?: boolean;
}

export interface FetchResult {
  name: string;
  path: string;
  sha256: string;
  sizeBytes: number;
  /** false when the manifest has no sha256 for this entry: the caller should show sha256 for pinning. */
  pinned: boolean;
  source: 'already-installed' | 'download' | 'hand-placed';
  resumedFrom: number;
}

async function exists(p: string): Promise<boolean> {
  return stat(p).then(() => true, () => false);
}

// Two fetches of one model would interleave writes into the same .part file. A lock file with the
// owner's pid guards separate processes (a stale one, left by a killed process, is taken over);
// the set guards concurrent calls inside this process.
const heldHere = new Set<string>();
async function lock(path: string): Promise<() => Promise<void>> {
  if (heldHere.has(path)) throw new Error(`a fetch into ${path.replace(/\.part\.lock$/, '')} is already running in this process`);
  try {
    await writeFile(path, String(process.pid), { flag: 'wx' });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    const pid = Number(await readFile(path, 'utf8').catch(() => ''));
    let alive = false;
    if (Number.isInteger(pid) && pid > 0 && pid !== process.pid) {
      try { process.kill(pid, 0); alive = true; } catch (k) { alive = (k as NodeJS.ErrnoException).code === 'EPERM'; }
    }
    if (alive) throw new Error(`another fetch (pid ${pid}) is downloading this model; if that is wrong, delete ${path}`);
    await writeFile(path, String(process.pid));
  }
  heldHere.add(path);
  return async () => { heldHere.delete(path); await rm(path, { force: true }); };
}

async function verify(entry: ModelEntry, file: string, ownedByUs: boolean, emit: FetchListener): Promise<{ sha256: string; sizeBytes: number }> {
  emit({ type: 'verify', file });
  const sizeBytes = (await stat(file)).size;
  // Hash the finished file from disk rather than the bytes as they streamed in: after a resume the
  // first part came from an earlier run, and the whole file is what the engine will load.
  const sha256 = await sha256File(file);
  const fail = async (what: string) => {
    if (ownedByUs) await rm(file, { force: true });
    const after = ownedByUs ? 'The download was deleted (a corrupt prefix cannot be resumed); run fetch again to start over.' : `${file} was left in place; replace it with a good copy or delete it and fetch again.`;
    throw new IntegrityError(`${basename(file)}: ${what}. ${after}`);
  };
  if (entry.sha256 !== null) {
    if (sha256 !== entry.sha256) await fail(`sha256 mismatch: expected ${entry.sha256}, got ${sha256} (${sizeBytes} bytes)`);
    // The checksum is the stronger pin: a matching file with a different size means the size pin is wrong.
    if (entry.sizeBytes !== null && sizeBytes !== entry.sizeBytes) emit({ type: 'warning', message: `sha256 matches but the file has ${sizeBytes} bytes, not the ${entry.sizeBytes} in the manifest; fix the manifest` });
  } else {
    if (entry.sizeBytes !== null && sizeBytes !== entry.sizeBytes) await fail(`size mismatch: expected ${entry.sizeBytes} bytes, got ${sizeBytes}`);
    emit({ type: 'unpinned', sha256, sizeBytes });
  }
  return { sha256, sizeBytes };
}

export async function fetchModel(entry: ModelEntry, opts: FetchOptions = {}): Promise<FetchResult> {
  const emit = opts.onEvent ?? (() => {});
  const dir = opts.dir ?? modelsDir();
  const target = join(dir, entry.name);
  await mkdir(dir, { recursive: true });

  if (!opts.force) {
    const stamp = await readStamp(target);
    if (stamp && (await missingFiles(target, entry)).length === 0 && (entry.sha256 === null || stamp.sha256 === entry.sha256)) {
      return { name: entry.name, path: target, sha256: stamp.sha256, sizeBytes: stamp.sizeBytes, pinned: entry.sha256 !== null, source: 'already-installed', resumedFrom: 0 };
    }
  }

  const fileName = urlFileName(entry.url);
  const handPlaced = join(dir, fileName);
  const part = handPlaced + '.part';
  const unlock = await lock(part + '.lock');
  try {
    let file = part;
    let source: FetchResult['source'] = 'download';
    let resumedFrom = 0;
    if (await exists(handPlaced)) {
      // The offline route: someone downloaded the file elsewhere and put it here, as our error says.
      file = handPlaced;
      source = 'hand-placed';
    } else {
      try {
        ({ resumedFrom } = await downloadResumable(entry.url, part, { ...opts, expectedSize: entry.sizeBytes }));
      } catch (err) {
        if (err instanceof UnreachableError) {
          throw new OfflineError(`cannot reach ${err.host}: are you offline? download ${entry.url} by hand and place it in ${dir}, then run fetch again (${err.cause.message})`);
        }
        const kept = await exists(part) ? ` The partial download is kept in ${part}; run the same command again to resume.` : '';
        throw new Error(`downloading ${entry.name} failed: ${(err as Error).message}.${kept}`, { cause: err });
      }
    }
    const { sha256, sizeBytes } = await verify(entry, file, source === 'download', emit);
    const path = await installDownloaded(entry, file, dir, { sha256, sizeBytes, keepFile: source === 'hand-placed' }, emit);
    emit({ type: 'done', path, sha256 });
    return { name: entry.name, path, sha256, sizeBytes, pinned: entry.sha256 !== null, source, resumedFrom };
  } finally {
    await unlock();
  }
}
