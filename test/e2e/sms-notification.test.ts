/**
 * SMS notifications through the real modem transport: the gateway as `npm start` assembles it,
 * attached to the SIM7600 emulator through MODEM_* variables; an SMS channel set up through the
 * admin API; a message taken; the owner's SMS leaves through the modem (AT+CMGS at the emulator)
 * and is kept in the SMS log, and the delivery says which message references the network gave.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import t from 'tap';
import { hashPassword } from '../../control/auth/password.ts';
import { assembleGateway } from '../../gateway/assemble.ts';
import { loadConfig } from '../../gateway/config.ts';
import { createLogger } from '../../gateway/logger.ts';
import { Sim7600Emulator } from '../../gateway/modem/emulator/sim7600-emulator.ts';
import { until } from '../helpers/until.ts';
import { ADMIN_PASSWORD, adminLogin } from './helpers/admin-client.ts';

t.test('a message is sent to the owner by SMS through the emulated modem', async (t) => {
  const emu = new Sim7600Emulator({ ringIntervalMs: 100 });
  const { atPath, audioPath } = await emu.start();
  const dataDir = mkdtempSync(path.join(tmpdir(), 'vg-sms-notify-'));
  const config = loadConfig({ HOST: '127.0.0.1', PORT: '0', DATA_DIR: dataDir, LOG_LEVEL: 'silent', SHUTDOWN_GRACE_MS: '1000', PIPELINE: 'echo' });
  const app = await assembleGateway(config, { log: createLogger('silent'), env: { PASSWORD_HASH_LN: '12', MODEM_AT_PORT: atPath, MODEM_AUDIO_PORT: audioPath } });
  t.teardown(async () => {
    await app.close();
    await emu.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });
  const port = await app.listen();
  await app.modem!.modem.whenReady(10_000);
  await app.controlPlane.repos.users.create({ username: 'owner', role: 'admin', password_hash: await hashPassword(ADMIN_PASSWORD, { ln: 12, r: 8, p: 1 }) });
  const admin = await adminLogin(`http://127.0.0.1:${port}`);
  t.equal((await admin.call('POST', '/admin/notifications/channels', { type: 'sms', name: 'Owner mobile', to: '+79160000001' })).status, 201);

  await app.controlPlane.messages.save({
    kind: 'human_requested',
    channel: 'widget',
    sessionId: 7,
    callerName: 'Анна',
    callbackNumber: '+7 916 555 12 34',
    reason: 'Хочет поговорить с менеджером о доставке заказа. '.repeat(10),
    language: 'ru',
    createdAt: new Date().toISOString(),
  });
  // Cyrillic goes as UCS-2, 67 characters a part: a concatenated SMS, cut to three parts, reassembled
  // as a phone would.
  const parts = await until('every part of the SMS at the emulator', () => {
    const total = emu.sentSms[0]?.concat?.total ?? 1;
    return emu.sentSms.length === total ? [...emu.sentSms].sort((a, b) => (a.concat?.seq ?? 1) - (b.concat?.seq ?? 1)) : null;
  });
  t.ok(parts.length === 3 && parts.every((p) => p.to === '+79160000001' && p.concat?.ref === parts[0]!.concat?.ref), `${parts.length} parts of one SMS to the owner`);
  const sms = { text: parts.map((p) => p.text).join('') };
  t.match(sms.text, /^Caller asks for a person from Анна, \+79165551234 \(website chat\): Хочет поговорить с менеджером о доставке[^]*\.\.\. \/#\/messages\/[0-9a-f-]{36}$/);
  const m = await until('the delivery marked sent', async () => {
    const items = (await admin.call('GET', '/admin/messages')).body.items;
    return items[0]?.deliveries[0]?.status === 'sent' ? items[0] : null;
  });
  t.match(m.deliveries[0], { channel_type: 'sms', attempts: 1, external_ref: /^sms:\d+/ });
  t.match((await admin.call('GET', '/admin/gsm/sms?direction=out')).body.items, [{ phone_number: '+79160000001', status: 'sent', body: sms.text }]);
});
