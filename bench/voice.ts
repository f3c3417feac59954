/**
 * Voice benches over the WebSocket transport, gateway in a child process (as deployed), callers
 * in this process reading latencies off their own audio timeline:
 *
 * - `voice`: the voice-to-voice budget. One caller asks question after question, each one cutting
 *   into the previous reply `interruptAfterMs` after it starts, so every turn yields both a reply
 *   (endpoint_ms, stt_final_ms, llm_ttft_ms, tts_ttfa_ms, v2v_ms, our overhead) and a barge-in.
 *   With `--llm` a local fake OpenAI-compatible server answers with the given TTFT and token rate;
 *   without it the built-in secretary answers from the FAQ.
 * - `capacity`: steps the number of concurrent calls up until output underruns appear or the
 *   gateway's event-loop lag p99 exceeds 10 ms; reports the largest clean step and memory per call.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { FakeOpenAi } from '../test/fakes/fake-openai.ts';
import { fliteSpeech, withSilence } from './lib/flite-speech.ts';
import { machineInfo } from './lib/machine.ts';
import { freePort, rssBytes, startTsProcess, stopProcess } from './lib/processes.ts';
import { clientBargeInMs, clientV2vMs, countUnderruns, runScriptedCall, underrunGaps, type ScriptedCallResult, type Step } from './lib/scripted-caller.ts';
import { summarize } from './lib/stats.ts';
import { BENCH_METRICS_TOKEN, scrapeLag } from './lib/scrape-lag.ts';

export const VOICE_BENCH_TOKEN = 'bench-voice-token-0123456789';
const FAQ_QUESTIONS = ['What are your opening hours?', 'What is your address?', 'When are you open?', 'Where is your office?', 'What time do you close?'];
/** Off the FAQ, so the LLM (not the FAQ shortcut) answers. */
export const LLM_QUESTIONS = ['Can you help me with my order?', 'I have a question about my invoice.', 'Do you sell gift cards?', 'Can I change my booking?'];
export const LLM_REPLY = 'Sure, I can help with that. Let me check the details for you, it will only take a moment. Thank you for waiting.';

export interface GatewayProcess {
  url: string;
  port: number;
  pid: number;
  stop(): Promise<void>;
}

