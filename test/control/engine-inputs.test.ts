/**
 * Input that reaches files, subprocesses and model names: a TTS voice is one of the engine's voices
 * (a path never reaches espeak-ng, which would print the file it was pointed at), a language is a
 * language tag, on every route and in stored presets; and what a failing engine or upstream says
 * stays in the log, under the error id the client and engine health are given.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import t from 'tap';
import WebSocket from 'ws';
import { espeakCatalog } from '../../control/tts/tts-catalog.ts';
import { encodeWav } from '../../media/wav.ts';
import type { SttEngine } from '../../pipeline/engines/types.ts';
import { capturedLog } from '../helpers/captured-log.ts';
import { hasCommand } from '../helpers/has-command.ts';
import { failingCommand, recordingWrapper, scriptDir } from '../helpers/shell-scripts.ts';
import { sine } from '../media/signals.ts';
import { startControl, type TestControl } from './helpers/control.ts';

const hasEspeak = hasCommand('espeak-ng');

async function apiKey(c: TestControl, admin: string): Promise<string> {
  return (await c.call('POST', '/admin/api-keys', { token: admin, body: { name: 'k' } })).body.key as string;
}

/** One synthesize request over the WebSocket; resolves with its last JSON event (end or error). */
async function wsSynthesize(c: TestControl, token: string, message: Record<string, unknown>): Promise<Record<string, any>> {
  const ws = new WebSocket(`ws://127.0.0.1:${c.port}/admin/tts/ws/stream`, { headers: { authorization: `Bearer ${token}` } });
  try {
    await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
    const last = new Promise<Record<string, any>>((resolve) =>
      ws.on('message', (d, binary) => {
        const e = binary ? null : JSON.parse(String(d));
        if (e?.type === 'end' || e?.type === 'error') resolve(e);
      }),
    );
    ws.send(JSON.stringify({ type: 'synthesize', ...message }));
    return await last;
  } finally {
    ws.close();
  }
}

t.test('a voice that is a path is refused with 400 wherever a voice is given, and never reaches espeak-ng', { skip: !hasEspeak && 'espeak-ng not installed' }, async (t) => {
  const scripts = scriptDir();
  t.teardown(scripts.remove);
  const espeak = recordingWrapper(scripts, 'espeak-ng');
  const c = await startControl({}, { options: { tts: espeakCatalog({ command: espeak.command }) } });
  t.teardown(c.stop);
  const admin = await c.userToken('admin-voice', 'admin');
  const key = await apiKey(c, admin);
  const secret = readFileSync(path.join(c.db.dataDir, 'secret.key'));
  // The traversal tried in the review: espeak-ng resolves -v under its data directory.
  const paths = [`../../../../../../..${c.db.dataDir}/secret.key`, '../../../../../../../etc/passwd', '/etc/passwd'];
  const preset = await c.call('POST', '/admin/tts/presets', { token: admin, body: { name: 'english', engine: 'espeak-ng', voice: 'en-us' } });
  t.equal(preset.status, 201);

  for (const voice of paths) {
    const answers = {
      'tts/test': await c.call('POST', '/admin/tts/test', { token: admin, body: { text: 'Hello.', voice } }),
      'tts/stream': await c.call('POST', '/admin/tts/stream', { token: admin, body: { text: 'Hello.', voice } }),
      'preset create': await c.call('POST', '/admin/tts/presets', { token: admin, body: { name: 'evil', engine: 'espeak-ng', voice } }),
      'preset update': await c.call('PATCH', `/admin/tts/presets/${preset.body.id}`, { token: admin, body: { voice } }),
      '/v1/audio/speech': await c.call('POST', '/v1/audio/speech', { token: key, body: { model: 'tts-1', input: 'Hello.', voice } }),
      '/v1/audio/speech voice object': await c.call('POST', '/v1/audio/speech', { token: key, body: { model: 'tts-1', input: 'Hello.', voice: { id: voice } } }),
    };
    for (const [where, r] of Object.entries(answers)) {
      t.equal(r.status, 400, `${where}: ${voice}`);
      t.equal(r.body.error.code, 'unknown_voice', where);
      t.notOk(Buffer.from(r.text).includes(secret), 'no key material in the answer');
    }
    const ws = await wsSynthesize(c, admin, { text: 'Hello.', voice });
    t.match(ws, { type: 'error', code: 'unknown_voice' }, `websocket: ${voice}`);
  }
  t.equal((await c.call('GET', `/admin/tts/presets/${preset.body.id}`, { token: admin })).body.voice, 'en-us', 'the refused update changed nothing');

  // A preset stored before the check existed (or restored from such a backup) is checked when used.
  const old = await c.cp.repos.ttsPresets.create({ name: 'legacy', engine: 'espeak-ng', voice: paths[0], language: null, speed: 1, params: {} });
  t.equal((await c.call('POST', '/admin/tts/test', { token: admin, body: { text: 'Hello.', preset_id: old.id } })).status, 400);
  t.equal((await c.call('POST', '/v1/audio/speech', { token: key, body: { model: 'tts-1', input: 'Hello.', voice: 'legacy' } })).status, 400);
  t.match(await wsSynthesize(c, admin, { text: 'Hello.', preset_id: old.id }), { type: 'error', code: 'unknown_voice' });

  t.same(espeak.runs().filter((args) => !/^--stdout -v [a-z-]+ -s \d+$/.test(args) && args !== '--voices' && args !== '--voices=variant'), [], 'espeak-ng only ever got plain voice names');
  // Known voices still work, through the same wrapper.
  const ok = await c.call('POST', '/admin/tts/test', { token: admin, body: { text: 'Hello.', voice: 'en-gb' } });
  t.equal(ok.status, 200);
  t.ok(espeak.runs().some((args) => args.includes('-v en-gb ')), 'the wrapper is the engine in use');
  const stock = await c.call('POST', '/v1/audio/speech', { token: key, body: { model: 'tts-1', input: 'Hi.', voice: 'alloy', response_format: 'pcm' } });
  t.equal(stock.status, 200, "OpenAI's own voice names get the default voice");
  const unknown = await c.call('POST', '/v1/audio/speech', { token: key, body: { model: 'tts-1', input: 'Hi.', voice: 'nonexistent' } });
  t.equal(unknown.status, 400, 'any other unknown voice is refused rather than replaced');
  t.match(unknown.body.error.message, /preset's name, one of the engine's voices or an OpenAI voice name/);
});

