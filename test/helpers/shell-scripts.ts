/** Small executables for tests: a wrapper that records how an engine was started, a command that fails loudly. */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

export interface ScriptDir {
  dir: string;
  remove(): void;
}

export function scriptDir(prefix = 'vg-scripts-'): ScriptDir {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** `real` (e.g. espeak-ng) behind a wrapper that appends each run's arguments to a file first. */
export function recordingWrapper(d: ScriptDir, real: string): { command: string; runs(): string[] } {
  const log = path.join(d.dir, `${path.basename(real)}.runs`);
  const command = path.join(d.dir, `${path.basename(real)}-recorded`);
  writeFileSync(command, `#!/bin/sh\nprintf '%s\\n' "$*" >> '${log}'\nexec ${real} "$@"\n`, { mode: 0o755 });
  return { command, runs: () => (existsSync(log) ? readFileSync(log, 'utf8').split('\n').filter(Boolean) : []) };
}

/** A command that prints `stderr` (think: a line of a secret file) and exits 1, under `name` in the dir. */
export function failingCommand(d: ScriptDir, stderr: string, name = 'failing-engine'): string {
  const command = path.join(d.dir, name);
  writeFileSync(command, `#!/bin/sh\necho '${stderr}' >&2\nexit 1\n`, { mode: 0o755 });
  return command;
}
