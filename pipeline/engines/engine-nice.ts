/**
 * Engine subprocesses (pocketsphinx, espeak-ng) run at a lower CPU priority than the gateway. On a
 * busy machine the kernel then hands a core to the gateway's event loop, which paces every call's
 * audio in 20 ms steps and needs the CPU for well under a millisecond each time, as soon as it
 * wakes, instead of after a decode's time slice; a decode or a synthesis finishes a little later
 * only while the cores are contended. `ENGINE_NICE` (0-19, default 10; 0 = same priority).
 */
import { getPriority, setPriority } from 'node:os';

export const DEFAULT_ENGINE_NICE = 10;
/** The lowest priority there is (POSIX niceness). */
export const MAX_NICE = 19;

export function engineNice(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.ENGINE_NICE;
  if (raw === undefined || raw === '') return DEFAULT_ENGINE_NICE;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0 || n > MAX_NICE) throw new Error(`ENGINE_NICE must be an integer from 0 to ${MAX_NICE}, got ${JSON.stringify(raw)}`);
  return n;
}

/**
 * The command line that starts `command` at that niceness, for a command that forks at once (a
 * shell pipeline): coreutils' nice execs it (same pid), and every child inherits the niceness.
 */
export function niced(command: string, args: string[], nice = engineNice()): [string, string[]] {
  return nice === 0 ? [command, args] : ['nice', ['-n', String(nice), command, ...args]];
}

/**
 * Lower a process that does not fork (set after its start) by `nice` below its current priority,
 * as `nice -n` would; where that is not permitted, it keeps our priority.
 */
export function lowerPriority(pid: number | undefined, nice = engineNice()): void {
  if (pid === undefined || nice === 0) return;
  try {
    setPriority(pid, Math.min(MAX_NICE, getPriority(pid) + nice));
  } catch {
    // EACCES/EPERM (a sandbox) or ESRCH (already gone): nothing to do
  }
}
