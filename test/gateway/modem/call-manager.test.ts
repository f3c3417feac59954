/**
 * Calls over real pty pairs against the SIM7600 emulator: answer after N rings with caller id,
 * the PCM channel opened after VOICE CALL: BEGIN, caller audio through a pipeline and back with
 * the gateway never more than 2 frames ahead of real time, hang-up with AT+CHUP, call policy, DTMF,
 * a call-log record with a reason for every call, and recording only where `shouldRecord` says yes
 * in time. (How deep the emulator's playout queue got is a figure for bench/modem.ts.)
 */
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import t, { type Test } from 'tap';
import { readWavFile } from '../../../media/wav.ts';
import { pickPorts } from '../../../gateway/modem/discovery.ts';
import type { EmulatorOptions } from '../../../gateway/modem/emulator/sim7600-emulator.ts';
import type { CallManagerOptions, ModemRecording, RecordingQuery } from '../../../gateway/modem/call-manager.ts';
import type { CallPolicy } from '../../../gateway/modem/call-policy.ts';
import { createEchoPipeline } from '../../../pipeline/echo-pipeline.ts';
import type { PipelineEvent, PipelineFactory } from '../../../pipeline/call-pipeline.ts';
import { until } from '../../helpers/until.ts';
import { rms } from '../../../media/pcm.ts';
import { loudFrames, modemRig } from './helpers/modem-rig.ts';
import { leadBound, maxLeadFrames } from './helpers/write-log.ts';


function rig(t: Test, factory: PipelineFactory, policy = {}, emuOpts: EmulatorOptions = {}, managerOpts: Partial<CallManagerOptions> = {}) {
  return modemRig(t, factory, { emulator: emuOpts, manager: { policy, ...managerOpts } });
}

const tone = (ms: number, hz = 440) => Int16Array.from({ length: (8000 * ms) / 1000 }, (_, i) => Math.round(8000 * Math.sin((2 * Math.PI * hz * i) / 8000)));

t.test('incoming call: answered after 2 rings with caller id, audio echoed at most 2 frames ahead, remote hang-up logged', async (t) => {
  // Rings a second apart: the gateway answers on the 2nd; 150 ms let a loaded machine hear a 3rd first.
  const { emu, manager, records, audioWrites } = await rig(t, createEchoPipeline, { autoAnswerAfterRings: 2 }, { ringIntervalMs: 1000 });
  const started: string[] = [];
  let ringsAtAnswer = -1;
  manager.on('call', (c) => {
    started.push(c.info.callerNumber ?? '');
    ringsAtAnswer = emu.call?.rings ?? -1;
  });
  emu.ring('+79161234567');
  await until('the call to be answered', () => manager.active !== null);
  t.same(started, ['+79161234567'], 'pipeline started with the caller id');
  const cmds = emu.commandLog.map((c) => c.command);
  t.ok(cmds.indexOf('ATA') > -1 && cmds.indexOf('AT+CPCMREG=1') > cmds.indexOf('ATA'), 'CPCMREG=1 after the call is up');
  t.equal(ringsAtAnswer, 2, 'answered on the second ring');
  emu.playCallerAudio(tone(1000));
  // The 1 s tone is 50 frames: most of it coming back is the echo, not a stray frame.
  await until('the caller to hear the echo of the tone', () => loudFrames(emu.audio.current?.heard ?? []) >= 40);
  const lead = maxLeadFrames(audioWrites[0], 320);
  t.ok(lead <= leadBound(), `never more than 2 frames ahead of real time (at most ${lead.toFixed(2)})`);
  t.comment(`emulator playout queue: at most ${emu.audio.current!.maxQueuedFrames} frames (a scheduling figure: bench/modem.ts)`);
  emu.remoteHangup();
  await until('the call log record', () => records.length === 1);
  t.equal(records[0].reason, 'remote_hangup');
  t.equal(records[0].number, '+79161234567');
  t.ok(records[0].answeredAt);
  t.equal(manager.active, null, 'no call left');
  await until('CPCMREG=0', () => emu.commandLog.some((c) => c.command === 'AT+CPCMREG=0'));
});

