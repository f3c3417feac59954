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
import { parseArgs } from 'node:util';
import { machineInfo } from './lib/machine.ts';
import { cpuSeconds, REPO_ROOT, rssBytes, startTsProcess, stopProcess } from './lib/processes.ts';

export interface ControlBenchOptions {
  connections?: number;
  seconds?: number;
  warmupSeconds?: number;
  onProgress?: (message: string) => void;
}

export const TARGETS = { requests_per_s: 5000, p99_ms: 10 };

export async function runControlBench(opts: ControlBenchOptions = {}) {
  const progress = opts.onProgress ?? (() => {});
  const connections = opts.connections ?? 16;
  const seconds = opts.seconds ?? 10;
  const warmup = opts.warmupSeconds ?? 2;
  let ready: { port: number; key: string } | null = null;
  const server = await startTsProcess('bench/control-server.ts', [], { LOG_LEVEL: 'warn' }, (line) => {
    if (!line.includes('control-bench-ready')) return false;
    ready = JSON.parse(line);
    return true;
  });
  const { port, key } = ready!;
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
    return {
      bench: 'control',
      scenario: 'POST /v1/chat/completions answered from the FAQ, keep-alive, closed loop',
      machine: machineInfo(),
      ...load,
      server_cpu_cores: Math.round((cpuUsed / load.seconds) * 100) / 100,
      server_rss_mb: Math.round(rssBytes(pid) / 2 ** 20),
      targets: TARGETS,
      targets_met: load.errors === 0 && load.requests_per_s >= TARGETS.requests_per_s && load.latency_ms.p99 <= TARGETS.p99_ms,
    };
  } finally {
    await stopProcess(server);
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { values } = parseArgs({ options: { connections: { type: 'string' }, seconds: { type: 'string' }, json: { type: 'boolean', default: false } } });
  const result = await runControlBench({
    connections: values.connections ? Number(values.connections) : undefined,
    seconds: values.seconds ? Number(values.seconds) : undefined,
    onProgress: (m) => process.stderr.write(`[control] ${m}\n`),
  });
  process.stdout.write(JSON.stringify(result, null, values.json ? 0 : 2) + '\n');
}
