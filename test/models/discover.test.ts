import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { discover, enginePaths, listHfCache, verifyInstall } from '../../models/discover.ts';
import { hfHubDir, modelsDir } from '../../models/locations.ts';
import { findModel, loadManifest } from '../../models/manifest.ts';
import { tempDir } from '../helpers/temp-dir.ts';

const whisper = findModel('sherpa-onnx-whisper-tiny')!;
const irina = findModel('vits-piper-ru_RU-irina-medium')!;
const vad = findModel('silero_vad')!;

// The layout huggingface_hub writes: blobs by hash, snapshots/<rev>/<file> symlinked to them, refs/main.
function fakeHfRepo(hub: string, repoDir: string, rev: string, files: Record<string, string>) {
  const root = join(hub, repoDir);
  mkdirSync(join(root, 'blobs'), { recursive: true });
  mkdirSync(join(root, 'snapshots', rev), { recursive: true });
  mkdirSync(join(root, 'refs'), { recursive: true });
  writeFileSync(join(root, 'refs', 'main'), rev + '\n');
  let i = 0;
  for (const [name, content] of Object.entries(files)) {
    const blob = `blob${i++}`;
    writeFileSync(join(root, 'blobs', blob), content);
    const parts = name.split('/');
    if (parts.length > 1) mkdirSync(join(root, 'snapshots', rev, ...parts.slice(0, -1)), { recursive: true });
    symlinkSync(join('..', '..', ...parts.slice(1).map(() => '..'), 'blobs', blob), join(root, 'snapshots', rev, name));
  }
}

function setup() {
  const base = tempDir('models-discover-');
  const hub = join(base, 'hf', 'hub');
  const dir = join(base, 'models');
  mkdirSync(hub, { recursive: true });
  mkdirSync(dir, { recursive: true });
  fakeHfRepo(hub, 'models--csukuangfj--sherpa-onnx-whisper-tiny', 'abc123', { 'tiny-encoder.onnx': 'e'.repeat(100), 'tiny-decoder.onnx': 'd'.repeat(50), 'tiny-tokens.txt': 'tok', 'test_wavs/0.wav': 'w' });
  fakeHfRepo(hub, 'models--openai--whisper-large-v3', 'def456', { 'config.json': '{}' });
  fakeHfRepo(hub, 'datasets--someone--speech', 'fff000', { 'data.csv': 'a,b' });
  // Irina installed by fetch (with stamp), silero_vad by hand but missing nothing, a stray dir and a partial download.
  mkdirSync(join(dir, irina.name, 'espeak-ng-data'), { recursive: true });
  writeFileSync(join(dir, irina.name, 'ru_RU-irina-medium.onnx'), 'x');
  writeFileSync(join(dir, irina.name, 'tokens.txt'), 'x');
  writeFileSync(join(dir, irina.name, '.fetched.json'), JSON.stringify({ name: irina.name, url: irina.url, sha256: irina.sha256, sizeBytes: irina.sizeBytes, fetchedAt: '2025-01-01T00:00:00Z' }));
  mkdirSync(join(dir, vad.name));
  mkdirSync(join(dir, 'kokoro-multi-lang-v1_1'));
  writeFileSync(join(dir, 'kokoro-multi-lang-v1_1', 'model.onnx'), 'x');
  mkdirSync(join(dir, 'my-own-model'));
  writeFileSync(join(dir, 'sherpa-onnx-whisper-base.tar.bz2.part'), Buffer.alloc(1234));
  return { hub, dir };
}

t.test('HF cache: repos, snapshots and sizes', async (t) => {
  const { hub } = setup();
  const repos = await listHfCache(hub);
  t.same(repos.map((r) => `${r.type}:${r.repoId}`), ['model:csukuangfj/sherpa-onnx-whisper-tiny', 'model:openai/whisper-large-v3', 'dataset:someone/speech']);
  const w = repos[0];
  t.same(w.refs, { main: 'abc123' });
  t.match(w.snapshots, [{ revision: 'abc123', files: 4, bytes: 100 + 50 + 3 + 1 }], 'sizes follow the symlinks to blobs');
  t.equal(w.bytes, 154);
  t.same(await listHfCache(join(hub, 'nope')), [], 'a missing cache is empty, not an error');
});

