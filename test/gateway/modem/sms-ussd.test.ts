/** SMS in both encodings, long messages, receive-and-delete, USSD with UCS2, over real ptys. */
import t, { type Test } from 'tap';
import { Sim7600Emulator } from '../../../gateway/modem/emulator/sim7600-emulator.ts';
import { Modem } from '../../../gateway/modem/modem.ts';
import { SmsService, type ReceivedSms } from '../../../gateway/modem/sms-service.ts';
import { until } from '../../helpers/until.ts';

async function rig(t: Test, autoReply?: (s: ReceivedSms) => Promise<string | null>, smsMode: 'pdu' | 'text' = 'pdu') {
  const emu = new Sim7600Emulator({ ussdReplies: { '*100#': 'Баланс: 123,45 руб.' } });
  const { atPath, audioPath } = await emu.start();
  const modem = new Modem({ atPath, audioPath, healthIntervalMs: 0, smsMode });
  modem.start();
  await modem.whenReady(10_000);
  const sms = new SmsService(modem, { autoReply, ussdTimeoutMs: 10_000 }); // a ceiling: the emulator answers after 300 ms
  t.teardown(async () => {
    await modem.stop();
    await emu.stop();
  });
  return { emu, sms, modem };
}

t.test('send: GSM-7, Cyrillic as UCS2, and a long text in concatenated parts', async (t) => {
  const { emu, sms } = await rig(t);
  t.equal((await sms.send('+79161234567', 'Hello from the gateway')).length, 1);
  t.equal((await sms.send('+79161234567', 'Здравствуйте, ваша запись подтверждена')).length, 1);
  const long = 'Ваш заказ готов. '.repeat(12);
  const refs = await sms.send('+79161234567', long);
  t.ok(refs.length >= 3, `${refs.length} parts`);
  t.equal(emu.sentSms[0].text, 'Hello from the gateway');
  t.equal(emu.sentSms[0].encoding, 'gsm7');
  t.equal(emu.sentSms[1].text, 'Здравствуйте, ваша запись подтверждена');
  t.equal(emu.sentSms[1].encoding, 'ucs2');
  t.equal(emu.sentSms.slice(2).map((s) => s.text).join(''), long, 'the parts carry the whole text');
  await t.rejects(sms.send('not-a-number', 'x'), /not a phone number/);
});

t.test('receive: +CMTI -> CMGR -> CMGD, long Cyrillic message reassembled, auto-reply hook', async (t) => {
  const { emu, sms } = await rig(t, async (m) => `Got: ${m.text.slice(0, 10)}`);
  const got: ReceivedSms[] = [];
  sms.on('sms', (m) => got.push(m));
  emu.deliverSms('+79035551122', 'Привет! Перезвоните мне, пожалуйста. '.repeat(5));
  await until('the message and the auto-reply', () => got.length === 1 && emu.sentSms.length === 1);
  t.equal(got.length, 1, 'one message, not one per part');
  t.equal(got[0].text, 'Привет! Перезвоните мне, пожалуйста. '.repeat(5));
  t.equal(got[0].from, '+79035551122');
  t.equal(emu.sms.size, 0, 'deleted from the SIM');
  t.equal(emu.sentSms[0]?.text, 'Got: Привет! Пе', 'auto-reply sent');
});

t.test('USSD balance check decoded from UCS2', async (t) => {
  const { sms } = await rig(t);
  t.equal(await sms.ussd('*100#'), 'Баланс: 123,45 руб.');
  await t.rejects(sms.ussd('abc'), /not a USSD code/);
});

t.test('text mode: short messages as text (UCS2 charset for Cyrillic), long ones through PDU mode', async (t) => {
  const { emu, sms } = await rig(t, undefined, 'text');
  t.equal(emu.settings.cmgf, 1, 'init selected text mode');
  await sms.send('+79161234567', 'Hello in text mode');
  t.match(emu.sentSms[0], { mode: 'text', to: '+79161234567', text: 'Hello in text mode', encoding: 'GSM' });
  await sms.send('+79161234567', 'Перезвоним через час');
  t.match(emu.sentSms[1], { mode: 'text', to: '+79161234567', text: 'Перезвоним через час', encoding: 'UCS2' });
  t.match(emu.sentSms[1].raw, /^[0-9A-F]+$/, 'the body went as UCS2 hex');
  const long = 'Ваш заказ готов. '.repeat(12);
  const refs = await sms.send('+79161234567', long);
  t.ok(refs.length >= 3, `${refs.length} concatenated parts`);
  t.ok(emu.sentSms.slice(2).every((m) => m.mode === 'pdu' && m.concat), 'sent as PDUs with a concatenation header');
  t.equal(emu.sentSms.slice(2).map((m) => m.text).join(''), long);
  t.equal(emu.settings.cmgf, 1, 'back in text mode');
  t.equal(emu.settings.cscs, 'GSM', 'character set restored');
});

t.test('text mode receive: Cyrillic read through UCS2, deleted; no auto-reply unless a hook is given', async (t) => {
  const { emu, sms } = await rig(t, undefined, 'text');
  const got: ReceivedSms[] = [];
  sms.on('sms', (m) => got.push(m));
  emu.deliverSms('+79035551122', 'Перезвоните, пожалуйста');
  await until('the message', () => got.length === 1);
  t.match(got[0], { from: '+79035551122', text: 'Перезвоните, пожалуйста' });
  t.equal(emu.sms.size, 0, 'deleted from the SIM (before it was handed on)');
  // An auto-reply would be queued on the modem ahead of a message sent after delivery: once that
  // one is out, none is coming.
  await sms.send('+79161234567', 'later');
  t.same(emu.sentSms.map((m) => m.text), ['later'], 'the auto-reply hook is off by default');
  t.equal(emu.settings.cscs, 'GSM', 'character set restored');
});
