/**
 * DATA_DIR made ready before anything opens a file in it. It holds the database, the secret key,
 * the voice token, recordings and backups: personal data and credentials, for this user only.
 *
 *   - created 0700 when missing;
 *   - an existing one (and everything in it, and the recordings directory when that lies
 *     elsewhere) tightened: directories to 0700, files to 0600, reported so the caller can warn.
 *     Tightened rather than only warned about, because a warning is read after the harm is done,
 *     and nothing of ours needs another user to read these files;
 *   - a shared, world-writable directory (e.g. /tmp) refused: anyone could plant files there;
 *   - a read-only or full one refused with a line that says so, before the database fails on it
 *     with something less clear.
 */
import { accessSync, constants, statSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ownedTempName } from '../runtime/owned-temp.ts';
import { ensurePrivateDir, PRIVATE_FILE_MODE, tightenTree, type Tightened } from '../runtime/private-files.ts';

/** DATA_DIR cannot be used as it is: a configuration problem (exit 2). */
export class DataDirError extends Error {
  override name = 'DataDirError';
}

export interface PreparedDataDir {
  /** Paths that were readable by other users, with the mode each had. */
  tightened: Tightened[];
}

/** `alsoPrivate`: directories outside DATA_DIR holding personal data too (MODEM_RECORD_DIR), tightened when they exist. */
export function prepareDataDir(dir: string, alsoPrivate: readonly string[] = []): PreparedDataDir {
  try {
    ensurePrivateDir(dir);
  } catch (err) {
    // mkdir -p under a read-only mount can fail with ENOENT; the nearest existing parent knows why.
    throw unusable(dir, (err as NodeJS.ErrnoException).code === 'ENOENT' ? writeErrorOfParent(dir) ?? err : err);
  }
  const st = statSync(dir);
  if (!st.isDirectory()) throw new DataDirError(`DATA_DIR ${dir} is not a directory`);
  if ((st.mode & 0o1002) === 0o1002) throw new DataDirError(`DATA_DIR ${dir} is a shared world-writable directory; give the gateway a directory of its own`);
  probeWrite(dir);
  const tightened = tightenTree(dir);
  for (const other of alsoPrivate) {
    if (!path.relative(dir, other).startsWith('..') || !exists(other)) continue;
    tightened.push(...tightenTree(other));
  }
  return { tightened };
}

/** A file created and removed again: the cheapest way to know the directory takes writes. */
function probeWrite(dir: string): void {
  const probe = path.join(dir, ownedTempName('write-probe'));
  try {
    writeFileSync(probe, '', { flag: 'wx', mode: PRIVATE_FILE_MODE });
    unlinkSync(probe);
  } catch (err) {
    throw unusable(dir, err);
  }
}

function unusable(dir: string, err: unknown): Error {
  switch ((err as NodeJS.ErrnoException).code) {
    case 'EROFS':
      return new DataDirError(`DATA_DIR ${dir} is read-only (its file system is mounted read-only)`, { cause: err });
    case 'EACCES':
    case 'EPERM':
      return new DataDirError(`DATA_DIR ${dir} is read-only for this user (permission denied)`, { cause: err });
    case 'ENOSPC':
    case 'EDQUOT':
      return new DataDirError(`DATA_DIR ${dir} has no space left`, { cause: err });
    case 'ENOTDIR':
    case 'EEXIST':
      return new DataDirError(`DATA_DIR ${dir} is not a directory (or a part of its path is a file)`, { cause: err });
    default:
      return err as Error;
  }
}

function writeErrorOfParent(dir: string): unknown {
  for (let p = path.dirname(dir); ; p = path.dirname(p)) {
    if (exists(p)) {
      try {
        accessSync(p, constants.W_OK);
        return undefined;
      } catch (err) {
        return err;
      }
    }
    if (p === path.dirname(p)) return undefined;
  }
}

function exists(p: string): boolean {
  try {
    statSync(p);
    return true;
  } catch {
    return false;
  }
}
