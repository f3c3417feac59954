/**
 * The modem lifecycle over real ptys against the emulator: init, status, AT round trips, and the
 * faults a USB modem really produces: garbage on the line, a reply that never comes, fragmented
 * output, the port vanishing and coming back (USB replug).
 */
import t, { type Test } from 'tap';
import { AtTimeoutError } from '../../../gateway/modem/at/errors.ts';
import { Sim7600Emulator, type EmulatorOptions } from '../../../gateway/modem/emulator/sim7600-emulator.ts';
import { Modem } from '../../../gateway/modem/modem.ts';
import { until } from '../../helpers/until.ts';

async function rig(t: Test, opts: EmulatorOptions = {}) {
  const emu = new Sim7600Emulator({ rebootDelayMs: 300, ...opts });
  const { atPath, audioPath } = await emu.start();
  const modem = new Modem({ atPath, audioPath, healthIntervalMs: 0, commandTimeoutMs: 5000 });
  modem.start();
  await modem.whenReady(10_000);
  t.teardown(async () => {
    await modem.stop();
    await emu.stop();
  });
  return { emu, modem };
}

t.test('init sequence and status: SIM, signal in dBm, registration, operator, IMEI', async (t) => {
  const { emu, modem } = await rig(t);
  const cmds = emu.commandLog.map((c) => c.command);
  for (const c of ['ATE0', 'AT+CMEE=2', 'AT+CLIP=1']) t.ok(cmds.includes(c), `init sent ${c}`);
  const s = await modem.refreshStatus();
  t.equal(s.sim, 'READY');
  t.equal(s.signalDbm, -113 + 2 * 23, 'CSQ 23 = -67 dBm');
  t.equal(s.registered, true);
  t.equal(s.operator, 'MegaFon');
  t.equal(s.imei, '861234567890123');
});

t.test('AT round trips back to back over the pty each get their own answer (their speed is the bench figure: at_round_trip_ms)', async (t) => {
  const { modem } = await rig(t);
  const commands = Array.from({ length: 50 }, (_, i) => ['AT', 'AT+CSQ', 'AT+COPS?'][i % 3]);
  const answers: string[] = [];
  for (const c of commands) {
    const r = await modem.send(c);
    answers.push(`${r.command} ${r.lines.join('|')}`);
  }
  t.same(answers, commands.map((c) => `${c} ${{ AT: '', 'AT+CSQ': '+CSQ: 23,99', 'AT+COPS?': '+COPS: 0,0,"MegaFon",7' }[c]}`));
});

t.test('garbage bytes and fragmented output do not break command/response pairing', async (t) => {
  const { emu, modem } = await rig(t, { fragmentOutput: true });
  emu.injectGarbage();
  const r = await modem.send('AT+CSQ');
  t.match(r.lines.join('\n'), /\+CSQ: 23,/, 'the right answer to the right command');
  emu.injectGarbage();
  const r2 = await modem.send('AT+COPS?');
  t.match(r2.lines.join('\n'), /MegaFon/);
});

t.test('a reply that never comes times out; the next command still works', async (t) => {
  const { emu, modem } = await rig(t);
  emu.swallowNextCommand('AT+CSQ');
  await t.rejects(modem.send('AT+CSQ', { timeoutMs: 300 }), AtTimeoutError);
  const r = await modem.send('AT+CSQ');
  t.match(r.lines.join('\n'), /\+CSQ: 23,/, 'the engine recovered and pairs replies correctly');
});

t.test('the port vanishes and returns: healthy again (how fast is the bench figure: recovery_ms)', async (t) => {
  const { emu, modem } = await rig(t);
  const states: string[] = [];
  modem.on('state', (s) => states.push(s));
  await emu.unplug();
  await until('the loss to be noticed', () => modem.state !== 'ready');
  await until('reconnecting while the port is away', () => states.includes('connecting'));
  await emu.replug(0);
  await modem.whenReady(20_000);
  t.equal(modem.state, 'ready', 'ready again after the port returned');
  t.match((await modem.send('AT')).command, 'AT');
});

t.test('final results: +CMS ERROR rejects with its code, a plain ERROR with the command', async (t) => {
  const { modem } = await rig(t);
  const cms = await modem.send('AT+CMGR=199').then(() => null, (e: Error) => e);
  t.match(cms, { name: 'CmsError' }, `+CMS ERROR for an empty SMS slot: ${cms?.message}`);
  t.match(cms?.message, /321/);
  const plain = await modem.send('AT+NOSUCHCOMMAND').then(() => null, (e: Error) => e);
  t.ok(plain, `unknown command rejected: ${plain?.message}`);
  t.match((await modem.send('AT')).command, 'AT', 'and the engine carries on');
});
