/**
 * Temporary directories and files that name the process that made them, so a later start can
 * remove what a killed process (kill -9, the OOM killer, a power cut) left behind without touching
 * those of a process still running.
 *
 * Name: `vgtmp-<purpose>-p<pid>-s<start>-<random>` (a leading dot where the file must stay hidden
 * among others), where <start> is the owner's start time in clock ticks since boot (field 22 of
 * /proc/<pid>/stat). The pid alone is not enough: pids are reused, and in a container the gateway
 * gets the same pid (often 1) at every start, so "a process with that pid is alive" would keep its
 * previous life's directories forever. Where /proc is missing (not Linux) <start> is 0 and only the
 * pid is checked.
 *
 * Imports nothing of ours, so every folder may use it.
 */
import { randomBytes } from 'node:crypto';
import { lstatSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const PREFIX = 'vgtmp-';
const NAME = /^\.?vgtmp-([a-z0-9-]+?)-p(\d+)-s(\d+)-/;

/** This process's start time in clock ticks since boot, or 0 where /proc cannot say. */
function startTicks(pid: number | 'self'): number | null {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  // The command name (field 2) is in parentheses and may itself hold spaces or parentheses.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const start = Number(fields[19]); // field 22 overall; fields[0] here is field 3
  return Number.isSafeInteger(start) ? start : null;
}

const OWN_START = startTicks('self') ?? 0;

/** This process's start time in clock ticks since boot (0 where /proc cannot say): with the pid, names this process and no later one. */
export function ownStartTicks(): number {
  return OWN_START;
}

/** `vgtmp-<purpose>-p<pid>-s<start>-`: the caller (or mkdtemp) appends something random. */
function ownedPrefix(purpose: string): string {
  if (!/^[a-z0-9]+(?:-[a-z0-9]+)*$/.test(purpose)) throw new Error(`temp purpose must be lowercase words joined by dashes, not "${purpose}"`);
  return `${PREFIX}${purpose}-p${process.pid}-s${OWN_START}-`;
}

/** A fresh directory (mode 0700, as mkdtemp makes it) under `parent` (default: the OS temp dir), named for this process. */
export function ownedTempDir(purpose: string, parent = tmpdir()): string {
  return mkdtempSync(path.join(parent, ownedPrefix(purpose)));
}

/** A hidden file name for a temporary file in a directory of ours: `.vgtmp-<purpose>-p<pid>-s<start>-<random><suffix>`. */
export function ownedTempName(purpose: string, suffix = ''): string {
  return `.${ownedPrefix(purpose)}${randomBytes(6).toString('hex')}${suffix}`;
}

/** Whether the process that made a temp entry is still running (the same process, not one that reuses its pid). */
export function ownerAlive(pid: number, start: number): boolean {
  const now = startTicks(pid);
  if (now !== null) return start === 0 || now === start;
  if (existsProc()) return false; // /proc works here and has no such pid: gone
  if (pid === process.pid) return true; // no /proc: we cannot tell our earlier life from us; keep it
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'; // alive, just not ours to signal
  }
}

let procChecked: boolean | null = null;
function existsProc(): boolean {
  return (procChecked ??= startTicks('self') !== null);
}

/**
 * Removes every entry of `dir` (for the OS temp dir: `os.tmpdir()`) named by `ownedTempDir` or
 * `ownedTempName` whose owner no longer runs, and returns their paths. Only this user's entries
 * are removed (in a shared /tmp, as root, another user's look-alike is left alone); symlinks are
 * removed, never followed.
 */
export function sweepStaleTemps(dir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return []; // no such directory yet: nothing was left there
  }
  const uid = typeof process.getuid === 'function' ? process.getuid() : null;
  const removed: string[] = [];
  for (const name of names) {
    const m = NAME.exec(name);
    if (!m || ownerAlive(Number(m[2]), Number(m[3]))) continue;
    const p = path.join(dir, name);
    try {
      if (uid !== null && lstatSync(p).uid !== uid) continue;
      rmSync(p, { recursive: true, force: true });
      removed.push(p);
    } catch {
      // gone meanwhile, or not removable: a later start tries again
    }
  }
  return removed;
}
