/**
 * `npm run bench -- <name> [--json] [bench options]` and `npm run bench -- all`.
 * Each bench is a module exporting a `run*Bench` function returning a JSON-able result; this runner
 * prints a readable summary (or, with --json, one JSON object) and shows progress on stderr.
 */
import { parseArgs } from 'node:util';

type BenchFn = (args: Record<string, string | boolean | undefined>, progress: (m: string) => void) => Promise<unknown>;

const benches: Record<string, { describe: string; run: BenchFn }> = {
  dsp: {
    describe: 'G.711 + 8k<->16k resampling for one telephony stream: multiple of real time, native addon vs TypeScript twin',
    run: async () => (await import('./dsp.ts')).runDspBench({}),
  },
  transport: {
    describe: 'N WebSocket echo calls (default 500) at 20 ms frames from a separate load process: drops, jitter, lag, CPU, RSS',
    run: async (a, progress) =>
      (await import('./transport.ts')).runTransportBench({
        clients: Number(a.clients ?? 500),
        seconds: Number(a.seconds ?? 15),
        onProgress: progress,
      }),
  },
  'transport-vs-ws': {
    describe: 'our uWS transport vs a plain ws server doing the same echo and codec work, at 100/500/1000 streams, as ratios; plus a raw uWS echo (no codec, no pacing) as the floor',
    run: async (a, progress) => {
      const { runTransportBench } = await import('./transport.ts');
      const counts = String(a.clients ?? '100,500,1000').split(',').map(Number);
      const seconds = Number(a.seconds ?? 10);
      const rows = [];
      for (const clients of counts) {
        progress(`${clients} streams: uWS gateway`);
        const ours = await runTransportBench({ clients, seconds, onProgress: progress });
        progress(`${clients} streams: ws baseline`);
        const base = await runTransportBench({ clients, seconds, serverEntry: 'bench/baselines/ws-echo-server.ts', onProgress: progress });
        // The floor: uWS echoing each message back inside its receive callback, no codec, no pacing.
        progress(`${clients} streams: raw uWS echo (floor)`);
        const floor = await runTransportBench({ clients, seconds, serverEntry: 'bench/baselines/uws-raw-echo-server.ts', onProgress: progress });
        const r2 = (x: number) => Math.round(x * 100) / 100;
        rows.push({
          clients,
          ours: pick(ours),
          ws_baseline: pick(base),
          raw_uws_floor: pick(floor),
          frames_per_cpu_ratio: r2(ours.frames_per_cpu_s / base.frames_per_cpu_s),
          // What no paced gateway with codec work can beat: the floor's own ratio over ws.
          floor_over_ws_ratio: r2(floor.frames_per_cpu_s / base.frames_per_cpu_s),
          jitter_p99_ratio_ws_over_ours: r2(pick(base).jitter_p99_ms / Math.max(pick(ours).jitter_p99_ms, 0.001)),
        });
      }
      return { bench: 'transport-vs-ws', seconds, rows, machine: (await import('./lib/machine.ts')).machineInfo() };
    },
  },
  'transport-equal-jitter': {
    describe: 'our uWS transport and the ws baseline each stepped up (--clients 100,200,...) until jitter p99 > --jitter-ms (10) or a frame is lost: streams carried and frames per CPU-second at equal jitter, as ratios',
    run: async (a, progress) =>
      (await import('./transport-equal-jitter.ts')).runEqualJitterBench({
        jitterMs: a['jitter-ms'] === undefined ? undefined : Number(a['jitter-ms']),
        counts: a.clients === undefined ? undefined : String(a.clients).split(',').map(Number),
        seconds: a.seconds === undefined ? undefined : Number(a.seconds),
        onProgress: progress,
      }),
  },
  voice: {
    describe: 'voice-to-voice budget over WebSocket (>= 30 turns, each interrupting the last reply): endpoint/STT/LLM/TTS/overhead split, barge-in; --llm-ttft N uses a fake LLM',
    run: async (a, progress) =>
      (await import('./voice.ts')).runVoiceBench({
        turns: Number(a.turns ?? 30),
        llmTtftMs: a['llm-ttft'] === undefined ? undefined : Number(a['llm-ttft']),
        llmTokenMs: a['token-ms'] === undefined ? undefined : Number(a['token-ms']),
        onProgress: progress,
      }),
  },
  tts: {
    describe: 'TTS time to first audio: per-sentence streaming vs whole text first (the original), 1/3/8 sentences, as ratios',
    run: async (_a, progress) => (await import('./tts.ts')).runTtsBench({ onProgress: progress }),
  },
  control: {
    describe: 'control plane: POST /v1/chat/completions from the FAQ (req/s, p50/p99; target >= 5000 req/s, p99 <= 10 ms) and /admin/tts/stream TTFB vs last byte on 5 sentences',
    run: async (a, progress) =>
      (await import('./control.ts')).runControlBench({
        connections: a.clients === undefined ? undefined : Number(a.clients),
        seconds: a.seconds === undefined ? undefined : Number(a.seconds),
        onProgress: progress,
      }),
  },
  modem: {
    describe: 'modem over the SIM7600 emulator: AT overhead vs raw pty, recovery after replug, barge-in and v2v on the emulator audio timeline, v2v budget with a fake LLM (--turns, --llm-ttft, --token-ms)',
    run: async (a, progress) =>
      (await import('./modem.ts')).runModemBench({
        turns: a.turns === undefined ? undefined : Number(a.turns),
        llmTtftMs: a['llm-ttft'] === undefined ? undefined : Number(a['llm-ttft']),
        llmTokenMs: a['token-ms'] === undefined ? undefined : Number(a['token-ms']),
        onProgress: progress,
      }),
  },
  formats: {
    describe: '/v1/audio/speech encoders (wav, pcm, mp3, opus) and upload decoders (wav, mp3, flac, ogg-opus): multiple of real time; event-loop delay decoding a 5-minute MP3 on the main thread vs the worker',
    run: async (_a, progress) => (await import('./formats.ts')).runFormatsBench({ onProgress: progress }),
  },
  backup: {
    describe: 'a backup with large recordings (--mb, default 60): build and validate wall time and the longest event-loop stall, ours (archive thread) vs the same work done synchronously',
    run: async (a, progress) => (await import('./backup.ts')).runBackupBench({ mb: a.mb === undefined ? undefined : Number(a.mb), onProgress: progress }),
  },
  vad: {
    describe: 'Silero VAD: batched runtime (one shared session) vs sherpa-onnx detector per call, memory and CPU per stream at 8 and 32 streams (--steps, --seconds), as ratios',
    run: async (a, progress) =>
      (await import('./vad.ts')).runVadBench({
        steps: a.steps === undefined ? undefined : String(a.steps).split(',').map(Number),
        seconds: a.seconds === undefined ? undefined : Number(a.seconds),
        onProgress: progress,
      }),
  },
  capacity: {
    describe: 'concurrent full-pipeline calls (fallback engines) stepped up until underruns or lag p99 > 10 ms; memory per call',
    run: async (a, progress) =>
      (await import('./voice.ts')).runCapacityBench({
        steps: a.steps === undefined ? undefined : String(a.steps).split(',').map(Number),
        secondsPerStep: a.seconds === undefined ? undefined : Number(a.seconds),
        onProgress: progress,
      }),
  },
};

