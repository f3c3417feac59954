/**
 * Modem bench over the SIM7600 emulator on real ptys:
 * - AT command overhead: our AT engine's round trip minus a raw round trip on the same pty (write
 *   "AT\r", wait for "OK"), i.e. what the engine adds over the emulator's own reply time.
 * - Recovery: the port vanishes and returns (USB replug): time from its return to a healthy modem.
 * - Barge-in at the emulator: secretary calls where the caller speaks over the greeting; measured
 *   on the emulator's audio timeline (caller speech onset to the last audible reply frame).
 * - The transport alone: echo calls, the round trip caller -> gateway -> caller on the emulator's
 *   timeline, and the deepest queue inside the modem (the floor of any barge-in).
 * - The audio port alone on a pty pair: a writer topping it up every 5 ms for a few seconds gets
 *   50 frames a second (the modem never starves) and never more than 2 frames ahead of real time.
 * - The v2v budget over the modem: one call of `turns` questions (8 kHz line audio) answered by a
 *   local fake OpenAI-compatible LLM with the given TTFT and token rate, each question cutting
 *   into the previous reply; the pipeline's per-turn split like the WebSocket voice bench.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { resampleClip } from '../media/resampler.ts';
import { loadConfig } from '../gateway/config.ts';
import { createLogger } from '../gateway/logger.ts';
import { createPipelineFactory } from '../gateway/pipeline-factory.ts';
import { audioTimelineLatencies, loopbackDelayMs } from '../gateway/modem/audio-timeline.ts';
import { createEchoPipeline } from '../pipeline/echo-pipeline.ts';
import { ModemCallManager } from '../gateway/modem/call-manager.ts';
import { Sim7600Emulator } from '../gateway/modem/emulator/sim7600-emulator.ts';
import { Modem } from '../gateway/modem/modem.ts';
import { openSerialLink } from '../gateway/modem/serial-link.ts';
import { ModemAudioPort } from '../gateway/modem/audio-port.ts';
import { createPtyPair } from '../gateway/modem/emulator/pty-pair.ts';
import { logWrites, maxLeadFrames, writeAsAllowedFor } from '../test/gateway/modem/helpers/write-log.ts';
import { fliteSpeech } from './lib/flite-speech.ts';
import { machineInfo } from './lib/machine.ts';
import { summarize } from './lib/stats.ts';
import { FakeOpenAi } from '../test/fakes/fake-openai.ts';
import { LLM_QUESTIONS, LLM_REPLY } from './voice.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function rawRoundTrips(path: string, n: number): Promise<number[]> {
  const link = await openSerialLink(path);
  let buf = '';
  let waiter: (() => void) | null = null;
  link.onData((d) => {
    buf += d.toString('latin1');
    if (buf.includes('OK\r\n') && waiter) waiter();
  });
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    buf = '';
    const t0 = performance.now();
    await new Promise<void>((resolve) => {
      waiter = resolve;
      link.write('AT\r');
    });
    out.push(performance.now() - t0);
  }
  await link.close();
  return out;
}

/** The emulated line rings; resolves once the call's audio is up (or 10 s passed: hung up again). */
async function ringAndAnswer(emu: Sim7600Emulator, manager: ModemCallManager): Promise<{ ended: Promise<unknown>; answered: boolean }> {
  const ended = new Promise((resolve) => manager.once('record', resolve));
  emu.ring('+79161234567');
  const ringAt = performance.now();
  while (!emu.audio.current && performance.now() - ringAt < 10000) await sleep(5);
  if (emu.audio.current) return { ended, answered: true };
  emu.remoteHangup();
  await Promise.race([ended, sleep(2000)]);
  return { ended, answered: false };
}

/** Like the real module, the emulator's audio channel degrades after CPCMREG cycling until AT+CRESET. */
async function freshAudioChannel(emu: Sim7600Emulator, modem: Modem): Promise<void> {
  if (!emu.audioDegraded) return;
  await modem.reset('bench: fresh audio channel');
  await modem.whenReady(10000);
}

export interface ModemBenchOptions {
  commands?: number;
  replugs?: number;
  calls?: number;
  echoCalls?: number;
  /** Turns of the v2v budget call (0 skips it). */
  turns?: number;
  llmTtftMs?: number;
  llmTokenMs?: number;
  /** Seconds of the audio port pacing run. */
  portSeconds?: number;
  onProgress?: (m: string) => void;
}

