/**
 * /admin/engines over a real control plane (SQLite, and Postgres when TEST_DATABASE_URL is set)
 * with the engines the gateway builds (gateway/pipeline-factory.ts: pocketsphinx and espeak-ng
 * from the environment, sherpa-onnx with the tiny generated models of a test manifest injected
 * through the control plane's options). An owner's choice is built and tried before new calls get
 * it, refused without changing anything when it cannot be, stored, kept across a restart, and
 * undone; a call in progress keeps the engine it started with until it ends.
 */
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import path from 'node:path';
import t from 'tap';
import { loadConfig } from '../../gateway/config.ts';
import { onPath } from '../../gateway/engines/engine-options.ts';
import { createLogger } from '../../gateway/logger.ts';
import { HealthRegistry } from '../../gateway/observability/health.ts';
import { createPipelineFactory, type GatewayPipelines } from '../../gateway/pipeline-factory.ts';
import { ModelCatalog, type ModelEntry } from '../../pipeline/engines/model-catalog.ts';
import { hasCommand } from '../helpers/has-command.ts';
import { until } from '../helpers/until.ts';
import { makeTinyModels } from '../fixtures/tiny-models.ts';
import { startControl, type TestControl } from './helpers/control.ts';
import { testDatabase, testEngines, type TestDatabase } from './helpers/database.ts';

const tiny = makeTinyModels();
t.teardown(tiny.cleanup);
const needs = !hasCommand('espeak-ng') ? 'needs espeak-ng' : !onPath('pocketsphinx_batch') ? 'needs pocketsphinx' : tiny.skip;
const skip = needs ? { skip: needs } : {};

const entry = (name: string, kind: ModelEntry['kind'], engine: ModelEntry['engine']): ModelEntry => ({
  name, kind, languages: ['en'], description: `test ${kind}`, engine, url: `https://models.invalid/${name}.tar.bz2`, sizeBytes: 1, sha256: null, licence: 'test', verified: false, note: 'test',
});
const MANIFEST = {
  models: [
    entry('tiny-vits', 'tts', { type: 'vits', files: { model: 'model.onnx', tokens: 'tokens.txt' } }),
    entry('tiny-zipformer', 'stt-online', { type: 'zipformer2-ctc', files: { model: 'model.onnx', tokens: 'tokens.txt' } }),
    entry('broken-vits', 'tts', { type: 'vits', files: { model: 'model.onnx', tokens: 'tokens.txt' } }),
    entry('absent-vits', 'tts', { type: 'vits', files: { model: 'model.onnx', tokens: 'tokens.txt' } }),
  ],
};

/** A models directory with the tiny models installed under manifest names, and one whose model file is garbage. */
function modelsDir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'vg-engines-api-'));
  cpSync(path.join(tiny.dir, 'vits'), path.join(dir, 'tiny-vits'), { recursive: true });
  cpSync(path.join(tiny.dir, 'zipformer2-ctc'), path.join(dir, 'tiny-zipformer'), { recursive: true });
  mkdirSync(path.join(dir, 'broken-vits'));
  writeFileSync(path.join(dir, 'broken-vits', 'model.onnx'), randomBytes(4096));
  cpSync(path.join(tiny.dir, 'vits', 'tokens.txt'), path.join(dir, 'broken-vits', 'tokens.txt'));
  return dir;
}

interface Rig {
  c: TestControl;
  pipelines: GatewayPipelines;
  health: HealthRegistry;
  stop(): Promise<void>;
}

/** A control plane with the gateway's engines attached, as gateway/assemble.ts wires them. */
async function rig(db: TestDatabase, dir: string): Promise<Rig> {
  const catalog = new ModelCatalog({ dir, hubDir: null, manifest: MANIFEST });
  const c = await startControl({}, { db, options: { models: catalog } });
  const config = loadConfig({ PIPELINE: 'secretary', MODELS_DIR: dir });
  const pipelines = await createPipelineFactory(config, { log: createLogger('silent'), controlPlane: c.cp });
  c.cp.setEngines(pipelines.engines);
  const health = new HealthRegistry();
  pipelines.registerHealth(health);
  return {
    c,
    pipelines,
    health,
    async stop() {
      c.cp.setEngines(null);
      await pipelines.close();
      await c.stop();
    },
  };
}

