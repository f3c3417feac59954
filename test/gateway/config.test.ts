import path from 'node:path';
import t from 'tap';
import { ConfigError, DEFAULT_PORT, loadConfig } from '../../gateway/config.ts';

t.test('defaults: port 8002, secretary pipeline on the fallback engines, no built-in token', async (t) => {
  const c = loadConfig({});
  t.equal(c.port, DEFAULT_PORT);
  t.equal(c.port, 8002);
  t.equal(c.voice.path, '/ws/voice');
  t.equal(c.voice.token, undefined);
  t.equal(c.logLevel, 'info');
  t.equal(c.pipeline, 'secretary');
  t.same(c.secretary.stt, { engine: 'pocketsphinx' });
  t.same(c.secretary.tts, { engine: 'espeak' });
  t.equal(c.secretary.noiseSuppression, 'off', 'RNNoise off: it lowered the fallback recogniser\'s answers on noisy lines (bench/noise.ts)');
  t.equal(c.secretary.modelsDir, path.resolve('data/models'), 'where `npm run models -- fetch` puts them');
});

t.test('PORT wins over ORCHESTRATOR_PORT, which is accepted for compatibility', async (t) => {
  t.equal(loadConfig({ ORCHESTRATOR_PORT: '9000' }).port, 9000);
  t.equal(loadConfig({ ORCHESTRATOR_PORT: '9000', PORT: '9001' }).port, 9001);
});

t.test('bad values name the variable', async (t) => {
  t.throws(() => loadConfig({ PORT: 'eighty' }), ConfigError);
  t.throws(() => loadConfig({ ENGINE_NICE: '25' }), /ENGINE_NICE/, 'an engine niceness outside 0-19 fails at start');
  t.throws(() => loadConfig({ ENGINE_NICE: '2.5' }), /ENGINE_NICE must be an integer from 0 to 19/, "the engines' own parser decides");
  t.doesNotThrow(() => loadConfig({ ENGINE_NICE: '' }), 'empty means the default, at start as in the engines');
  t.same(loadConfig({ BARGE_IN_BACKCHANNELS: 'Mhm, Uh-huh ,ага,, ' }).secretary.backchannels, ['mhm', 'uh-huh', 'ага'], 'backchannels: lower case, trimmed, empties dropped');
  t.equal(loadConfig({}).secretary.backchannels, undefined, 'unset: the built-in list');
  t.throws(() => loadConfig({ PORT: '70000' }), /PORT/);
  t.throws(() => loadConfig({ LOG_LEVEL: 'loud' }), /LOG_LEVEL/);
  t.throws(() => loadConfig({ VOICE_WS_TOKEN: 'short' }), /at least 16/);
  t.throws(() => loadConfig({ NOISE_SUPPRESSION: 'speex' }), /NOISE_SUPPRESSION/);
  t.equal(loadConfig({ NOISE_SUPPRESSION: 'rnnoise' }).secretary.noiseSuppression, 'rnnoise');
  t.equal(loadConfig({}).secretary.vad.onsets, true, 'barge-in at the onset by default');
  t.equal(loadConfig({ BARGE_IN_ONSET: 'off' }).secretary.vad.onsets, false);
  t.throws(() => loadConfig({ BARGE_IN_ONSET: 'yes' }), /BARGE_IN_ONSET/);
  t.equal(loadConfig({}).secretary.unsureHoldMs, 400);
  t.equal(loadConfig({ TURN_HOLD_UNSURE_MS: '0' }).secretary.unsureHoldMs, 0, '0: never held');
  t.throws(() => loadConfig({ TURN_HOLD_UNSURE_MS: '-1' }), /TURN_HOLD_UNSURE_MS/);
});

