/**
 * tightenTree (runtime/private-files.ts): group and other bits come off, the owner's stay (a
 * DATA_DIR mis-set to a directory holding programs keeps them runnable); a root that is private
 * already is not walked.
 */
import { chmodSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import t from 'tap';
import { tightenTree } from '../../runtime/private-files.ts';

const modeOf = (p: string) => statSync(p).mode & 0o7777;

t.test('group and other bits are removed; the owner keeps its own, execute included', async (t) => {
  const root = mkdtempSync(path.join(tmpdir(), 'vg-private-'));
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  mkdirSync(path.join(root, 'bin'));
  writeFileSync(path.join(root, 'bin', 'run.sh'), '#!/bin/sh\n');
  writeFileSync(path.join(root, 'notes.txt'), 'x');
  chmodSync(path.join(root, 'bin', 'run.sh'), 0o755);
  chmodSync(path.join(root, 'notes.txt'), 0o644);
  chmodSync(path.join(root, 'bin'), 0o755);
  chmodSync(root, 0o755);
  const changed = tightenTree(root);
  t.same(changed.map((c) => [path.relative(root, c.path), c.was]).sort(), [['', '0755'], ['bin', '0755'], ['bin/run.sh', '0755'], ['notes.txt', '0644']]);
  t.equal(modeOf(path.join(root, 'bin', 'run.sh')), 0o700, 'still executable by its owner');
  t.equal(modeOf(path.join(root, 'notes.txt')), 0o600);
  t.equal(modeOf(path.join(root, 'bin')), 0o700);
  t.equal(modeOf(root), 0o700);
});

t.test('a root that is private already is not walked (nothing under it is reachable by others)', async (t) => {
  const root = mkdtempSync(path.join(tmpdir(), 'vg-private-'));
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  writeFileSync(path.join(root, 'inner.txt'), 'x');
  chmodSync(path.join(root, 'inner.txt'), 0o644);
  chmodSync(root, 0o700);
  t.same(tightenTree(root), []);
  t.equal(modeOf(path.join(root, 'inner.txt')), 0o644, 'left as it was');
});
