/**
 * The admin UI for each role and for everyone: a viewer sees no edit controls (and the API still
 * refuses their writes), every built view and the login page pass axe-core (WCAG 2.1 A/AA) in
 * light and dark, the layout holds at 360 px with the navigation behind a menu button, and the
 * pages reached from lists (a call with its turns and latency waterfall, a message linked to it)
 * show what the API holds. Also: the dashboard's first paint after a reload, reported.
 *
 * One browser page does it all, moving between views as the app does (History API, no reload),
 * and checks each view's two palettes by switching the emulated OS theme (the app follows it), so
 * each view loads once and axe is injected once.
 */
import t from 'tap';
import type { Page } from 'playwright-core';
import { axeBothThemes, axeViolations, describeViolations, openInApp, startAdminUi, UI_PASSWORD } from './helpers/admin-browser.ts';

t.setTimeout(400_000);

/** Each view, its heading, and text that shows once its data is in (axe then sees the whole page). */
const VIEWS: Array<{ path: string; heading: string; ready?: RegExp }> = [
  { path: '/', heading: 'Dashboard', ready: /^Updated / },
  { path: '/calls', heading: 'Calls', ready: /^\+15551234567$/ },
  { path: '/calls/call-ui-1', heading: 'Call call-ui-1', ready: /Thank you John, and your number/ },
  { path: '/faq', heading: 'FAQ', ready: /^On Main Street\.$/ },
  { path: '/messages', heading: 'Messages', ready: /^Call me back about my order$/ },
  { path: '/messages/msg-ui-1', heading: 'John Smith' },
  { path: '/chat', heading: 'Chat playground' },
  { path: '/call', heading: 'Call the secretary', ready: /^Not in a call\.$/ },
  { path: '/telegram-bots', heading: 'Telegram bots', ready: /^No bots yet/ },
  { path: '/personas', heading: 'Personas', ready: /^Front desk$/ },
  { path: '/providers', heading: 'LLM providers', ready: /^Cloud LLM$/ },
  { path: '/audit', heading: 'Audit log', ready: /^personas\.create$/ },
  { path: '/users', heading: 'Users and roles', ready: /^vic$/ },
  { path: '/api-keys', heading: 'API keys', ready: /^Nightly export$/ },
  { path: '/telephony', heading: 'Telephony', ready: /^No GSM modem is attached to this gateway\./ },
  { path: '/widgets', heading: 'Widgets', ready: /^No widgets yet\.$/ },
  { path: '/usage', heading: 'Usage and limits', ready: /^No limits:/ },
  { path: '/legal', heading: 'Legal \/ GDPR', ready: /^No consents recorded\.$/ },
  { path: '/tts', heading: 'TTS', ready: /^Showing \d+ of \d+ voices\.$/ },
  { path: '/stt', heading: 'STT', ready: /^pocketsphinx$/ },
  { path: '/models', heading: 'Models', ready: /^Kind and languages$/ },
  { path: '/settings', heading: 'Settings', ready: /^Lowest match score/ },
  { path: '/about', heading: 'About', ready: /^Node\.js$/ },
  { path: '/no-such-page', heading: 'Page not found' },
];

const describe = describeViolations;
const open = openInApp;

