import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import type { FetchEvent } from '../../models/fetch-events.ts';
import { fetchModel, IntegrityError, OfflineError } from '../../models/fetch.ts';
import { closedPort, entryFor, makeArchive, serveArchive } from './archive-server.ts';
import { tempDir } from '../helpers/temp-dir.ts';

const archive = makeArchive('fake-model', 256 * 1024);
const fast = { retryDelayMs: 5, timeoutMs: 5000, proxy: null } as const;
const tmp = () => tempDir('models-fetch-');

t.test('downloads, reports progress, verifies, unpacks and stamps', async (t) => {
  const srv = await serveArchive({ 'fake-model.tar.bz2': archive.bytes });
  t.teardown(srv.close);
  const dir = tmp();
  const events: FetchEvent[] = [];
  const r = await fetchModel(entryFor(archive, srv.url('/files/fake-model.tar.bz2')), { ...fast, dir, onEvent: (e) => events.push(e) });
  t.equal(r.source, 'download');
  t.equal(r.sha256, archive.sha256);
  t.equal(r.path, join(dir, 'fake-model'));
  t.same(readdirSync(r.path).sort(), ['.fetched.json', 'model.onnx', 'tokens.txt']);
  t.same(readdirSync(dir), ['fake-model'], 'no .part, lock or staging dir left behind');
  t.match(JSON.parse(readFileSync(join(r.path, '.fetched.json'), 'utf8')), { sha256: archive.sha256, sizeBytes: archive.bytes.length });

  const types = events.map((e) => e.type);
  t.equal(types[0], 'start');
  t.same(types.slice(-3), ['verify', 'extract', 'done']);
  const progress = events.filter((e): e is Extract<FetchEvent, { type: 'progress' }> => e.type === 'progress');
  t.ok(progress.length >= 2, 'several progress events for a 256 KB body');
  t.ok(progress.every((p, i) => i === 0 || p.received > progress[i - 1].received), 'received grows monotonically');
  t.equal(progress.at(-1)?.received, archive.bytes.length);
  t.equal(progress.at(-1)?.total, archive.bytes.length);
  t.equal(progress.at(-1)?.etaSeconds, 0);
  t.ok(progress.every((p) => p.bytesPerSecond > 0));

  const again = await fetchModel(entryFor(archive, srv.url('/files/fake-model.tar.bz2')), { ...fast, dir });
  t.equal(again.source, 'already-installed', 'a complete, matching install is not downloaded twice');
  t.equal(srv.ranges.length, 1);
});

t.test('a cut connection leaves a .part that the next fetch resumes with Range', async (t) => {
  const srv = await serveArchive({ 'fake-model.tar.bz2': archive.bytes });
  t.teardown(srv.close);
  const dir = tmp();
  const entry = entryFor(archive, srv.url('/files/fake-model.tar.bz2'));
  const half = Math.floor(archive.bytes.length / 2);
  srv.cutNext(1, half);
  await t.rejects(fetchModel(entry, { ...fast, dir, retries: 0 }), /partial download is kept in .*fake-model\.tar\.bz2\.part.*resume/s);
  const part = join(dir, 'fake-model.tar.bz2.part');
  t.equal(statSync(part).size, half, 'the bytes received before the cut are on disk');

  const events: FetchEvent[] = [];
  const r = await fetchModel(entry, { ...fast, dir, retries: 0, onEvent: (e) => events.push(e) });
  t.same(srv.ranges, ['', `bytes=${half}-`], 'second request asks only for the rest');
  t.equal(r.resumedFrom, half);
  t.match(events[0], { type: 'start', resumedFrom: half, total: archive.bytes.length });
  t.equal(r.sha256, archive.sha256, 'sha256 covers the resumed prefix and the new bytes');
  t.notOk(existsSync(part));
});

