/**
 * Files and directories only the gateway's own user may read. The data directory holds personal
 * data (calls, transcripts, recordings, backups) and credentials (secret key, voice token), so
 * directories are made 0700 and files 0600 explicitly wherever they are created: `main.ts` also
 * sets umask 077, but tests, the CLIs and library users never pass through it.
 *
 * Imports nothing of ours, so every folder may use it.
 */
import { chmodSync, closeSync, lstatSync, mkdirSync, openSync, readdirSync, type Stats } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';

export const PRIVATE_DIR_MODE = 0o700;
export const PRIVATE_FILE_MODE = 0o600;

/** Group or other permission bits: what "looser than private" means. */
const SHARED_BITS = 0o077;

/** mkdir -p; every directory it creates is 0700 (one that exists is left as it is). */
export function ensurePrivateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
}

export async function ensurePrivateDirAsync(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
}

/**
 * Creates `file` empty with mode 0600 when it does not exist, and takes group and other bits off
 * when it has any.
 * For files another library creates: SQLite gives its `-wal` and `-shm` files the mode of the
 * database file, so a database file made 0600 first keeps all three private.
 */
export function ensurePrivateFile(file: string): void {
  closeSync(openSync(file, 'a', PRIVATE_FILE_MODE));
  tightenPath(file, lstatSync(file));
}

/** What `tightenTree` changed: each path with the mode it had. */
export interface Tightened {
  path: string;
  was: string;
}

/**
 * Takes group and other permission bits off every directory and regular file under `root` (itself
 * included); the owner's bits stay as they were (an executable stays executable, should DATA_DIR
 * be mis-set to a directory holding programs). Symlinks are neither followed nor changed (the
 * link's target is not ours to judge); entries owned by another user are skipped, since chmod would
 * fail anyway. When `root` is private already, nothing under it is reachable by others and it is
 * not walked: a data directory of many recordings costs nothing at each start.
 */
export function tightenTree(root: string): Tightened[] {
  try {
    if ((lstatSync(root).mode & SHARED_BITS) === 0) return [];
  } catch {
    return [];
  }
  const changed: Tightened[] = [];
  const visit = (p: string) => {
    let st: Stats;
    try {
      st = lstatSync(p);
    } catch {
      return; // gone meanwhile
    }
    const was = tightenPath(p, st);
    if (was !== null) changed.push({ path: p, was: modeText(was) });
    if (!st.isDirectory()) return;
    let names: string[];
    try {
      names = readdirSync(p);
    } catch {
      return;
    }
    for (const name of names) visit(path.join(p, name));
  };
  visit(root);
  return changed;
}

/** Takes group and other bits (and setuid/setgid/sticky) off one path; returns its old mode, or null when it was private already. */
function tightenPath(p: string, st: Stats): number | null {
  if (!st.isDirectory() && !st.isFile()) return null;
  if ((st.mode & SHARED_BITS) === 0) return null;
  if (typeof process.getuid === 'function' && st.uid !== process.getuid() && process.getuid() !== 0) return null;
  const mode = st.mode & 0o7777;
  chmodSync(p, mode & 0o700);
  return mode;
}

export const modeText = (mode: number) => '0' + (mode & 0o7777).toString(8);
