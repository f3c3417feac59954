/**
 * Child process of the VAD bench: one runtime (`batched` or `sherpa`), streams added in steps,
 * each step driven at real time for a few seconds with flite speech, as the media clock drives
 * calls (every stream's 20 ms frame in the same tick). Prints one JSON line per step:
 * RSS growth per stream beyond the first (the model, threads and runtime are then loaded) and
 * process CPU per stream-second of audio.
 *
 *   node --import tsx bench/vad-streams.ts --runtime batched --steps 8,32 --seconds 8
 */
import { parseArgs } from 'node:util';
import { SileroVad, type VadRuntime } from '../pipeline/engines/vad-silero.ts';
import type { VadStream } from '../pipeline/engines/types.ts';
import { fliteSpeech, withSilence } from './lib/flite-speech.ts';
import { rssBytes } from './lib/processes.ts';

const { values } = parseArgs({
  options: { runtime: { type: 'string', default: 'batched' }, steps: { type: 'string', default: '8,32' }, seconds: { type: 'string', default: '8' } },
});
const runtime = values.runtime as VadRuntime;
const steps = values.steps!.split(',').map(Number);
const seconds = Number(values.seconds);

const phrases = ['What are your opening hours?', 'I would like to leave a message, please.', 'Can I speak to the manager?'];
const clips = phrases.map((p, i) => withSilence(fliteSpeech(p), 300 + 170 * i, 700));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Running {
  stream: VadStream;
  clip: Int16Array;
  at: number;
  events: number;
}

const vad = new SileroVad({ runtime, minSpeechSec: 0.064, minSilenceSec: 0.5 });
const running: Running[] = [];
async function addStreams(n: number): Promise<void> {
  while (running.length < n) {
    const stream = await vad.createStream();
    const r: Running = { stream, clip: clips[running.length % clips.length], at: (running.length * 1777) % 16000, events: 0 };
    stream.onEvent(() => r.events++);
    running.push(r);
  }
}

/** `ms` of audio into every stream at real time, 20 ms ticks on absolute deadlines. */
async function drive(ms: number): Promise<void> {
  const started = performance.now();
  for (let tick = 0; tick * 20 < ms; tick++) {
    for (const r of running) {
      if (r.at + 320 > r.clip.length) r.at = 0;
      r.stream.push(r.clip.subarray(r.at, r.at + 320));
      r.at += 320;
    }
    const wait = started + (tick + 1) * 20 - performance.now();
    if (wait > 0) await sleep(wait);
  }
}

const say = (o: object) => process.stdout.write(JSON.stringify(o) + '\n');
/** RSS after a full GC (the bench runs this file with --expose-gc), so heap churn is not counted as streams. */
function settledRss(): number {
  (globalThis as { gc?: () => void }).gc?.();
  return rssBytes(process.pid);
}

await addStreams(1);
await drive(2000); // model loaded, worker warm, allocator arenas grown for one stream
const rssOne = settledRss();
for (const n of steps) {
  await addStreams(n);
  await drive(1000); // every new stream has run windows
  const rss = settledRss();
  const cpu0 = process.cpuUsage();
  const wall0 = performance.now();
  const events0 = running.reduce((s, r) => s + r.events, 0);
  await drive(seconds * 1000);
  const cpu = process.cpuUsage(cpu0);
  const wallS = (performance.now() - wall0) / 1000;
  const cpuMs = (cpu.user + cpu.system) / 1000;
  say({
    runtime,
    streams: n,
    rss_mb: Math.round((rss / 2 ** 20) * 10) / 10,
    rss_per_stream_mb: Math.round(((rss - rssOne) / 2 ** 20 / Math.max(1, n - 1)) * 100) / 100,
    cpu_fraction: Math.round((cpuMs / 1000 / wallS) * 1000) / 1000,
    cpu_ms_per_stream_s: Math.round((cpuMs / (n * wallS)) * 100) / 100,
    events: running.reduce((s, r) => s + r.events, 0) - events0,
  });
}
await Promise.all(running.map((r) => r.stream.close()));
await vad.close();
