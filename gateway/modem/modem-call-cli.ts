/**
 * `npm run modem:call -- --wav in.wav [--out reply.wav] [--pipeline secretary|echo] [--caller +7916...] [--json]`
 *
 * The phone path without hardware: starts the SIM7600 emulator on pty pairs and the gateway's modem
 * transport attached to it, rings with a caller id, plays the WAV as the caller (real time, 8 kHz,
 * then silence while the reply plays), records what the caller hears, and prints one JSON object:
 * the call log, transcripts and reply text, and latencies read off the emulator's audio timeline.
 * The caller hangs up once their WAV has played and the answer to it has played out, or
 * `--tail-ms` after their audio ended if none came by then (a slow machine gets the answer, not a
 * call cut off at a fixed time).
 * Exit codes: 0 done, 1 the call failed, 2 bad arguments (runtime/cli-args.ts).
 */
import { rmSync } from 'node:fs';
import { choiceArg, numberArg, runMain, UsageError } from '../../runtime/cli-args.ts';
import { ownedTempDir } from '../../runtime/owned-temp.ts';
import { resampleClip } from '../../media/resampler.ts';
import { concatInt16 } from '../../media/pcm.ts';
import { readWavFile, writeWavFile } from '../../media/wav.ts';
import type { PipelineEvent } from '../../pipeline/call-pipeline.ts';
import { loadConfig } from '../config.ts';
import { createLogger } from '../logger.ts';
import { createPipelineFactory } from '../pipeline-factory.ts';
import { ModemCallManager, type ModemCallRecord } from './call-manager.ts';
import type { AudioSession } from './emulator/audio-channel.ts';
import { Sim7600Emulator } from './emulator/sim7600-emulator.ts';
import { Modem } from './modem.ts';
import { audioTimelineLatencies, loopbackDelayMs } from './audio-timeline.ts';

const USAGE = 'usage: npm run modem:call -- --wav in.wav [--out reply.wav] [--pipeline secretary|echo] [--caller NUMBER] [--tail-ms 6000] [--json]';

runMain(
  {
    name: 'modem:call',
    usage: USAGE,
    options: {
      wav: { type: 'string' },
      out: { type: 'string' },
      pipeline: { type: 'string', default: 'secretary' },
      caller: { type: 'string', default: '+79161234567' },
      'tail-ms': { type: 'string', default: '6000' },
      json: { type: 'boolean', default: false },
    },
  },
  async ({ values }) => {
    if (!values.wav) throw new UsageError('--wav is required');
    const pipeline = choiceArg(values.pipeline, 'pipeline', ['secretary', 'echo'] as const)!;
    const tailMs = numberArg(values['tail-ms'], 'tail-ms', { min: 0, max: 600_000 })!;
    const wav = await readWavFile(values.wav).catch((err: Error) => {
      throw new UsageError(`cannot read ${values.wav}: ${err.message}`);
    });
    return modemCall({ wav: wav.samples, sampleRate: wav.sampleRate, out: values.out, pipeline, caller: values.caller!, tailMs, json: values.json! });
  },
);

