/**
 * A small tmpfs of a test's own, to fill up: a real full disk (ENOSPC from the kernel, SQLite's
 * "database or disk is full"), not a faked error. Mounting needs root (CI runs as root); null when
 * it is not permitted, so the caller can skip saying why.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { open, rm, statfs } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface SmallTmpfs {
  dir: string;
  /** Fill what is free with one file (kept open to the last byte the kernel accepts). */
  fill(): Promise<void>;
  /** Remove the filler: the space is back. */
  free(): Promise<void>;
  unmount(): Promise<void>;
}

export async function mountSmallTmpfs(sizeMb: number): Promise<SmallTmpfs | null> {
  const dir = mkdtempSync(path.join(tmpdir(), 'vg-full-'));
  try {
    await run('mount', ['-t', 'tmpfs', '-o', `size=${sizeMb}m,mode=0755`, 'tmpfs', dir]);
  } catch {
    rmSync(dir, { recursive: true, force: true });
    return null;
  }
  const filler = path.join(dir, '.filler');
  return {
    dir,
    async fill() {
      const fh = await open(filler, 'a');
      try {
        const s = await statfs(dir);
        for (const chunk of [Math.max(0, s.bavail * s.bsize - 65536), 4096, 512, 1]) {
          const buf = Buffer.alloc(chunk || 1);
          for (;;) {
            try {
              await fh.write(buf);
            } catch (err) {
              if ((err as NodeJS.ErrnoException).code === 'ENOSPC') break;
              throw err;
            }
          }
        }
      } finally {
        await fh.close();
      }
    },
    free: () => rm(filler, { force: true }),
    async unmount() {
      await run('umount', ['-l', dir]).catch(() => {});
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
