/**
 * The commit this checkout runs, read from its .git without spawning git (which may not be
 * installed where the gateway runs): HEAD, the branch it names in the loose refs or packed-refs,
 * in a plain clone or a `git worktree` (a .git file pointing at the worktree's git directory,
 * whose `commondir` holds the shared refs). Without .git, a `COMMIT` file beside package.json,
 * written by a build that ships without it. Null when neither says.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';

const SHA = /^[0-9a-f]{40}(?:[0-9a-f]{24})?$/;

const read = (file: string): string | null => {
  try {
    return readFileSync(file, 'utf8').trim();
  } catch {
    return null;
  }
};

export function sourceCommit(root: string): string | null {
  const fromGit = gitCommit(root);
  if (fromGit) return fromGit;
  const stamped = read(path.join(root, 'COMMIT'));
  return stamped && SHA.test(stamped) ? stamped : null;
}

function gitCommit(root: string): string | null {
  const dotGit = path.join(root, '.git');
  const pointer = read(dotGit);
  // A worktree's .git is a file "gitdir: <path>"; a clone's is the directory itself (read() fails on it).
  const gitDir = pointer?.startsWith('gitdir:') ? path.resolve(root, pointer.slice('gitdir:'.length).trim()) : dotGit;
  const head = read(path.join(gitDir, 'HEAD'));
  if (!head) return null;
  if (SHA.test(head)) return head; // detached
  const ref = /^ref:\s*(refs\/[^\s]+)$/.exec(head)?.[1];
  if (!ref || ref.split('/').includes('..')) return null;
  const common = read(path.join(gitDir, 'commondir'));
  const dirs = [gitDir, ...(common ? [path.resolve(gitDir, common)] : [])];
  for (const dir of dirs) {
    const loose = read(path.join(dir, ref));
    if (loose && SHA.test(loose)) return loose;
  }
  for (const dir of dirs) {
    for (const line of (read(path.join(dir, 'packed-refs')) ?? '').split('\n')) {
      const [sha, name] = line.split(' ');
      if (name === ref && SHA.test(sha)) return sha;
    }
  }
  return null;
}
