/**
 * Calls when things go wrong or are refused, over real ptys against the emulator: the ATH trap
 * (ignored with CVHU=1), a caller who gives up before the Nth ring, allow lists and personas per
 * number, the modem vanishing mid-call. Every call must end in the call log with a reason, and no
 * pipeline, clock subscription or audio port may outlive its call.
 */
import t, { type Test } from 'tap';
import type { CallPolicy } from '../../../gateway/modem/call-policy.ts';
import type { EmulatorOptions } from '../../../gateway/modem/emulator/sim7600-emulator.ts';
import { modemClock } from '../../../gateway/modem/modem-call.ts';
import { createEchoPipeline } from '../../../pipeline/echo-pipeline.ts';
import type { CallInfo, PipelineEvent, PipelineFactory } from '../../../pipeline/call-pipeline.ts';
import { until } from '../../helpers/until.ts';
import { modemRig } from './helpers/modem-rig.ts';


/** An echo pipeline factory that counts what it built and what was closed. */
function countingEcho() {
  const built: CallInfo[] = [];
  let closed = 0;
  const factory: PipelineFactory = (info) => {
    built.push(info);
    const p = createEchoPipeline(info);
    const close = p.close.bind(p);
    p.close = async (reason) => {
      closed++;
      await close(reason);
    };
    return p;
  };
  return { factory, built, closed: () => closed };
}

function rig(t: Test, factory: PipelineFactory, policy: CallPolicy = {}, emuOpts: EmulatorOptions = {}) {
  return modemRig(t, factory, { emulator: { ringIntervalMs: 100, rebootDelayMs: 200, ...emuOpts }, modem: { retryInitialMs: 50 }, manager: { policy } });
}

t.test('the ATH trap: with CVHU=1 ATH says OK and the call goes on; AT+CHUP ends it', async (t) => {
  const echo = countingEcho();
  const { emu, modem, manager, records } = await rig(t, echo.factory);
  emu.ring('+79161234567');
  await until('answer', () => manager.active !== null);
  let ignored = 0;
  emu.on('ath_ignored', () => ignored++);
  await modem.send('AT+CVHU=1'); // the module's power-on default, e.g. after a firmware that ignores our CVHU=0
  await modem.send('ATH');
  t.equal(ignored, 1, 'the emulator ignored ATH');
  // The module has answered a later command: whatever ATH was going to do to the call, it has done.
  const clcc = await modem.send('AT+CLCC');
  t.match(clcc.lines, [/^\+CLCC: 1,1,0,/], 'the call is still up after ATH (+CLCC: active)');
  t.equal(emu.call?.phase, 'active');
  t.ok(manager.active, 'and the gateway still carries it');
  await manager.hangup();
  t.equal(emu.call, null, 'AT+CHUP hung up');
  t.equal(records.length, 1);
  t.equal(records[0].reason, 'hangup_requested');
  t.equal(echo.closed(), 1, 'pipeline closed');
  const cmds = emu.commandLog.map((c) => c.command);
  const after = cmds.slice(cmds.lastIndexOf('ATH') + 1);
  t.ok(after.includes('AT+CHUP') && !after.includes('ATH'), `the gateway hung up with AT+CHUP: ${after.join(' ')}`);
});

t.test('the caller gives up before the Nth ring: a missed call, never answered', async (t) => {
  const echo = countingEcho();
  const { emu, records } = await rig(t, echo.factory, { autoAnswerAfterRings: 4 }, { maxRings: 2 });
  emu.ring('+79161234567');
  await until('record', () => records.length === 1);
  t.match(records[0], { reason: 'missed', number: '+79161234567', answeredAt: null });
  t.notOk(emu.commandLog.some((c) => c.command === 'ATA'), 'no ATA');
  t.equal(echo.built.length, 0, 'no pipeline for an unanswered call');
});

t.test('allow list and persona per number: the listed number is answered with its persona, others refused', async (t) => {
  const echo = countingEcho();
  const policy: CallPolicy = { allow: ['89161234567'], personaByNumber: { '+79161234567': 'ru' } };
  const { emu, manager, records } = await rig(t, echo.factory, policy);
  emu.ring('+79990000000');
  await until('refusal', () => records.length === 1);
  t.equal(records[0].reason, 'rejected_not_allowed');
  await until('line free', () => emu.call === null);
  emu.ring('+79161234567'); // the allow list said 8916..., the network says +7916...: same number
  await until('answer', () => manager.active !== null);
  t.match(echo.built[0], { channel: 'modem', callerNumber: '+79161234567', persona: 'ru' });
  emu.remoteHangup();
  await until('record', () => records.length === 2);
  t.match(records[1], { reason: 'remote_hangup', persona: 'ru' });
});