/** Resolves once the caller has heard 100 ms of quiet: the reply's last frames have left the modem (at most 2 s). */
async function playedOut(session: AudioSession | null): Promise<void> {
  const quiet = (f: Int16Array) => f.every((x) => Math.abs(x) < 300);
  const deadline = performance.now() + 2000;
  while (session && performance.now() < deadline && !(session.heard.length >= 5 && session.heard.slice(-5).every(quiet))) {
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function modemCall(o: { wav: Int16Array; sampleRate: number; out?: string; pipeline: 'secretary' | 'echo'; caller: string; tailMs: number; json: boolean }): Promise<number> {
  const caller8k = resampleClip(o.wav, o.sampleRate, 8000);

  const dataDir = ownedTempDir('modem-call');
  // Undone in reverse, whether the call worked or not, so a failed run leaves no temp dir or modem behind.
  const cleanup: (() => Promise<unknown> | void)[] = [() => rmSync(dataDir, { recursive: true, force: true })];
  try {
    const log = createLogger('silent');
    const config = loadConfig({ ...process.env, PIPELINE: o.pipeline, DATA_DIR: dataDir });
    const pipelines = await createPipelineFactory(config, { log });
    cleanup.push(() => pipelines.close());
    const emu = new Sim7600Emulator({ ringIntervalMs: 1000 });
    cleanup.push(() => emu.stop());
    const { atPath, audioPath } = await emu.start();
    const modem = new Modem({ atPath, audioPath, healthIntervalMs: 0 });
    cleanup.push(() => modem.stop());
    modem.start();
    await modem.whenReady(10000);
    const manager = new ModemCallManager(modem, { pipelineFactory: pipelines.factory, policy: { autoAnswerAfterRings: 1 } });
    const events: (PipelineEvent & { t_ms: number })[] = [];
    let audioT0: number | null = null; // set once the PCM channel opens
    let callerHeard = false;
    let answerDone!: () => void;
    /** The pipeline has handed over all of its reply to what the caller said, and the caller has said all of it. */
    const answered = new Promise<void>((resolve) => (answerDone = resolve));
    manager.on('call', (call) => {
      call.on('pipeline', (e) => {
        events.push({ ...e, t_ms: Math.round((performance.now() - (emu.audio.current?.startedAt ?? performance.now())) * 10) / 10 });
        if (e.type === 'transcript' && e.final && e.text) callerHeard = true;
        else if (e.type === 'response_audio_end' && !e.interrupted && callerHeard && emu.audio.pendingCallerMs === 0) answerDone();
      });
    });
    const record = new Promise<ModemCallRecord>((resolve) => manager.once('record', resolve));

    emu.ring(o.caller);
    const deadline = performance.now() + 15000;
    while (!emu.audio.current && performance.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    if (!emu.audio.current) throw new Error('the gateway did not answer');
    audioT0 = emu.audio.current.startedAt;
    emu.playCallerAudio(caller8k);
    const playMs = (caller8k.length / 8000) * 1000 + o.tailMs;
    const ended = await Promise.race([
      record.then(() => true),
      answered.then(() => playedOut(emu.audio.current)).then(() => false),
      new Promise<boolean>((r) => setTimeout(() => r(false), playMs)),
    ]);
    const session = emu.audio.current ?? emu.audio.lastSession!;
    if (!ended) emu.remoteHangup();
    const callLog = await record;
    const heard = session.heard;
    const heardPcm = concatInt16(heard);
    if (o.out) await writeWavFile(o.out, heardPcm, session.sampleRate);

    const report = {
      caller: o.caller,
      pipeline: o.pipeline,
      call_log: callLog,
      transcripts: events.filter((e) => e.type === 'transcript' && e.final).map((e) => (e as { text: string }).text),
      reply_text: events.filter((e) => e.type === 'response_text_delta').map((e) => (e as { text: string }).text).join(''),
      events,
      latencies: {
        ...audioTimelineLatencies(session.uplink, session.heard),
        turns: events.filter((e) => e.type === 'turn_metrics').map((e) => (e as { metrics: unknown }).metrics),
        // With the echo pipeline there are no turns: the round trip through the modem path is the figure.
        ...(o.pipeline === 'echo' ? { loopback_ms: loopbackDelayMs(session.uplink, session.heard) } : {}),
      },
      // Audio inside the modem cannot be recalled: this many frames is the floor of barge_in_ms.
      barge_in_floor_ms: session.maxQueuedFrames * 20,
      modem_queue_max_frames: session.maxQueuedFrames,
      // Ticks where this process (gateway and emulator together) stalled, and the queue seen then.
      emulator_stalled_ticks: session.stalledTicks,
      modem_queue_max_frames_after_stall: session.maxQueuedFramesAfterStall,
      underrun_ticks: session.underrunTicks,
      audio_t0: audioT0 !== null,
      out: o.out ?? null,
    };
    process.stdout.write((o.json ? JSON.stringify(report) : JSON.stringify(report, null, 2)) + '\n');
    return 0;
  } finally {
    for (const undo of cleanup.reverse()) await Promise.resolve(undo()).catch(() => {});
  }
}