for (const engine of testEngines()) {
  t.test(`engines API on ${engine}`, skip, async (t) => {
    const db = await testDatabase(engine);
    t.teardown(db.cleanup);
    const dir = modelsDir();
    t.teardown(() => rmSync(dir, { recursive: true, force: true }));
    let r = await rig(db, dir);
    t.teardown(() => r.stop());
    const admin = await r.c.userToken('adam', 'admin');
    const viewer = await r.c.userToken('vera', 'viewer');
    const get = async () => (await r.c.call('GET', '/admin/engines', { token: viewer })).body;

    await t.test("what new calls get, from the environment, and what there is to choose", async (t) => {
      const res = await r.c.call('GET', '/admin/engines', { token: viewer });
      t.equal(res.status, 200);
      t.match(res.body.stt, { engine: 'pocketsphinx', model: null, source: 'environment', runtime: 'pocketsphinx', calls: 0, draining: [], stored_choice_failed: null });
      t.match(res.body.tts, { engine: 'espeak', voice: null, source: 'environment', runtime: 'espeak-ng', health: { ok: true } });
      const stt = Object.fromEntries(res.body.stt.choices.map((o: { engine: string }) => [o.engine, o]));
      t.match(stt.pocketsphinx, { available: true, reason: null, settable: true });
      t.match(stt['sherpa-online'], { available: true, models: ['tiny-zipformer'] });
      t.match(stt['sherpa-offline'], { available: false, reason: /no offline \(stt-offline\) model is installed/ });
      t.match(stt.openai, { available: false, settable: false, reason: /environment only/ });
      const tts = Object.fromEntries(res.body.tts.choices.map((o: { engine: string }) => [o.engine, o]));
      t.match(tts.espeak, { available: true });
      t.same(tts.sherpa.models, ['tiny-vits', 'broken-vits'], 'installed TTS models only');
      t.equal((await r.c.call('PUT', '/admin/engines/tts', { token: viewer, body: { engine: 'espeak' } })).status, 403);
      t.equal((await r.c.call('DELETE', '/admin/engines/tts', { token: viewer })).status, 403);
    });

    await t.test('choices refused before anything is built: no free paths, only installed models of the right kind, known voices', async (t) => {
      const put = (kind: string, body: unknown) => r.c.call('PUT', `/admin/engines/${kind}`, { token: admin, body });
      t.match((await put('tts', { engine: 'sherpa', modelDir: '/etc' })).body.error, { code: 'validation_failed' });
      t.match((await put('tts', { engine: 'openai', model: 'x' })).body.error, { code: 'validation_failed' }, 'openai stays with the environment');
      t.match((await put('tts', { engine: 'sherpa', model: '../../etc' })).body.error, { code: 'validation_failed' });
      const unknown = await put('tts', { engine: 'sherpa', model: 'tiny-vit' });
      t.equal(unknown.status, 404);
      t.match(unknown.body.error, { code: 'unknown_model', details: { did_you_mean: ['tiny-vits'] } });
      t.match((await put('tts', { engine: 'sherpa', model: 'absent-vits' })).body.error, { code: 'model_not_installed', message: /fetch it first/ });
      t.match((await put('stt', { engine: 'sherpa-online', model: 'tiny-vits' })).body.error, { code: 'wrong_model_kind' });
      t.match((await put('stt', { engine: 'sherpa-offline', model: 'tiny-zipformer' })).body.error, { code: 'wrong_model_kind', message: /stt-online model/ });
      const voice = await put('tts', { engine: 'espeak', voice: '../../secret.key' });
      t.equal(voice.status, 400);
      t.equal(voice.body.error.code, 'unknown_voice');
      t.equal((await put('tts', { engine: 'espeak', voice: 'xx-nosuchvoice' })).body.error.code, 'unknown_voice');
      t.match(await get(), { stt: { engine: 'pocketsphinx', source: 'environment' }, tts: { engine: 'espeak', source: 'environment' } }, 'nothing changed');
    });

    await t.test('an engine that fails to start is 422 in our words; the old one stays', async (t) => {
      const res = await r.c.call('PUT', '/admin/engines/tts', { token: admin, body: { engine: 'sherpa', model: 'broken-vits' } });
      t.equal(res.status, 422, res.text);
      t.equal(res.body.error.code, 'engine_failed');
      t.match(res.body.error.message, /^the voice sherpa could not be started: .* \(error id [0-9a-f]{10}\)$/);
      t.match(res.body.error.details, { error_id: /^[0-9a-f]{10}$/ });
      t.notMatch(res.body.error.message, new RegExp(dir), 'no server paths or engine text');
      t.match(await get(), { tts: { engine: 'espeak', runtime: 'espeak-ng', source: 'environment' } });
      t.equal(await r.c.cp.repos.config.get('engines.tts'), undefined, 'nothing stored');
    });

    await t.test('a switch reaches new calls; a call in progress keeps its engine until it ends', async (t) => {
      const ongoing = r.pipelines.factory({ callId: 'before-switch', channel: 'ws' });
      ongoing.start();
      t.match((await get()).tts, { runtime: 'espeak-ng', calls: 1 });

      const res = await r.c.call('PUT', '/admin/engines/tts', { token: admin, body: { engine: 'sherpa', model: 'tiny-vits' } });
      t.equal(res.status, 200, res.text);
      t.match(res.body, { engine: 'sherpa', model: 'tiny-vits', source: 'admin', runtime: 'sherpa-onnx-vits', calls: 0, draining: [{ runtime: 'espeak-ng', calls: 1 }] });
      const next = r.pipelines.factory({ callId: 'after-switch', channel: 'ws' });
      next.start();
      t.match((await get()).tts, { runtime: 'sherpa-onnx-vits', calls: 1, draining: [{ runtime: 'espeak-ng', calls: 1 }] });
      t.match(await r.c.cp.repos.config.get('engines.tts'), { choice: { engine: 'sherpa', model: 'tiny-vits' }, by: Number });
      t.match((await r.health.report()).components.tts, { status: 'ok', engine: 'sherpa-onnx-vits', source: 'admin' });

      const models = await r.c.call('GET', '/admin/models', { token: viewer });
      t.equal(models.body.items.find((m: { name: string }) => m.name === 'tiny-vits').in_use, 'tts');
      const del = await r.c.call('DELETE', '/admin/models/tiny-vits', { token: admin });
      t.equal(del.status, 409, 'a model in use is not removed');
      t.match(del.body.error, { code: 'conflict', details: { in_use: 'tts' } });

      await ongoing.close('test over');
      await until('the replaced engine released by its last call', async () => (await get()).tts.draining.length === 0);
      await next.close('test over');
      const audit = await r.c.call('GET', '/admin/audit?action=engines.set', { token: admin });
      t.match(audit.body.items[0], { target: 'engines:tts', details: { from: { engine: 'espeak', source: 'environment' }, to: { engine: 'sherpa', model: 'tiny-vits' } } });
    });

    await t.test('the choice survives a restart; a choice that cannot be built at start falls back, and says so', async (t) => {
      t.equal((await r.c.call('PUT', '/admin/engines/stt', { token: admin, body: { engine: 'sherpa-online', model: 'tiny-zipformer' } })).status, 200);
      await r.stop();
      r = await rig(db, dir);
      let token = await r.c.login('vera');
      let now = (await r.c.call('GET', '/admin/engines', { token: token.body.access_token })).body;
      t.match(now.stt, { engine: 'sherpa-online', model: 'tiny-zipformer', source: 'admin', runtime: /^sherpa-online/ });
      t.match(now.tts, { engine: 'sherpa', model: 'tiny-vits', source: 'admin', stored_choice_failed: null });

      // The model goes away while the gateway is down: the next start uses the environment's voice.
      await r.stop();
      rmSync(path.join(dir, 'tiny-vits'), { recursive: true });
      r = await rig(db, dir);
      token = await r.c.login('vera');
      now = (await r.c.call('GET', '/admin/engines', { token: token.body.access_token })).body;
      t.match(now.tts, { engine: 'espeak', source: 'environment', stored_choice_failed: { choice: { engine: 'sherpa', model: 'tiny-vits' }, error: /not installed/ } });
      t.match((await r.health.report()).components.tts, { status: 'degraded', engine: 'espeak-ng', source: 'environment', stored_choice_failed: /not installed/ });

      // Back to the environment's: the stored choices are forgotten.
      const adminToken = (await r.c.login('adam')).body.access_token;
      const stt = await r.c.call('DELETE', '/admin/engines/stt', { token: adminToken });
      t.match(stt.body, { engine: 'pocketsphinx', source: 'environment', runtime: 'pocketsphinx' });
      const tts = await r.c.call('DELETE', '/admin/engines/tts', { token: adminToken });
      t.match(tts.body, { engine: 'espeak', source: 'environment', stored_choice_failed: null });
      t.equal(await r.c.cp.repos.config.get('engines.stt'), undefined);
      t.equal(await r.c.cp.repos.config.get('engines.tts'), undefined);
      t.match((await r.health.report()).components.tts, { status: 'ok' });
    });
  });
}

