/**
 * DSP bench: what one telephony stream costs on one core, native addon vs TypeScript twin.
 *
 * The stream is the modem/WebSocket edge for a G.711 call, in 20 ms frames:
 *   inbound  8 kHz mu-law (160 B) -> decode -> resample 8k -> 16k (320 samples, pipeline rate)
 *   outbound 16 kHz (320 samples) -> resample 16k -> 8k -> mu-law encode (160 B)
 * `realtime_x` is audio time processed per wall time for the whole chain (both directions):
 * 2000 means one core could carry about 2000 such calls' DSP. Per-op figures are ns per 20 ms frame.
 * Every figure is the median over ~25 ms windows.
 * Output buffers are preallocated, so this measures the DSP, not the garbage collector;
 * `edge_converter` is the same work through the API the transports call (allocating per frame).
 *
 *   node --import tsx bench/dsp.ts [--duration-ms 800]   -> one JSON object on stdout
 *   import { runDspBench } from './dsp.ts'                -> the same object
 */
import { pathToFileURL } from 'node:url';
import { machineInfo } from './lib/machine.ts';
import { createEdgeConverter, createWireCodec } from '../media/codec.ts';
import { mulawDecode, mulawEncode } from '../media/g711.ts';
import { FRAME_MS } from '../media/pcm.ts';
import { createResampler, dspFallbackReason, type DspImpl } from '../media/resampler.ts';
import { nativeDsp } from '../native-addons/index.ts';
import { numberArg, runMain } from '../runtime/cli-args.ts';

export interface DspBenchOptions {
  /** Wall time spent timing the whole chain per implementation; each op gets a quarter of it. */
  durationMs?: number;
  /** Implementations to measure; default both (native only when the addon loaded). */
  impls?: DspImpl[];
}

export interface DspStreamResult {
  impl: DspImpl;
  frames: number;
  realtime_x: number;
  ns_per_frame: {
    mulaw_decode: number;
    resample_8k_to_16k: number;
    resample_16k_to_8k: number;
    mulaw_encode: number;
    chain_total: number;
    /** The same both-way frame through createEdgeConverter (fresh arrays per call, as transports use it). */
    edge_converter: number;
  };
}

export interface DspBenchResult {
  bench: 'dsp';
  stream: string;
  frame_ms: number;
  target_realtime_x: number;
  native_available: boolean;
  native_unavailable_reason: string | null;
  native: DspStreamResult | null;
  ts: DspStreamResult | null;
  /** native realtime_x / ts realtime_x. */
  native_over_ts: number | null;
  meets_target: boolean;
  machine: ReturnType<typeof machineInfo>;
}

const TARGET_REALTIME_X = 2000;
const IN_FRAME = 160;
const OUT_FRAME = 320;
const round = (n: number, digits = 1) => Math.round(n * 10 ** digits) / 10 ** digits;

/** One second of a speech-like test signal at `rate`, so the kernels see realistic values. */
function testSignal(rate: number, samples: number): Int16Array {
  const out = new Int16Array(samples);
  for (let i = 0; i < samples; i++) {
    const t = i / rate;
    const env = 0.5 + 0.5 * Math.sin(2 * Math.PI * 3 * t);
    out[i] = Math.round(env * (6000 * Math.sin(2 * Math.PI * 220 * t) + 3000 * Math.sin(2 * Math.PI * 1330 * t) + 1500 * Math.sin(2 * Math.PI * 2900 * t)));
  }
  return out;
}

/**
 * Run `step(i)` for `ms` of wall time in windows of ~25 ms; returns the total iterations and the
 * median ns per iteration over the windows. The median keeps a burst of CPU contention from
 * another process (this machine is shared) from moving the figure.
 */
function timeLoop(ms: number, step: (i: number) => void): { iterations: number; nsPerIteration: number } {
  const windowNs = 25_000_000n;
  const deadline = process.hrtime.bigint() + BigInt(Math.round(ms * 1e6));
  const perWindow: number[] = [];
  let n = 0;
  for (;;) {
    const start = process.hrtime.bigint();
    const first = n;
    let now = start;
    do {
      for (let k = 0; k < 32; k++) step(n++);
      now = process.hrtime.bigint();
    } while (now - start < windowNs);
    perWindow.push(Number(now - start) / (n - first));
    if (now >= deadline) break;
  }
  perWindow.sort((a, b) => a - b);
  return { iterations: n, nsPerIteration: perWindow[Math.floor(perWindow.length / 2)] };
}

