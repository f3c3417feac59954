/**
 * Writes that survive a power cut, not only a process crash: the data is fsynced before the
 * rename, and the directory after it (a rename or a new file is an entry in its directory, and
 * only an fsync of the directory makes that entry durable).
 *
 * Imports nothing outside runtime/, so every folder may use it.
 */
import { open, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { ownedTempName } from './owned-temp.ts';

/** Make the entries of `dir` (files created, renamed or removed in it) durable. */
export async function syncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/**
 * Write `data` to `file` whole or not at all, durably: under an owned temporary name in the same
 * directory (one a killed process leaves behind is removed by the temp sweep, see owned-temp.ts),
 * fsynced, renamed into place, and the directory fsynced. `purpose` names the temporary file.
 */
export async function writeFileAtomic(file: string, data: Uint8Array, opts: { mode: number; purpose: string }): Promise<void> {
  const dir = path.dirname(file);
  const tmp = path.join(dir, ownedTempName(opts.purpose, `-${path.basename(file)}`));
  try {
    const fh = await open(tmp, 'wx', opts.mode);
    try {
      for (let off = 0; off < data.byteLength; ) off += (await fh.write(data, off, data.byteLength - off)).bytesWritten;
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, file);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
  await syncDir(dir);
}