t.test('another gateway on the same Postgres takes up a choice made through one', { skip: needs || (testEngines().includes('postgres') ? false : 'needs TEST_DATABASE_URL') }, async (t) => {
  const db = await testDatabase('postgres');
  t.teardown(db.cleanup);
  const dir = modelsDir();
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const a = await rig(db, dir);
  t.teardown(() => a.stop());
  // One database, two gateways: each has a data directory of its own (its journal, its node id).
  const otherDataDir = mkdtempSync(path.join(tmpdir(), 'vg-engines-b-'));
  t.teardown(() => rmSync(otherDataDir, { recursive: true, force: true }));
  const b = await rig({ ...db, dataDir: otherDataDir }, dir);
  t.teardown(() => b.stop());
  const admin = await a.c.userToken('adam', 'admin');
  const viewerOfB = await b.c.userToken('vera', 'viewer');
  const res = await a.c.call('PUT', '/admin/engines/tts', { token: admin, body: { engine: 'espeak', voice: 'en-us+f3' } });
  t.equal(res.status, 200, res.text);
  const seen = await until("gateway B's new voice", async () => {
    const tts = (await b.c.call('GET', '/admin/engines', { token: viewerOfB })).body.tts;
    return tts.voice === 'en-us+f3' && tts;
  });
  t.match(seen, { engine: 'espeak', source: 'admin', stored_choice_failed: null });
  t.equal((await a.c.call('DELETE', '/admin/engines/tts', { token: admin })).status, 200);
  await until('gateway B back on the environment', async () => (await b.c.call('GET', '/admin/engines', { token: viewerOfB })).body.tts.source === 'environment');
});
