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
};

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { json: { type: 'boolean', default: false }, clients: { type: 'string' }, seconds: { type: 'string' } },
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