t.test('the modem vanishes mid-call: the call ends (modem_lost), nothing leaks, the next call works', async (t) => {
  const echo = countingEcho();
  const { emu, modem, manager, records } = await rig(t, echo.factory);
  emu.ring('+79161234567');
  await until('answer', () => manager.active !== null);
  t.equal(modemClock.stats.subscribers, 1, 'the call is on the modem clock');
  await emu.unplug();
  await until('record', () => records.length === 1);
  t.match(records[0].reason, /^modem_lost/);
  t.equal(manager.active, null);
  t.equal(echo.closed(), 1, 'pipeline closed');
  t.equal(modemClock.stats.subscribers, 0, 'no clock subscription left');
  await emu.replug(0);
  await modem.whenReady(10_000);
  emu.ring('+79161234567');
  await until('second answer', () => manager.active !== null);
  emu.remoteHangup();
  await until('second record', () => records.length === 2);
  t.equal(records[1].reason, 'remote_hangup');
  t.equal(echo.closed(), 2);
});

t.test('many calls in a row: one record each, every pipeline closed, no clock left running', async (t) => {
  const echo = countingEcho();
  const { emu, manager, records } = await rig(t, echo.factory, { block: ['+79990001122'] }, { degradeAfterCycles: 0 });
  const plan = ['answer', 'blocked', 'answer', 'answer', 'blocked', 'answer'];
  for (const step of plan) {
    const n = records.length;
    emu.ring(step === 'blocked' ? '+79990001122' : '+79161234567');
    if (step === 'answer') {
      await until('answer', () => manager.active !== null);
      await until('audio on the line', () => (emu.audio.current?.heard.length ?? 0) >= 5);
      if (n % 2) emu.remoteHangup();
      else await manager.hangup();
    }
    await until('record', () => records.length === n + 1);
    await until('line free', () => emu.call === null);
  }
  t.equal(records.length, plan.length, 'a record for every call');
  t.same(
    records.map((r) => r.reason),
    ['hangup_requested', 'rejected_blocked', 'hangup_requested', 'remote_hangup', 'rejected_blocked', 'remote_hangup'],
  );
  t.equal(echo.built.length, 4);
  t.equal(echo.closed(), 4, 'every pipeline closed');
  t.equal(new Set(records.map((r) => r.callId)).size, plan.length, 'distinct call ids');
  t.equal(modemClock.stats.subscribers, 0);
  t.equal(manager.active, null);
});

t.test('dialling out to a busy number: BUSY after ATD ends the attempt with a record, no pipeline', async (t) => {
  const echo = countingEcho();
  const { manager, records } = await rig(t, echo.factory, {}, { dialOutcome: 'busy', dialAnswerDelayMs: 100 });
  const id = await manager.dial('+79161112233');
  await until('record', () => records.length === 1);
  t.match(records[0], { callId: id, direction: 'out', number: '+79161112233', reason: 'busy', answeredAt: null });
  t.equal(echo.built.length, 0);
  await t.rejects(manager.sendDtmf('1'), /no call/, 'no DTMF without a call');
});

t.test('a pipeline whose worker crashed hangs up the line (worker_crashed), not a deaf call held open', async (t) => {
  const echo = countingEcho();
  const listeners: Array<(e: PipelineEvent) => void> = [];
  const factory: PipelineFactory = (info) => {
    const p = echo.factory(info);
    const onEvent = p.onEvent.bind(p);
    p.onEvent = (l) => {
      listeners.push(l);
      return onEvent(l);
    };
    return p;
  };
  const { emu, manager, records } = await rig(t, factory);
  emu.ring('+79161234567');
  await until('answer', () => manager.active !== null);
  await until('the call listens to its pipeline', () => listeners.length > 0);
  for (const l of listeners) l({ type: 'error', code: 'stt_failed', message: 'one turn lost' });
  t.ok(manager.active, 'a failed turn does not end the call');
  for (const l of listeners) l({ type: 'error', code: 'worker_crashed', message: 'voice activity detection failed: worker exited' });
  await until('record', () => records.length === 1);
  // A call ends with the reason that ended it first: had stt_failed started a hang-up, it would be the reason.
  t.equal(records[0].reason, 'worker_crashed', 'the crash ended the call, the failed turn did not');
  t.ok(emu.commandLog.some((c) => c.command === 'AT+CHUP'), 'hung up with AT+CHUP');
  t.equal(echo.closed(), 1, 'pipeline closed');
  await until('line free', () => emu.call === null);
});
