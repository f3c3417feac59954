/**
 * startModem as the gateway calls it: configured from MODEM_* variables, null without a modem,
 * a clear error for a bad configuration, and on the emulator a ready modem whose calls show up in
 * /health, the metrics and status().
 */
import t from 'tap';
import { startModem } from '../../../gateway/modem/attach-modem.ts';
import { Sim7600Emulator } from '../../../gateway/modem/emulator/sim7600-emulator.ts';
import { HealthRegistry } from '../../../gateway/observability/health.ts';
import { GatewayMetrics } from '../../../gateway/observability/metrics.ts';
import { createEchoPipeline } from '../../../pipeline/echo-pipeline.ts';
import { until } from '../../helpers/until.ts';

const log = { info() {}, warn() {}, error() {} };

t.test('no modem configured: null, the gateway runs WebSocket-only', async (t) => {
  t.equal(startModem({ pipelineFactory: createEchoPipeline, log, env: {} }), null);
});

t.test('a bad configuration is refused with the variable named', async (t) => {
  const base = { MODEM_AT_PORT: '/dev/null', MODEM_AUDIO_PORT: '/dev/null' };
  t.throws(() => startModem({ pipelineFactory: createEchoPipeline, log, env: { ...base, MODEM_HOURS: '9-18' } }), /MODEM_HOURS/);
  t.throws(() => startModem({ pipelineFactory: createEchoPipeline, log, env: { ...base, MODEM_HOURS: '09:00-24:00' } }), /MODEM_HOURS must look like 09:00-18:00 \(00:00 to 23:59\)/, 'an hour that is not on the clock');
  t.throws(() => startModem({ pipelineFactory: createEchoPipeline, log, env: { ...base, MODEM_SMS_MODE: 'fax' } }), /MODEM_SMS_MODE/);
  t.throws(() => startModem({ pipelineFactory: createEchoPipeline, log, env: { MODEM_AT_PORT: '/dev/null' } }), /MODEM_AUDIO_PORT/);
  t.throws(() => startModem({ pipelineFactory: createEchoPipeline, log, env: { ...base, MODEM_EXTRA_INIT: 'ATH;AT+CECM=1' } }), /MODEM_EXTRA_INIT/);
});

t.test('on the emulator: ready, health and status, a call counted in the metrics, closed cleanly', async (t) => {
  // Rings a second apart: the gateway answers on the 2nd; 100 ms let a loaded machine hear a 3rd first.
  const emu = new Sim7600Emulator({ ringIntervalMs: 1000 });
  const { atPath, audioPath } = await emu.start();
  const health = new HealthRegistry();
  const metrics = new GatewayMetrics();
  const env = { MODEM_AT_PORT: atPath, MODEM_AUDIO_PORT: audioPath, MODEM_AUTO_ANSWER_RINGS: '2', MODEM_BLOCK: '+79990001122', MODEM_EXTRA_INIT: 'AT+CECM=1' };
  const attached = startModem({ pipelineFactory: createEchoPipeline, log, health, metrics, env })!;
  t.teardown(async () => {
    await attached.close();
    await emu.stop();
    metrics.stop();
  });
  await attached.modem.whenReady(10_000);
  t.ok(emu.commandLog.some((c) => c.command === 'AT+CECM=1'), 'extra init command sent');
  await until('status', () => attached.status().imei !== null);
  t.match(attached.status(), { state: 'ready', ready: true, signal_dbm: -67, operator: 'MegaFon', imei: '861234567890123', active_call: null });
  t.match((await health.report()).components.modem, { status: 'ok', state: 'ready' });

  emu.ring('+79161234567');
  await until('answer', () => attached.status().active_call !== null);
  t.equal(emu.call?.rings, 2, 'MODEM_AUTO_ANSWER_RINGS=2 honoured');
  const gauge = async () => (await metrics.activeCalls.get()).values.find((v) => v.labels.channel === 'modem')?.value ?? 0;
  t.equal(await gauge(), 1, 'voice_active_calls{channel="modem"} = 1');
  await until('audio written to the line', () => (attached.calls.active?.stats.framesOut ?? 0) >= 10);
  emu.remoteHangup();
  await until('record', () => attached.status().calls_logged === 1);
  await until('gauge back to 0', () => attached.status().active_call === null);
  t.equal(await gauge(), 0, 'and back to 0');
  const out = (await metrics.framesOut.get()).values.find((v) => v.labels.channel === 'modem')?.value ?? 0;
  t.ok(out >= 10, `${out} frames out counted`);

  emu.ring('+79990001122');
  await until('blocked record', () => attached.status().calls_logged === 2);
  t.equal(attached.calls.records[1].reason, 'rejected_blocked', 'MODEM_BLOCK honoured');
  await attached.close();
  t.equal(attached.modem.state, 'stopped');
});

t.test("the environment's call policy: lists trimmed, and a list with no number in it is no list (not 'refuse everyone')", async (t) => {
  const env = { MODEM_AT_PORT: '/dev/vg-test-no-such-modem', MODEM_AUDIO_PORT: '/dev/vg-test-no-such-audio', MODEM_ALLOW: ' , ', MODEM_BLOCK: '+79990001122, +79990003344', MODEM_HOURS: '22:00-06:00' };
  const attached = startModem({ pipelineFactory: createEchoPipeline, log, env })!;
  t.teardown(() => attached.close());
  t.match(attached.policy, { allow: undefined, block: ['+79990001122', '+79990003344'], workingHours: { start: '22:00', end: '06:00' } });
  t.ok('allow' in attached.policy && attached.policy.allow === undefined, 'MODEM_ALLOW=" , " allows everyone');
});