t.test('a stall of the shared process: the emulator counts it apart, and the gateway refills without running ahead of real time', async (t) => {
  const { emu, manager, audioWrites } = await rig(t, createEchoPipeline, { autoAnswerAfterRings: 1 });
  emu.ring('+79161234567');
  await until('the call to be answered', () => manager.active !== null);
  await until('the PCM session', () => emu.audio.current !== null);
  const session = emu.audio.current!;
  emu.playCallerAudio(tone(1500));
  await until('the echo to flow', () => loudFrames(session.heard) >= 5);
  const stalledBefore = session.stalledTicks;
  const stallUntil = performance.now() + 150; // the stall under test: gateway and emulator share this event loop
  while (performance.now() < stallUntil);
  const heardAtStall = session.heard.length;
  await until('the echo to flow again after the stall', () => loudFrames(session.heard.slice(heardAtStall)) >= 10);
  t.ok(session.stalledTicks - stalledBefore >= 3, `the stall was seen (${session.stalledTicks - stalledBefore} ticks)`);
  const lead = maxLeadFrames(audioWrites[0], 320);
  t.ok(lead <= leadBound(), `never more than 2 frames ahead of real time, the refill after the stall included (at most ${lead.toFixed(2)})`);
  t.comment(`emulator playout queue: ${session.maxQueuedFrames} frames on time, ${session.maxQueuedFramesAfterStall} after the stall`);
  emu.remoteHangup();
});

t.test('a blocked number is refused with AT+CHUP and logged', async (t) => {
  const { emu, records } = await rig(t, createEchoPipeline, { block: ['+79990001122'] });
  emu.ring('+79990001122');
  await until('the record', () => records.length === 1);
  t.equal(records[0].reason, 'rejected_blocked');
  t.notOk(emu.commandLog.some((c) => c.command === 'ATA'), 'never answered');
  t.ok(emu.commandLog.some((c) => c.command === 'AT+CHUP'), 'hung up with AT+CHUP');
});

/** A pipeline that plays nothing: the test emits its events and reads the controls it was sent. */
function silentPipeline() {
  const controls: string[] = [];
  const listeners: ((e: PipelineEvent) => void)[] = [];
  const factory: PipelineFactory = (info) => ({
    info,
    start() {},
    pushAudio() {},
    pullAudio: () => null,
    control: (m) => void controls.push(m.type === 'dtmf' ? m.digits : m.type),
    onEvent: (l) => (listeners.push(l), () => {}),
    onRecord: () => () => {},
    close: async () => {},
  });
  return { factory, controls, emit: (e: PipelineEvent) => listeners.forEach((l) => l(e)) };
}

t.test('the dialogue ends the call: AT+CHUP (not ATH), and DTMF reaches the pipeline', async (t) => {
  const p = silentPipeline();
  const { emu, manager, records } = await rig(t, p.factory);
  emu.ring('+79161234567');
  await until('answer', () => manager.active !== null);
  emu.sendDtmf('5');
  await until('dtmf', () => p.controls.length === 1);
  t.same(p.controls, ['5']);
  p.emit({ type: 'hangup', reason: 'dialogue_finished' });
  await until('the record', () => records.length === 1);
  t.equal(records[0].reason, 'dialogue_finished');
  const cmds = emu.commandLog.map((c) => c.command);
  t.ok(cmds.includes('AT+CHUP'), 'AT+CHUP sent');
  t.notOk(cmds.includes('ATH'), 'ATH not relied on');
  await until('the emulator to see the hang-up', () => emu.call === null);
});

t.test('a caller who hangs up while the pipeline\'s goodbye plays out: the call ends for the pipeline\'s reason', async (t) => {
  const p = silentPipeline();
  const { emu, manager, records } = await rig(t, p.factory);
  emu.ring('+79161234567');
  await until('answer', () => manager.active !== null);
  p.emit({ type: 'hangup', reason: 'silence' });
  emu.remoteHangup(); // within the play-out
  await until('the record', () => records.length === 1);
  t.equal(records[0].reason, 'silence');
});

