/**
 * The AT engine alone, on a real pty against the emulator (no Modem lifecycle around it): echo on,
 * URCs in the middle of a response, the SMS `> ` prompt, typed final results, a late reply after a
 * timeout, garbage and fragments, and the port closing under a pending command.
 */
import t, { type Test } from 'tap';
import { AtEngine } from '../../../gateway/modem/at/at-engine.ts';
import { AtPortClosedError, AtTimeoutError, CallSetupError, CmeError } from '../../../gateway/modem/at/errors.ts';
import type { Urc } from '../../../gateway/modem/at/urc.ts';
import { Sim7600Emulator, type EmulatorOptions } from '../../../gateway/modem/emulator/sim7600-emulator.ts';
import { openSerialLink } from '../../../gateway/modem/serial-link.ts';
import { until } from '../../helpers/until.ts';

async function rig(t: Test, opts: EmulatorOptions = {}) {
  const emu = new Sim7600Emulator({ ringIntervalMs: 200, ...opts });
  const { atPath } = await emu.start();
  const link = await openSerialLink(atPath);
  const at = new AtEngine(link, { defaultTimeoutMs: 5000 });
  const urcs: Urc[] = [];
  const noise: string[] = [];
  at.on('urc', (u) => urcs.push(u));
  at.on('noise', (l) => noise.push(l));
  t.teardown(async () => {
    await at.close();
    await emu.stop();
  });
  // The module boots for a moment after power-on and ignores commands: probe like the lifecycle does.
  await until('the module to answer AT', () => at.send('AT', { timeoutMs: 500 }).then(() => true, () => false));
  return { emu, at, urcs, noise };
}

t.test('echo on (the power-on default): the echo is never part of a response', async (t) => {
  const { emu, at } = await rig(t);
  t.equal(emu.settings.echo, true, 'the emulator echoes');
  const r = await at.send('AT+CSQ');
  t.same(r.lines, ['+CSQ: 23,99']);
  const ati = await at.send('ATI');
  t.notOk(ati.lines.includes('ATI'), 'echo dropped');
  t.ok(ati.lines.includes('Model: SIMCOM_SIM7600E-H'), 'free-text response lines kept');
  t.same((await at.send('AT+CGSN')).lines, ['861234567890123'], 'a bare IMEI line is the response, not noise');
});

t.test('a URC between the information lines and OK is an event, not part of the response', async (t) => {
  const { emu, at, urcs } = await rig(t);
  await at.send('AT+CLIP=1');
  emu.interleaveUrc('+CMTI: "SM",7');
  const r = await at.send('AT+COPS?');
  t.same(r.lines, ['+COPS: 0,0,"MegaFon",7'], 'only the response');
  t.match(urcs.find((u) => u.type === 'cmti'), { type: 'cmti', storage: 'SM', index: 7 }, 'the URC was emitted');
  // A prefix that is a URC at other times belongs to the command that owns it while it runs.
  emu.ring('+79161234567');
  await until('RING and +CLIP', () => urcs.some((u) => u.type === 'ring') && urcs.some((u) => u.type === 'clip'));
  const clcc = await at.send('AT+CLCC');
  t.match(clcc.lines, [/^\+CLCC: 1,1,4,0,0,"\+79161234567",145$/], '+CLCC goes to AT+CLCC');
  t.ok(urcs.some((u) => u.type === 'ring'), 'RING demultiplexed');
  t.match(urcs.find((u) => u.type === 'clip'), { number: '+79161234567', numberType: 145 }, '+CLIP with the caller id');
  await at.send('AT+CHUP');
});

t.test('SMS prompt: text mode AT+CMGS gets `> `, the body and Ctrl-Z, then +CMGS', async (t) => {
  const { emu, at } = await rig(t);
  await at.send('AT+CMGF=1');
  const r = await at.send('AT+CMGS="+79161234567"', { body: 'Hello > not a prompt' });
  t.match(r.lines.join('\n'), /\+CMGS: \d+/);
  t.match(emu.sentSms.at(-1), { mode: 'text', to: '+79161234567', text: 'Hello > not a prompt' });
  t.same((await at.send('AT')).lines, [], 'the next command pairs normally');
});

