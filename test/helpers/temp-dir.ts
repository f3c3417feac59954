/**
 * A fresh directory under the OS temp dir for a test's files, removed when the test process exits
 * (passed or failed), so a run leaves nothing behind in /tmp. For directories a test hands to code
 * that keeps them open to the end, or makes in helpers that have no `t` to tear down with.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const made: string[] = [];
process.once('exit', () => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

export function tempDir(prefix: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  made.push(dir);
  return dir;
}
