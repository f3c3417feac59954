/**
 * sherpa-onnx OfflineTts for real, on a tiny VITS graph the test generates with Debian's python3-onnx
 * (test/fixtures/make-tiny-models.py): the audio is a meaningless tone, but loading, per-sentence
 * streaming, cancellation and the event loop staying free all run through sherpa-onnx-node.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import t from 'tap';
import { SherpaTts, SherpaTtsConfigError } from '../../pipeline/engines/tts-sherpa.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'tiny-models-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
let generated = true;
try {
  execFileSync('/usr/bin/python3', ['test/fixtures/make-tiny-models.py', dir], { stdio: 'pipe' });
} catch (err) {
  generated = false;
  t.comment(`tiny models not generated (python3-onnx missing?): ${(err as Error).message}`);
}
const modelDir = path.join(dir, 'vits');
const opts = { skip: generated ? false : 'needs /usr/bin/python3 with onnx (.ci/run installs python3-onnx)' };

t.test('loads a VITS model and streams sentence by sentence', opts, async (t) => {
  const tts = await SherpaTts.load({ modelDir });
  t.equal(tts.kind, 'vits');
  t.equal(tts.sampleRate, 16000);
  const text = 'first sentence here. second one follows. and a third one.';
  const chunks: number[] = [];
  const started = performance.now();
  let firstAt = 0;
  for await (const c of tts.synthesize(text)) {
    if (!chunks.length) firstAt = performance.now() - started;
    chunks.push(c.pcm.length);
    t.equal(c.sampleRate, 16000);
  }
  t.ok(chunks.length >= 3, `one chunk per sentence (${chunks.length})`);
  t.ok(chunks.every((n) => n > 0), 'every chunk has audio');
  t.comment(`first audio after ${firstAt.toFixed(1)} ms`);
  t.ok(tts.health().ok);
});

t.test('an abort stops synthesis after the current sentence', opts, async (t) => {
  const tts = await SherpaTts.load({ modelDir });
  const ac = new AbortController();
  const text = Array.from({ length: 20 }, (_, i) => `sentence number ${i} is here.`).join(' ');
  let n = 0;
  for await (const _ of tts.synthesize(text, { signal: ac.signal })) {
    if (++n === 2) ac.abort();
  }
  t.equal(n, 2, 'no chunk after the abort');
});

t.test('synthesis runs off the event loop', opts, async (t) => {
  const tts = await SherpaTts.load({ modelDir });
  const h = monitorEventLoopDelay({ resolution: 5 });
  h.enable();
  const text = Array.from({ length: 40 }, (_, i) => `a rather long sentence number ${i} to keep the model busy for a while.`).join(' ');
  // The loop turns (setImmediate runs once per turn) only if synthesis leaves it: run inline, the
  // model would hold the thread from the first sentence to the last and the chunks would reach us
  // through promise jobs alone, with no turn at all. On a worker thread the chunks arrive through
  // the loop (several in one turn when the machine is slow to take them: 11 turns for 40 chunks
  // under load), so it turns at least once however fast or slow the machine.
  let turns = 0;
  let spinning = true;
  const spin = () => {
    turns++;
    if (spinning) setImmediate(spin);
  };
  setImmediate(spin);
  let samples = 0;
  let chunks = 0;
  const elu = performance.eventLoopUtilization();
  for await (const c of tts.synthesize(text)) {
    samples += c.pcm.length;
    chunks++;
  }
  const used = performance.eventLoopUtilization(elu);
  spinning = false;
  h.disable();
  t.ok(samples > 16000, 'seconds of audio');
  t.ok(chunks > 1, `${chunks} chunks`);
  t.ok(turns > 0, `the loop turned ${turns} times while ${chunks} chunks were synthesised`);
  // Lag and busy time depend on the machine's load: reported here, measured by the benches.
  t.comment(`event loop max delay ${(h.max / 1e6).toFixed(1)} ms, busy ${used.active.toFixed(1)} of ${(used.active + used.idle).toFixed(1)} ms while synthesising`);
});

t.test('clear errors for a missing or broken model directory', async (t) => {
  await t.rejects(SherpaTts.load({ modelDir: path.join(dir, 'nope') }), SherpaTtsConfigError);
  const empty = path.join(dir, 'empty');
  execFileSync('mkdir', ['-p', empty]);
  await t.rejects(SherpaTts.load({ modelDir: empty }), /no model file for a vits model \(files there: none\)/);
  writeFileSync(path.join(empty, 'tokens.txt'), 'a 0\n');
  writeFileSync(path.join(empty, 'model.onnx'), 'not an onnx file');
  await t.rejects(SherpaTts.load({ modelDir: empty }), /model\.onnx is not an ONNX model \(a failed download\?\)/, 'checked before sherpa-onnx sees it');
});
