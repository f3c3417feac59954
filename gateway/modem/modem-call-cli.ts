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
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
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

const { values } = parseArgs({
  options: {
    wav: { type: 'string' },
    out: { type: 'string' },
    pipeline: { type: 'string', default: 'secretary' },
    caller: { type: 'string', default: '+79161234567' },
    'tail-ms': { type: 'string', default: '6000' },
    json: { type: 'boolean', default: false },
  },
});
if (!values.wav) {
  process.stderr.write('usage: npm run modem:call -- --wav in.wav [--out reply.wav] [--pipeline secretary|echo] [--caller NUMBER] [--tail-ms 6000] [--json]\n');
  process.exit(2);
}
if (values.pipeline !== 'secretary' && values.pipeline !== 'echo') {
  process.stderr.write(`modem:call: --pipeline must be secretary or echo, not ${values.pipeline}\n`);
  process.exit(2);
}

/** Resolves once the caller has heard 100 ms of quiet: the reply's last frames have left the modem (at most 2 s). */
async function playedOut(session: AudioSession | null): Promise<void> {
  const quiet = (f: Int16Array) => f.every((x) => Math.abs(x) < 300);
  const deadline = performance.now() + 2000;
  while (session && performance.now() < deadline && !(session.heard.length >= 5 && session.heard.slice(-5).every(quiet))) {
    await new Promise((r) => setTimeout(r, 20));
  }
}

const wav = await readWavFile(values.wav).catch((err: Error) => {
  process.stderr.write(`modem:call: cannot read ${values.wav}: ${err.message}\n`);
  process.exit(2);
});
const caller8k = resampleClip(wav.samples, wav.sampleRate, 8000);

const dataDir = mkdtempSync(path.join(tmpdir(), 'modem-call-'));
const log = createLogger('silent');
const config = loadConfig({ ...process.env, PIPELINE: values.pipeline, DATA_DIR: dataDir });
const pipelines = await createPipelineFactory(config, { log });
const emu = new Sim7600Emulator({ ringIntervalMs: 1000 });
const { atPath, audioPath } = await emu.start();
const modem = new Modem({ atPath, audioPath, healthIntervalMs: 0 });
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

emu.ring(values.caller!);
const deadline = performance.now() + 15000;
while (!emu.audio.current && performance.now() < deadline) await new Promise((r) => setTimeout(r, 10));
if (!emu.audio.current) {
  process.stderr.write('modem:call: the gateway did not answer\n');
  process.exit(1);
}
audioT0 = emu.audio.current.startedAt;
emu.playCallerAudio(caller8k);
const playMs = (caller8k.length / 8000) * 1000 + Number(values['tail-ms']);
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
if (values.out) await writeWavFile(values.out, heardPcm, session.sampleRate);

const report = {
  caller: values.caller,
  pipeline: values.pipeline,
  call_log: callLog,
  transcripts: events.filter((e) => e.type === 'transcript' && e.final).map((e) => (e as { text: string }).text),
  reply_text: events.filter((e) => e.type === 'response_text_delta').map((e) => (e as { text: string }).text).join(''),
  events,
  latencies: {
    ...audioTimelineLatencies(session.uplink, session.heard),
    turns: events.filter((e) => e.type === 'turn_metrics').map((e) => (e as { metrics: unknown }).metrics),
    // With the echo pipeline there are no turns: the round trip through the modem path is the figure.
    ...(values.pipeline === 'echo' ? { loopback_ms: loopbackDelayMs(session.uplink, session.heard) } : {}),
  },
  // Audio inside the modem cannot be recalled: this many frames is the floor of barge_in_ms.
  barge_in_floor_ms: session.maxQueuedFrames * 20,
  modem_queue_max_frames: session.maxQueuedFrames,
  // Ticks where this process (gateway and emulator together) stalled, and the queue seen then.
  emulator_stalled_ticks: session.stalledTicks,
  modem_queue_max_frames_after_stall: session.maxQueuedFramesAfterStall,
  underrun_ticks: session.underrunTicks,
  audio_t0: audioT0 !== null,
  out: values.out ?? null,
};
process.stdout.write((values.json ? JSON.stringify(report) : JSON.stringify(report, null, 2)) + '\n');
await modem.stop();
await emu.stop();
await pipelines.close();
rmSync(dataDir, { recursive: true, force: true });
process.exit(0);