export async function startGateway(env: Record<string, string>): Promise<GatewayProcess> {
  const port = await freePort();
  const dataDir = mkdtempSync(path.join(tmpdir(), 'vg-bench-voice-'));
  const child = await startTsProcess(
    'gateway/main.ts',
    [],
    { PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'info', PIPELINE: 'secretary', VOICE_WS_TOKEN: VOICE_BENCH_TOKEN, METRICS_TOKEN: BENCH_METRICS_TOKEN, DATA_DIR: dataDir, ...env },
    (line) => line.includes('gateway listening'),
    60000,
  );
  return {
    url: `ws://127.0.0.1:${port}/ws/voice`,
    port,
    pid: child.pid!,
    async stop() {
      await stopProcess(child);
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Each question cuts into the reply before it: a barge-in sample and a reply sample per turn. */
function interruptingScript(turns: number, interruptAfterMs: number, questions = FAQ_QUESTIONS): Step[] {
  const audio = questions.map((q) => withSilence(fliteSpeech(q), 0, 100));
  return Array.from({ length: turns }, (_, i) => ({ audio: audio[i % audio.length], cue: { after: 'reply_start' as const, delayMs: interruptAfterMs } }));
}

interface TurnSample {
  server: Record<string, number>;
  client_v2v_ms: number | null;
  client_barge_in_ms: number | null;
}

/** Pairs each said utterance with the server's metrics for the reply it got and the barge-in it made. */
function turnSamples(r: ScriptedCallResult): TurnSample[] {
  const metrics = r.events.filter((e) => e.type === 'turn_metrics').map((e) => e.metrics as Record<string, number>);
  const replies = metrics.filter((m) => m.v2v_ms !== undefined);
  return r.said.map((u, i) => ({ server: replies[i] ?? {}, client_v2v_ms: clientV2vMs(r, u), client_barge_in_ms: clientBargeInMs(r, u) }));
}

export interface VoiceBenchOptions {
  turns?: number;
  /** Use a fake OpenAI-compatible LLM with this time to first token (ms); omit for the built-in secretary. */
  llmTtftMs?: number;
  llmTokenMs?: number;
  interruptAfterMs?: number;
  onProgress?: (m: string) => void;
}

export async function runVoiceBench(opts: VoiceBenchOptions = {}) {
  const progress = opts.onProgress ?? (() => {});
  const turns = opts.turns ?? 30;
  const useLlm = opts.llmTtftMs !== undefined;
  const llm = useLlm ? await new FakeOpenAi({ ttftMs: opts.llmTtftMs, tokenMs: opts.llmTokenMs ?? 0, chat: () => ({ text: LLM_REPLY }) }).start() : null;
  const gw = await startGateway(llm ? { LLM_BASE_URL: llm.baseURL, LLM_MODEL: 'fake' } : {});
  try {
    progress(`gateway up; ${turns} turns, each interrupting the previous reply after ${opts.interruptAfterMs ?? 700} ms`);
    await scrapeLag(gw.port);
    const r = await runScriptedCall({ url: gw.url, token: VOICE_BENCH_TOKEN, steps: interruptingScript(turns, opts.interruptAfterMs ?? 700, useLlm ? LLM_QUESTIONS : FAQ_QUESTIONS), maxMs: turns * 8000 + 10000, lingerMs: 500 });
    const lag = await scrapeLag(gw.port);
    const samples = turnSamples(r);
    const col = (f: (s: TurnSample) => number | null | undefined) => summarize(samples.map(f).filter((x): x is number => typeof x === 'number'));
    // Our own overhead: v2v minus the parts that belong to the engines and the endpointing wait
    // (stt_final_ms already includes the endpoint wait: both count from the last speech sample).
    const overhead = (s: TurnSample) => {
      const m = s.server;
      return m.v2v_ms !== undefined && m.stt_final_ms !== undefined && m.tts_ttfa_ms !== undefined ? m.v2v_ms - m.stt_final_ms - (m.llm_ttft_ms ?? 0) - m.tts_ttfa_ms : null;
    };
    const recognised = r.events.filter((e) => e.type === 'transcript' && e.final).length;
    return {
      bench: 'voice',
      dialogue: useLlm ? `fake LLM, ttft ${opts.llmTtftMs} ms, ${opts.llmTokenMs ?? 0} ms/token` : 'built-in secretary (FAQ)',
      engines: 'Silero VAD (worker) + pocketsphinx + espeak-ng',
      settings: Object.fromEntries(['VAD_MIN_SILENCE_MS', 'VAD_PAUSE_MS', 'TURN_HOLD_MS', 'TURN_HOLD_UNSURE_MS', 'VAD_MIN_SPEECH_MS', 'VAD_THRESHOLD', 'BARGE_IN_CONFIRM_MS', 'BARGE_IN_ONSET'].map((k) => [k, process.env[k] ?? 'default'])),
      turns_said: r.said.length,
      turns_recognised: recognised,
      endpoint_ms: col((s) => s.server.endpoint_ms),
      stt_final_ms: col((s) => s.server.stt_final_ms),
      // The recogniser's share after the turn ended: what decoding while the caller speaks saves.
      stt_after_endpoint_ms: col((s) => (s.server.stt_final_ms !== undefined && s.server.endpoint_ms !== undefined ? s.server.stt_final_ms - s.server.endpoint_ms : null)),
      llm_ttft_ms: col((s) => s.server.llm_ttft_ms),
      tts_ttfa_ms: col((s) => s.server.tts_ttfa_ms),
      v2v_ms: col((s) => s.server.v2v_ms),
      overhead_ms: col(overhead),
      client_v2v_ms: col((s) => s.client_v2v_ms),
      barge_in_ms: col((s) => s.server.barge_in_ms),
      client_barge_in_ms: col((s) => s.client_barge_in_ms),
      underruns: countUnderruns(r),
      server_event_loop_lag_ms: lag,
      machine: machineInfo(),
    };
  } finally {
    await gw.stop();
    await llm?.close();
  }
}

export interface CapacityBenchOptions {
  steps?: number[];
  secondsPerStep?: number;
  onProgress?: (m: string) => void;
}

export async function runCapacityBench(opts: CapacityBenchOptions = {}) {
  const progress = opts.onProgress ?? (() => {});
  const steps = opts.steps ?? [1, 2, 4, 8, 12, 16, 20, 24, 28, 32, 40];
  const seconds = opts.secondsPerStep ?? 20;
  const rows = [];
  let best = 0;
  let previous: { calls: number; growth: number } | null = null;
  for (const calls of steps) {
    const gw = await startGateway({ MAX_CALLS: String(calls + 5) });
    try {
      const rssIdle = rssBytes(gw.pid);
      await scrapeLag(gw.port);
      progress(`${calls} concurrent calls for ${seconds} s`);
      let rssPeak = rssIdle;
      const sampler = setInterval(() => (rssPeak = Math.max(rssPeak, rssBytes(gw.pid))), 500);
      const turns = Math.ceil(seconds / 2.5);
      // Synthesised before any call starts: flite runs synchronously and would stall the callers' clock.
      const script = interruptingScript(turns, 700);
      // Staggered starts, so calls do not speak in lockstep.
      const results = await Promise.all(
        Array.from({ length: calls }, (_, i) =>
          new Promise<ScriptedCallResult>((resolve, reject) =>
            setTimeout(() => runScriptedCall({ url: gw.url, token: VOICE_BENCH_TOKEN, steps: script, maxMs: seconds * 1000 + 15000, lingerMs: 300 }).then(resolve, reject), (i * 700) % 2000),
          ),
        ),
      );
      clearInterval(sampler);
      const lag = await scrapeLag(gw.port);
      const samples = results.flatMap(turnSamples);
      const lateMs = results.flatMap((r) => underrunGaps(r));
      const underruns = lateMs.length;
      const v2v = summarize(samples.map((s) => s.server.v2v_ms).filter((x): x is number => typeof x === 'number'));
      const clean = underruns === 0 && lag.p99 <= 10;
      if (clean) best = calls;
      const growth = rssPeak - rssIdle;
      const mb = (bytes: number) => Math.round((bytes / 1048576) * 10) / 10;
      // Growth per call includes what the first call starts once (the VAD thread's model, buffers);
      // the slope between two steps is what one more call costs.
      const marginal = previous && calls > previous.calls ? mb((growth - previous.growth) / (calls - previous.calls)) : null;
      previous = { calls, growth };
      rows.push({ calls, underruns, underrun_late_ms: lateMs.slice(0, 10), lag_p99_ms: lag.p99, v2v_ms_p50: v2v.p50, v2v_ms_p95: v2v.p95, turns: samples.length, rss_mb_per_call: mb(growth / calls), rss_mb_marginal_per_call: marginal, clean });
      progress(`${calls} calls: underruns ${underruns}, lag p99 ${lag.p99} ms, v2v p50 ${v2v.p50} ms`);
      if (!clean) break;
    } finally {
      await gw.stop();
    }
  }
  return { bench: 'capacity', engines: 'Silero VAD (worker) + pocketsphinx + espeak-ng, built-in secretary', seconds_per_step: seconds, max_clean_calls: best, rows, machine: machineInfo() };
}