export async function runModemBench(opts: ModemBenchOptions = {}) {
  const progress = opts.onProgress ?? (() => {});
  const n = opts.commands ?? 500;

  // 1. AT overhead: raw pty round trips first (no engine attached), then through the engine.
  const emu = new Sim7600Emulator({ rebootDelayMs: 300, ringIntervalMs: 500 });
  const { atPath, audioPath } = await emu.start();
  progress(`raw pty round trips x${n}`);
  const raw = await rawRoundTrips(atPath, n);
  const modem = new Modem({ atPath, audioPath, healthIntervalMs: 0 });
  modem.start();
  await modem.whenReady(5000);
  progress(`AT engine round trips x${n}`);
  const engine: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await modem.send('AT');
    engine.push(performance.now() - t0);
  }
  const rawS = summarize(raw);
  const engS = summarize(engine);

  // 2. Recovery after the port vanishes and returns.
  const replugs = opts.replugs ?? 5;
  const recovery: number[] = [];
  for (let i = 0; i < replugs; i++) {
    progress(`replug ${i + 1}/${replugs}`);
    await emu.unplug();
    const gone = performance.now();
    while (modem.ready && performance.now() - gone < 3000) await sleep(5);
    await sleep(200);
    const back = performance.now();
    await emu.replug(0);
    await modem.whenReady(10000);
    recovery.push(performance.now() - back);
  }

  // 3. Barge-in at the emulator: secretary calls, the caller cuts into the greeting.
  const calls = opts.calls ?? 6;
  const log = createLogger('silent');
  const pipelines = await createPipelineFactory(loadConfig({ ...process.env, PIPELINE: 'secretary', DATA_DIR: '/tmp/vg-bench-modem' }), { log });
  const manager = new ModemCallManager(modem, { pipelineFactory: pipelines.factory, log: process.env.BENCH_DEBUG ? (m, f) => console.error(m, f) : undefined });
  const q16 = fliteSpeech('What is your address?');
  const q8 = resampleClip(q16, 16000, 8000);
  const bargeIns: number[] = [];
  const v2v: number[] = [];
  let unanswered = 0;
  let queueMax = 0;
  let stalledTicks = 0;
  for (let i = 0; i < calls; i++) {
    progress(`call ${i + 1}/${calls}`);
    const { ended, answered } = await ringAndAnswer(emu, manager);
    if (!answered) {
      unanswered++;
      continue;
    }
    await sleep(1200 + i * 97); // into the greeting, at a different point each call
    emu.playCallerAudio(q8);
    await sleep((q8.length / 8000) * 1000 + 2500);
    const s = emu.audio.current!;
    queueMax = Math.max(queueMax, s.maxQueuedFrames);
    stalledTicks += s.stalledTicks;
    const lat = audioTimelineLatencies(s.uplink, s.heard);
    if (lat.barge_in_ms.length) bargeIns.push(lat.barge_in_ms[0]);
    if (lat.v2v_ms !== null) v2v.push(lat.v2v_ms);
    emu.remoteHangup();
    await ended;
    await freshAudioChannel(emu, modem);
  }
  await manager.close();
  await pipelines.close();

  // 4. The transport alone (echo pipeline): round trip through the modem path and its queue floor.
  const echoCalls = opts.echoCalls ?? 3;
  const echoManager = new ModemCallManager(modem, { pipelineFactory: createEchoPipeline });
  const loopback: number[] = [];
  const burst = Int16Array.from({ length: 4000 }, (_, i) => Math.round(8000 * Math.sin((2 * Math.PI * 440 * i) / 8000)));
  for (let i = 0; i < echoCalls; i++) {
    progress(`echo call ${i + 1}/${echoCalls}`);
    await freshAudioChannel(emu, modem);
    const { ended, answered } = await ringAndAnswer(emu, echoManager);
    if (!answered) {
      unanswered++;
      continue;
    }
    await sleep(200 + i * 7);
    emu.playCallerAudio(burst);
    await sleep(1000);
    const s = emu.audio.current!;
    queueMax = Math.max(queueMax, s.maxQueuedFrames);
    stalledTicks += s.stalledTicks;
    const d = loopbackDelayMs(s.uplink, s.heard);
    if (d !== null) loopback.push(d);
    emu.remoteHangup();
    await ended;
  }
  await echoManager.close();

  // 5. The v2v budget over the modem, with the fake LLM.
  const budget = (opts.turns ?? 30) > 0 ? await budgetCall(emu, modem, opts, progress) : null;
  await modem.stop();
  await emu.stop();
  progress('audio port pacing');
  const audioPort = await audioPortPacing(opts.portSeconds ?? 5);
  return {
    bench: 'modem',
    at_round_trip_ms: { engine: engS, raw_pty: rawS },
    at_overhead_ms: { p50: Math.round((engS.p50 - rawS.p50) * 1000) / 1000, p95: Math.round((engS.p95 - rawS.p95) * 1000) / 1000 },
    recovery_ms: summarize(recovery),
    barge_in_ms_at_emulator: summarize(bargeIns),
    v2v_ms_at_emulator: summarize(v2v),
    echo_loopback_ms_at_emulator: summarize(loopback),
    // Audio inside the modem cannot be recalled: the deepest queue seen there is the floor of barge-in.
    modem_queue_max_frames: queueMax,
    barge_in_floor_ms: queueMax * 20,
    // Emulator ticks that ran late because the shared process stalled (kept out of the queue depth).
    emulator_stalled_ticks: stalledTicks,
    calls_unanswered: unanswered,
    audio_port: audioPort,
    budget,
    machine: machineInfo(),
  };
}

