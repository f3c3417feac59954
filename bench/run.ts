/**
 * `npm run bench -- <name> [--json] [bench options]` and `npm run bench -- all`.
 * Each bench is a module exporting a `run*Bench` function returning a JSON-able result; this runner
 * prints a readable summary (or, with --json, one JSON object) and shows progress on stderr.
 * Every option is checked before anything runs (runtime/cli-args.ts): a bad number, or an option
 * the chosen bench does not take, is a usage error (exit 2) rather than a NaN deep in a run.
 */
import { numberArg, numberListArg, runMain, UsageError, type NumberRule } from '../runtime/cli-args.ts';

/** The numeric options, each with its rule; `list`: comma-separated values are allowed. */
const FLAGS = {
  clients: { rule: { integer: true, min: 1, max: 100_000 }, list: true },
  seconds: { rule: { min: 0.1, max: 3600 }, list: false },
  turns: { rule: { integer: true, min: 1, max: 10_000 }, list: false },
  steps: { rule: { integer: true, min: 1, max: 100_000 }, list: true },
  'llm-ttft': { rule: { min: 0, max: 120_000 }, list: false },
  'token-ms': { rule: { min: 0, max: 10_000 }, list: false },
  mb: { rule: { min: 1, max: 4096 }, list: false },
  'jitter-ms': { rule: { min: 0.1, max: 1000 }, list: false },
  'think-ms': { rule: { min: 0, max: 600_000 }, list: false },
  calls: { rule: { integer: true, min: 1, max: 1000 }, list: false },
} as const satisfies Record<string, { rule: NumberRule; list: boolean }>;
type Flag = keyof typeof FLAGS;

/** Parsed options: lists for list flags, numbers for the rest. */
interface BenchArgs {
  clients?: number[];
  seconds?: number;
  turns?: number;
  steps?: number[];
  'llm-ttft'?: number;
  'token-ms'?: number;
  mb?: number;
  calls?: number;
  'jitter-ms'?: number;
  'think-ms'?: number;
}

type BenchFn = (args: BenchArgs, progress: (m: string) => void) => Promise<unknown>;

interface Bench {
  describe: string;
  /** The options it reads; any other is refused. */
  takes: Flag[];
  /** Of those, list flags it takes as one number (checked before anything runs). */
  single?: Flag[];
  run: BenchFn;
}

