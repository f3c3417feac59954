/**
 * Names of temporary files and directories as a process that no longer runs would have left them
 * (runtime/owned-temp.ts): the pid is that of a child that has already exited, as after kill -9.
 */
import { spawnSync } from 'node:child_process';

/** The pid of a process that has run and exited. */
export function exitedPid(): number {
  const { pid, status } = spawnSync('true');
  if (!pid || status !== 0) throw new Error('could not run `true`');
  return pid;
}

/** `.vgtmp-<purpose>-p<dead pid>-s<start>-<random><suffix>`, the hidden form ownedTempName makes. */
export function deadOwnerTempName(purpose: string, suffix = ''): string {
  return `.${deadOwnerTempDirName(purpose)}${suffix}`;
}

/** `vgtmp-<purpose>-p<dead pid>-s<start>-<random>`, the form ownedTempDir makes. */
export function deadOwnerTempDirName(purpose: string): string {
  return `vgtmp-${purpose}-p${exitedPid()}-s1-${Math.random().toString(36).slice(2, 8)}`;
}
