/**
 * ui/build.mjs on a copy of ui/ (inside the checkout, so Vite and Solid resolve from its
 * node_modules): a first run builds with compressed copies and a stamp; a second finds the build
 * current without building; a changed source rebuilds; two runs at once build once between them
 * (the lock), and both leave a whole ui/dist behind.
 */
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { brotliDecompressSync } from 'node:zlib';
import t from 'tap';

t.setTimeout(240_000);

const repo = fileURLToPath(new URL('../..', import.meta.url));

function run(script: string): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [script, '--strict'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.on('exit', (code) => resolve({ code, out }));
  });
}

t.test('build, skip when current, rebuild on change, one build for concurrent runs', async (t) => {
  mkdirSync(path.join(repo, '.tap'), { recursive: true });
  const root = mkdtempSync(path.join(repo, '.tap', 'ui-build-'));
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  const ui = path.join(root, 'ui');
  mkdirSync(ui);
  for (const f of ['admin', 'vite.config.ts', 'build.mjs', 'tsconfig.json']) cpSync(path.join(repo, 'ui', f), path.join(ui, f), { recursive: true });
  const script = path.join(ui, 'build.mjs');
  const dist = path.join(ui, 'dist');

  const first = await run(script);
  t.equal(first.code, 0, first.out);
  t.match(first.out, /admin UI built into ui\/dist/);
  const stamp = JSON.parse(readFileSync(path.join(dist, '.build.json'), 'utf8'));
  t.match(stamp, { sources: /^[0-9a-f]{64}$/, built_at: String });
  const index = readFileSync(path.join(dist, 'index.html'), 'utf8');
  const entry = /src="\/assets\/(index-[^"]+\.js)"/.exec(index)?.[1];
  t.ok(entry, 'index.html loads a hashed entry chunk');
  const js = readFileSync(path.join(dist, 'assets', entry!));
  t.same(brotliDecompressSync(readFileSync(path.join(dist, 'assets', `${entry}.br`))), js, 'the .br copy is the same file');
  t.ok(existsSync(path.join(dist, 'assets', `${entry}.gz`)));
  t.notOk(/<script>|style=/.test(index), 'no inline script or style for the CSP to refuse');

  const second = await run(script);
  t.equal(second.code, 0);
  t.match(second.out, /up to date/, 'unchanged sources: no build');
  t.equal(JSON.parse(readFileSync(path.join(dist, '.build.json'), 'utf8')).built_at, stamp.built_at);

  // A source changes; two builders start together.
  const en = path.join(ui, 'admin', 'src', 'i18n', 'en.ts');
  writeFileSync(en, readFileSync(en, 'utf8').replace("'app.title': 'Voice gateway'", "'app.title': 'Voice gateway (changed)'"));
  const [a, b] = await Promise.all([run(script), run(script)]);
  t.equal(a.code, 0, a.out);
  t.equal(b.code, 0, b.out);
  const builds = [a, b].filter((r) => /built into/.test(r.out)).length;
  t.equal(builds, 1, 'one built, the other waited and found it current');
  const after = JSON.parse(readFileSync(path.join(dist, '.build.json'), 'utf8'));
  t.not(after.sources, stamp.sources, 'the new build records the new sources');
  const chunks = readdirSync(path.join(dist, 'assets')).filter((f) => f.endsWith('.js'));
  const all = chunks.map((f) => readFileSync(path.join(dist, 'assets', f), 'utf8')).join('\n');
  t.match(all, /Voice gateway \(changed\)/, 'and has the change');
  t.same(readdirSync(ui).filter((f) => f.startsWith('.')), [], 'no lock or temporary folder left');
});
