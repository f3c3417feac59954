/**
 * After a restore the recordings directory must hold what the restored database names, not the
 * files of rows that are gone. This sweep removes such files, carefully:
 *  - only regular files inside the recordings directory (walked from its real path);
 *  - symlinks are never followed and never removed (a link may point anywhere; the link itself is
 *    not ours to judge), and neither are directories entered through one;
 *  - only files in `removable`: the ones the restore's safety backup holds, so each removed file
 *    can be had back. A file that no row named even before the restore (the modem may have just
 *    written it and not yet registered it) is kept and counted, never deleted unseen.
 */
import type { Dirent } from 'node:fs';
import { readdir, realpath, unlink } from 'node:fs/promises';
import path from 'node:path';

export interface SweepReport {
  removed: number;
  /** Unreferenced files left because no backup holds them. */
  kept: number;
}

/**
 * `referenced` and `removable` are real paths (symlinks resolved), as RecordingStore.open returns.
 */
export async function removeUnreferencedRecordings(dir: string, referenced: ReadonlySet<string>, removable: ReadonlySet<string>): Promise<SweepReport> {
  let root: string;
  try {
    root = await realpath(dir);
  } catch {
    return { removed: 0, kept: 0 }; // no directory, nothing on disk to match
  }
  const report: SweepReport = { removed: 0, kept: 0 };
  const walk = async (d: string): Promise<void> => {
    let entries: Dirent[];
    try {
      entries = await readdir(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) await walk(p);
      if (!e.isFile() || referenced.has(p)) continue; // isFile() is false for a symlink: lstat semantics
      if (!removable.has(p)) {
        report.kept++;
        continue;
      }
      try {
        await unlink(p); // on a path swapped for a link meanwhile, unlink removes the link, not its target
        report.removed++;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      }
    }
  };
  await walk(root);
  return report;
}