function measure(impl: DspImpl, durationMs: number): DspStreamResult {
  const frames = 50; // one second of audio, cycled
  const mulawIn = mulawEncode(testSignal(8000, IN_FRAME * frames));
  const pcm16Out = testSignal(16000, OUT_FRAME * frames);
  const up = createResampler(8000, 16000, { impl });
  const down = createResampler(16000, 8000, { impl });
  const pcm8 = new Int16Array(IN_FRAME);
  const pcm16 = new Int16Array(OUT_FRAME);
  const pcm8Out = new Int16Array(IN_FRAME);
  const bytesOut = new Uint8Array(IN_FRAME);
  const inFrame = (i: number) => mulawIn.subarray((i % frames) * IN_FRAME, (i % frames + 1) * IN_FRAME);
  const outFrame = (i: number) => pcm16Out.subarray((i % frames) * OUT_FRAME, (i % frames + 1) * OUT_FRAME);
  // Subarray views are created up front so the timed loops measure DSP only.
  const inFrames = Array.from({ length: frames }, (_, i) => inFrame(i));
  const outFrames = Array.from({ length: frames }, (_, i) => outFrame(i));

  const chain = (i: number) => {
    const f = i % frames;
    mulawDecode(inFrames[f], pcm8);
    up.process(pcm8, pcm16);
    down.process(outFrames[f], pcm8Out);
    mulawEncode(pcm8Out, bytesOut);
  };
  timeLoop(Math.min(300, durationMs / 2), chain); // JIT warm-up
  const { iterations: chainFrames, nsPerIteration: nsPerFrame } = timeLoop(durationMs, chain);

  const opMs = durationMs / 4;
  const perOp = (step: (i: number) => void) => {
    timeLoop(opMs / 4, step);
    return round(timeLoop(opMs, step).nsPerIteration);
  };
  const decodeNs = perOp((i) => mulawDecode(inFrames[i % frames], pcm8));
  const upNs = perOp(() => up.process(pcm8, pcm16));
  const downNs = perOp((i) => down.process(outFrames[i % frames], pcm8Out));
  const encodeNs = perOp(() => mulawEncode(pcm8Out, bytesOut));
  const edge = createEdgeConverter(createWireCodec('mulaw', 8000), { impl });
  const edgeNs = perOp((i) => {
    edge.toPipeline(inFrames[i % frames]);
    edge.fromPipeline(outFrames[i % frames]);
  });
  edge.close();

  return {
    impl,
    frames: chainFrames,
    realtime_x: Math.round((FRAME_MS * 1e6) / nsPerFrame),
    ns_per_frame: {
      mulaw_decode: decodeNs,
      resample_8k_to_16k: upNs,
      resample_16k_to_8k: downNs,
      mulaw_encode: encodeNs,
      chain_total: round(nsPerFrame),
      edge_converter: edgeNs,
    },
  };
}

export async function runDspBench(opts: DspBenchOptions = {}): Promise<DspBenchResult> {
  const durationMs = opts.durationMs ?? 800;
  const impls = (opts.impls ?? ['native', 'ts']).filter((i) => i === 'ts' || nativeDsp !== null);
  const results = new Map<DspImpl, DspStreamResult>();
  for (const impl of impls) results.set(impl, measure(impl, durationMs));
  const native = results.get('native') ?? null;
  const ts = results.get('ts') ?? null;
  const best = Math.max(native?.realtime_x ?? 0, ts?.realtime_x ?? 0);
  return {
    bench: 'dsp',
    stream: '8 kHz mu-law in -> decode -> 8k->16k; 16k -> 16k->8k -> mu-law out; 20 ms frames, one core',
    frame_ms: FRAME_MS,
    target_realtime_x: TARGET_REALTIME_X,
    native_available: nativeDsp !== null,
    native_unavailable_reason: dspFallbackReason(),
    native,
    ts,
    native_over_ts: native && ts ? round(native.realtime_x / ts.realtime_x, 2) : null,
    meets_target: best >= TARGET_REALTIME_X,
    machine: machineInfo(),
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  runMain(
    { name: 'bench/dsp', usage: 'usage: node --import tsx bench/dsp.ts [--duration-ms N]', options: { 'duration-ms': { type: 'string' } } },
    async ({ values }) => {
      const result = await runDspBench({ durationMs: numberArg(values['duration-ms'], 'duration-ms', { min: 1, max: 600_000 }) });
      process.stdout.write(`${JSON.stringify(result)}\n`);
      return 0;
    },
  );
}
