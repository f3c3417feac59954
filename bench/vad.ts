/**
 * VAD bench: the batched Silero runtime (one shared ONNX session, all calls' windows in one run)
 * against sherpa-onnx's detector per call, each in its own process (bench/vad-streams.ts) so RSS
 * is its own: memory per stream beyond the first and CPU per stream-second at real time, with
 * the ratios sherpa / batched from the same run.
 */
import { spawn } from 'node:child_process';
import { machineInfo } from './lib/machine.ts';
import { REPO_ROOT } from './lib/processes.ts';

export interface VadBenchOptions {
  steps?: number[];
  seconds?: number;
  onProgress?: (m: string) => void;
}

interface StepRow {
  runtime: string;
  streams: number;
  rss_mb: number;
  rss_per_stream_mb: number;
  cpu_fraction: number;
  cpu_ms_per_stream_s: number;
  events: number;
}

function runChild(runtime: string, steps: number[], seconds: number, progress: (m: string) => void): Promise<StepRow[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--expose-gc', '--import', 'tsx', 'bench/vad-streams.ts', '--runtime', runtime, '--steps', steps.join(','), '--seconds', String(seconds)], {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const rows: StepRow[] = [];
    let buf = '';
    child.stdout.on('data', (d: Buffer) => {
      buf += d.toString();
      let i: number;
      while ((i = buf.indexOf('\n')) >= 0) {
        const row = JSON.parse(buf.slice(0, i)) as StepRow;
        buf = buf.slice(i + 1);
        rows.push(row);
        progress(`${runtime}: ${row.streams} streams, ${row.rss_per_stream_mb} MB and ${row.cpu_ms_per_stream_s} CPU ms/s per stream`);
      }
    });
    // Bounded: the child drives (1 + seconds) per step plus start-up.
    const timer = setTimeout(() => child.kill('SIGKILL'), (30 + steps.length * (seconds + 5)) * 1000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      if (code === 0 && rows.length === steps.length) resolve(rows);
      else reject(new Error(`vad-streams (${runtime}) exited with ${code} after ${rows.length} of ${steps.length} steps`));
    });
  });
}

export async function runVadBench(opts: VadBenchOptions = {}) {
  const steps = opts.steps ?? [8, 32];
  const seconds = opts.seconds ?? 8;
  const progress = opts.onProgress ?? (() => {});
  const batched = await runChild('batched', steps, seconds, progress);
  const sherpa = await runChild('sherpa', steps, seconds, progress);
  const ratio = (a: number, b: number) => Math.round((a / Math.max(b, 1e-6)) * 100) / 100;
  return {
    bench: 'vad',
    seconds_per_step: seconds,
    rows: steps.map((streams, i) => ({
      streams,
      batched: batched[i],
      sherpa: sherpa[i],
      // The batched figure is near zero (within GC noise), so a ratio would mean nothing: the difference.
      memory_saved_per_stream_mb: Math.round((sherpa[i].rss_per_stream_mb - batched[i].rss_per_stream_mb) * 100) / 100,
      cpu_ratio_sherpa_over_batched: ratio(sherpa[i].cpu_ms_per_stream_s, batched[i].cpu_ms_per_stream_s),
    })),
    machine: machineInfo(),
  };
}
