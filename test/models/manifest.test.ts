import { readFileSync } from 'node:fs';
import t from 'tap';
import { ENGINES_FOR_KIND, isArchive, loadManifest, MANIFEST_PATH, parseManifest, requiredFiles, urlFileName } from '../../models/manifest.ts';
import { suggest } from '../../models/suggest.ts';

const raw = JSON.parse(readFileSync(MANIFEST_PATH, 'utf8'));
const manifest = loadManifest();

t.test('the bundled manifest parses, with unique names', async (t) => {
  const names = manifest.models.map((m) => m.name);
  t.equal(new Set(names).size, names.length);
});

t.test('it covers what the gateway needs', async (t) => {
  const has = (kind: string, lang: string | null, engine?: string) => manifest.models.some((m) => m.kind === kind && (lang === null || m.languages.includes(lang)) && (!engine || m.engine.type === engine));
  t.ok(has('stt-online', 'en'), 'streaming English STT');
  t.ok(has('stt-online', 'ru'), 'streaming Russian STT');
  t.ok(has('stt-offline', 'ru'), 'offline Russian STT');
  t.ok(has('stt-offline', null, 'whisper'), 'Whisper');
  t.ok(has('stt-offline', null, 'sense-voice'), 'SenseVoice');
  t.ok(has('tts', 'en', 'vits') && has('tts', 'ru', 'vits'), 'Piper voices for en and ru');
  t.ok(has('tts', null, 'kokoro'), 'Kokoro');
  t.ok(has('vad', null, 'silero-vad'), 'Silero VAD');
});

t.test('every entry is consistent with its kind and source', async (t) => {
  for (const m of manifest.models) {
    t.ok(ENGINES_FOR_KIND[m.kind].includes(m.engine.type), `${m.name}: ${m.engine.type} serves ${m.kind}`);
    t.match(m.url, /^https:\/\/github\.com\/k2-fsa\/sherpa-onnx\/releases\/download\/(asr-models|tts-models)\//, `${m.name}: a k2-fsa release URL`);
    t.ok(requiredFiles(m).length > 0);
    if (isArchive(m)) t.equal(urlFileName(m.url), `${m.name}.tar.bz2`);
    if (m.verified) t.ok(m.sha256 && m.sizeBytes, `${m.name}: verified means pinned`);
    else t.ok(m.sha256 === null || m.sizeBytes === null, `${m.name}: unverified entries leave something unpinned`);
  }
});

t.test('the schema rejects what would break at load time', async (t) => {
  const first = raw.models[0];
  const bad = (patch: object) => () => parseManifest({ models: [{ ...first, ...patch }] });
  t.throws(bad({ engine: { type: 'transducer', files: { encoder: 'e.onnx', decoder: 'd.onnx', tokens: 't.txt' } } }), /joiner/, 'a transducer without a joiner');
  t.throws(bad({ engine: { type: 'transducer', files: { ...first.engine.files, tokenz: 'x' } } }), /tokenz/, 'an unknown file role');
  t.throws(bad({ engine: { type: 'whisper', files: { encoder: 'a', decoder: 'b', tokens: 'c' } } }), /cannot serve kind stt-online/);
  t.throws(bad({ engine: { type: 'vits', files: { model: '../../etc/passwd', tokens: 't' } } }), /plain file name/);
  t.throws(bad({ sha256: 'ABC' }), /sha256/);
  t.throws(bad({ sha256: null }), /verified entries must pin/);
  t.throws(bad({ url: 'http://example.com/x.tar.bz2' }), /https/);
  t.throws(bad({ url: 'https://example.com/other-name.tar.bz2' }), /archive must be/);
  t.throws(bad({ languages: [] }), /at least one language/);
  t.throws(() => parseManifest({ models: [first, first] }), /duplicate name/);
  t.doesNotThrow(bad({ sha256: null, sizeBytes: null, verified: false }), 'an honest unverified entry is fine');
});

t.test('suggestions for mistyped names', async (t) => {
  const names = manifest.models.map((m) => m.name);
  t.equal(suggest('irina', names)[0], 'vits-piper-ru_RU-irina-medium');
  t.same(suggest('whisper', names).sort(), ['sherpa-onnx-whisper-base', 'sherpa-onnx-whisper-tiny']);
  t.equal(suggest('silero-vad', names)[0], 'silero_vad', 'close by edit distance');
  t.equal(suggest('ru irina', names)[0], 'vits-piper-ru_RU-irina-medium', 'all words present');
  t.same(suggest('zzzzzz', names), []);
});
