/**
 * Transport bench: the uWS voice gateway with the echo pipeline in one process, N WebSocket
 * clients streaming 20 ms mu-law frames from a separate load-generator process. Reports frames
 * delivered, client-side delivery jitter, the gateway's event-loop lag (from its own /metrics),
 * CPU and RSS per connection.
 *
 *   node --import tsx bench/transport.ts [--clients 500] [--seconds 15] [--json]
 */
import { numberArg, runMain } from '../runtime/cli-args.ts';
import { pathToFileURL } from 'node:url';
import { machineInfo } from './lib/machine.ts';
import { cpuSeconds, freePort, rssBytes, startTsProcess, stopProcess } from './lib/processes.ts';
import { BENCH_METRICS_TOKEN, scrapeLag } from './lib/scrape-lag.ts';

export interface TransportBenchOptions {
  clients: number;
  seconds: number;
  codec?: string;
  rate?: number;
  /** Server entry point (ours by default; the ws baseline in issue #6 swaps this). */
  serverEntry?: string;
  /** Load generator send slots per 20 ms (default 10: callers out of phase; 1: one burst). */
  slots?: number;
  /** Seconds of streaming before the measurement window opens (default 3: steady state, not start-up). */
  warmupSeconds?: number;
  onProgress?: (message: string) => void;
}

const TOKEN = 'bench-token-0123456789abcdef';

export async function runTransportBench(opts: TransportBenchOptions) {
  const progress = opts.onProgress ?? (() => {});
  const port = await freePort();
  const server = await startTsProcess(
    opts.serverEntry ?? 'gateway/main.ts',
    [],
    { PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'info', PIPELINE: 'echo', VOICE_WS_TOKEN: TOKEN, METRICS_TOKEN: BENCH_METRICS_TOKEN, MAX_CALLS: String(opts.clients + 10), DATA_DIR: '/tmp/vg-bench-data' },
    (line) => line.includes('listening'),
  );
  const pid = server.pid!;
  const rssIdle = rssBytes(pid);
  const phases: Record<string, number> = {};
  let rssConnected = 0;
  let cpuStart = 0;
  let cpuEnd = 0;
  let lag = { p50: NaN, p99: NaN, max: NaN };
  let result: Record<string, unknown> | null = null;
  progress(`gateway up on :${port}; connecting ${opts.clients} clients`);

  const { spawn } = await import('node:child_process');
  const gen = spawn(
    process.execPath,
    ['--import', 'tsx', 'bench/ws-load-generator.ts', '--url', `ws://127.0.0.1:${port}/ws/voice`, '--token', TOKEN,
      '--clients', String(opts.clients), '--seconds', String(opts.seconds), '--codec', opts.codec ?? 'mulaw', '--rate', String(opts.rate ?? 8000), '--slots', String(opts.slots ?? 10),
      '--warmup-seconds', String(opts.warmupSeconds ?? 3)],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  let buf = '';
  gen.stdout.on('data', async (d: Buffer) => {
    buf += d.toString();
    let i: number;
    while ((i = buf.indexOf('\n')) >= 0) {
      const msg = JSON.parse(buf.slice(0, i));
      buf = buf.slice(i + 1);
      phases[msg.phase] = performance.now();
      if (msg.phase === 'connected') {
        rssConnected = rssBytes(pid);
        progress(`${msg.clients} connected; streaming for ${opts.seconds} s`);
      } else if (msg.phase === 'measure_start') {
        cpuStart = cpuSeconds(pid);
        await scrapeLag(port); // resets the server's lag window
      } else if (msg.phase === 'measure_end') {
        cpuEnd = cpuSeconds(pid);
        lag = await scrapeLag(port);
      } else if (msg.phase === 'result') result = msg;
    }
  });
  const code = await new Promise<number | null>((resolve) => gen.once('exit', resolve));
  await stopProcess(server);
  if (!result) throw new Error(`load generator failed (exit ${code})`);
  const r = result as Record<string, unknown>;
  const wallS = (phases.measure_end - phases.measure_start) / 1000;
  const cpuS = cpuEnd - cpuStart;
  const framesPerS = (2 * opts.clients * 1000) / 20; // in + out
  return {
    bench: 'transport',
    server: opts.serverEntry ?? 'gateway/main.ts',
    clients: opts.clients,
    seconds: opts.seconds,
    codec: opts.codec ?? 'mulaw',
    loadgen_send_slots: r.send_slots,
    warmup_seconds: opts.warmupSeconds ?? 3,
    frames_sent: r.frames_sent,
    frames_received: r.frames_received,
    frames_missing: r.frames_missing,
    jitter_ms: r.jitter_ms,
    // Connect, upgrade and start to "started", 50 clients at a time: the budget a start timeout must leave.
    start_ms: r.start_ms,
    server_event_loop_lag_ms: lag,
    server_cpu_fraction: Math.round((cpuS / wallS) * 1000) / 1000,
    frames_per_cpu_s: Math.round(framesPerS / Math.max(1e-9, cpuS / wallS)),
    rss_idle_mb: Math.round(rssIdle / 2 ** 20),
    rss_per_connection_kb: Math.round((rssConnected - rssIdle) / opts.clients / 1024),
    loadgen_event_loop_lag_ms: r.loadgen_event_loop_lag_ms,
    machine: machineInfo(),
  };
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  runMain(
    {
      name: 'bench/transport',
      usage: 'usage: node --import tsx bench/transport.ts [--clients 500] [--seconds 15] [--json]',
      options: { clients: { type: 'string', default: '500' }, seconds: { type: 'string', default: '15' }, json: { type: 'boolean', default: false } },
    },
    async ({ values }) => {
      const out = await runTransportBench({
        clients: numberArg(values.clients, 'clients', { integer: true, min: 1, max: 100_000 })!,
        seconds: numberArg(values.seconds, 'seconds', { min: 0.1, max: 3600 })!,
        onProgress: (m) => process.stderr.write(`[transport] ${m}\n`),
      });
      process.stdout.write(JSON.stringify(out, null, values.json ? 0 : 2) + '\n');
      return 0;
    },
  );
}
