import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import t, { type Test } from 'tap';
import { EngineError } from '../../pipeline/engines/engine-error.ts';
import { EspeakTts } from '../../pipeline/engines/tts-espeak.ts';
import { UnknownVoiceError } from '../../pipeline/engines/voice-name.ts';
import { PcmByteStream } from '../../pipeline/engines/pcm-byte-stream.ts';
import { encodeWav } from '../../media/wav.ts';
import { rms } from '../../media/pcm.ts';
import type { TtsChunk } from '../../pipeline/engines/types.ts';
import { failingCommand, recordingWrapper, scriptDir } from '../helpers/shell-scripts.ts';
import { alive, childrenOf } from '../helpers/processes.ts';
import { until } from '../helpers/until.ts';

async function all(it: AsyncIterable<TtsChunk>) {
  const chunks: TtsChunk[] = [];
  for await (const c of it) chunks.push(c);
  const n = chunks.reduce((s, c) => s + c.pcm.length, 0);
  const pcm = new Int16Array(n);
  let at = 0;
  for (const c of chunks) {
    pcm.set(c.pcm, at);
    at += c.pcm.length;
  }
  return { chunks, pcm };
}

t.test('English and Russian sentences come out as 22.05 kHz speech', async (t) => {
  const tts = new EspeakTts();
  t.teardown(() => tts.close());
  for (const text of ['We are open from nine to six.', 'Мы работаем с девяти до шести.']) {
    const { chunks, pcm } = await all(tts.synthesize(text));
    t.ok(chunks.length >= 1, 'chunks');
    t.ok(chunks.every((c) => c.sampleRate === 22050), 'rate');
    const seconds = pcm.length / 22050;
    t.ok(seconds > 1 && seconds < 5, `plausible duration ${seconds.toFixed(2)} s`);
    t.ok(rms(pcm) > 500, 'not silence');
  }
  t.same(tts.health(), { name: 'espeak-ng', ok: true, detail: undefined });
});

t.test('the voice follows the script unless one is given', async (t) => {
  const tts = new EspeakTts();
  t.teardown(() => tts.close());
  // Russian text through an English voice is spelt out letter by letter: much longer audio.
  const ru = (await all(tts.synthesize('Привет'))).pcm.length;
  const spelt = (await all(tts.synthesize('Привет', { voice: 'en-us' }))).pcm.length;
  t.ok(spelt > ru * 1.5, `auto voice ${ru} samples vs forced English ${spelt}`);
});

t.test("a language asked for is spoken with the engine's own voice for it (an owner's choice), not a fixed one", async (t) => {
  const plain = new EspeakTts();
  const chosen = new EspeakTts({ voice: 'en-us+f3', russianVoice: 'ru+m2' });
  const explicit = new EspeakTts({ voice: 'en-us' });
  t.teardown(() => Promise.all([plain.close(), chosen.close(), explicit.close()]));
  const same = async (text: string, language: string, a: EspeakTts, b: EspeakTts) => {
    const [x, y] = [(await all(a.synthesize(text, { language }))).pcm, (await all(b.synthesize(text, { language }))).pcm];
    return x.length === y.length && x.every((v, i) => v === y[i]);
  };
  t.notOk(await same('We are open from nine to six.', 'en', plain, chosen), 'English in the chosen voice');
  t.notOk(await same('Мы работаем с девяти до шести.', 'ru', plain, chosen), 'Russian in the chosen Russian voice');
  t.ok(await same('We are open from nine to six.', 'en', plain, explicit), 'en-us by default, as before');
});

t.test('abort stops synthesis mid-sentence and ends quietly', async (t) => {
  const tts = new EspeakTts();
  t.teardown(() => tts.close());
  const long = 'This is a rather long sentence that goes on and on. '.repeat(40);
  const full = (await all(tts.synthesize('This is a rather long sentence that goes on and on.'))).pcm.length * 40;
  const ac = new AbortController();
  let got = 0;
  for await (const c of tts.synthesize(long, { signal: ac.signal })) {
    got += c.pcm.length;
    ac.abort();
  }
  t.ok(got < full, `stopped after ${got} of about ${full} samples`);
  const pre = new AbortController();
  pre.abort();
  t.same((await all(tts.synthesize('hello', { signal: pre.signal }))).chunks, []);
});

t.test('a missing binary is an error and shows in health', async (t) => {
  const tts = new EspeakTts({ command: '/nonexistent/espeak-ng' });
  t.teardown(() => tts.close());
  await t.rejects(all(tts.synthesize('hello')));
  t.equal(tts.health().ok, false);
});