/** The login form on the page as it is (the login page is showing); the app then shows the page's path. */
async function signInHere(page: Page, username: string): Promise<void> {
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(UI_PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('button', { name: 'Sign out' }).waitFor();
}

t.test('roles, accessibility, small screens, detail pages', async (t) => {
  const ui = await startAdminUi();
  t.teardown(ui.close);
  const repos = ui.sg.controlPlane.repos;
  await ui.user('ada', 'admin');
  await ui.user('vic', 'viewer');
  // Now, not a minute ago: "calls today" counts from local midnight, which a minute ago may precede.
  const started = new Date().toISOString();
  const seededOn = new Date().toDateString();
  await repos.calls.start({ id: 'call-ui-1', channel: 'ws', direction: 'inbound', caller_number: '+15551234567', started_at: started });
  await repos.calls.addTurn({ call_id: 'call-ui-1', turn_index: 0, user_text: 'I want to leave a message', assistant_text: 'Of course. What is your name?', started_at: started, endpoint_ms: 180, stt_final_ms: 240, llm_ttft_ms: 90, tts_ttfa_ms: 120, v2v_ms: 610 });
  await repos.calls.addTurn({ call_id: 'call-ui-1', turn_index: 1, user_text: 'John Smith', assistant_text: 'Thank you John, and your number', interrupted: true, started_at: started, v2v_ms: 700, barge_in_ms: 85 });
  await repos.calls.end('call-ui-1', { status: 'completed', endReason: 'caller_hung_up' });
  await repos.messages.insertOnce({ id: 'msg-ui-1', kind: 'message', caller_name: 'John Smith', callback_number: '+15551234567', callback_text: '555 123 4567', caller_id: '+15551234567', reason: 'Call me back about my order', language: 'en', channel: 'ws', call_id: 'call-ui-1', session_id: null, created_at: new Date().toISOString() });
  await repos.faq.create({ question: 'Where are you?', answer: 'On Main Street.' });

  // One page for everything. First the login page, before anyone signs in, in both themes.
  const ctx = await ui.context();
  const page = await ctx.newPage();
  await page.goto('/');
  await page.getByRole('heading', { name: 'Sign in' }).waitFor();
  await axeBothThemes(t, page, 'login page');
  await signInHere(page, 'ada');

  // Personas and providers through their forms, as an admin (the views below then show them).
  {
    await open(page, '/personas');
    const pf = page.getByRole('form', { name: 'New persona' });
    await pf.getByLabel('Name').fill('Front desk');
    await pf.getByLabel('Language').fill('en');
    await pf.getByLabel('Greeting').fill('Hello, Acme front desk.');
    await pf.getByLabel('System prompt').fill('You are the front desk of Acme.');
    await pf.getByRole('button', { name: 'Add' }).click();
    await page.getByRole('cell', { name: 'Hello, Acme front desk.' }).waitFor();
    await pf.getByLabel('Name').fill('Night shift');
    await pf.getByLabel('System prompt').fill('You answer at night.');
    await pf.getByRole('button', { name: 'Add' }).click();
    await page.getByRole('button', { name: 'Make default: Night shift' }).click();
    await page.getByRole('button', { name: 'Make default: Front desk' }).waitFor();
    const stored = await repos.personas.list();
    t.match(stored.find((p) => p.name === 'Front desk'), { is_default: false, greeting: 'Hello, Acme front desk.', language: 'en' }, 'the persona is stored');
    t.match(stored.find((p) => p.name === 'Night shift'), { is_default: true }, 'and the other made the default');

    await open(page, '/providers');
    const f = page.getByRole('form', { name: 'New provider' });
    await f.getByLabel('Name').fill('Cloud LLM');
    await f.getByLabel('Model').fill('small-model');
    await f.getByLabel('Base URL').fill('http://127.0.0.1:9/v1');
    await f.getByLabel(/^API key/).fill('sk-test-secret-123');
    await f.getByRole('button', { name: 'Add' }).click();
    const refusal = page.getByRole('alert');
    await refusal.waitFor();
    t.match(await refusal.textContent(), /EGRESS_ALLOW/, 'the egress refusal is shown in words, naming the setting');
    await f.getByLabel('Base URL').fill('https://llm.example.com/v1');
    await f.getByRole('button', { name: 'Add' }).click();
    await page.getByRole('cell', { name: 'https://llm.example.com/v1' }).waitFor();
    await page.getByRole('cell', { name: 'stored' }).waitFor();
    const listed = await page.evaluate(async () => {
      const r = await fetch('/admin/auth/refresh', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
      const { access_token } = (await r.json()) as { access_token: string };
      return (await fetch('/admin/llm-providers', { headers: { authorization: `Bearer ${access_token}` } })).text();
    });
    t.notMatch(listed, /sk-test-secret-123/, 'the API key is never returned');

    // Users: a new operator; the last admin cannot demote themself (the API's refusal, in words).
    await open(page, '/users');
    const uf = page.getByRole('form', { name: 'New user' });
    await uf.getByLabel('Username').fill('otto');
    await uf.getByLabel('Password').fill('a long enough password');
    await uf.getByLabel('Role').selectOption('operator');
    await uf.getByRole('button', { name: 'Add' }).click();
    await page.getByRole('cell', { name: 'otto', exact: true }).waitFor();
    t.match(await repos.users.findByUsername('otto'), { role: 'operator', disabled: false });
    await page.getByLabel('Role of ada').selectOption('viewer');
    await page.getByRole('alert').waitFor();
    t.match(await page.getByRole('alert').textContent(), /admin/i, 'refusing to leave no admin is explained');
    t.match(await repos.users.findByUsername('ada'), { role: 'admin' });

    // API keys: the key is shown once, works on /v1, and stops working when revoked.
    await open(page, '/api-keys');
    const kf = page.getByRole('form', { name: 'New API key' });
    await kf.getByLabel('Name').fill('Nightly export');
    await kf.getByRole('button', { name: 'Add' }).click();
    const key = await page.getByTestId('new-key').inputValue();
    t.match(key, /^vgk_[0-9a-f]+_/, 'the new key is shown');
    const models = () => fetch(`${ui.sg.base}/v1/models`, { headers: { authorization: `Bearer ${key}` } });
    t.equal((await models()).status, 200, 'and works');
    page.once('dialog', (d) => void d.accept());
    await page.getByRole('button', { name: 'Revoke: Nightly export' }).click();
    await page.getByRole('cell', { name: 'revoked' }).waitFor();
    t.equal((await models()).status, 401, 'revoked: refused at once');
  }

  // Every view as an admin, light (the OS theme through "system") and dark.
  for (const v of VIEWS) {
    await open(page, v.path);
    await page.getByRole('heading', { level: 1, name: v.heading }).waitFor();
    if (v.ready) await page.getByText(v.ready).first().waitFor();
    await axeBothThemes(t, page, v.path);
  }
  // What the detail pages show.
  {
    await open(page, '/calls/call-ui-1');
    await page.getByTestId('turn').nth(1).waitFor();
    t.equal(await page.getByTestId('turn').count(), 2);
    t.match(await page.getByTestId('turn').nth(0).textContent(), /I want to leave a message.*Of course\. What is your name\?/);
    t.match(await page.getByTestId('turn').nth(1).textContent(), /interrupted/, 'an interrupted turn says so');
    t.match(await page.getByRole('table', { name: 'Latency of turn 1' }).textContent(), /endpoint_ms.*180 ms.*v2v_ms.*610 ms/);
    await open(page, '/messages/msg-ui-1');
    await page.getByText('Call me back about my order').waitFor();
    await page.getByRole('link', { name: 'Open the call' }).click();
    await page.getByRole('heading', { level: 1, name: 'Call call-ui-1' }).waitFor();
    // Old notification links (/#/messages/<id>) still open the message.
    await page.goto('/#/messages/msg-ui-1');
    await page.getByText('Call me back about my order').waitFor();
    t.equal(new URL(page.url()).pathname, '/messages/msg-ui-1');
    // The dashboard's first paint after a reload (session from the cookie, view chunk, API calls).
    const t0 = performance.now();
    await page.goto('/');
    await page.getByTestId('calls-today').getByText(/^\d+$/).waitFor();
    t.comment(`dashboard first paint with data after a reload on loopback: ${Math.round(performance.now() - t0)} ms`);
    if (new Date().toDateString() === seededOn) t.equal(await page.getByTestId('calls-today').textContent(), '1', 'calls today counts the stored call');
    else t.comment('local midnight passed since the call was stored: it is yesterday\'s, calls today not checked');
    t.equal(await page.getByTestId('messages-waiting').textContent(), '1');
  }

  // 360 px: nothing overflows sideways; the navigation opens from the menu button, by keyboard too.
  await page.setViewportSize({ width: 360, height: 740 });
  for (const p of ['/', '/calls', '/calls/call-ui-1', '/faq', '/messages', '/chat', '/telephony', '/widgets', '/usage', '/legal']) {
    await open(page, p);
    await page.locator('main h1').waitFor();
    const width = await page.evaluate<number>('document.documentElement.scrollWidth');
    t.ok(width <= 360, `${p}: page width ${width} px fits 360 px`);
  }
  const nav = page.getByRole('navigation', { name: 'Main navigation' });
  t.equal(await nav.isVisible(), false, 'the navigation is folded away');
  const menu = page.getByRole('button', { name: 'Menu' });
  await menu.focus();
  await page.keyboard.press('Enter');
  await nav.waitFor();
  t.equal(await menu.getAttribute('aria-expanded'), 'true');
  await nav.getByRole('link', { name: 'Messages' }).click();
  await page.getByRole('heading', { level: 1, name: 'Messages' }).waitFor();
  t.equal(await nav.isVisible(), false, 'choosing a page folds it again');
  t.same(describe(await axeViolations(page)), [], 'messages at 360 px pass axe');
  await page.setViewportSize({ width: 1280, height: 800 });

  // A viewer: reads everything, is offered no edit controls, and the API refuses them anyway.
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByRole('heading', { name: 'Sign in' }).waitFor();
  await signInHere(page, 'vic');
  await open(page, '/faq');
  await page.getByRole('cell', { name: 'On Main Street.' }).waitFor();
  await page.getByText('Read-only: your role cannot change this.').waitFor();
  t.equal(await page.getByRole('button', { name: /^(Add|Edit|Delete)/ }).count(), 0, 'no add, edit or delete on the FAQ');
  t.equal(await page.getByRole('form', { name: 'New entry' }).count(), 0);
  await open(page, '/messages');
  await page.getByRole('cell', { name: 'Call me back about my order' }).waitFor();
  t.equal(await page.getByRole('button', { name: 'Mark handled' }).count(), 0, 'no status change on messages');
  await open(page, '/personas');
  await page.getByRole('cell', { name: 'Front desk', exact: true }).waitFor();
  t.equal(await page.getByRole('button', { name: /^(Edit|Delete|Make default)/ }).count(), 0, 'no persona changes');
  await open(page, '/providers');
  await page.getByText('The provider list needs the operator role.').waitFor();
  await open(page, '/audit');
  await page.getByText('The audit log needs the admin role.').waitFor();
  await open(page, '/users');
  await page.getByText('Users and roles need the admin role.').waitFor();
  t.equal(await page.getByRole('form', { name: 'New provider' }).count(), 0);
  await open(page, '/chat');
  await page.getByRole('heading', { level: 1, name: 'Chat playground' }).waitFor();
  t.equal(await page.getByRole('button', { name: 'New conversation' }).count(), 0, 'no new conversation');
  const refused = await page.evaluate(async () => {
    // The page's own session, used as a crafted request would: the cookie refresh gives a token.
    const r = await fetch('/admin/auth/refresh', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    const { access_token } = (await r.json()) as { access_token: string };
    const post = await fetch('/admin/faq', { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${access_token}` }, body: JSON.stringify({ question: 'q', answer: 'a' }) });
    return { status: post.status, body: await post.json() };
  });
  t.match(refused, { status: 403, body: { error: { code: 'forbidden' } } }, 'the API refuses a viewer’s write');
  t.same(describe(await axeViolations(page)), [], 'the viewer’s chat view passes axe');
  await ctx.close();
});
