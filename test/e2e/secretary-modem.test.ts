/**
 * The phone path end to end, as `npm run modem:call` runs it: the SIM7600 emulator on ptys rings,
 * the modem transport answers, flite's question is played as 8 kHz caller audio, and the secretary
 * (Silero VAD, pocketsphinx, espeak-ng) answers from the FAQ, and the caller hangs up once it has
 * played; the JSON report carries the call log and latencies measured on the emulator's audio timeline.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import t from 'tap';
import { fliteSpeech, writeWav16k } from '../../bench/lib/flite-speech.ts';

t.test('npm run modem:call answers "What are your opening hours?" over the emulated GSM line', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'modem-e2e-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const wav = path.join(dir, 'q.wav');
  const out = path.join(dir, 'reply.wav');
  writeWav16k(wav, fliteSpeech('What are your opening hours?'));
  // The caller hangs up once the answer has played: --tail-ms is only the ceiling for no answer at all.
  const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'gateway/modem/modem-call-cli.ts', '--wav', wav, '--out', out, '--tail-ms', '60000', '--json'], { timeout: 120_000 });
  const report = JSON.parse(stdout.trim().split('\n').pop()!);
  t.same(report.transcripts, ['what are your opening hours'], 'recognised from 8 kHz line audio');
  t.match(report.reply_text, /Monday to Friday/, 'answered from the FAQ');
  t.equal(report.call_log.number, '+79161234567', 'caller id in the call log');
  t.equal(report.call_log.reason, 'remote_hangup', 'the caller hung up after the answer');
  t.type(report.latencies.v2v_ms, 'number', 'v2v measured on the emulator timeline');
  // A figure (bench/modem.ts): on a loaded machine it measures scheduling too. The bound is tested on the gateway's writes (call-manager).
  t.type(report.modem_queue_max_frames, 'number', `modem queue depth ${report.modem_queue_max_frames} frames reported`);
  t.ok(statSync(out).size > 8000 * 2 * 3, 'seconds of reply audio recorded');
});