t.test('manifest entries are marked installed, incomplete or missing', async (t) => {
  const { hub, dir } = setup();
  const d = await discover(dir, hub);
  const status = Object.fromEntries(d.entries.map((e) => [e.name, e.status]));
  t.match(status[irina.name], { state: 'complete', location: 'models-dir', path: join(dir, irina.name) });
  t.match(status[whisper.name], { state: 'complete', location: 'hf-cache', path: join(hub, 'models--csukuangfj--sherpa-onnx-whisper-tiny', 'snapshots', 'abc123') });
  t.match(status[vad.name], { state: 'incomplete', missing: ['silero_vad.onnx'] });
  t.match(status['kokoro-multi-lang-v1_1'], { state: 'incomplete', missing: ['voices.bin', 'tokens.txt', 'espeak-ng-data', 'lexicon-us-en.txt', 'lexicon-zh.txt'] });
  t.match(status['sherpa-onnx-whisper-base'], { state: 'missing', path: null });
  t.same(d.modelsDirContents.unknown, ['my-own-model']);
  t.same(d.modelsDirContents.partials, [{ file: 'sherpa-onnx-whisper-base.tar.bz2.part', bytes: 1234 }]);
  t.equal(d.entries.length, loadManifest().models.length);
});

t.test('verify compares the install stamp with the manifest pin', async (t) => {
  const { hub, dir } = setup();
  const repos = await listHfCache(hub);
  t.match(await verifyInstall(irina, dir, repos), { ok: true, notes: [/sha256 matches/] });
  writeFileSync(join(dir, irina.name, '.fetched.json'), JSON.stringify({ sha256: '0'.repeat(64), sizeBytes: 1 }));
  t.match(await verifyInstall(irina, dir, repos), { ok: false, problems: [/manifest pins/] });
  t.match(await verifyInstall(vad, dir, repos), { ok: false, problems: [/incomplete.*silero_vad\.onnx/] });
  t.match(await verifyInstall(findModel('sherpa-onnx-whisper-base')!, dir, repos), { ok: false, problems: [/not installed/] });
  t.match(await verifyInstall(whisper, dir, repos), { ok: true, notes: [/HuggingFace cache/] });
});

t.test('engine paths are absolute, lexicon lists joined per file', async (t) => {
  const kokoro = findModel('kokoro-multi-lang-v1_1')!;
  t.same(enginePaths(kokoro, '/m/k'), { model: '/m/k/model.onnx', voices: '/m/k/voices.bin', tokens: '/m/k/tokens.txt', dataDir: '/m/k/espeak-ng-data', lexicon: '/m/k/lexicon-us-en.txt,/m/k/lexicon-zh.txt' });
});

t.test('locations follow MODELS_DIR and the huggingface_hub precedence', async (t) => {
  t.equal(modelsDir({}, '/repo'), '/repo/data/models');
  t.equal(modelsDir({ MODELS_DIR: '/srv/models' }, '/repo'), '/srv/models');
  t.equal(modelsDir({ MODELS_DIR: 'm' }, '/repo'), '/repo/m');
  t.equal(hfHubDir({}, '/home/u'), '/home/u/.cache/huggingface/hub');
  t.equal(hfHubDir({ XDG_CACHE_HOME: '/xdg' }, '/home/u'), '/xdg/huggingface/hub');
  t.equal(hfHubDir({ HF_HOME: '/hf', XDG_CACHE_HOME: '/xdg' }, '/home/u'), '/hf/hub');
  t.equal(hfHubDir({ HF_HUB_CACHE: '/cache', HF_HOME: '/hf' }, '/home/u'), '/cache');
});
