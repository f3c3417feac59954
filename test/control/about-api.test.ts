/**
 * GET /admin/about: the version of package.json, the commit this checkout is at (read from .git,
 * compared with what git itself says), the runtime, the database kind but never its URL, and the
 * admin UI build; and the commit reader on every shape of .git it meets.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { sourceCommit } from '../../control/about/source-commit.ts';
import { startControl } from './helpers/control.ts';
import { PG_URL } from './helpers/database.ts';
import { tempDir } from '../helpers/temp-dir.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');

t.test('what a viewer is told about the gateway', async (t) => {
  const ui = tempDir('vg-about-ui-');
  writeFileSync(path.join(ui, '.build.json'), JSON.stringify({ sources: 'ab'.repeat(32), built_at: '2026-01-02T03:04:05.000Z' }));
  const c = await startControl({}, { options: { uiDistDir: ui } });
  t.teardown(c.stop);
  const viewer = await c.userToken('vera', 'viewer');
  const res = await c.call('GET', '/admin/about', { token: viewer });
  t.equal(res.status, 200);
  const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string };
  let git: string | null = null;
  try {
    git = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim();
  } catch {
    /* no git here: the reader is checked below on made-up .git directories */
  }
  t.match(res.body, {
    version: pkg.version,
    node: process.version,
    platform: process.platform,
    arch: process.arch,
    uptime_s: Number,
    started_at: /^\d{4}-\d\d-\d\dT.*Z$/,
    database: PG_URL ? 'postgres' : 'sqlite',
    engines: null,
    ui_build: { hash: 'ab'.repeat(32), built_at: '2026-01-02T03:04:05.000Z' },
  });
  if (git) t.equal(res.body.commit, git, 'the commit git itself names');
  t.ok(Date.parse(res.body.started_at) <= Date.now());
  if (PG_URL) t.notMatch(res.text, /postgres:\/\//, 'never the database URL');
});

t.test('the commit from every shape of .git, without git', async (t) => {
  const sha = (c: string) => c.repeat(40);
  const repo = () => tempDir('vg-about-git-');

  const clone = repo();
  mkdirSync(path.join(clone, '.git/refs/heads'), { recursive: true });
  writeFileSync(path.join(clone, '.git/HEAD'), 'ref: refs/heads/main\n');
  writeFileSync(path.join(clone, '.git/refs/heads/main'), `${sha('a')}\n`);
  t.equal(sourceCommit(clone), sha('a'), 'a branch in the loose refs');

  const packed = repo();
  mkdirSync(path.join(packed, '.git'), { recursive: true });
  writeFileSync(path.join(packed, '.git/HEAD'), 'ref: refs/heads/release\n');
  writeFileSync(path.join(packed, '.git/packed-refs'), `# pack-refs with: peeled fully-peeled sorted\n${sha('b')} refs/heads/release\n${sha('c')} refs/tags/v1\n`);
  t.equal(sourceCommit(packed), sha('b'), 'a branch in packed-refs');

  const main = repo();
  const worktreeGit = path.join(main, '.git/worktrees/feature');
  mkdirSync(path.join(main, '.git/refs/heads'), { recursive: true });
  mkdirSync(worktreeGit, { recursive: true });
  writeFileSync(path.join(main, '.git/refs/heads/feature'), `${sha('d')}\n`);
  writeFileSync(path.join(worktreeGit, 'HEAD'), 'ref: refs/heads/feature\n');
  writeFileSync(path.join(worktreeGit, 'commondir'), '../..\n');
  const worktree = repo();
  writeFileSync(path.join(worktree, '.git'), `gitdir: ${worktreeGit}\n`);
  t.equal(sourceCommit(worktree), sha('d'), 'a git worktree: its branch in the shared refs');

  const detached = repo();
  mkdirSync(path.join(detached, '.git'));
  writeFileSync(path.join(detached, '.git/HEAD'), `${sha('e')}\n`);
  t.equal(sourceCommit(detached), sha('e'), 'a detached HEAD');

  const stamped = repo();
  writeFileSync(path.join(stamped, 'COMMIT'), `${sha('f')}\n`);
  t.equal(sourceCommit(stamped), sha('f'), 'a build stamp beside package.json');

  const escaping = repo();
  mkdirSync(path.join(escaping, '.git'));
  writeFileSync(path.join(escaping, '.git/HEAD'), 'ref: refs/../../../etc/passwd\n');
  t.equal(sourceCommit(escaping), null, 'a ref that climbs out is not followed');
  t.equal(sourceCommit(repo()), null, 'no .git: unknown');
});
