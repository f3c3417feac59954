/**
 * `npm run ui:screenshots`: the admin UI in Chromium over every built view, light and dark, with
 * sample data (a call with turns, a message, FAQ entries, a persona, a provider, an API key, a backup,
 * a TTS preset, a changed setting, the SIM7600 emulator as the modem with an SMS and a persona per
 * number, a widget, usage records and a limit, a consent), written as PNGs into docs/ui/ (shown in
 * docs/ui.md). Prints a JSON summary: each file and its size, and the time from navigation to each
 * view's content (a loopback figure, not a guarantee).
 */
import { mkdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { Sim7600Emulator } from '../gateway/modem/emulator/sim7600-emulator.ts';
import { startAdminUi } from '../test/e2e/helpers/admin-browser.ts';

const OUT = fileURLToPath(new URL('../docs/ui/', import.meta.url));

/** `at`: a heading further down the view that the shot starts at (the view scrolled to it). */
const VIEWS: Array<{ name: string; path: string; ready: string | RegExp; at?: string }> = [
  // First: every page load after it adds audit rows (sign-in refreshes), which would push the seeded
  // personas.create off the view's first page of 50 in the dark pass.
  { name: 'audit', path: '/audit', ready: 'personas.create' },
  { name: 'dashboard', path: '/', ready: /^Updated / },
  { name: 'calls', path: '/calls', ready: '+15551234567' },
  { name: 'call', path: '/calls/demo-call-1', ready: /Thank you, John/ },
  { name: 'messages', path: '/messages', ready: 'Please call me back about my order' },
  { name: 'message', path: '/messages/demo-msg-1', ready: 'Please call me back about my order' },
  { name: 'faq', path: '/faq', ready: 'What are your opening hours?' },
  { name: 'chat', path: '/chat', ready: /^Start a conversation/ },
  { name: 'personas', path: '/personas', ready: 'Hello, Acme front desk, how can I help?' },
  { name: 'providers', path: '/providers', ready: 'https://llm.example.com/v1' },
  { name: 'users', path: '/users', ready: 'olga' },
  { name: 'api-keys', path: '/api-keys', ready: 'Nightly export' },
  { name: 'backups', path: '/backups', ready: /^backup-.*\.zip$/ },
  { name: 'softphone', path: '/call', ready: /^A voice call from this browser/ },
  { name: 'telephony', path: '/telephony', ready: 'Can you call me back after six?' },
  { name: 'telephony-answering', path: '/telephony', ready: 'Calls now follow the choices saved here.', at: 'Who is answered, and when' },
  { name: 'widgets', path: '/widgets', ready: 'https://shop.example' },
  { name: 'telegram', path: '/telegram-bots', ready: 'Acme desk bot' },
  { name: 'usage', path: '/usage', ready: '40 requests per minute' },
  { name: 'legal', path: '/legal', ready: 'Said yes at the start of the call' },
  { name: 'tts', path: '/tts', ready: /^Showing \d+ of \d+ voices\.$/ },
  { name: 'stt', path: '/stt', ready: 'pocketsphinx' },
  { name: 'settings', path: '/settings', ready: /^Lowest match score/ },
  { name: 'models', path: '/models', ready: /^Kind and languages$/ },
  { name: 'about', path: '/about', ready: /^Node\.js$/ },
];

async function seed(ui: Awaited<ReturnType<typeof startAdminUi>>): Promise<void> {
  const repos = ui.sg.controlPlane.repos;
  await ui.user('owner', 'admin');
  await ui.user('olga', 'operator');
  const at = new Date(Date.now() - 15 * 60_000).toISOString();
  await repos.calls.start({ id: 'demo-call-1', channel: 'modem', direction: 'inbound', caller_number: '+15551234567', started_at: at });
  await repos.calls.addTurn({ call_id: 'demo-call-1', turn_index: 0, user_text: 'Hi, I would like to leave a message', assistant_text: 'Of course. What is your name?', answer_source: 'secretary', started_at: at, endpoint_ms: 210, stt_final_ms: 260, llm_ttft_ms: 40, tts_ttfa_ms: 130, v2v_ms: 640 });
  await repos.calls.addTurn({ call_id: 'demo-call-1', turn_index: 1, user_text: 'John Smith', assistant_text: 'Thank you, John. Which number should we call you back on?', answer_source: 'secretary', started_at: at, endpoint_ms: 190, stt_final_ms: 230, llm_ttft_ms: 35, tts_ttfa_ms: 120, v2v_ms: 590 });
  await repos.calls.addTurn({ call_id: 'demo-call-1', turn_index: 2, user_text: 'Please call me back about my order', assistant_text: 'Thank you. I will pass it on', answer_source: 'secretary', interrupted: true, started_at: at, endpoint_ms: 220, stt_final_ms: 280, v2v_ms: 700, barge_in_ms: 90 });
  await repos.calls.end('demo-call-1', { status: 'completed', endReason: 'caller_hung_up', summary: 'John Smith asked to be called back about his order.' });
  await repos.messages.insertOnce({ id: 'demo-msg-1', kind: 'message', caller_name: 'John Smith', callback_number: '+15551234567', callback_text: '555 123 4567', caller_id: '+15551234567', reason: 'Please call me back about my order', language: 'en', channel: 'modem', call_id: 'demo-call-1', session_id: null, created_at: new Date().toISOString() });
  await repos.faq.create({ question: 'What are your opening hours?', answer: 'We are open from nine to five, Monday to Friday.', keywords: ['hours', 'open'] });
  await repos.faq.create({ question: 'Where are you?', answer: 'At 12 Main Street, next to the station.', keywords: ['address', 'where'] });
  const token = await ui.sg.userToken('script', 'admin');
  // Before the rest: the audit view's first page must still reach back to personas.create.
  await ui.sg.call('PUT', '/admin/config/modem.call_handling', token, { value: { auto_answer_rings: 2, block: ['+15550009999'], hours: { days: [1, 2, 3, 4, 5], start: '09:00', end: '18:00', time_zone: 'Europe/London' } } });
  const persona = (await ui.sg.call('POST', '/admin/personas', token, { name: 'Front desk', language: 'en', greeting: 'Hello, Acme front desk, how can I help?', system_prompt: 'You are the front desk of Acme.' })).body as { id: number };
  await ui.sg.call('POST', '/admin/llm-providers', token, { name: 'Cloud LLM', base_url: 'https://llm.example.com/v1', model: 'small-model', api_key: 'sk-demo', priority: 10 });
  await ui.sg.call('POST', '/admin/api-keys', token, { name: 'Nightly export' });
  await ui.sg.call('POST', '/admin/backups', token);
  await ui.sg.call('POST', '/admin/gsm/personas', token, { number: '+15557654321', persona_id: persona.id });
  emu.deliverSms('+15551234567', 'Can you call me back after six?');
  // Switched off: a started bot would try to reach Telegram, which the script never does.
  await ui.sg.call('POST', '/admin/telegram/bots', token, { name: 'Acme desk bot', token: '1234567:' + 'A'.repeat(35), enabled: false, persona_id: persona.id });
  await ui.sg.call('POST', '/admin/widgets', token, { name: 'Shop chat', allowed_origins: ['https://shop.example'], persona_id: persona.id, greeting: 'Hi! Ask me about your order.' });
  const day = 86_400_000;
  await repos.usageLog.insertMany(
    Array.from({ length: 40 }, (_, i) => ({
      at: new Date(Date.now() - (i % 5) * day).toISOString(),
      subject_type: i % 3 ? ('api_key' as const) : ('user' as const),
      subject_id: '1',
      kind: i % 4 ? 'chat' : 'tts',
      source: i % 4 ? (i % 2 ? 'faq' : 'llm') : null,
      units: 1,
      tokens_in: i % 4 && !(i % 2) ? 120 : 0,
      tokens_out: i % 4 && !(i % 2) ? 40 : 0,
    })),
  );
  await ui.sg.call('POST', '/admin/usage/limits', token, { name: 'Chat per key', subject_type: 'api_key', kind: 'chat', metric: 'requests', period: 'minute', max_value: 40 });
  await ui.sg.call('POST', '/admin/legal/consents', token, { subject: '+15551234567', purpose: 'call_recording', granted: true, source: 'call', evidence: 'Said yes at the start of the call' });
  await ui.sg.call('POST', '/admin/tts/presets', token, { name: 'Front desk voice', engine: 'espeak-ng', voice: 'en-us', language: 'en', speed: 1.1 });
  await ui.sg.call('PUT', '/admin/config/company.name', token, { value: 'Acme Plumbing' });
}

async function shoot(page: Page, file: string): Promise<{ file: string; bytes: number }> {
  const p = path.join(OUT, file);
  await page.screenshot({ path: p, fullPage: false });
  return { file: `docs/ui/${file}`, bytes: statSync(p).size };
}

// A modem for the Telephony view: the emulator on ptys (socat), as the tests use it; the secretary
// pipeline: its speech engines are what the TTS and STT views' engine choice shows.
const emu = new Sim7600Emulator({ degradeAfterCycles: 0 });
const ports = await emu.start();
const ui = await startAdminUi({ env: { PIPELINE: 'secretary' }, controlEnv: { MODEM_AT_PORT: ports.atPath, MODEM_AUDIO_PORT: ports.audioPath } });
await ui.sg.app.modem!.modem.whenReady(10_000);
const files: Array<{ file: string; bytes: number }> = [];
const readyMs: Record<string, number> = {};
try {
  mkdirSync(OUT, { recursive: true });
  await seed(ui);
  for (const colorScheme of ['light', 'dark'] as const) {
    const ctx = await ui.context({ colorScheme, width: 1100, height: 720 });
    const page = await ctx.newPage();
    await page.goto('/');
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    files.push(await shoot(page, `login-${colorScheme}.png`));
    await ui.signIn(page, 'owner');
    for (const v of VIEWS) {
      const t0 = performance.now();
      await page.goto(v.path);
      await page.getByText(v.ready).first().waitFor();
      if (v.at) await page.getByRole('heading', { name: v.at }).evaluate((h) => h.scrollIntoView({ block: 'start' }));
      if (colorScheme === 'light') readyMs[v.name] = Math.round(performance.now() - t0);
      files.push(await shoot(page, `${v.name}-${colorScheme}.png`));
    }
    await ctx.close();
  }
  const small = await ui.context({ width: 360, height: 740 });
  const phone = await small.newPage();
  await ui.signIn(phone, 'owner');
  files.push(await shoot(phone, 'dashboard-360px.png'));
  await phone.getByRole('button', { name: 'Menu' }).click();
  files.push(await shoot(phone, 'menu-360px.png'));
  await small.close();
} finally {
  await ui.close();
  await emu.stop();
}
process.stdout.write(`${JSON.stringify({ bench: 'ui-screenshots', files, total_bytes: files.reduce((a, f) => a + f.bytes, 0), view_ready_ms: readyMs }, null, 2)}\n`);
