/**
 * Control-plane bench: `POST /v1/chat/completions` answered from the FAQ (API-key auth, usage
 * metering, FAQ match, JSON), from a separate load-generator process over 127.0.0.1. Reports
 * requests/s and client-side p50/p99 latency, and whether the targets (>= 5000 req/s, p99 <= 10 ms
 * on 2 cores) were met.
 *
 *   node --import tsx bench/control.ts [--connections 16] [--seconds 10] [--json]
 */
import { spawn } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import { numberArg, runMain } from '../runtime/cli-args.ts';
import { machineInfo } from './lib/machine.ts';
import { cpuSeconds, REPO_ROOT, rssBytes, startTsProcess, stopProcess } from './lib/processes.ts';

export interface ControlBenchOptions {
  connections?: number;
  seconds?: number;
  warmupSeconds?: number;
  /** Runs of the /admin/tts/stream measurement (default 5). */
  ttsRuns?: number;
  onProgress?: (message: string) => void;
}

export const TARGETS = { requests_per_s: 5000, p99_ms: 10 };

/** Five sentences, as a telephony reply might have. */
export const TTS_TEXT =
  'Good morning, you have reached the front desk. We are open from nine to five, Monday to Friday. ' +
  'Our office is at one Main Street, on the second floor. If you leave your name and number, a colleague will call you back today. ' +
  'Thank you for calling, and have a nice day.';

/**
 * `POST /admin/tts/stream` at 8 kHz with the sentence cache emptied before each run: client-side
 * time to the first byte and to the last byte, and their ratio (1.0 = nothing streamed before the
 * whole text was synthesised, which is what the original did).
 */
export async function measureTtsStream(base: string, token: string, runs = 5, sampleRate = 8000) {
  const rows: Array<{ ttfb_ms: number; ttlb_ms: number; ratio: number; audio_s: number; chunks: number }> = [];
  for (let i = 0; i < runs; i++) {
    await fetch(`${base}/admin/tts/cache`, { method: 'DELETE', headers: { authorization: `Bearer ${token}` } });
    const started = performance.now();
    const res = await fetch(`${base}/admin/tts/stream`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ text: TTS_TEXT, target_sample_rate: sampleRate }),
    });
    if (res.status !== 200) throw new Error(`/admin/tts/stream answered ${res.status}: ${await res.text()}`);
    const reader = res.body!.getReader();
    let ttfb = 0;
    let bytes = 0;
    let chunks = 0;
    for (let n = 0; n < 1_000_000; n++) {
      const r = await reader.read();
      if (r.done) break;
      if (chunks++ === 0) ttfb = performance.now() - started;
      bytes += r.value.byteLength;
    }
    const ttlb = performance.now() - started;
    rows.push({ ttfb_ms: round(ttfb), ttlb_ms: round(ttlb), ratio: Math.round((ttfb / ttlb) * 1000) / 1000, audio_s: round(bytes / 2 / sampleRate), chunks });
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  return {
    scenario: `POST /admin/tts/stream, 5 sentences, espeak-ng, ${sampleRate} Hz, cache emptied before each run`,
    runs: rows.length,
    ttfb_ms_p50: median(rows.map((r) => r.ttfb_ms)),
    ttlb_ms_p50: median(rows.map((r) => r.ttlb_ms)),
    ttfb_to_ttlb_ratio_p50: median(rows.map((r) => r.ratio)),
    audio_s: rows[0]?.audio_s,
    chunks_p50: median(rows.map((r) => r.chunks)),
    original_ratio: 1.0,
  };
}

const round = (x: number) => Math.round(x * 10) / 10;

export async function runControlBench(opts: ControlBenchOptions = {}) {
  const progress = opts.onProgress ?? (() => {});
  const connections = opts.connections ?? 16;
  const seconds = opts.seconds ?? 10;
  const warmup = opts.warmupSeconds ?? 2;
  let ready: { port: number; key: string; token: string } | null = null;
  const server = await startTsProcess('bench/control-server.ts', [], { LOG_LEVEL: 'warn' }, (line) => {
    if (!line.includes('control-bench-ready')) return false;
    ready = JSON.parse(line);
    return true;
  });
  const { port, key, token } = ready!;
  progress(`control plane up on :${port}; ${connections} connections for ${seconds} s after ${warmup} s warm-up`);
  const pid = server.pid!;
  try {
    const gen = spawn(
      process.execPath,
      ['--import', 'tsx', 'bench/control-load.ts', '--port', String(port), '--key', key, '--connections', String(connections), '--seconds', String(seconds), '--warmup', String(warmup)],
      { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let out = '';
    gen.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const cpuAtStart = await new Promise<number>((r) => setTimeout(() => r(cpuSeconds(pid)), warmup * 1000));
    const code = await new Promise<number | null>((r) => gen.once('exit', r));
    const cpuUsed = cpuSeconds(pid) - cpuAtStart;
    const line = out.trim().split('\n').pop();
    if (!line) throw new Error(`load generator failed (exit ${code})`);
    const load = JSON.parse(line);
    progress('chat load done; measuring /admin/tts/stream time to first vs last byte');
    const tts = await measureTtsStream(`http://127.0.0.1:${port}`, token, opts.ttsRuns ?? 5);
    return {
      bench: 'control',
      scenario: 'POST /v1/chat/completions answered from the FAQ, keep-alive, closed loop',
      machine: machineInfo(),
      ...load,
      server_cpu_cores: Math.round((cpuUsed / load.seconds) * 100) / 100,
      server_rss_mb: Math.round(rssBytes(pid) / 2 ** 20),
      targets: TARGETS,
      targets_met: load.errors === 0 && load.requests_per_s >= TARGETS.requests_per_s && load.latency_ms.p99 <= TARGETS.p99_ms,
      tts_stream: tts,
    };
  } finally {
    await stopProcess(server);
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  runMain(
    {
      name: 'bench/control',
      usage: 'usage: node --import tsx bench/control.ts [--connections 16] [--seconds 10] [--json]',
      options: { connections: { type: 'string' }, seconds: { type: 'string' }, json: { type: 'boolean', default: false } },
    },
    async ({ values }) => {
      const result = await runControlBench({
        connections: numberArg(values.connections, 'connections', { integer: true, min: 1, max: 10_000 }),
        seconds: numberArg(values.seconds, 'seconds', { min: 0.1, max: 3600 }),
        onProgress: (m) => process.stderr.write(`[control] ${m}\n`),
      });
      process.stdout.write(JSON.stringify(result, null, values.json ? 0 : 2) + '\n');
      return 0;
    },
  );
}
