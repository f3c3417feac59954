/**
 * The Telephony, Widgets, Usage and Legal views in Chromium against the real gateway, the modem
 * being the SIM7600 emulator on ptys: the modem's state, an SMS received and one sent, a USSD
 * answer, a call dialled and hung up, who is answered and when saved (the next ring obeys it) and
 * reset, the persona per caller number added, changed and removed;
 * a widget created (a bad origin refused in words), its snippet naming the stored id, then
 * disabled; usage charts from seeded records and a limit added; a consent withdrawn, a person's
 * data exported and erased after typing the contact. A viewer sees none of the edit controls, and
 * the API refuses their writes. axe runs on each view with its data, light and dark.
 */
import { readFileSync } from 'node:fs';
import t from 'tap';
import { Sim7600Emulator } from '../../gateway/modem/emulator/sim7600-emulator.ts';
import { until } from '../helpers/until.ts';
import { axeBothThemes, startAdminUi, type AdminUi } from './helpers/admin-browser.ts';
import type { Page } from 'playwright-core';

t.setTimeout(300_000);

/** A JSON call with the page's own session (the refresh cookie gives a token), as a crafted request would. */
function asPage(page: Page, method: string, path: string, body?: unknown): Promise<{ status: number }> {
  return page.evaluate(
    async ([method, path, body]) => {
      const r = await fetch('/admin/auth/refresh', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
      const { access_token } = (await r.json()) as { access_token: string };
      const res = await fetch(path, { method, headers: { 'content-type': 'application/json', authorization: `Bearer ${access_token}` }, body: body === undefined ? undefined : JSON.stringify(body) });
      return { status: res.status };
    },
    [method, path, body] as const,
  );
}

let emu: Sim7600Emulator;
let ui: AdminUi;
let adminToken: string;
t.before(async () => {
  emu = new Sim7600Emulator({ ringIntervalMs: 100, degradeAfterCycles: 0, dialAnswerDelayMs: 200 });
  const { atPath, audioPath } = await emu.start();
  ui = await startAdminUi({ controlEnv: { MODEM_AT_PORT: atPath, MODEM_AUDIO_PORT: audioPath, MODEM_AUTO_ANSWER_RINGS: '2' } });
  await ui.sg.app.modem!.modem.whenReady(10_000);
  await ui.user('ada', 'admin');
  await ui.user('vic', 'viewer');
  adminToken = await ui.sg.userToken('setup', 'admin');
});
t.teardown(async () => {
  await ui?.close();
  await emu?.stop();
});

t.test('channels, usage and legal as an admin; a viewer without edit controls', async (t) => {
  const repos = ui.sg.controlPlane.repos;
  const persona = async (name: string) => (await ui.sg.call('POST', '/admin/personas', adminToken, { name, system_prompt: `You are the ${name}.` })).body as { id: number };
  const front = await persona('Front desk');
  const night = await persona('Night shift');
  const ctx = await ui.context();
  const page = await ctx.newPage();
  await ui.signIn(page, 'ada');

  // Telephony: the emulated modem's state.
  await page.goto('/telephony');
  const modem = page.getByTestId('modem-status');
  await modem.getByText('the modem answers').waitFor();
  t.match(await modem.textContent(), /registered \(MegaFon\).*-67 dBm \(excellent\).*ready.*\+79001234567/, 'network, signal in words, SIM and own number');

  // An SMS the modem receives appears in the log (the view refreshes while open).
  emu.deliverSms('+79161112233', 'Please call me back tomorrow');
  await page.getByRole('cell', { name: 'Please call me back tomorrow' }).waitFor();

  // One sent from the view reaches the modem and is logged as sent.
  const sms = page.getByRole('form', { name: 'Send an SMS' });
  await sms.getByLabel('Phone number').fill('+79160000001');
  await sms.getByLabel('Text').fill('Your table is booked for 7 pm.');
  await sms.getByRole('button', { name: 'Send' }).click();
  await page.getByText('SMS sent to +79160000001.').waitFor();
  await page.getByRole('cell', { name: 'Your table is booked for 7 pm.' }).waitFor();
  t.match(emu.sentSms.at(-1), { to: '+79160000001', text: 'Your table is booked for 7 pm.' }, 'the modem sent it');

  // USSD: the network's answer, decoded.
  const ussd = page.getByRole('form', { name: 'USSD' });
  await ussd.getByLabel('USSD code').fill('*100#');
  await ussd.getByRole('button', { name: 'Send' }).click();
  t.match(await page.getByTestId('ussd-answer').textContent(), /The network answered: Баланс: 123,45 р\. Запрос \*100#/);

  // A bad number is refused by the API, in words.
  const dial = page.getByRole('form', { name: 'Call a number' });
  await dial.getByLabel('Phone number').fill('call me');
  await dial.getByRole('button', { name: 'Dial' }).click();
  t.match(await page.getByRole('alert').textContent(), /digits/, 'the refusal names the problem');

  // Dial: the call shows in progress, and hanging up ends it on the modem.
  await dial.getByLabel('Phone number').fill('+79165550000');
  await dial.getByRole('button', { name: 'Dial' }).click();
  await page.getByText('Dialling +79165550000.').waitFor();
  await page.getByTestId('modem-calls').getByText(/to \+79165550000/).waitFor();
  t.equal(emu.call?.number, '+79165550000', 'the modem dialled the number');
  await page.getByRole('button', { name: 'Hang up: +79165550000' }).click();
  await page.getByTestId('modem-calls').getByText('none').waitFor();
  await until('the modem hung up', () => emu.call === null);

  // The persona per caller number: added, changed through the same form, removed.
  const pf = page.getByRole('form', { name: 'Set the persona for a number' });
  await pf.getByLabel('Phone number').fill('+79035551234');
  await pf.getByLabel('Persona').selectOption({ label: 'Front desk' });
  await pf.getByRole('button', { name: 'Save' }).click();
  await page.getByRole('row', { name: /\+79035551234 Front desk/ }).waitFor();
  t.match(await repos.modemPersonas.list(), [{ number: '+79035551234', persona_id: front.id }], 'stored');
  await page.getByRole('button', { name: 'Edit: +79035551234' }).click();
  t.equal(await pf.getByLabel('Phone number').inputValue(), '+79035551234', 'the form holds the number');
  await pf.getByLabel('Persona').selectOption({ label: 'Night shift' });
  await pf.getByRole('button', { name: 'Save' }).click();
  await page.getByRole('row', { name: /\+79035551234 Night shift/ }).waitFor();
  t.match(await repos.modemPersonas.list(), [{ number: '+79035551234', persona_id: night.id }], 'the same entry changed');

  // Who is answered and when: shown as the environment says; a bad time zone refused in words; saved
  // from the form, the next ring obeys it; back to the environment.
  await page.getByTestId('call-handling-source').getByText(/follow the environment/).waitFor();
  const hf = page.getByRole('form', { name: 'Change who is answered' });
  await until("the form to show the environment's choices", async () => (await hf.getByLabel('Answer after this many rings').inputValue()) === '2');
  await hf.getByLabel('Answer only in working hours').check();
  t.equal(await hf.getByLabel('Friday').isChecked(), true, 'a new working week is Monday to Friday');
  await hf.getByLabel('Friday').uncheck();
  await hf.getByLabel('From', { exact: true }).fill('09:00');
  await hf.getByLabel(/^Until/).fill('18:00');
  await hf.getByLabel(/^Time zone/).fill('Mars/Olympus');
  await hf.getByLabel(/^Never answer these numbers/).fill('+7 999 000-00-09\n+79990000008');
  await hf.getByRole('button', { name: 'Save' }).click();
  await page.getByText(/hours\.time_zone: an IANA time zone/).waitFor();
  t.equal(await repos.config.get('modem.call_handling'), undefined, 'nothing stored by the refusal');
  await hf.getByLabel(/^Time zone/).fill('Europe/Moscow');
  await hf.getByRole('button', { name: 'Save' }).click();
  await page.getByTestId('call-handling-source').getByText('Calls now follow the choices saved here.').waitFor();
  t.same(
    await repos.config.get('modem.call_handling'),
    { auto_answer_rings: 2, allow: [], block: ['+79990000009', '+79990000008'], hours: { days: [1, 2, 3, 4], start: '09:00', end: '18:00', time_zone: 'Europe/Moscow' }, anonymous: 'answer', refuse_with: 'hangup' },
    'stored as set in the form',
  );
  const calls = ui.sg.app.modem!.calls;
  const logged = calls.records.length;
  emu.ring('+79990000009');
  await until('the blocked call logged', () => calls.records.length === logged + 1);
  t.equal(calls.records[logged].reason, 'rejected_blocked', 'the next ring from a number blocked in the form is refused');
  await axeBothThemes(t, page, '/telephony with a modem');
  await page.getByRole('button', { name: 'Back to the environment' }).click();
  await page.getByText('Calls follow the environment again.').waitFor();
  await page.getByTestId('call-handling-source').getByText(/follow the environment/).waitFor();
  t.equal(await repos.config.get('modem.call_handling'), undefined, 'the setting removed');
  t.equal(await hf.getByLabel('Answer only in working hours').isChecked(), false, "the form shows the environment's choices again");
  page.once('dialog', (d) => void d.accept());
  await page.getByRole('button', { name: 'Delete: +79035551234' }).click();
  await page.getByText(/^No numbers listed/).waitFor();
  t.same(await repos.modemPersonas.list(), [], 'removed');

  // Widgets: a bad origin is refused in words; a good one is stored with its settings.
  await page.goto('/widgets');
  const wf = page.getByRole('form', { name: 'New widget' });
  await wf.getByLabel('Name').fill('Shop chat');
  await wf.getByLabel(/^Sites it may be embedded on/).fill('https://*.shop.example');
  await wf.getByLabel('Persona').selectOption({ label: 'Front desk' });
  await wf.getByLabel('Greeting').fill('Hi! Ask me about your order.');
  await wf.getByLabel('Button and visitor’s messages').fill('#aa3300');
  await wf.getByLabel('Corner').selectOption('bottom-left');
  await wf.getByLabel('Messages per minute per visitor').fill('5');
  await wf.getByRole('button', { name: 'Add' }).click();
  t.match(await page.getByRole('alert').textContent(), /wildcards/, 'the origin refusal is shown in words');
  await wf.getByLabel(/^Sites it may be embedded on/).fill('https://shop.example\nhttp://localhost:8080');
  await wf.getByRole('button', { name: 'Add' }).click();
  const snippet = page.getByTestId('widget-snippet');
  await snippet.waitFor();
  const [stored] = await repos.widgets.list();
  t.match(stored, { name: 'Shop chat', allowed_origins: ['https://shop.example', 'http://localhost:8080'], persona_id: front.id, greeting: 'Hi! Ask me about your order.', position: 'bottom-left', session_messages_per_min: 5, colors: { primary: '#aa3300' } }, 'stored as typed');
  t.equal(await snippet.getByLabel('Embedding snippet').inputValue(), `<script src="${ui.sg.base}/widget.js" data-widget="${stored.public_id}" async></script>`, 'the snippet names this gateway and the stored id');
  t.equal((await fetch(`${ui.sg.base}/widget.js`)).status, 200, 'and its script is served there');
  await page.getByTestId('widget-Shop chat').getByText(stored.public_id).waitFor();
  await axeBothThemes(t, page, '/widgets with a widget and its snippet');
  await page.getByRole('button', { name: 'Edit: Shop chat' }).click();
  const ef = page.getByRole('form', { name: 'Editing “Shop chat”' });
  t.equal(await ef.getByLabel(/^Sites it may be embedded on/).inputValue(), 'https://shop.example\nhttp://localhost:8080', 'the form holds the origins, one a line');
  await ef.getByLabel('Enabled').uncheck();
  await ef.getByRole('button', { name: 'Save' }).click();
  await page.getByTestId('widget-Shop chat').getByText('(disabled)').waitFor();
  t.equal((await repos.widgets.get(stored.id))?.enabled, false, 'disabled');

  // Usage: seeded records drawn as bars; a limit added through the form.
  const now = new Date().toISOString();
  const twoDaysAgo = new Date(Date.now() - 2 * 86_400_000).toISOString();
  await repos.usageLog.insertMany([
    { at: now, subject_type: 'user', subject_id: '1', kind: 'chat', source: 'faq', units: 1, tokens_in: 0, tokens_out: 0 },
    { at: now, subject_type: 'user', subject_id: '1', kind: 'chat', source: 'llm', units: 1, tokens_in: 120, tokens_out: 30 },
    { at: now, subject_type: 'api_key', subject_id: '7', kind: 'chat', source: 'llm', units: 1, tokens_in: 80, tokens_out: 20 },
    { at: twoDaysAgo, subject_type: 'api_key', subject_id: '7', kind: 'tts', source: null, units: 1, tokens_in: 0, tokens_out: 0 },
  ]);
  await page.goto('/usage');
  const requests = page.getByTestId('chart-requests');
  await requests.getByRole('row', { name: /chat · llm/ }).waitFor();
  await page.getByTestId('chart-tokens').getByRole('row', { name: /chat · llm/ }).waitFor();
  t.match(await requests.getByRole('row', { name: /chat · llm/ }).textContent(), /chat · llm\s*2$/, 'two LLM chat requests this week');
  t.match(await page.getByTestId('chart-tokens').getByRole('row', { name: /chat · llm/ }).textContent(), /250$/, 'their tokens, in and out');
  const days = page.getByTestId('chart-days').getByRole('row');
  await days.nth(6).waitFor();
  t.equal(await days.count(), 7, 'a bar per day of the week');
  t.match(await days.nth(6).textContent(), /3$/, 'today: three requests');
  t.match(await days.nth(4).textContent(), /1$/, 'two days ago: one');
  await page.getByLabel('Period').selectOption({ label: 'today' });
  await page.getByTestId('chart-days').getByRole('row').nth(1).waitFor({ state: 'detached' });
  t.equal(await page.getByTestId('chart-requests').getByRole('row', { name: /tts/ }).count(), 0, 'today has no TTS');
  const lf = page.getByRole('form', { name: 'New limit' });
  await lf.getByLabel('Name').fill('Chat per key');
  await lf.getByLabel('Applies to').selectOption('api_key');
  await lf.getByLabel('At most').fill('500');
  await lf.getByLabel(/^Per/).selectOption('hour');
  await lf.getByRole('button', { name: 'Add' }).click();
  await page.getByRole('cell', { name: '500 requests per hour' }).waitFor();
  t.match(await repos.usageLimits.list(), [{ name: 'Chat per key', subject_type: 'api_key', subject_id: null, kind: 'chat', metric: 'requests', period: 'hour', max_value: 500 }], 'the limit is stored');
  await axeBothThemes(t, page, '/usage with charts and a limit');

  // Legal: a person with a call, a message and a consent.
  const person = '+15550001111';
  const started = new Date().toISOString();
  await repos.calls.start({ id: 'call-gdpr-1', channel: 'modem', direction: 'inbound', caller_number: person, started_at: started });
  await repos.calls.end('call-gdpr-1', { status: 'completed', endReason: 'remote_hangup' });
  await repos.messages.insertOnce({ id: 'msg-gdpr-1', kind: 'message', caller_name: 'Gus', callback_number: person, callback_text: person, caller_id: person, reason: 'Delete my data', language: 'en', channel: 'modem', call_id: 'call-gdpr-1', session_id: null, created_at: started });
  await repos.consents.record({ subject: person, purpose: 'marketing', granted: true, source: 'call' });
  await page.goto('/legal');
  await page.getByRole('cell', { name: 'marketing', exact: true }).waitFor();
  page.once('dialog', (d) => void d.accept());
  await page.getByRole('button', { name: `Withdraw: ${person}, marketing` }).click();
  await page.getByText('Consent withdrawn.').waitFor();
  t.ok((await repos.consents.list({ subject: person }))[0].revoked_at, 'withdrawn');

  const rights = page.getByRole('form', { name: 'A person’s data' });
  await rights.getByLabel('Contact').fill(person);
  const [download] = await Promise.all([page.waitForEvent('download'), rights.getByRole('button', { name: 'Export (download)' }).click()]);
  t.equal(download.suggestedFilename(), 'subject-export.json');
  const exported = readFileSync((await download.path())!, 'utf8');
  t.match(exported, /call-gdpr-1/, 'the export holds their call');
  t.match(exported, /Delete my data/, 'and their message');

  await rights.getByRole('button', { name: 'Erase…' }).click();
  const erase = page.getByRole('form', { name: `Erase ${person}` });
  const go = erase.getByRole('button', { name: 'Erase everything' });
  t.equal(await go.isDisabled(), true, 'nothing is erased before the contact is typed again');
  await erase.getByLabel(`Type ${person} to confirm`).fill('+1555000111');
  t.equal(await go.isDisabled(), true, 'nor with a different one');
  await axeBothThemes(t, page, '/legal with the erase confirmation');
  await erase.getByLabel(`Type ${person} to confirm`).fill(person);
  await go.click();
  await page.getByTestId('erase-report').waitFor();
  t.match(await page.getByTestId('erase-report').textContent(), /Deleted.*calls 1/, 'the report says what went');
  t.equal(await repos.calls.get('call-gdpr-1'), undefined, 'their call is gone');
  t.same(await repos.consents.list({ subject: person }), [], 'and their consents');
  await ctx.close();

  // A viewer: reads the channel views, is offered no edit controls, and the API refuses them anyway.
  await repos.modemPersonas.set('+79035559999', front.id);
  const vctx = await ui.context();
  const vp = await vctx.newPage();
  await ui.signIn(vp, 'vic');
  await vp.goto('/telephony');
  await vp.getByTestId('modem-status').getByText('the modem answers').waitFor();
  await vp.getByRole('cell', { name: '+79035559999' }).waitFor();
  await vp.getByRole('cell', { name: 'Please call me back tomorrow' }).waitFor();
  t.match(await vp.getByTestId('call-handling-summary').textContent(), /Every day, all day/, 'who is answered, read-only');
  t.equal(await vp.getByRole('form').count(), 0, 'no dial, USSD, SMS, call handling or persona forms');
  t.equal(await vp.getByRole('button', { name: /^(Edit|Delete|Hang up)/ }).count(), 0, 'no edit buttons');
  await vp.goto('/widgets');
  await vp.getByRole('cell', { name: 'Shop chat (disabled)' }).waitFor();
  t.equal(await vp.getByRole('form').count(), 0, 'no widget form');
  t.equal(await vp.getByRole('button', { name: /^(Edit|Delete)/ }).count(), 0, 'no widget edits');
  await vp.getByRole('button', { name: 'Show snippet: Shop chat' }).click();
  await vp.getByTestId('widget-snippet').waitFor();
  await vp.goto('/usage');
  await vp.getByText('Usage needs the operator role.').waitFor();
  await vp.goto('/legal');
  await vp.getByText('Legal and GDPR requests need the admin role.').waitFor();
  t.equal((await asPage(vp, 'POST', '/admin/gsm/personas', { number: '+79030000000', persona_id: front.id })).status, 403, 'the API refuses a viewer’s persona change');
  t.equal((await asPage(vp, 'PUT', '/admin/config/modem.call_handling', { value: null })).status, 403, 'and a change of who is answered');
  t.equal((await asPage(vp, 'PATCH', `/admin/widgets/${stored.id}`, { enabled: true })).status, 403, 'and a widget change');
  t.equal((await asPage(vp, 'POST', '/admin/gsm/sms', { to: '+79160000001', text: 'x' })).status, 403, 'and an SMS');
  await vctx.close();
});