t.test('languages are language tags on every route that takes one', async (t) => {
  const c = await startControl();
  t.teardown(c.stop);
  const admin = await c.userToken('admin-lang', 'admin');
  const key = await apiKey(c, admin);
  const bad = '../../../etc/passwd';
  const r1 = await c.call('POST', '/admin/tts/test', { token: admin, body: { text: 'Hi.', language: bad } });
  t.equal(r1.status, 400);
  t.match(r1.body.error.message, /language/);
  t.equal((await c.call('POST', '/admin/tts/presets', { token: admin, body: { name: 'p', engine: 'espeak-ng', voice: 'en-us', language: bad } })).status, 400);
  t.equal((await c.call('POST', '/admin/personas', { token: admin, body: { name: 'p', system_prompt: 'x', language: bad } })).status, 400);
  t.equal((await c.call('POST', '/admin/personas', { token: admin, body: { name: 'p', system_prompt: 'x', language: 'en-US' } })).status, 201);
  const wav = encodeWav(sine(16000, 440, 16000), 16000);
  const q = await c.call('POST', `/admin/stt/transcribe?language=${encodeURIComponent(bad)}`, { token: admin, rawBody: wav, headers: { 'content-type': 'audio/wav' } });
  t.equal(q.status, 400);
  const form = new FormData();
  form.set('file', new Blob([wav], { type: 'audio/wav' }), 'a.wav');
  form.set('model', 'whisper-1');
  form.set('language', bad);
  const res = await fetch(`${c.base}/v1/audio/transcriptions`, { method: 'POST', headers: { authorization: `Bearer ${key}` }, body: form });
  t.equal(res.status, 400);
  t.equal(((await res.json()) as any).error.code, 'invalid_language');
});