t.test('engines from the environment: sherpa by directory or manifest name, OpenAI-compatible servers', async (t) => {
  t.same(loadConfig({ STT_ENGINE: 'sherpa-online', STT_MODEL_DIR: 'm/zipformer' }).secretary.stt, { engine: 'sherpa-online', modelDir: path.resolve('m/zipformer') });
  t.same(loadConfig({ STT_ENGINE: 'sherpa-offline', STT_MODEL: 'whisper-tiny-en' }).secretary.stt, { engine: 'sherpa-offline', model: 'whisper-tiny-en' });
  t.same(loadConfig({ STT_ENGINE: 'openai', STT_BASE_URL: 'http://127.0.0.1:9000/v1', STT_MODEL: 'whisper-1', PERSONA_LANGUAGE: 'ru' }).secretary.stt, {
    engine: 'openai',
    baseURL: 'http://127.0.0.1:9000/v1',
    model: 'whisper-1',
    apiKey: undefined,
    language: 'ru',
  });
  t.same(loadConfig({ TTS_ENGINE: 'sherpa', TTS_MODEL_DIR: '/opt/vits' }).secretary.tts, { engine: 'sherpa', modelDir: '/opt/vits' });
  t.match(loadConfig({ TTS_ENGINE: 'openai', TTS_BASE_URL: 'http://127.0.0.1:8020/v1', TTS_MODEL: 'xtts', TTS_VOICE: 'anna' }).secretary.tts, { engine: 'openai', model: 'xtts', voice: 'anna' });
  t.equal(loadConfig({ MODELS_DIR: '/srv/models' }).secretary.modelsDir, '/srv/models');
});

t.test('engine settings that cannot work are refused at start, naming what is missing', async (t) => {
  t.throws(() => loadConfig({ STT_ENGINE: 'whisper' }), /STT_ENGINE/);
  t.throws(() => loadConfig({ STT_ENGINE: 'sherpa-online' }), /STT_MODEL_DIR \(a directory\) or STT_MODEL/);
  t.throws(() => loadConfig({ STT_ENGINE: 'openai', STT_MODEL: 'whisper-1' }), /STT_ENGINE=openai needs STT_BASE_URL/);
  t.throws(() => loadConfig({ TTS_ENGINE: 'sherpa' }), /TTS_MODEL_DIR \(a directory\) or TTS_MODEL/);
  t.throws(() => loadConfig({ TTS_ENGINE: 'openai', TTS_BASE_URL: 'http://127.0.0.1:1/v1' }), /needs TTS_MODEL and TTS_VOICE/);
  t.throws(() => loadConfig({ TTS_BASE_URL: 'not a url' }), /TTS_BASE_URL must be a URL/);
});

t.test('LLM_PROXY_URL reaches the env LLM provider; a bad one is refused by name, without echoing it', async (t) => {
  const base = { LLM_BASE_URL: 'https://api.example/v1', LLM_API_KEY: 'sk-1' };
  t.match(loadConfig({ ...base, LLM_PROXY_URL: 'http://ops:pw@proxy.corp:3128' }).secretary.llm, { baseURL: 'https://api.example/v1', proxyUrl: 'http://ops:pw@proxy.corp:3128' });
  t.equal(loadConfig({ ...base, LLM_PROXY_URL: 'https://proxy.corp' }).secretary.llm?.proxyUrl, 'https://proxy.corp');
  t.equal(loadConfig(base).secretary.llm?.proxyUrl, undefined);
  t.equal(loadConfig({ LLM_PROXY_URL: 'http://proxy.corp:3128' }).secretary.llm, undefined, 'no LLM_BASE_URL: no LLM, proxy or not');
  for (const bad of ['proxy.corp:3128', 'socks5://ops:secret@proxy.corp:1080', 'not a url']) {
    const err = t.throws(() => loadConfig({ ...base, LLM_PROXY_URL: bad }), /LLM_PROXY_URL must be an http:\/\/ or https:\/\/ URL/, bad) as Error;
    t.notMatch(err.message, /secret/, 'the password is not repeated');
  }
});
