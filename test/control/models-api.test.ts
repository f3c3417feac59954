/**
 * /admin/models over a real control plane (SQLite, and Postgres when TEST_DATABASE_URL is set),
 * fetching from a loopback server that stands in for GitHub releases: a test manifest injected
 * through the control plane's options (no client can change it) names a tiny generated archive.
 * A download is caught in the middle to see its progress grow; a wrong checksum fails the job in
 * our words with an error id; unknown names are 404 with a hint; viewers may look, not fetch.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { ModelCatalog } from '../../pipeline/engines/model-catalog.ts';
import { until } from '../helpers/until.ts';
import { entryFor, makeArchive, serveArchive } from '../models/archive-server.ts';
import { startControl } from './helpers/control.ts';
import { testEngines } from './helpers/database.ts';
import { tempDir } from '../helpers/temp-dir.ts';

const archive = makeArchive('tiny-test-model', 256 * 1024);
const broken = makeArchive('tiny-broken-model', 64 * 1024);
const missing = makeArchive('tiny-missing-model', 1024);

for (const engine of testEngines()) {
  t.test(`models API on ${engine}`, async (t) => {
    const srv = await serveArchive({ 'tiny-test-model.tar.bz2': archive.bytes, 'tiny-broken-model.tar.bz2': broken.bytes });
    t.teardown(srv.close);
    const dir = tempDir('vg-models-api-');
    const catalog = new ModelCatalog({
      dir,
      hubDir: null,
      manifest: {
        models: [
          entryFor(archive, srv.url('/files/tiny-test-model.tar.bz2')),
          // Served as it is, but the manifest pins another checksum: what a tampered download looks like.
          entryFor(broken, srv.url('/files/tiny-broken-model.tar.bz2'), { sha256: 'f'.repeat(64) }),
          entryFor(missing, srv.url('/files/tiny-missing-model.tar.bz2')),
        ],
      },
      fetch: { retries: 0, retryDelayMs: 5, timeoutMs: 10_000, proxy: null },
    });
    const c = await startControl({}, { engine, options: { models: catalog } });
    t.teardown(c.stop);
    const admin = await c.userToken('adam', 'admin');
    const viewer = await c.userToken('vera', 'viewer');
    const job = async (id: string) => (await c.call('GET', `/admin/models/jobs/${id}`, { token: viewer })).body;

    await t.test('the manifest, none installed', async (t) => {
      const r = await c.call('GET', '/admin/models', { token: viewer });
      t.equal(r.status, 200);
      t.same(r.body.items.map((m: { name: string }) => m.name), ['tiny-test-model', 'tiny-broken-model', 'tiny-missing-model']);
      t.match(r.body.items[0], { kind: 'stt-offline', engine_type: 'sense-voice', languages: ['en'], size_bytes: archive.bytes.length, verified: true, status: 'absent', location: null, in_use: null, job_id: null });
      t.same(r.body.jobs, []);
    });

    await t.test('a viewer may not fetch or delete; an unknown name is 404 with a hint', async (t) => {
      t.equal((await c.call('POST', '/admin/models/tiny-test-model/fetch', { token: viewer })).status, 403);
      t.equal((await c.call('DELETE', '/admin/models/tiny-test-model', { token: viewer })).status, 403);
      const r = await c.call('POST', '/admin/models/tiny-test/fetch', { token: admin });
      t.equal(r.status, 404);
      t.equal(r.body.error.code, 'unknown_model');
      t.match(r.body.error.message, /did you mean tiny-test-model.*GET \/admin\/models/);
      t.ok(r.body.error.details.did_you_mean.includes('tiny-test-model'));
      t.equal((await c.call('POST', '/admin/models/..%2F..%2Fetc/fetch', { token: admin })).status, 404, 'a path is just an unknown name');
      t.equal((await c.call('GET', '/admin/models/jobs/nope', { token: viewer })).status, 404, 'an id never given is unknown, like any record');
      t.equal((await c.call('GET', '/admin/models/jobs/0123456789abcdef', { token: viewer })).status, 404);
    });

    await t.test('a fetch is a job whose progress grows, one per model at a time, then installed', async (t) => {
      const release = srv.holdNext(64 * 1024);
      const started = await c.call('POST', '/admin/models/tiny-test-model/fetch', { token: admin });
      t.equal(started.status, 202, started.text);
      t.match(started.body, { id: /^[0-9a-f]{16}$/, model: 'tiny-test-model', state: /^(queued|downloading)$/, error: null });
      const id = started.body.id as string;

      const middle = await until('part of the download received', async () => {
        const j = await job(id);
        return j.state === 'downloading' && j.received_bytes >= 64 * 1024 && j;
      });
      t.ok(middle.received_bytes < archive.bytes.length, `held at ${middle.received_bytes} of ${middle.total_bytes}`);
      t.equal(middle.total_bytes, archive.bytes.length);
      const listed = await c.call('GET', '/admin/models', { token: viewer });
      t.equal(listed.body.items[0].job_id, id, 'the list names the running job');
      const again = await c.call('POST', '/admin/models/tiny-test-model/fetch', { token: admin });
      t.equal(again.status, 409, 'one fetch per model at a time');
      t.equal(again.body.error.details.job_id, id);
      t.equal((await c.call('DELETE', '/admin/models/tiny-test-model', { token: admin })).status, 409, 'not removed while it is fetched');

      release();
      const done = await until('the job done', async () => {
        const j = await job(id);
        return j.state !== 'downloading' && j.state !== 'verifying' && j.state !== 'extracting' && j;
      });
      t.match(done, { state: 'done', received_bytes: archive.bytes.length, total_bytes: archive.bytes.length, error: null, finished_at: /Z$/ });
      t.ok(done.received_bytes > middle.received_bytes, 'progress grew');
      const after = await c.call('GET', '/admin/models', { token: viewer });
      t.match(after.body.items[0], { status: 'installed', location: 'models_dir', missing_files: [], job_id: null });
      t.match(after.body.jobs[0], { id, state: 'done' });
      t.ok(existsSync(path.join(dir, 'tiny-test-model', 'model.onnx')));
      const audit = await c.call('GET', '/admin/audit?action=models.fetch', { token: admin });
      t.match(audit.body.items[0], { action: 'models.fetch', target: 'model:tiny-test-model' });
    });

    await t.test('a download that does not match its checksum fails in our words, with an error id', async (t) => {
      const started = await c.call('POST', '/admin/models/tiny-broken-model/fetch', { token: admin });
      t.equal(started.status, 202);
      const failed = await until('the job ended', async () => {
        const j = await job(started.body.id);
        return (j.state === 'failed' || j.state === 'done') && j;
      });
      t.equal(failed.state, 'failed');
      t.match(failed.error, /does not match the checksum in the manifest and was deleted \(error id [0-9a-f]{10}\)$/);
      t.match(failed.error_id, /^[0-9a-f]{10}$/);
      t.notMatch(failed.error, new RegExp(broken.sha256), 'what was computed stays in the log');
      t.notOk(existsSync(path.join(dir, 'tiny-broken-model.tar.bz2.part')), 'the corrupt download is gone');
      const listed = await c.call('GET', '/admin/models', { token: viewer });
      t.equal(listed.body.items[1].status, 'absent');
    });

    await t.test('a server that answers 404 fails the job with its status', async (t) => {
      const started = await c.call('POST', '/admin/models/tiny-missing-model/fetch', { token: admin });
      const failed = await until('the job ended', async () => {
        const j = await job(started.body.id);
        return j.state === 'failed' && j;
      });
      t.match(failed.error, /the download server answered HTTP 404 \(error id [0-9a-f]{10}\)$/);
    });

    await t.test('an installed model nothing uses is removed; then it is not installed', async (t) => {
      const r = await c.call('DELETE', '/admin/models/tiny-test-model', { token: admin });
      t.equal(r.status, 204, r.text);
      t.notOk(existsSync(path.join(dir, 'tiny-test-model')));
      const listed = await c.call('GET', '/admin/models', { token: viewer });
      t.equal(listed.body.items[0].status, 'absent');
      const again = await c.call('DELETE', '/admin/models/tiny-test-model', { token: admin });
      t.equal(again.status, 404);
      t.equal(again.body.error.code, 'not_installed');
      const audit = await c.call('GET', '/admin/audit?action=models.delete', { token: admin });
      t.match(audit.body.items[0], { action: 'models.delete', target: 'model:tiny-test-model' });
    });
  });
}