const benches: Record<string, Bench> = {
  dsp: {
    describe: 'G.711 + 8k<->16k resampling for one telephony stream: multiple of real time, native addon vs TypeScript twin',
    takes: [],
    run: async () => (await import('./dsp.ts')).runDspBench({}),
  },
  transport: {
    describe: 'N WebSocket echo calls (default 500) at 20 ms frames from a separate load process: drops, jitter, lag, CPU, RSS',
    takes: ['clients', 'seconds'],
    single: ['clients'],
    run: async (a, progress) =>
      (await import('./transport.ts')).runTransportBench({
        clients: a.clients?.[0] ?? 500,
        seconds: a.seconds ?? 15,
        onProgress: progress,
      }),
  },
  'transport-vs-ws': {
    describe: 'our uWS transport vs a plain ws server doing the same echo and codec work, at 100/500/1000 streams, as ratios; plus a raw uWS echo (no codec, no pacing) as the floor',
    takes: ['clients', 'seconds'],
    run: async (a, progress) => {
      const { runTransportBench } = await import('./transport.ts');
      const counts = a.clients ?? [100, 500, 1000];
      const seconds = a.seconds ?? 10;
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
    takes: ['jitter-ms', 'clients', 'seconds'],
    run: async (a, progress) =>
      (await import('./transport-equal-jitter.ts')).runEqualJitterBench({
        jitterMs: a['jitter-ms'],
        counts: a.clients,
        seconds: a.seconds,
        onProgress: progress,
      }),
  },
  voice: {
    describe: 'voice-to-voice budget over WebSocket (>= 30 turns, each interrupting the last reply): endpoint/STT/LLM/TTS/overhead split, barge-in; --llm-ttft N uses a fake LLM',
    takes: ['turns', 'llm-ttft', 'token-ms'],
    run: async (a, progress) =>
      (await import('./voice.ts')).runVoiceBench({
        turns: a.turns ?? 30,
        llmTtftMs: a['llm-ttft'],
        llmTokenMs: a['token-ms'],
        onProgress: progress,
      }),
  },
  endpointing: {
    describe: 'premature turn ends: 126 utterances with 300/500/700 ms internal pauses (questions, a name, a phone number in groups; six espeak-ng/flite voices) to a real gateway under three rules: the fixed silence alone, early turn ends and holds, and the defaults (also the unsure hold)',
    takes: [],
    run: async (_a, progress) => (await import('./endpointing.ts')).runEndpointingBench({ onProgress: progress }),
  },
  backchannels: {
    describe: 'speech over a reply (espeak-ng/flite voices, clean, telephone band, 10 dB noise): backchannels that let the reply go on, interruptions that stop it, words-only rule vs the interruption judge',
    takes: [],
    run: async (_a, progress) => (await import('./backchannels.ts')).runBackchannelBench({ onProgress: progress }),
  },
  noise: {
    describe: 'noise suppression: FAQ questions (espeak-ng/flite voices) through a telephone line, clean and with white noise at 10 and 5 dB SNR, recognised and answered with and without RNNoise in front; its CPU cost per call',
    takes: [],
    run: async (_a, progress) => (await import('./noise.ts')).runNoiseBench({ onProgress: progress }),
  },
  tts: {
    describe: 'TTS time to first audio: per-sentence streaming vs whole text first (the original), 1/3/8 sentences, as ratios',
    takes: [],
    run: async (_a, progress) => (await import('./tts.ts')).runTtsBench({ onProgress: progress }),
  },
  control: {
    describe: 'control plane: POST /v1/chat/completions from the FAQ (req/s, p50/p99; target >= 5000 req/s, p99 <= 10 ms) and /admin/tts/stream TTFB vs last byte on 5 sentences',
    takes: ['clients', 'seconds'],
    single: ['clients'],
    run: async (a, progress) =>
      (await import('./control.ts')).runControlBench({
        connections: a.clients?.[0],
        seconds: a.seconds,
        onProgress: progress,
      }),
  },
  modem: {
    describe: 'modem over the SIM7600 emulator: AT overhead vs raw pty, recovery after replug, barge-in and v2v on the emulator audio timeline (--calls, default 6), v2v budget with a fake LLM (--turns, --llm-ttft, --token-ms)',
    takes: ['turns', 'llm-ttft', 'token-ms', 'calls'],
    run: async (a, progress) =>
      (await import('./modem.ts')).runModemBench({
        calls: a.calls,
        turns: a.turns,
        llmTtftMs: a['llm-ttft'],
        llmTokenMs: a['token-ms'],
        onProgress: progress,
      }),
  },
  formats: {
    describe: '/v1/audio/speech encoders (wav, pcm, mp3, opus) and upload decoders (wav, mp3, flac, ogg-opus): multiple of real time; event-loop delay decoding a 5-minute MP3 on the main thread vs the worker',
    takes: [],
    run: async (_a, progress) => (await import('./formats.ts')).runFormatsBench({ onProgress: progress }),
  },
  widget: {
    describe: 'website widget chat: N visitor sessions at once (--clients, default 200) asking FAQ questions (--turns each, default 5, --think-ms between a reply and the next question, default 0; --seconds bound, default 60) over the public API: first-token p50/p99 and the gateway event-loop lag p99 (target <= 10 ms)',
    takes: ['clients', 'turns', 'seconds', 'think-ms'],
    single: ['clients'],
    run: async (a, progress) =>
      (await import('./widget-chat.ts')).runWidgetBench({ clients: a.clients?.[0], turns: a.turns, seconds: a.seconds, thinkMs: a['think-ms'], onProgress: progress }),
  },
  backup: {
    describe: 'a backup with large recordings (--mb, default 60): build and validate wall time and the longest event-loop stall, ours (archive thread) vs the same work done synchronously',
    takes: ['mb'],
    run: async (a, progress) => (await import('./backup.ts')).runBackupBench({ mb: a.mb, onProgress: progress }),
  },
  vad: {
    describe: 'Silero VAD: batched runtime (one shared session) vs sherpa-onnx detector per call, memory and CPU per stream at 8 and 32 streams (--steps, --seconds), as ratios',
    takes: ['steps', 'seconds'],
    run: async (a, progress) =>
      (await import('./vad.ts')).runVadBench({
        steps: a.steps,
        seconds: a.seconds,
        onProgress: progress,
      }),
  },
  capacity: {
    describe: 'concurrent full-pipeline calls (fallback engines) stepped up until underruns or lag p99 > 10 ms; memory per call',
    takes: ['steps', 'seconds'],
    run: async (a, progress) =>
      (await import('./voice.ts')).runCapacityBench({
        steps: a.steps,
        secondsPerStep: a.seconds,
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

const USAGE = [
  `usage: npm run bench -- <${[...Object.keys(benches), 'all'].join('|')}> [--json] [options]`,
  '',
  ...Object.entries(benches).map(([n, b]) => `  ${n.padEnd(22)} ${b.describe}${b.takes.length ? `\n  ${''.padEnd(22)} options: ${b.takes.map((f) => `--${f}`).join(' ')}` : ''}`),
  '',
  'exit codes: 0 done, 1 a bench failed, 2 bad arguments',
].join('\n');

runMain(
  {
    name: 'bench',
    usage: USAGE,
    allowPositionals: true,
    options: { json: { type: 'boolean', default: false }, ...Object.fromEntries(Object.keys(FLAGS).map((f) => [f, { type: 'string' as const }])) },
  },
  async ({ values, positionals }) => {
    const [name, ...extra] = positionals;
    if (!name) throw new UsageError('name a bench');
    if (name !== 'all' && !benches[name]) throw new UsageError(`unknown bench "${name}"`);
    if (extra.length) throw new UsageError(`unexpected argument "${extra[0]}"`);
    const selected = name === 'all' ? Object.keys(benches) : [name];
    const raw = values as unknown as Record<Flag, string | undefined>;
    const args: BenchArgs = {};
    for (const [flag, { rule, list }] of Object.entries(FLAGS) as [Flag, (typeof FLAGS)[Flag]][]) {
      if (raw[flag] === undefined) continue;
      if (!selected.some((n) => benches[n].takes.includes(flag))) throw new UsageError(`--${flag} is not an option of ${name}`);
      const value = list ? numberListArg(raw[flag], flag, rule)! : numberArg(raw[flag], flag, rule)!;
      const wantsOne = selected.find((n) => benches[n].single?.includes(flag));
      if (Array.isArray(value) && value.length > 1 && wantsOne) throw new UsageError(`--${flag} takes one number for ${wantsOne}, not a list`);
      (args as Record<string, unknown>)[flag] = value;
    }
    const results: Record<string, unknown> = {};
    for (const n of selected) {
      const started = performance.now();
      const progress = (m: string) => process.stderr.write(`[${n} ${((performance.now() - started) / 1000).toFixed(1)}s] ${m}\n`);
      progress('running');
      results[n] = await benches[n].run(args, progress);
      progress('done');
    }
    const output = name === 'all' ? results : results[name];
    process.stdout.write((values.json ? JSON.stringify(output) : JSON.stringify(output, null, 2)) + '\n');
    return 0;
  },
);