/**
 * The audio port alone on a pty pair, written as fast as it allows from a 5 ms loop: frames a
 * second (50 when the modem is kept fed: fewer means underruns) and the most frames it ran ahead
 * of real time (at most 2, its bound). The unit test holds the bound; the rate is this figure.
 */
async function audioPortPacing(seconds: number) {
  const dir = await mkdtemp(path.join(tmpdir(), 'bench-audio-port-'));
  const pair = await createPtyPair(path.join(dir, 'host'), path.join(dir, 'dev'));
  const host = await openSerialLink(pair.hostPath);
  const dev = await openSerialLink(pair.devicePath);
  try {
    let received = 0;
    dev.onData((d) => (received += d.length));
    const { link, log } = logWrites(host);
    const port = new ModemAudioPort(link, { sampleRate: 8000 });
    const start = performance.now();
    await writeAsAllowedFor(port, seconds * 1000);
    const elapsedS = (performance.now() - start) / 1000;
    const settle = performance.now() + 2000;
    while (received < port.framesOut * 320 && performance.now() < settle) await sleep(5);
    return {
      seconds: Math.round(elapsedS * 100) / 100,
      frames_per_s: Math.round((port.framesOut / elapsedS) * 10) / 10,
      max_lead_frames: Math.round(maxLeadFrames(log, 320) * 100) / 100,
      bytes_lost: port.framesOut * 320 - received,
    };
  } finally {
    await host.close();
    await dev.close();
    await pair.destroy();
    await rm(dir, { recursive: true, force: true });
  }
}

/** One call over the emulator, `turns` questions to a fake LLM; the pipeline's turn metrics, split. */
async function budgetCall(emu: Sim7600Emulator, modem: Modem, opts: ModemBenchOptions, progress: (m: string) => void) {
  const turns = opts.turns ?? 30;
  const ttft = opts.llmTtftMs ?? 0;
  const llm = await new FakeOpenAi({ ttftMs: ttft, tokenMs: opts.llmTokenMs ?? 0, chat: () => ({ text: LLM_REPLY }) }).start();
  const log = createLogger('silent');
  const pipelines = await createPipelineFactory(loadConfig({ ...process.env, PIPELINE: 'secretary', LLM_BASE_URL: llm.baseURL, LLM_MODEL: 'fake', DATA_DIR: '/tmp/vg-bench-modem' }), { log });
  const manager = new ModemCallManager(modem, { pipelineFactory: pipelines.factory });
  const metrics: Record<string, number>[] = [];
  let recognised = 0;
  let replyStarts = 0;
  manager.on('call', (call) =>
    call.on('pipeline', (e) => {
      if (e.type === 'response_audio_start') replyStarts++;
      if (e.type === 'turn_metrics') metrics.push(e.metrics as unknown as Record<string, number>);
      if (e.type === 'transcript' && e.final) recognised++;
    }),
  );
  try {
    await freshAudioChannel(emu, modem);
    const { ended, answered } = await ringAndAnswer(emu, manager);
    if (!answered) throw new Error('the budget call was not answered');
    const questions = LLM_QUESTIONS.map((q) => resampleClip(fliteSpeech(q), 16000, 8000));
    await sleep(1500); // into the greeting
    for (let i = 0; i < turns; i++) {
      progress(`budget turn ${i + 1}/${turns} (fake LLM, ttft ${ttft} ms)`);
      const before = replyStarts;
      const q = questions[i % questions.length];
      emu.playCallerAudio(q);
      const deadline = performance.now() + (q.length / 8000) * 1000 + 8000;
      while (replyStarts === before && performance.now() < deadline) await sleep(10);
      await sleep(700); // the next question cuts into this reply: a barge-in sample per turn
    }
    await sleep(500);
    emu.remoteHangup();
    await ended;
  } finally {
    await manager.close();
    await pipelines.close();
    await llm.close();
  }
  const replies = metrics.filter((m) => m.v2v_ms !== undefined);
  const col = (f: (m: Record<string, number>) => number | undefined) => summarize(replies.map(f).filter((x): x is number => typeof x === 'number'));
  return {
    dialogue: `fake LLM, ttft ${ttft} ms, ${opts.llmTokenMs ?? 0} ms/token`,
    line_audio: '8 kHz s16le over the emulated SIM7600 (resampled to 16 kHz for the pipeline)',
    turns_said: turns,
    turns_recognised: recognised,
    endpoint_ms: col((m) => m.endpoint_ms),
    stt_final_ms: col((m) => m.stt_final_ms),
    llm_ttft_ms: col((m) => m.llm_ttft_ms),
    tts_ttfa_ms: col((m) => m.tts_ttfa_ms),
    v2v_ms: col((m) => m.v2v_ms),
    overhead_ms: col((m) => (m.v2v_ms !== undefined && m.stt_final_ms !== undefined && m.tts_ttfa_ms !== undefined ? m.v2v_ms - m.stt_final_ms - (m.llm_ttft_ms ?? 0) - m.tts_ttfa_ms : undefined)),
    barge_in_ms: summarize(metrics.map((m) => m.barge_in_ms).filter((x): x is number => typeof x === 'number')),
  };
}
