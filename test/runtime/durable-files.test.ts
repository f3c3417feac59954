/**
 * writeFileAtomic (runtime/durable-files.ts): a file is there whole with its mode, or the old one
 * stays; the temporary file it writes first bears an owned name (so the temp sweep removes one that
 * a killed process left) and is gone afterwards.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, watch, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import t, { type Test } from 'tap';
import { syncDir, writeFileAtomic } from '../../runtime/durable-files.ts';
import { until } from '../helpers/until.ts';

function tempDir(t: Test): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'vg-durable-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

t.test('the file is written whole with its mode, through an owned temporary name that is gone afterwards', async (t) => {
  const dir = tempDir(t);
  const seen: string[] = [];
  const watcher = watch(dir, (_event, name) => name && seen.push(name));
  t.teardown(() => watcher.close());
  const file = path.join(dir, 'c1.caller.wav');
  await writeFileAtomic(file, Buffer.from('first'), { mode: 0o600, purpose: 'recording' });
  await writeFileAtomic(file, Buffer.from('second, longer'), { mode: 0o600, purpose: 'recording' });
  t.equal(readFileSync(file, 'utf8'), 'second, longer', 'replaced whole');
  t.equal(statSync(file).mode & 0o777, 0o600);
  t.same(readdirSync(dir), ['c1.caller.wav'], 'no temporary file left');
  await until('the temporary name seen', () => seen.some((n) => n.startsWith('.vgtmp-')));
  t.match(seen.find((n) => n.startsWith('.vgtmp-')), new RegExp(`^\\.vgtmp-recording-p${process.pid}-s\\d+-[0-9a-f]+-c1\\.caller\\.wav$`), 'named for this process, as the sweep expects');
});

t.test('a write that cannot complete leaves the old content and no temporary file', async (t) => {
  const dir = tempDir(t);
  const file = path.join(dir, 'taken');
  mkdirSync(file); // the rename onto a directory fails
  writeFileSync(path.join(file, 'inside'), 'x');
  await t.rejects(writeFileAtomic(file, Buffer.from('data'), { mode: 0o600, purpose: 'recording' }));
  t.same(readdirSync(dir), ['taken'], 'only what was there');
  t.equal(readFileSync(path.join(file, 'inside'), 'utf8'), 'x');
  await t.rejects(writeFileAtomic(path.join(dir, 'missing', 'f'), Buffer.from('data'), { mode: 0o600, purpose: 'recording' }), { code: 'ENOENT' });
  await syncDir(dir); // a directory can be fsynced on its own
});