t.test('a degraded audio channel (silent after CPCMREG cycling) ends the call and AT+CRESET restores audio', async (t) => {
  const { emu, modem, manager, records } = await rig(t, createEchoPipeline, {}, { degradeAfterCycles: 1 });
  emu.ring('+79161234567');
  await until('first call', () => manager.active !== null);
  emu.remoteHangup();
  await until('first record', () => records.length === 1);
  t.ok(emu.audioDegraded, 'the channel degraded after one CPCMREG cycle');
  emu.ring('+79161234567');
  await until('second record', () => records.length === 2);
  t.equal(records[1].reason, 'audio_silent', 'the silent call ends with a reason');
  await until('reset and ready again', () => emu.resets === 1 && modem.ready);
  t.equal(emu.resets, 1, 'AT+CRESET sent');
  t.notOk(emu.audioDegraded, 'audio channel restored by the reset');
  emu.ring('+79161234567');
  await until('third call with audio', () => manager.active !== null && (emu.audio.current?.uplink.length ?? 0) > 0);
  t.pass('the next call has audio');
});

t.test('wideband (AT+CPCMFRM=1 before CPCMREG) with both directions recorded; DTMF out with AT+VTS', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'modem-rec-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const { emu, manager, records } = await rig(t, createEchoPipeline, {}, {}, { wideband: true, recordDir: dir });
  const announced: ModemRecording[] = [];
  manager.on('recording', (r) => {
    announced.push(r);
    t.equal(records.length, 0, 'the recording is announced before the call record');
  });
  const errors: Error[] = [];
  manager.on('error', (err) => errors.push(err));
  manager.on('recording', () => {
    throw new Error('a listener broke');
  });
  emu.ring('+79161234567');
  await until('answer', () => manager.active !== null);
  const cmds = emu.commandLog.map((c) => c.command);
  t.ok(cmds.indexOf('AT+CPCMFRM=1') > -1 && cmds.indexOf('AT+CPCMFRM=1') < cmds.indexOf('AT+CPCMREG=1'), 'CPCMFRM=1 before CPCMREG=1');
  await until('16 kHz session', () => emu.audio.current?.sampleRate === 16000);
  await manager.sendDtmf('12#');
  t.same(emu.dtmfSent.join(''), '12#', 'AT+VTS per digit');
  await t.rejects(manager.sendDtmf('x'), /not DTMF/);
  emu.playCallerAudio(tone(600));
  // The 600 ms tone is 30 frames; its echo heard means the gateway has had all of it.
  await until('the caller to hear the echo of the tone', () => loudFrames(emu.audio.current?.heard ?? []) >= 28);
  emu.remoteHangup();
  await until('record', () => records.length === 1);
  await until('recording files', () => {
    try {
      return readWavFileSyncExists(path.join(dir, `${records[0].callId}.reply.wav`));
    } catch {
      return false;
    }
  });
  const caller = await readWavFile(path.join(dir, `${records[0].callId}.caller.wav`));
  const reply = await readWavFile(path.join(dir, `${records[0].callId}.reply.wav`));
  t.equal(caller.sampleRate, 16000);
  t.ok(caller.samples.length >= 16000 * 0.56, 'caller side recorded (the tone, at least the 28 frames echoed)');
  t.ok(rms(reply.samples) > 500, 'reply side (the echo) recorded');
  t.equal(announced.length, 1, "one 'recording' event");
  t.same(announced[0].files.map((f) => [f.side, f.path]), [['caller', path.join(dir, `${records[0].callId}.caller.wav`)], ['reply', path.join(dir, `${records[0].callId}.reply.wav`)]]);
  t.equal(announced[0].callId, records[0].callId);
  t.same(errors.map((e) => e.message), ['a listener broke'], 'a failing listener is reported; the call was still recorded and logged');
  t.equal(announced[0].files[0].durationMs, Math.round((caller.samples.length / 16000) * 1000), 'duration from the samples written');
});

