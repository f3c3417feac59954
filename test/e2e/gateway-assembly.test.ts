/**
 * The process as `npm start` assembles it (gateway/assemble.ts), attached to the SIM7600 emulator
 * through MODEM_* variables: the admin API drives the real modem transport (status, USSD, the AT
 * console, SMS out), SMS the modem receives land in the database, a call shows up in /admin/gsm
 * status and in the monitor (the gateway's own metrics), /admin/gsm/hangup ends it with AT+CHUP, and
 * its recording (MODEM_RECORD_DIR) is registered in the database and downloadable; calls are only
 * recorded with the `calls.recording_enabled` setting on and a call_recording consent for the caller.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import t from 'tap';
import { hashPassword } from '../../control/auth/password.ts';
import { assembleGateway, StartupError } from '../../gateway/assemble.ts';
import { loadConfig } from '../../gateway/config.ts';
import { createLogger } from '../../gateway/logger.ts';
import { Sim7600Emulator } from '../../gateway/modem/emulator/sim7600-emulator.ts';
import { until } from '../helpers/until.ts';

const CONTROL_ENV = { PASSWORD_HASH_LN: '12', RATE_LIMIT_AUTH: '10000/min', RATE_LIMIT_DEFAULT: '10000/min' };

t.test('npm start wiring: /admin/gsm drives the emulated modem, received SMS are stored, the monitor shows gateway metrics', async (t) => {
  const emu = new Sim7600Emulator({ ringIntervalMs: 100 });
  const { atPath, audioPath } = await emu.start();
  const dataDir = mkdtempSync(path.join(tmpdir(), 'vg-assembly-'));
  // Outside DATA_DIR on purpose: the control plane must serve the directory the modem writes to.
  const recordDir = mkdtempSync(path.join(tmpdir(), 'vg-assembly-rec-'));
  const config = loadConfig({ HOST: '127.0.0.1', PORT: '0', DATA_DIR: dataDir, LOG_LEVEL: 'silent', SHUTDOWN_GRACE_MS: '1000', PIPELINE: 'echo' });
  const app = await assembleGateway(config, {
    log: createLogger('silent'),
    env: { ...CONTROL_ENV, MODEM_AT_PORT: atPath, MODEM_AUDIO_PORT: audioPath, MODEM_AUTO_ANSWER_RINGS: '1', MODEM_RECORD_DIR: recordDir },
  });
  t.teardown(async () => {
    await app.close();
    await emu.stop();
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(recordDir, { recursive: true, force: true });
  });
  const port = await app.listen();
  const base = `http://127.0.0.1:${port}`;
  await app.controlPlane.repos.users.create({ username: 'ops', role: 'admin', password_hash: await hashPassword('a long enough password', { ln: 12, r: 8, p: 1 }) });
  const login = await fetch(`${base}/admin/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'ops', password: 'a long enough password' }) });
  const token = ((await login.json()) as { access_token: string }).access_token;
  const call = async (method: string, p: string, body?: unknown) => {
    const res = await fetch(base + p, { method, headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) }, body: body ? JSON.stringify(body) : undefined });
    return { status: res.status, body: (await res.json()) as any };
  };
  await app.modem!.modem.whenReady(10_000);

  const status = await until('modem status with IMEI', async () => {
    const r = await call('GET', '/admin/gsm/status');
    return r.body.details?.imei ? r : null;
  });
  t.match(status.body, { attached: true, connected: true, registered: true, operator: 'MegaFon', signal_dbm: -67, sim_ready: true, calls: [] });

  const ussd = await call('POST', '/admin/gsm/ussd', { code: '*100#' });
  t.equal(ussd.status, 200);
  t.match(ussd.body.response, /Баланс: 123,45/, 'USSD answer decoded from UCS2');

  const csq = await call('POST', '/admin/gsm/at', { command: 'AT+CSQ' });
  t.match(csq.body, { ok: true, lines: [/^\+CSQ: \d+,\d+$/] }, 'AT console answered by the modem');
  t.equal((await call('POST', '/admin/gsm/at', { command: 'ATD+79161234567;' })).status, 403, 'a dial through the console is refused');

  const sent = await call('POST', '/admin/gsm/sms', { to: '+79161234567', text: 'Перезвоним вам сегодня' });
  t.equal(sent.status, 201, JSON.stringify(sent.body));
  await until('the SMS at the emulator', () => emu.sentSms.length === 1);
  t.match(emu.sentSms[0], { to: '+79161234567', text: 'Перезвоним вам сегодня' });

  emu.deliverSms('+79035551234', 'Можно записаться на завтра?');
  const inbox = await until('the received SMS in the database', async () => {
    const r = await call('GET', '/admin/gsm/sms?direction=in');
    return r.body.items?.length ? r.body : null;
  });
  t.match(inbox.items[0], { direction: 'in', phone_number: '+79035551234', body: 'Можно записаться на завтра?', status: 'received' });

  // Recording is the control plane's to allow: the setting (off by default), then the caller's consent.
  const calls = app.modem!.calls;
  const answerAndHangUp = async (number: string) => {
    const before = calls.records.length;
    emu.ring(number);
    await until(`the call from ${number} answered`, () => calls.active !== null);
    emu.remoteHangup();
    await until(`the call from ${number} logged`, () => calls.records.length === before + 1);
    return calls.records[before].callId;
  };
  t.equal((await call('POST', '/admin/legal/consents', { subject: '+79161234567', purpose: 'call_recording', granted: true, source: 'call' })).status, 201);
  const settingOff = await answerAndHangUp('+79161234567');
  t.equal((await call('PUT', '/admin/config/calls.recording_enabled', { value: true })).status, 200);
  const noConsent = await answerAndHangUp('+79035551234');

  emu.ring('+79161234567');
  const live = await until('the call in /admin/gsm/status', async () => {
    const r = await call('GET', '/admin/gsm/status');
    return r.body.calls?.[0]?.state === 'active' ? r.body.calls[0] : null;
  });
  t.match(live, { direction: 'in', number: '+79161234567' });
  const monitor = await call('GET', '/admin/monitor/snapshot');
  t.equal(monitor.body.source, 'gateway', 'the monitor reads the gateway registry');
  t.equal(monitor.body.metrics['voice_active_calls{channel="modem"}'], 1, 'the modem call counted');
  t.equal((await call('POST', '/admin/gsm/hangup', { call_id: 'not-this-one' })).body.ended, 0, 'an unknown call id ends nothing');
  t.equal((await call('POST', '/admin/gsm/hangup', { call_id: live.id })).body.ended, 1);
  t.ok(emu.commandLog.some((c) => c.command === 'AT+CHUP'), 'hung up with AT+CHUP');
  t.same((await call('GET', '/admin/gsm/status')).body.calls, [], 'no call left');

  // The call's two WAV files, registered in the database once written, and downloadable.
  const detail = await until('both recordings registered', async () => {
    const r = await call('GET', `/admin/calls/${live.id}`);
    return r.body.recordings?.length === 2 ? r.body : null;
  });
  t.match(detail.call, { id: live.id, channel: 'modem', caller_number: '+79161234567' });
  const rows = await app.controlPlane.repos.calls.recordings(live.id);
  t.same(rows.map((r) => r.path), [path.join(recordDir, `${live.id}.caller.wav`), path.join(recordDir, `${live.id}.reply.wav`)]);
  for (const row of rows) {
    const onDisk = readFileSync(row.path);
    t.match(row, { format: 'wav', size_bytes: statSync(row.path).size, sha256: createHash('sha256').update(onDisk).digest('hex') });
    t.ok(row.duration_ms !== null && row.duration_ms > 0, 'duration registered');
    const res = await fetch(`${base}/admin/calls/${live.id}/recordings/${row.id}`, { headers: { authorization: `Bearer ${token}` } });
    t.equal(res.status, 200);
    t.equal(res.headers.get('content-type'), 'audio/wav');
    t.ok(Buffer.from(await res.arrayBuffer()).equals(onDisk), `${path.basename(row.path)} downloads byte for byte`);
  }
  await app.pipelines.callLog?.flush();
  for (const [id, why] of [[settingOff, 'setting off, consent given'], [noConsent, 'setting on, no consent']]) {
    t.same(await app.controlPlane.repos.calls.recordings(id), [], `${why}: no recording registered`);
    t.notOk(existsSync(path.join(recordDir, `${id}.caller.wav`)) || existsSync(path.join(recordDir, `${id}.reply.wav`)), `${why}: no files written`);
  }
  t.ok(await app.controlPlane.repos.calls.get(noConsent), 'the unrecorded call is still in the call log');

  const anonymous = (await (await fetch(`${base}/health`)).json()) as any;
  t.same(Object.keys(anonymous), ['status'], 'an anonymous caller gets the status alone');
  const health = (await (await fetch(`${base}/health`, { headers: { authorization: `Bearer ${token}` } })).json()) as any;
  t.match(health.components, { db: { status: 'ok' }, modem: { status: 'ok' } }, 'an admin sees the components');
  await app.controlPlane.repos.users.create({ username: 'op', role: 'operator', password_hash: await hashPassword('a long enough password', { ln: 12, r: 8, p: 1 }) });
  const opLogin = await fetch(`${base}/admin/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'op', password: 'a long enough password' }) });
  const opToken = ((await opLogin.json()) as { access_token: string }).access_token;
  t.equal((await fetch(`${base}/health`, { headers: { authorization: `Bearer ${opToken}` } })).status, 401, 'an operator does not');
});

t.test('a startup failure names its stage and closes what had started', async (t) => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'vg-assembly-'));
  t.teardown(() => rmSync(dataDir, { recursive: true, force: true }));
  const config = loadConfig({ HOST: '127.0.0.1', PORT: '0', DATA_DIR: dataDir, LOG_LEVEL: 'silent', PIPELINE: 'echo' });
  const err = await assembleGateway(config, { log: createLogger('silent'), env: { ...CONTROL_ENV, MODEM_AT_PORT: '/dev/null' } }).catch((e: unknown) => e);
  t.ok(err instanceof StartupError, String(err));
  t.equal((err as StartupError).stage, 'modem');
  t.match((err as Error).message, /MODEM_AUDIO_PORT/);
  // The database was closed again: a second start on the same data dir works.
  const app = await assembleGateway(config, { log: createLogger('silent'), env: CONTROL_ENV });
  t.equal(app.modem, null, 'no modem configured');
  await app.close();
});