t.test('within one fetch, a cut is retried from where it stopped', async (t) => {
  const srv = await serveArchive({ 'fake-model.tar.bz2': archive.bytes });
  t.teardown(srv.close);
  const dir = tmp();
  srv.cutNext(2, 60_000);
  const events: FetchEvent[] = [];
  const r = await fetchModel(entryFor(archive, srv.url('/files/fake-model.tar.bz2')), { ...fast, dir, retries: 3, onEvent: (e) => events.push(e) });
  t.equal(r.sha256, archive.sha256);
  t.same(srv.ranges, ['', 'bytes=60000-', 'bytes=120000-'], 'each retry asks for what is still missing');
  t.equal(events.filter((e) => e.type === 'retry').length, 2);
});

t.test('a server that ignores Range gets the file from the start, not appended twice', async (t) => {
  const srv = await serveArchive({ 'fake-model.tar.bz2': archive.bytes });
  t.teardown(srv.close);
  const dir = tmp();
  const entry = entryFor(archive, srv.url('/files/fake-model.tar.bz2'));
  srv.cutNext(1, 50_000);
  await t.rejects(fetchModel(entry, { ...fast, dir, retries: 0 }));
  srv.ignoreRange = true;
  const r = await fetchModel(entry, { ...fast, dir, retries: 0 });
  t.equal(r.sha256, archive.sha256);
  t.equal(r.resumedFrom, 50_000, 'a resume was attempted');
});

t.test('checksum mismatch: rejected, the .part is deleted, nothing installed', async (t) => {
  const srv = await serveArchive({ 'fake-model.tar.bz2': archive.bytes });
  t.teardown(srv.close);
  const dir = tmp();
  const wrong = createHash('sha256').update('something else').digest('hex');
  const err = await fetchModel(entryFor(archive, srv.url('/files/fake-model.tar.bz2'), { sha256: wrong }), { ...fast, dir }).catch((e: unknown) => e);
  t.type(err, IntegrityError);
  t.match((err as Error).message, `expected ${wrong}, got ${archive.sha256}`);
  t.match((err as Error).message, /deleted/);
  t.same(readdirSync(dir), [], 'no .part, no model dir, no staging dir');
});

t.test('size mismatch when no sha256 is pinned is rejected too', async (t) => {
  const srv = await serveArchive({ 'fake-model.tar.bz2': archive.bytes });
  t.teardown(srv.close);
  const dir = tmp();
  await t.rejects(fetchModel(entryFor(archive, srv.url('/files/fake-model.tar.bz2'), { sha256: null, sizeBytes: archive.bytes.length + 1 }), { ...fast, dir }), /size mismatch/);
  t.same(readdirSync(dir), []);
});

t.test('an unpinned entry installs and reports the computed sha256 for pinning', async (t) => {
  const srv = await serveArchive({ 'fake-model.tar.bz2': archive.bytes });
  t.teardown(srv.close);
  const events: FetchEvent[] = [];
  const r = await fetchModel(entryFor(archive, srv.url('/files/fake-model.tar.bz2'), { sha256: null, sizeBytes: null }), { ...fast, dir: tmp(), onEvent: (e) => events.push(e) });
  t.equal(r.pinned, false);
  t.equal(r.sha256, archive.sha256);
  t.same(events.find((e) => e.type === 'unpinned'), { type: 'unpinned', sha256: archive.sha256, sizeBytes: archive.bytes.length });
});

t.test('redirects are followed', async (t) => {
  const srv = await serveArchive({ 'fake-model.tar.bz2': archive.bytes });
  t.teardown(srv.close);
  const events: FetchEvent[] = [];
  const r = await fetchModel(entryFor(archive, srv.url('/redirect/fake-model.tar.bz2')), { ...fast, dir: tmp(), onEvent: (e) => events.push(e) });
  t.equal(r.sha256, archive.sha256);
  t.match(events.find((e) => e.type === 'redirect'), { to: srv.url('/files/fake-model.tar.bz2') });
});