t.test('a voice that is a path is refused before any espeak-ng starts, whoever asks', async (t) => {
  const scripts = scriptDir();
  t.teardown(scripts.remove);
  const espeak = recordingWrapper(scripts, 'espeak-ng');
  const tts = new EspeakTts({ command: espeak.command, spares: false });
  t.teardown(() => tts.close());
  // espeak-ng opens -v relative to its data directory and prints each line of a non-voice file.
  for (const voice of ['../../../../../../etc/passwd', '/etc/passwd', 'en-us/../../../etc/passwd', 'secret.key', '-v', 'en us']) {
    await t.rejects(all(tts.synthesize('Hello.', { voice })), UnknownVoiceError, voice);
  }
  t.same(espeak.runs(), [], 'espeak-ng was never started');
  t.throws(() => new EspeakTts({ voice: '../x' }), UnknownVoiceError, 'nor taken as the default voice');
  t.throws(() => new EspeakTts({ russianVoice: '/etc/passwd' }), UnknownVoiceError);
  for (const voice of ['en-us', 'en-gb-x-rp', 'en-us+f3', 'ru']) {
    t.ok(rms((await all(tts.synthesize('Hello.', { voice }))).pcm) > 500, `${voice} speaks`);
  }
});

t.test("espeak-ng's stderr goes to the log under an error id, never into the error or health", async (t) => {
  const scripts = scriptDir();
  t.teardown(scripts.remove);
  const logged: Array<Record<string, unknown>> = [];
  const tts = new EspeakTts({ command: failingCommand(scripts, 'Bad voice attribute: SECRET-LINE-42'), spares: false, log: { warn: (obj) => void logged.push(obj) } });
  t.teardown(() => tts.close());
  const err = await all(tts.synthesize('Hello.')).then(
    () => null,
    (e: unknown) => e,
  );
  t.type(err, EngineError);
  const { message, errorId } = err as EngineError;
  t.match(message, `espeak-ng exited with 1 (error id ${errorId})`);
  t.notMatch(message, /SECRET/, 'the error does not carry stderr');
  t.notMatch(JSON.stringify(tts.health()), /SECRET/, 'nor does health');
  t.match(tts.health().detail, errorId, 'health names the same error id');
  t.equal(logged.length, 1);
  t.match(logged[0], { engine: 'espeak-ng', error_id: errorId, stderr: /SECRET-LINE-42/ }, 'the log has stderr under that id');
});

t.test('PcmByteStream reassembles WAV bytes split anywhere', async (t) => {
  const samples = Int16Array.from({ length: 1001 }, (_, i) => (i * 37) % 20000 - 10000);
  const wav = new Uint8Array(encodeWav(samples, 24000));
  for (const step of [1, 3, 7, 44, 45, 1000]) {
    const s = new PcmByteStream({ wav: true, sampleRate: 0 });
    const parts: number[] = [];
    for (let i = 0; i < wav.length; i += step) parts.push(...s.push(wav.subarray(i, i + step)));
    t.equal(s.sampleRate, 24000);
    t.same(parts, [...samples], `step ${step}`);
  }
  const raw = new PcmByteStream({ wav: false, sampleRate: 16000 });
  t.same([...raw.push(new Uint8Array([1, 0, 2]))], [1]);
  t.same([...raw.push(new Uint8Array([0]))], [2]);
  t.throws(() => new PcmByteStream({ wav: true, sampleRate: 0 }).push(new Uint8Array(20)), /RIFF/);
});

t.test('a spare espeak-ng process is started ahead per voice and taken by the next sentence; close() ends it', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'espeak-spare-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const logFile = path.join(dir, 'starts.log');
  const wrapper = path.join(dir, 'espeak-wrapper.sh');
  writeFileSync(wrapper, `#!/bin/sh\necho "$$ $PPID $*" >> ${logFile}\nexec espeak-ng "$@"\n`, { mode: 0o755 });
  const starts = () => (existsSync(logFile) ? readFileSync(logFile, 'utf8').trim().split('\n') : []);
  // A spare is started in the background: wait for it to show up, then check that it is the only one.
  const startsReach = (n: number) => until(`${n} espeak-ng start(s)`, () => starts().length >= n);
  const tts = new EspeakTts({ command: wrapper });
  await tts.ready();
  await startsReach(1);
  t.equal(starts().length, 1, 'a spare for the default voice is ready before the first sentence');
  t.ok(rms((await all(tts.synthesize('First sentence.'))).pcm) > 500, 'speech');
  await startsReach(2);
  t.equal(starts().length, 2, 'the sentence took the spare; one spare started for the next');
  t.ok(rms((await all(tts.synthesize('Second sentence.'))).pcm) > 500, 'the spare speaks');
  await startsReach(3);
  t.equal(starts().length, 3, 'the second sentence took the spare: only its replacement was started');
  await all(tts.synthesize('Третье предложение.'));
  await startsReach(5);
  t.notOk(starts().some((l) => Number(l.split(' ')[1]) === process.pid), 'every espeak-ng was forked by the helper process, none by this one');
  // Started: the spare (taken by sentence 1), its replacement (taken by sentence 2), the English
  // spare, then sentence 3 in Russian and the Russian spare, those two in either order.
  const lines = starts();
  t.equal(lines.length, 5);
  t.ok(lines.slice(3).every((l) => / -v ru /.test(l)), 'sentence 3 and a spare for the Russian voice too');
  const pid = (l: string) => Number(l.split(' ')[0]);
  const russian = lines.slice(3).map(pid);
  t.equal(russian.filter(alive).length, 1, "the Russian sentence's process has ended, its spare waits");
  const spares = [pid(lines[2]), ...russian.filter(alive)];
  t.ok(spares.every(alive), 'both spares idle on stdin');
  await tts.close();
  await until('close() to end the spares', () => !spares.some(alive));
  t.equal(starts().length, 5, 'and nothing more was started');
});

