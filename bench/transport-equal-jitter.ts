/**
 * Transport at equal p99 jitter: our uWS gateway and the plain `ws` baseline are each stepped up
 * in concurrent 20 ms echo streams until a step drops a frame or its reply jitter p99 exceeds the
 * bound; the last step that held is that server's capacity at that quality. Comparing there, not
 * at one stream count, is what "at equal p99 jitter" means: at 500 streams the ws baseline is far
 * past its limit (70 ms jitter, frames lost), so its frames per CPU-second there describe a server
 * that no longer keeps time.
 *
 * A step that fails is run once more before the stepping stops (these machines are noisy; one
 * slow run should not decide a capacity). Every step is one bounded transport bench run.
 *
 *   npm run bench -- transport-equal-jitter [--jitter-ms 10] [--clients 100,200,...] [--seconds 8]
 */
import { machineInfo } from './lib/machine.ts';
import { runTransportBench } from './transport.ts';

export interface EqualJitterOptions {
  jitterMs?: number;
  counts?: number[];
  seconds?: number;
  onProgress?: (message: string) => void;
}

const SERVERS = {
  ours: 'gateway/main.ts',
  ws_baseline: 'bench/baselines/ws-echo-server.ts',
} as const;

const DEFAULT_COUNTS = [100, 200, 300, 400, 500, 600, 700, 800, 900, 1000];

interface Step {
  clients: number;
  frames_missing: number;
  jitter_p99_ms: number;
  server_cpu_fraction: number;
  frames_per_s: number;
  frames_per_cpu_s: number;
  held: boolean;
}

export async function runEqualJitterBench(opts: EqualJitterOptions = {}) {
  const bound = opts.jitterMs ?? 10;
  const counts = opts.counts ?? DEFAULT_COUNTS;
  const seconds = opts.seconds ?? 8;
  const progress = opts.onProgress ?? (() => {});
  const result: Record<string, { steps: Step[]; capacity: Step | null }> = {};
  for (const [name, serverEntry] of Object.entries(SERVERS)) {
    const steps: Step[] = [];
    let capacity: Step | null = null;
    for (const clients of counts) {
      let step: Step | null = null;
      for (let attempt = 1; attempt <= 2 && !step?.held; attempt++) {
        progress(`${name}: ${clients} streams${attempt > 1 ? ' (again)' : ''}`);
        const r = await runTransportBench({ clients, seconds, serverEntry });
        const jitter = (r.jitter_ms as { p99: number }).p99;
        const missing = Number(r.frames_missing);
        step = {
          clients,
          frames_missing: missing,
          jitter_p99_ms: jitter,
          server_cpu_fraction: r.server_cpu_fraction,
          frames_per_s: (2 * clients * 1000) / 20,
          frames_per_cpu_s: r.frames_per_cpu_s,
          held: missing === 0 && jitter <= bound,
        };
        steps.push(step);
      }
      if (!step!.held) break;
      capacity = step;
    }
    result[name] = { steps, capacity };
  }
  const ours = result.ours.capacity;
  const ws = result.ws_baseline.capacity;
  const r2 = (x: number) => Math.round(x * 100) / 100;
  return {
    bench: 'transport-equal-jitter',
    jitter_bound_ms: bound,
    seconds_per_step: seconds,
    ours: result.ours,
    ws_baseline: result.ws_baseline,
    /** Streams carried within the bound, ours over ws. */
    capacity_ratio: ours && ws ? r2(ours.clients / ws.clients) : null,
    /** Frames moved per CPU-second at each server's capacity, ours over ws. */
    frames_per_cpu_ratio: ours && ws ? r2(ours.frames_per_cpu_s / ws.frames_per_cpu_s) : null,
    machine: machineInfo(),
  };
}