t.test('typed final results: +CME ERROR (text, CMEE=2), ERROR, and call-setup codes for ATD', async (t) => {
  const { at, urcs } = await rig(t, { dialOutcome: 'busy', dialAnswerDelayMs: 50 });
  await at.send('AT+CMEE=2');
  const cme = await at.send('AT+CPCMREG=1').then(() => null, (e: unknown) => e);
  t.ok(cme instanceof CmeError, 'CPCMREG=1 without a call is a CME error');
  t.equal((cme as CmeError).detail, 'operation not allowed');
  await t.rejects(at.send('AT+BOGUS'), { name: 'AtCommandError' });
  // ATA with nothing ringing: NO CARRIER is ATA's final result.
  const ata = await at.send('ATA').then(() => null, (e: unknown) => e);
  t.ok(ata instanceof CallSetupError, 'ATA -> NO CARRIER rejects as a call-setup error');
  t.equal((ata as CallSetupError).result, 'NO CARRIER');
  // ATD answers OK at once; BUSY comes later, unsolicited, once ATD has finished.
  t.same((await at.send('ATD+79161112233;')).lines, []);
  await until('BUSY, after OK, as a URC', () => urcs.some((u) => u.type === 'busy'));
});

t.test('a reply that never comes times out; its late OK is dropped as stray, not given to the next command', async (t) => {
  const { emu, at, noise } = await rig(t);
  const timeoutsBefore = at.stats.timeouts; // boot probes may have timed out
  const strayBefore = at.stats.strayFinals;
  // Both are timers in this process and the 100 ms one is set first: on any machine the engine
  // gives up before the reply comes.
  emu.delayNextReply('AT+CSQ', 300);
  const err = await at.send('AT+CSQ', { timeoutMs: 100 }).then(() => null, (e: unknown) => e);
  t.ok(err instanceof AtTimeoutError, 'timed out');
  t.same((await at.send('AT+CGSN')).lines, ['861234567890123'], 'the next command gets its own answer');
  await until('the late OK', () => at.stats.strayFinals > strayBefore);
  t.equal(at.stats.strayFinals - strayBefore, 1, 'the late OK was counted as stray');
  t.ok(noise.includes('+CSQ: 23,99'), 'the late information line is reported as noise');
  t.same((await at.send('AT+COPS?')).lines, ['+COPS: 0,0,"MegaFon",7'], 'pairing still right afterwards');
  emu.swallowNextCommand('AT+CNUM');
  await t.rejects(at.send('AT+CNUM', { timeoutMs: 100 }), AtTimeoutError, 'a swallowed command times out too');
  t.equal(at.stats.timeouts - timeoutsBefore, 2);
});

t.test('garbage bytes glued to lines and responses in 1-7 byte fragments', async (t) => {
  const { emu, at, urcs } = await rig(t, { fragmentOutput: true });
  for (let i = 0; i < 5; i++) {
    emu.injectGarbage();
    t.same((await at.send('AT+CSQ')).lines, ['+CSQ: 23,99'], `round ${i}`);
  }
  emu.injectGarbage(Buffer.from('\xff\xfe\x00RING\r\n', 'latin1'));
  await until('a URC behind garbage to parse', () => urcs.some((u) => u.type === 'ring'));
  t.ok(at.droppedNoiseBytes > 0, 'the garbage was dropped, not parsed');
});

t.test('the port closing rejects the command in flight and everything queued', async (t) => {
  const { emu, at } = await rig(t);
  emu.swallowNextCommand('AT+CSQ');
  // Far longer than the unplug takes even on a loaded machine (a 5 s limit lost to it there): the close must be what ends it.
  const inFlight = at.send('AT+CSQ', { timeoutMs: 60_000 });
  const queued = at.send('AT+COPS?');
  const both = Promise.all([t.rejects(inFlight, AtPortClosedError), t.rejects(queued, AtPortClosedError)]);
  await until('AT+CSQ to reach the module', () => emu.commandLog.some((c) => c.command === 'AT+CSQ'));
  await emu.unplug();
  await both;
  t.equal(at.isOpen, false);
  await t.rejects(at.send('AT'), AtPortClosedError, 'and later commands fail at once');
});
