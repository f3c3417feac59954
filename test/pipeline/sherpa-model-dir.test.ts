/**
 * From a model directory to sherpa-onnx's config for TTS, without loading anything: every file a
 * Kokoro multi-language release needs reaches the config, its several lexicons included (sherpa
 * takes them comma-separated), whether the files come from the manifest entry or are found by name.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import t from 'tap';
import { findModel } from '../../models/manifest.ts';
import { offlineTtsConfig, resolveModel } from '../../pipeline/engines/sherpa-model-dir.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'kokoro-multi-lang-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
writeFileSync(path.join(dir, 'model.onnx'), Buffer.from([0x08, 0x07])); // an ONNX protobuf's first field
writeFileSync(path.join(dir, 'voices.bin'), Buffer.alloc(16));
writeFileSync(path.join(dir, 'tokens.txt'), '$ 0\na 1\n');
writeFileSync(path.join(dir, 'lexicon-us-en.txt'), 'hello h ə l oʊ\n');
writeFileSync(path.join(dir, 'lexicon-zh.txt'), '你好 n i h ao\n');
mkdirSync(path.join(dir, 'espeak-ng-data'));

const expected = {
  model: path.join(dir, 'model.onnx'),
  voices: path.join(dir, 'voices.bin'),
  tokens: path.join(dir, 'tokens.txt'),
  lexicon: `${path.join(dir, 'lexicon-us-en.txt')},${path.join(dir, 'lexicon-zh.txt')}`,
  dataDir: path.join(dir, 'espeak-ng-data'),
};

t.test('Kokoro found by its files: both lexicons and espeak-ng-data reach the config', async (t) => {
  const m = resolveModel('tts', { modelDir: dir });
  t.equal(m.type, 'kokoro');
  t.match(offlineTtsConfig(m, { numThreads: 2 }), { model: { kokoro: expected, numThreads: 2, provider: 'cpu' }, maxNumSentences: 1 });
});

t.test('Kokoro from its manifest entry: the entry names the same files', async (t) => {
  const entry = findModel('kokoro-multi-lang-v1_1');
  t.ok(entry, 'the manifest has the model');
  t.match(offlineTtsConfig(resolveModel('tts', { modelDir: dir, engine: entry!.engine })), { model: { kokoro: expected } });
});

t.test('a lexicon the manifest names but the directory lacks is an error naming it', async (t) => {
  const engine = { type: 'kokoro' as const, files: { model: 'model.onnx', voices: 'voices.bin', tokens: 'tokens.txt', dataDir: 'espeak-ng-data', lexicon: 'lexicon-us-en.txt,lexicon-de.txt' } };
  t.throws(() => resolveModel('tts', { modelDir: dir, engine }), /lexicon-de\.txt \(lexicon\) is missing/);
});