t.test('shouldRecord is asked once per answered call, before AT+CPCMREG=1: no, yes, a throw and a slow answer', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'modem-rec-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const answers: Array<() => Promise<boolean>> = [
    async () => false,
    async () => true,
    async () => {
      throw new Error('database gone');
    },
    // Past the 200 ms bound (the timer under test): its late yes is ignored. Both are timers in
    // this process and the bound's was set first, so a slow machine cannot reorder them.
    () => new Promise<boolean>((r) => setTimeout(() => r(true), 800)),
  ];
  const asked: RecordingQuery[] = [];
  const channelsOpenWhenAsked: number[] = [];
  let emuRef: { commandLog: Array<{ command: string }> } | null = null;
  const { emu, manager, records } = await rig(t, createEchoPipeline, {}, { degradeAfterCycles: 0 }, {
    recordDir: dir,
    recordDecisionMs: 200,
    shouldRecord: (q) => {
      asked.push(q);
      channelsOpenWhenAsked.push(emuRef!.commandLog.filter((c) => c.command === 'AT+CPCMREG=1').length);
      return answers[asked.length - 1]();
    },
  });
  emuRef = emu;
  const announced: ModemRecording[] = [];
  manager.on('recording', (r) => announced.push(r));
  const errors: Error[] = [];
  manager.on('error', (err) => errors.push(err));

  for (let i = 0; i < answers.length; i++) {
    emu.ring('+79161234567');
    await until(`call ${i + 1} answered`, () => manager.active !== null);
    emu.playCallerAudio(tone(300));
    await until(`call ${i + 1}: the tone played`, () => emu.audio.current !== null && emu.audio.pendingCallerMs === 0);
    emu.remoteHangup();
    await until(`call ${i + 1} record`, () => records.length === i + 1);
  }
  t.same(records.map((r) => r.reason), ['remote_hangup', 'remote_hangup', 'remote_hangup', 'remote_hangup'], 'every call completed as usual');
  t.same(asked, records.map((r) => ({ callId: r.callId, direction: 'in', number: '+79161234567' })), 'asked once per call, with its id and number');
  t.same(channelsOpenWhenAsked, [0, 1, 2, 3], "asked before the call's PCM channel opened");
  t.same(announced.map((r) => r.callId), [records[1].callId], 'only the call with a yes was announced');
  t.same(readdirSync(dir).sort(), [`${records[1].callId}.caller.wav`, `${records[1].callId}.reply.wav`], 'only its files were written');
  t.match(errors.map((e) => e.message), [/failed: not recording \(database gone\)/, /took over 200 ms: not recording/], 'the throw and the slow answer were reported');
});

t.test('outgoing call: ATD<n>; and the pipeline starts when the far end answers', async (t) => {
  const { emu, manager, records } = await rig(t, createEchoPipeline, {}, { dialAnswerDelayMs: 200 });
  const id = await manager.dial('+79161112233');
  t.ok(emu.commandLog.some((c) => c.command === 'ATD+79161112233;'));
  await until('answered', () => manager.active?.info.callId === id);
  await manager.hangup();
  await until('record', () => records.length === 1);
  t.match(records[0], { direction: 'out', number: '+79161112233', reason: 'hangup_requested' });
  await t.rejects(manager.dial('12; ATH'), /not a dialable number/);
});

t.test('outside working hours the call is refused and logged', async (t) => {
  const now = new Date();
  const hh = (h: number) => String((h + 24) % 24).padStart(2, '0');
  // A two-hour window that ended an hour ago (local time).
  const hours = { start: `${hh(now.getHours() - 3)}:00`, end: `${hh(now.getHours() - 1)}:00`, days: [0, 1, 2, 3, 4, 5, 6] };
  const { emu, records } = await rig(t, createEchoPipeline, { workingHours: hours });
  emu.ring('+79161234567');
  await until('record', () => records.length === 1);
  t.equal(records[0].reason, 'rejected_outside_hours');
});

t.test('USB port layouts: 9001 and 9011', async (t) => {
  const id = 'usb-SimTech__Incorporated_SimTech__Incorporated_0123456789ABCDEF';
  const names = ['if00', 'if01', 'if02', 'if03', 'if04', 'if05', 'if06'].map((i) => `${id}-${i}-port0`);
  const a = pickPorts(names.slice(0, 5), '9001');
  t.match(a, { at: /if02/, audio: /if04/ });
  const b = pickPorts(names, '9011');
  t.match(b, { at: /if04/, audio: /if06/ });
  t.match(pickPorts(names, null), { productId: '9011' }, 'layout inferred from the interfaces present');
});