t.test("a failing engine's stderr stays in the log, under the error id the answer and engine health name", async (t) => {
  const scripts = scriptDir();
  t.teardown(scripts.remove);
  const failing = failingCommand(scripts, 'Bad voice attribute: SECRET-KEY-LINE-7f3a');
  const captured = capturedLog();
  const tts = espeakCatalog({ command: failing, log: captured.log });
  const c = await startControl({}, { options: { tts, log: captured.log } });
  t.teardown(c.stop);
  const admin = await c.userToken('admin-fail', 'admin');
  const key = await apiKey(c, admin);

  const answers = [
    await c.call('POST', '/admin/tts/test', { token: admin, body: { text: 'Hello.' } }),
    await c.call('POST', '/admin/tts/stream', { token: admin, body: { text: 'Hello.' } }),
    await c.call('POST', '/v1/audio/speech', { token: key, body: { model: 'tts-1', input: 'Hello.', voice: 'alloy' } }),
  ];
  for (const r of answers) {
    t.equal(r.status, 502);
    t.equal(r.body.error.code, 'tts_failed');
    t.notMatch(r.text, /SECRET/, 'stderr is not in the answer');
    const id = r.body.error.details.error_id as string;
    t.match(r.body.error.message, `speech synthesis failed: espeak-ng exited with 1 (error id ${id})`);
    t.match(captured.withErrorId(id), { engine: 'espeak-ng', stderr: /SECRET-KEY-LINE-7f3a/ }, 'the log has it under the same id');
  }
  const ws = await wsSynthesize(c, admin, { text: 'Hello.' });
  t.match(ws, { type: 'error', code: 'tts_failed', details: { error_id: /^[0-9a-f]+$/ } }, 'the websocket says the same');
  t.notMatch(JSON.stringify(ws), /SECRET/);
  t.ok(captured.withErrorId(ws.details.error_id));

  const voices = await c.call('GET', '/admin/tts/voices', { token: admin });
  const health = voices.body.engines[0].health;
  t.equal(health.ok, false);
  t.notMatch(JSON.stringify(health), /SECRET/, 'nor is it in engine health');
  const healthId = /error id ([0-9a-f]+)/.exec(health.detail)?.[1];
  t.ok(healthId && captured.withErrorId(healthId), 'health names an error id the log has');
});

t.test('a failing recogniser: the upload answer names an error id, the log has what it said', async (t) => {
  const captured = capturedLog();
  const leaky: SttEngine = {
    name: 'leaky',
    streaming: false,
    health: () => ({ name: 'leaky', ok: true }),
    createStream: () => {
      throw new Error('not used');
    },
    transcribe: async () => {
      throw new Error('upstream said: 401 {"error":"key sk-UPSTREAM-SECRET is revoked"}');
    },
    close: async () => {},
  };
  const c = await startControl({}, { options: { stt: leaky, log: captured.log } });
  t.teardown(c.stop);
  const admin = await c.userToken('admin-stt', 'admin');
  const r = await c.call('POST', '/admin/stt/transcribe', { token: admin, rawBody: encodeWav(sine(16000, 440, 16000), 16000), headers: { 'content-type': 'audio/wav' } });
  t.equal(r.status, 502);
  t.equal(r.body.error.code, 'stt_failed');
  t.notMatch(r.text, /SECRET/);
  const line = captured.withErrorId(r.body.error.details.error_id);
  t.match(JSON.stringify(line), /sk-UPSTREAM-SECRET/, 'logged under the id the client got');
});

t.test('backup names in download, restore and delete URLs are an allow-list: nothing else in DATA_DIR is reachable', async (t) => {
  const c = await startControl();
  t.teardown(c.stop);
  const admin = await c.userToken('admin-names', 'admin');
  const secret = readFileSync(path.join(c.db.dataDir, 'secret.key'));
  for (const name of ['secret.key', '..%2Fsecret.key', '..%2F..%2F..%2Fetc%2Fpasswd', 'backup-20200101T000000Z.zip%00', '.tmp-abc.zip']) {
    for (const [method, suffix, body] of [['GET', '', undefined], ['DELETE', '', undefined], ['POST', '/restore', { confirm: true }]] as const) {
      const r = await c.call(method, `/admin/backups/${name}${suffix}`, { token: admin, body });
      t.ok(r.status === 400 || r.status === 404, `${method} ${name}${suffix}: ${r.status}`);
      t.notOk(Buffer.from(r.text).includes(secret));
    }
  }
  t.ok(readFileSync(path.join(c.db.dataDir, 'secret.key')).equals(secret), 'and nothing was deleted');
});
