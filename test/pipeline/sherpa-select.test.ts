/**
 * The engine factory: every engine name builds the right class, sherpa engines load their (tiny,
 * generated) models before selectEngines resolves, and wrong settings fail with messages that
 * name the setting.
 */
import path from 'node:path';
import t from 'tap';
import { createLlm, createStt, createTts, createVad, selectEngines, EngineConfigError } from '../../pipeline/engines/select.ts';
import { OpenAiCompatibleStt } from '../../pipeline/engines/stt-openai.ts';
import { PocketsphinxStt } from '../../pipeline/engines/stt-pocketsphinx.ts';
import { SherpaOfflineStt } from '../../pipeline/engines/stt-sherpa-offline.ts';
import { SherpaOnlineStt } from '../../pipeline/engines/stt-sherpa-online.ts';
import { EspeakTts } from '../../pipeline/engines/tts-espeak.ts';
import { OpenAiCompatibleTts } from '../../pipeline/engines/tts-openai.ts';
import { SherpaTts } from '../../pipeline/engines/tts-sherpa.ts';
import { makeTinyModels, toneSequence } from '../fixtures/tiny-models.ts';

const models = makeTinyModels();
t.teardown(models.cleanup);
const skip = { skip: models.skip };

t.test('sherpa engines from model directories (relative to modelsDir or absolute), loaded at selection', skip, async (t) => {
  const e = await selectEngines({
    modelsDir: models.dir,
    stt: { engine: 'sherpa-online', modelDir: 'zipformer2-ctc' },
    tts: { engine: 'sherpa', modelDir: path.join(models.dir, 'vits') },
  });
  t.teardown(() => e.close());
  t.type(e.stt, SherpaOnlineStt);
  t.type(e.tts, SherpaTts);
  t.equal(e.tts.sampleRate, 16000, 'the TTS model is loaded');
  t.equal(e.llm, undefined, 'no LLM configured: the built-in dialogue');
  t.equal((await e.stt.transcribe(toneSequence([[440, 0.5], [0, 0.3]]))).text, 'b');

  const off = await createStt({ engine: 'sherpa-offline', modelDir: 'nemo-ctc', type: 'nemo-ctc' }, models.dir);
  t.teardown(() => off.close());
  t.type(off, SherpaOfflineStt);
  t.equal((await off.transcribe(toneSequence([[2000, 0.5]]))).text, 'e');
});

t.test('the fallback and OpenAI-compatible engines', async (t) => {
  t.type(await createStt({ engine: 'pocketsphinx' }), PocketsphinxStt);
  t.type(await createStt(), PocketsphinxStt, 'pocketsphinx by default');
  t.type(await createStt({ engine: 'openai', baseURL: 'http://127.0.0.1:1/v1', model: 'whisper-1' }), OpenAiCompatibleStt);
  t.type(await createTts(), EspeakTts, 'espeak by default');
  t.type(await createTts({ engine: 'openai', baseURL: 'http://127.0.0.1:1/v1', model: 'tts-1', voice: 'alloy' }), OpenAiCompatibleTts);
  t.ok(createLlm([{ name: 'local', baseURL: 'http://127.0.0.1:1/v1', model: 'm' }]));
  const vad = createVad({ threshold: 0.6 });
  await vad.close();
});

t.test('clear errors for wrong settings', async (t) => {
  await t.rejects(createStt({ engine: 'vosk' } as never), { name: 'EngineConfigError', message: 'stt: unknown engine "vosk" (expected one of: pocketsphinx, sherpa-online, sherpa-offline, openai)' });
  await t.rejects(createTts({ engine: 'piper' } as never), /tts: unknown engine "piper" \(expected one of: espeak, sherpa, openai\)/);
  t.throws(() => createVad({ engine: 'webrtc' } as never), /vad: unknown engine "webrtc"/);
  await t.rejects(createStt({ engine: 'openai' } as never), /stt \(openai\): missing baseURL, model/);
  await t.rejects(createTts({ engine: 'openai', baseURL: 'http://x/v1' } as never), /tts \(openai\): missing model, voice/);
  await t.rejects(createStt({ engine: 'sherpa-online' }), /set modelDir \(a directory\) or model \(a name from models\/manifest.json\)/);
  await t.rejects(createStt({ engine: 'sherpa-offline', model: 'no-such-model' }), /no model named "no-such-model"/);
  await t.rejects(createStt({ engine: 'sherpa-online', modelDir: '/nonexistent/dir' }), { name: 'ModelDirError', message: /\/nonexistent\/dir: does not exist/ });
  t.throws(() => createLlm([{ name: 'x', baseURL: '', model: 'm' }]), /llm provider x: missing baseURL/);
  t.ok(EngineConfigError);
});

t.test('a failed selection closes what it had built', skip, async (t) => {
  await t.rejects(
    selectEngines({ modelsDir: models.dir, stt: { engine: 'sherpa-online', modelDir: 'zipformer2-ctc' }, tts: { engine: 'sherpa', modelDir: 'nope' } }),
    /tts model dir .*nope: does not exist/,
  );
  // The online STT's worker pool was closed: nothing keeps this process alive (tap would time out).
});
