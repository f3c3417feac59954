/** What machine a figure came from: benches print this next to their results. */
import os from 'node:os';
import { execFileSync } from 'node:child_process';

export function machineInfo() {
  let commit: string | null = null;
  try {
    commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim();
  } catch {
    commit = null;
  }
  return {
    date: new Date().toISOString(),
    commit,
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    cpus: os.cpus().length,
    cpu_model: os.cpus()[0]?.model ?? 'unknown',
    total_mem_gib: Math.round(os.totalmem() / 2 ** 30),
  };
}
