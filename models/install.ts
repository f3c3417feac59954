// Turning a verified download into a model directory, atomically: everything is unpacked into a
// staging directory beside the target and moved into place with one rename, so the pipeline never
// sees a half-unpacked model (a process that lists the dir mid-fetch sees the old model or none).
import { access, copyFile, mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { ownedTempName, sweepStaleTemps } from '../runtime/owned-temp.ts';
import { extractTarBz2 } from './extract.ts';
import type { FetchListener } from './fetch-events.ts';
import { isArchive, requiredFiles, urlFileName, type ModelEntry } from './manifest.ts';

// Written into each installed model dir: what archive it came from, so `verify` can compare an
// install with the manifest long after the archive itself was deleted.
export const STAMP_FILE = '.fetched.json';

export interface Stamp {
  name: string;
  url: string;
  sha256: string;
  sizeBytes: number;
  fetchedAt: string;
}

export async function readStamp(modelDir: string): Promise<Stamp | null> {
  try { return JSON.parse(await readFile(join(modelDir, STAMP_FILE), 'utf8')) as Stamp; } catch { return null; }
}

export async function missingFiles(dir: string, entry: ModelEntry): Promise<string[]> {
  const missing: string[] = [];
  for (const f of requiredFiles(entry)) {
    try { await access(join(dir, f)); } catch { missing.push(f); }
  }
  return missing;
}

export async function installDownloaded(
  entry: ModelEntry, file: string, modelsDir: string, info: { sha256: string; sizeBytes: number; keepFile: boolean },
  emit: FetchListener = () => {},
): Promise<string> {
  const target = join(modelsDir, entry.name);
  // Named for this process (runtime/owned-temp.ts): one a fetch killed mid-unpack left (hundreds of
  // MB, perhaps) is removed by the next install, while a fetch still running keeps its own.
  sweepStaleTemps(modelsDir);
  const staging = join(modelsDir, ownedTempName('model-staging', `-${entry.name}`));
  await mkdir(staging, { recursive: true });
  try {
    const unpacked = join(staging, entry.name);
    if (isArchive(entry)) {
      emit({ type: 'extract', file });
      await extractTarBz2(file, staging);
      const top = await readdir(staging);
      if (!top.includes(entry.name)) throw new Error(`${basename(file)} did not unpack into ${entry.name}/ (found: ${top.join(', ') || 'nothing'})`);
    } else {
      await mkdir(unpacked);
      const dest = join(unpacked, urlFileName(entry.url));
      // A hand-placed file belongs to the user: leave it and install a copy of its bytes instead.
      if (info.keepFile) await copyFile(file, dest);
      else await rename(file, dest);
    }
    const missing = await missingFiles(unpacked, entry);
    if (missing.length > 0) throw new Error(`${entry.name}: the download lacks files the engine needs: ${missing.join(', ')}; the manifest's file names may be out of date`);
    const stamp: Stamp = { name: entry.name, url: entry.url, sha256: info.sha256, sizeBytes: info.sizeBytes, fetchedAt: new Date().toISOString() };
    await writeFile(join(unpacked, STAMP_FILE), JSON.stringify(stamp, null, 2) + '\n');
    // Replace an existing install in two renames; the window with no model at all is microseconds.
    const old = join(staging, '.previous');
    const hadOld = await rename(target, old).then(() => true, (e: NodeJS.ErrnoException) => { if (e.code === 'ENOENT') return false; throw e; });
    try {
      await rename(unpacked, target);
    } catch (e) {
      if (hadOld) await rename(old, target).catch(() => {});
      throw e;
    }
    if (!info.keepFile) await rm(file, { force: true }); // the .part is spent; a hand-placed archive stays
    return target;
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}