t.test('close() waits for a helper that is slow to go (a stalled machine) instead of letting the process end mid-close', async (t) => {
  // The helper is stopped, so it can only go when close() kills it: until then, nothing but the
  // wait for its exit keeps this process alive (the idle helper is unref'd).
  const script = `import { EspeakTts } from './pipeline/engines/tts-espeak.ts';
    import { childrenOf } from './test/helpers/processes.ts';
    const tts = new EspeakTts();
    await tts.ready();
    // The helper only: with a cold tsx cache an esbuild service is a child too, and a stopped one
    // would hold our stderr open past the end of this process.
    const { readFileSync } = await import('node:fs');
    for (const pid of childrenOf(process.pid)) if (readFileSync('/proc/' + pid + '/cmdline', 'utf8').includes('espeak-zygote')) process.kill(pid, 'SIGSTOP');
    await tts.close();
    console.log('closed');`;
  t.match(runScript(t, script), /closed/);
});

t.test('idle spares do not keep the process alive', async (t) => {
  const script = `import { EspeakTts } from './pipeline/engines/tts-espeak.ts';
    const tts = new EspeakTts();
    for await (const _ of tts.synthesize('Hello.'));
    console.log('done');`;
  // Kept alive by its spares, the script would run into the timeout.
  t.match(runScript(t, script), /done/, 'exited without close()');
});

t.test('spares: false starts a process per sentence only', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'espeak-spare-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const logFile = path.join(dir, 'starts.log');
  const wrapper = path.join(dir, 'espeak-wrapper.sh');
  writeFileSync(wrapper, `#!/bin/sh\necho "$$ $PPID" >> ${logFile}\nexec espeak-ng "$@"\n`, { mode: 0o755 });
  const tts = new EspeakTts({ command: wrapper, spares: false });
  t.teardown(() => tts.close());
  await tts.ready();
  await all(tts.synthesize('One.'));
  await all(tts.synthesize('Two.'));
  const lines = readFileSync(logFile, 'utf8').trim().split('\n');
  t.equal(lines.length, 2, 'one process per sentence');
  // A spare is forked before its sentence's exit is reported: had one been started, it would be a
  // child of the helper now (the helper is the parent of the sentences' processes).
  const helper = Number(lines[0].split(' ')[1]);
  t.not(helper, process.pid, 'started by the helper');
  t.same(childrenOf(helper), [], 'no spare waiting');
});

t.test('before its helper process is up, a sentence starts espeak-ng directly and is not delayed', async (t) => {
  const tts = new EspeakTts();
  t.teardown(() => tts.close());
  const { pcm } = await all(tts.synthesize('Right away.'));
  t.ok(rms(pcm) > 500, 'spoken without waiting for the helper');
  await tts.ready();
  t.ok(rms((await all(tts.synthesize('Through the helper now.'))).pcm) > 500);
});

/**
 * Runs a module script in a node of its own and returns its stdout. These scripts test how the
 * process ends, not priorities: the helper runs at our priority (ENGINE_NICE=0), since a helper
 * niced 10 below a loaded CI machine's test processes can wait tens of seconds for a core. A run
 * that does not end reports what it printed.
 */
function runScript(t: Test, script: string): string {
  const run = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    timeout: 90_000,
    env: { ...process.env, ENGINE_NICE: '0' },
    encoding: 'utf8',
  });
  if (run.error || run.status !== 0) t.fail(`the script ended with ${run.error?.message ?? run.status ?? run.signal}`, { stdout: run.stdout, stderr: run.stderr });
  return run.stdout ?? '';
}