function readWavFileSyncExists(file: string): boolean {
  return statSync(file).size > 44;
}

t.test("a live policy replaces the environment's whole for each call; none, a throw or a slow answer leave the environment's", async (t) => {
  const blocked = '+79990001122';
  const envBlocked = '+79990003344';
  const answers: Array<() => Promise<CallPolicy | null>> = [
    async () => ({ block: [blocked], autoAnswerAfterRings: 2 }),
    async () => null,
    async () => {
      throw new Error('database gone');
    },
    // Past the 200 ms bound: its late block is ignored (both timers in this process, the bound's first).
    () => new Promise<CallPolicy>((r) => setTimeout(() => r({ block: [blocked] }), 800)),
    async () => ({ autoAnswerAfterRings: 2 }),
  ];
  const numbers = [blocked, blocked, blocked, blocked, envBlocked];
  let asked = 0;
  const envPolicy: CallPolicy = { autoAnswerAfterRings: 1, block: [envBlocked], personaByNumber: { [blocked]: 'ru', [envBlocked]: 'de' } };
  const { emu, manager, records } = await rig(t, createEchoPipeline, envPolicy, { ringIntervalMs: 1000 }, {
    policyDecisionMs: 200,
    livePolicy: () => answers[asked++](),
  });
  const errors: Error[] = [];
  manager.on('error', (err) => errors.push(err));
  const calls: Array<{ persona: string | undefined; rings: number }> = [];
  manager.on('call', (c) => calls.push({ persona: c.info.persona, rings: emu.call?.rings ?? -1 }));

  emu.ring(blocked);
  await until('the first call refused', () => records.length === 1);
  t.equal(records[0].reason, 'rejected_blocked', 'the live block list refused a number the environment answers');
  for (let i = 1; i < answers.length; i++) {
    emu.ring(numbers[i]);
    await until(`call ${i + 1} answered`, () => manager.active !== null);
    emu.remoteHangup();
    await until(`call ${i + 1} record`, () => records.length === i + 1);
  }
  t.same(records.map((r) => r.reason), ['rejected_blocked', 'remote_hangup', 'remote_hangup', 'remote_hangup', 'remote_hangup'], "the last: a number the environment blocks, answered under a live policy that does not");
  t.equal(asked, answers.length, 'asked once per incoming call');
  t.same(calls.map((c) => c.rings), [1, 1, 1, 2], "rings from the policy the call was decided by: the environment's 1, the live 2");
  t.same(calls.map((c) => c.persona), ['ru', 'ru', 'ru', 'de'], "personas per number stay the environment's under a live policy");
  t.match(errors.map((e) => e.message), [/call policy for call .* failed: deciding by the environment's \(database gone\)/, /took over 200 ms: deciding by the environment's/], 'the throw and the slow answer were reported');
});

t.test('a caller who gives up while the live policy is asked is never answered', async (t) => {
  let release: (p: CallPolicy | null) => void = () => {};
  let asked = 0;
  const { emu, manager, records } = await rig(t, createEchoPipeline, { autoAnswerAfterRings: 1 }, {}, {
    policyDecisionMs: 60_000,
    livePolicy: () => (++asked === 1 ? new Promise<CallPolicy | null>((r) => (release = r)) : Promise.resolve(null)),
  });
  emu.ring('+79161234567');
  await until('the policy asked', () => asked === 1);
  emu.remoteHangup();
  await until('the missed call logged', () => records.length === 1);
  t.equal(records[0].reason, 'missed');
  release({});
  // A second call goes through the same modem link: an ATA sent for the first would be logged before its.
  emu.ring('+79161234568');
  await until('the second call answered', () => manager.active !== null);
  t.equal(emu.commandLog.filter((c) => c.command === 'ATA').length, 1, 'one ATA: the second call\'s');
  emu.remoteHangup();
  await until('the second call logged', () => records.length === 2);
});