function pick(r: Awaited<ReturnType<typeof import('./transport.ts').runTransportBench>>) {
  return {
    frames_missing: r.frames_missing,
    jitter_p99_ms: (r.jitter_ms as { p99: number }).p99,
    server_lag_p99_ms: Math.round(r.server_event_loop_lag_ms.p99 * 100) / 100,
    server_cpu_fraction: r.server_cpu_fraction,
    frames_per_cpu_s: r.frames_per_cpu_s,
    rss_per_connection_kb: r.rss_per_connection_kb,
  };
}

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    json: { type: 'boolean', default: false },
    clients: { type: 'string' },
    seconds: { type: 'string' },
    turns: { type: 'string' },
    steps: { type: 'string' },
    'llm-ttft': { type: 'string' },
    'token-ms': { type: 'string' },
    mb: { type: 'string' },
    'jitter-ms': { type: 'string' },
  },
});
const name = positionals[0];
if (!name || (name !== 'all' && !benches[name])) {
  process.stderr.write(`usage: npm run bench -- <${[...Object.keys(benches), 'all'].join('|')}> [--json]\n`);
  for (const [n, b] of Object.entries(benches)) process.stderr.write(`  ${n.padEnd(10)} ${b.describe}\n`);
  process.exit(2);
}
const selected = name === 'all' ? Object.keys(benches) : [name];
const results: Record<string, unknown> = {};
for (const n of selected) {
  const started = performance.now();
  const progress = (m: string) => process.stderr.write(`[${n} ${((performance.now() - started) / 1000).toFixed(1)}s] ${m}\n`);
  progress('running');
  results[n] = await benches[n].run(values, progress);
  progress('done');
}
const output = name === 'all' ? results : results[name];
process.stdout.write((values.json ? JSON.stringify(output) : JSON.stringify(output, null, 2)) + '\n');