t.test('an HTTP error is reported, not retried', async (t) => {
  const srv = await serveArchive({});
  t.teardown(srv.close);
  await t.rejects(fetchModel(entryFor(archive, srv.url('/files/fake-model.tar.bz2')), { ...fast, dir: tmp(), retries: 3 }), /HTTP 404/);
});

t.test('offline: a clear message naming host, URL and directory', async (t) => {
  const port = await closedPort();
  const dir = tmp();
  const url = `http://127.0.0.1:${port}/files/fake-model.tar.bz2`;
  const err = await fetchModel(entryFor(archive, url), { ...fast, dir, retries: 3 }).catch((e: unknown) => e);
  t.type(err, OfflineError);
  t.match((err as Error).message, `cannot reach 127.0.0.1:${port}: are you offline? download ${url} by hand and place it in ${dir}`);
});

t.test('a hand-placed archive is used without the network, and left in place', async (t) => {
  const port = await closedPort();
  const dir = tmp();
  writeFileSync(join(dir, 'fake-model.tar.bz2'), archive.bytes);
  const r = await fetchModel(entryFor(archive, `http://127.0.0.1:${port}/x/fake-model.tar.bz2`), { ...fast, dir });
  t.equal(r.source, 'hand-placed');
  t.ok(existsSync(join(dir, 'fake-model', 'model.onnx')));
  t.ok(existsSync(join(dir, 'fake-model.tar.bz2')), "the user's file is not deleted");
});

t.test('a single-file model (like silero_vad.onnx) lands in <dir>/<name>/<file>', async (t) => {
  const body = Buffer.from('not really onnx');
  const sha = createHash('sha256').update(body).digest('hex');
  const srv = await serveArchive({ 'vad.onnx': body });
  t.teardown(srv.close);
  const dir = tmp();
  const r = await fetchModel({
    name: 'vad', kind: 'vad', languages: [], description: 'x', engine: { type: 'silero-vad', files: { model: 'vad.onnx' } },
    url: srv.url('/files/vad.onnx'), sizeBytes: body.length, sha256: sha, licence: 'x', verified: true, note: 'x',
  }, { ...fast, dir });
  t.equal(readFileSync(join(r.path, 'vad.onnx'), 'utf8'), 'not really onnx');
  t.same(readdirSync(dir), ['vad']);
});

t.test('an archive without the files the engine needs is refused', async (t) => {
  const srv = await serveArchive({ 'fake-model.tar.bz2': archive.bytes });
  t.teardown(srv.close);
  const dir = tmp();
  const entry = { ...entryFor(archive, srv.url('/files/fake-model.tar.bz2')), engine: { type: 'sense-voice' as const, files: { model: 'model.int8.onnx', tokens: 'tokens.txt' } } };
  await t.rejects(fetchModel(entry, { ...fast, dir }), /lacks files the engine needs: model\.int8\.onnx/);
  t.notOk(existsSync(join(dir, 'fake-model')), 'nothing half-installed');
});

t.test('a staging dir a killed fetch left is removed by the next install; a running fetch keeps its own', async (t) => {
  const { mkdirSync } = await import('node:fs');
  const { ownedTempName } = await import('../../runtime/owned-temp.ts');
  const { deadOwnerTempName } = await import('../helpers/dead-process.ts');
  const srv = await serveArchive({ 'fake-model.tar.bz2': archive.bytes });
  t.teardown(srv.close);
  const dir = tmp();
  const dead = deadOwnerTempName('model-staging', '-fake-model');
  const live = ownedTempName('model-staging', '-other-model');
  for (const name of [dead, live]) mkdirSync(join(dir, name, 'half-unpacked'), { recursive: true });
  await fetchModel(entryFor(archive, srv.url('/files/fake-model.tar.bz2')), { ...fast, dir });
  t.same(readdirSync(dir).sort(), [live, 'fake-model'].sort());
});
