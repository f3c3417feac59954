/**
 * The admin UI in Chromium against a real gateway: sign in, add an FAQ entry and see the chat
 * playground answer with it (streamed), language and theme switched and remembered across a reload
 * (which also proves the session came back from the refresh cookie), the initial JS budget, a
 * call placed with `npm run call` seen live on the dashboard and then in Calls with its turn, and
 * sign out really ending the session (the refresh cookie no longer works).
 */
import { spawn } from 'node:child_process';
import t from 'tap';
import { axeViolations, startAdminUi, UI_TIMEOUT_MS } from './helpers/admin-browser.ts';

t.setTimeout(300_000);

t.test('admin UI: sign in, FAQ + chat, language and theme, sign out', async (t) => {
  const ui = await startAdminUi();
  t.teardown(ui.close);
  await ui.user('olga', 'operator');
  const ctx = await ui.context();
  const page = await ctx.newPage();
  const pageErrors: string[] = [];
  page.on('pageerror', (e) => pageErrors.push(e.message));
  page.on('console', (m) => {
    if (m.type() === 'error') pageErrors.push(m.text());
  });
  const js: Array<{ url: string; bytes: number }> = [];
  page.on('response', async (r) => {
    if (r.url().endsWith('.js') && r.request().resourceType() === 'script') js.push({ url: r.url(), bytes: Number((await r.allHeaders())['content-length'] ?? 0) });
  });

  let refreshCalls = 0;
  page.on('request', (r) => {
    if (new URL(r.url()).pathname === '/admin/auth/refresh') refreshCalls++;
  });
  const started = performance.now();
  await page.goto('/');
  await page.getByRole('heading', { name: 'Sign in' }).waitFor();
  t.equal(refreshCalls, 0, 'a browser with no session does not ask the refresh route (no audited 401 per page load)');
  const wrong = page.getByRole('alert');
  await page.getByLabel('Username').fill('olga');
  await page.getByLabel('Password').fill('not the password');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await wrong.waitFor();
  t.match(await wrong.textContent(), /wrong username or password/, 'the API error is shown in words');

  await page.getByLabel('Password').fill('a browser test password');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { level: 1, name: 'Dashboard' }).waitFor();
  t.comment(`login page to dashboard: ${Math.round(performance.now() - started)} ms`);
  t.equal(await page.evaluate('JSON.stringify(localStorage).includes("ey")'), false, 'no token in localStorage');
  t.equal(await page.evaluate('document.cookie'), 'vg_session=1', 'the refresh cookie is invisible to scripts (HttpOnly); only the hint is not');
  const cookies = await ctx.cookies();
  const refresh = cookies.find((c) => c.name === 'vg_refresh');
  t.ok(refresh, 'the browser holds the refresh cookie');
  t.match(refresh, { httpOnly: true, sameSite: 'Strict', path: '/admin/auth' });

  // Live figures arrive from the monitor stream.
  await page.getByText(/^Updated /).waitFor();
  t.match(await page.getByTestId('live-calls').textContent(), /^\d+$/);

  // `npm run call` (the reference client; with the echo pipeline a typed turn is a whole turn):
  // the dashboard counts the call while it lasts, without a reload, and not once it has ended.
  // A ceiling for a broken test, not a figure: the client is a fresh `node --import tsx`, which a
  // loaded 2-core machine can take most of a minute to start.
  const liveCalls = (n: string) => page.getByTestId('live-calls').getByText(n, { exact: true }).waitFor({ timeout: 180_000 });
  await liveCalls('0');
  const cli = ['--import', 'tsx', 'gateway/ws/reference-client-cli.ts', '--url', ui.sg.url, '--token', ui.sg.token, '--caller', '+15557654321', '--text', 'Is anyone there?'];
  // The caller stays on the line (silence) until hung up below; --max-ms is the ceiling if the test dies first.
  const caller = spawn(process.execPath, [...cli, '--tail-ms', '120000', '--max-ms', '150000', '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let said = '';
  caller.stdout.on('data', (d: Buffer) => (said += d.toString()));
  caller.stderr.on('data', (d: Buffer) => (said += d.toString()));
  const hungUp = new Promise<number | null>((resolve) => caller.once('exit', (code) => resolve(code)));
  t.teardown(() => void caller.kill());
  // A client that gives up early fails the test with its own words, not a timeout.
  await Promise.race([
    liveCalls('1'),
    hungUp.then((code) => {
      throw new Error(`npm run call ended (exit ${code}) before the dashboard counted its call: ${said}`);
    }),
  ]);
  t.pass('the call shows on the dashboard while it lasts');
  caller.kill('SIGTERM');
  await hungUp;
  await liveCalls('0');
  t.pass('and is gone from it once the caller hung up');
  await page.getByRole('link', { name: 'Calls', exact: true }).click();
  const row = page.getByRole('row', { name: /\+15557654321/ });
  await row.waitFor();
  await row.getByRole('link').click();
  await page.getByTestId('turn').first().waitFor();
  t.match(await page.getByTestId('turn').first().textContent(), /Is anyone there\?/, 'the call’s page shows its turn');

  // The initial JS: what the login page and shell needed before any view chunk (gzip sizes as served).
  const initial = js.filter((r) => /\/assets\/index-/.test(r.url));
  t.ok(initial.length >= 1, 'the entry chunk was loaded');
  t.comment(`initial JS over the wire: ${initial.map((r) => `${r.url.split('/').pop()} ${r.bytes} B`).join(', ')}`);

  // FAQ: add an entry through the form; it appears in the list and "test a question" finds it.
  await page.getByRole('link', { name: 'FAQ' }).click();
  await page.getByRole('heading', { level: 1, name: 'FAQ' }).waitFor();
  const entryForm = page.getByRole('form', { name: 'New entry' });
  await entryForm.getByLabel('Question').fill('What are your opening hours?');
  await entryForm.getByLabel('Answer').fill('We are open from nine to five, Monday to Friday.');
  await entryForm.getByLabel('Keywords (comma-separated)').fill('hours, open');
  await entryForm.getByRole('button', { name: 'Add' }).click();
  await page.getByRole('cell', { name: 'We are open from nine to five, Monday to Friday.' }).waitFor();
  const testForm = page.getByRole('form', { name: 'Test a question' });
  await testForm.getByLabel('Question').fill('what are your opening hours');
  await testForm.getByRole('button', { name: 'Test', exact: true }).click();
  await page.getByTestId('faq-match').waitFor();
  t.match(await page.getByTestId('faq-match').textContent(), /Matched #\d+ with score [\d.]+.*We are open from nine to five/, 'the live matcher finds the new entry');
  const stored = await ui.sg.call('GET', '/admin/faq', await ui.sg.userToken('faq-check', 'viewer'));
  t.match(stored.body.items, [{ question: 'What are your opening hours?', keywords: ['hours', 'open'] }], 'the entry is stored through the API');

  // A validation error from the API is shown in words.
  await entryForm.getByLabel('Question').fill('x');
  await entryForm.getByLabel('Answer').fill('   ');
  await entryForm.getByRole('button', { name: 'Add' }).click();
  await page.getByRole('alert').getByText(/answer/i).waitFor();

  // The chat playground answers the question from the FAQ, streamed into the log.
  await page.getByRole('link', { name: 'Chat playground' }).click();
  await page.getByRole('button', { name: 'New conversation' }).click();
  await page.getByLabel('Your message').fill('What are your opening hours?');
  await page.getByRole('button', { name: 'Send' }).click();
  await page.getByTestId('chat-log').getByText('We are open from nine to five, Monday to Friday.').waitFor();
  await page.getByText(/^Answered by faq/).waitFor();

  // Language: Russian everywhere, remembered across a reload (which restores the session from the cookie).
  await page.getByLabel('Language').selectOption('ru');
  await page.getByRole('heading', { level: 1, name: 'Тестовый чат' }).waitFor();
  t.equal(await page.evaluate('document.documentElement.lang'), 'ru');
  await page.getByLabel('Тема').selectOption('dark');
  t.equal(await page.evaluate('document.documentElement.dataset.theme'), 'dark');
  const bg = await page.evaluate('getComputedStyle(document.body).backgroundColor');
  t.equal(bg, 'rgb(18, 20, 24)', 'the dark palette applies');
  await page.reload();
  await page.getByRole('heading', { level: 1, name: 'Тестовый чат' }).waitFor();
  t.equal(await page.evaluate('document.documentElement.dataset.theme'), 'dark', 'the theme is remembered');
  t.match(await page.getByRole('navigation').first().textContent(), /Мониторинг.*Движки.*Каналы.*Бизнес.*Система/);
  t.same(await axeViolations(page), [], 'the chat view in Russian and dark theme passes axe');
  await page.getByLabel('Язык').selectOption('en');
  await page.getByLabel('Theme').selectOption('system');

  // Client-side routes load straight from the address bar (the gateway's SPA fallback).
  await page.goto('/faq');
  await page.getByRole('heading', { level: 1, name: 'FAQ' }).waitFor();

  // Two tabs opening at once both restore the session from the one cookie: their refreshes take
  // turns (Web Locks), so neither presents a token the other already used (which would end the session).
  // Each refresh is held until a second one arrives (or 2 s pass), so overlapping ones would show.
  let inFlight = 0;
  let maxInFlight = 0;
  let arrived: (() => void) | null = null;
  await ctx.route('**/admin/auth/refresh', async (route) => {
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    arrived?.();
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, 2000);
      arrived = () => {
        clearTimeout(timer);
        resolve();
      };
    });
    arrived = null;
    const response = await route.fetch();
    // Done before the page can have the answer: a tab waiting its turn may send its own refresh
    // as soon as this one is answered, before `fulfill` resolves here.
    inFlight--;
    await route.fulfill({ response });
  });
  const [tab1, tab2] = [await ctx.newPage(), await ctx.newPage()];
  await Promise.all([tab1.goto('/calls'), tab2.goto('/messages')]);
  await tab1.getByRole('heading', { level: 1, name: 'Calls' }).waitFor();
  await tab2.getByRole('heading', { level: 1, name: 'Messages' }).waitFor();
  t.equal(maxInFlight, 1, 'the two tabs never refreshed at the same time');
  await ctx.unroute('**/admin/auth/refresh');
  await page.reload();
  await page.getByRole('heading', { level: 1, name: 'FAQ' }).waitFor();
  await tab1.close();
  await tab2.close();

  // Sign out: the session ends on the server; the old refresh cookie no longer works.
  const lastCookie = (await ctx.cookies()).find((c) => c.name === 'vg_refresh')!.value;
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByRole('heading', { name: 'Sign in' }).waitFor();
  t.same((await ctx.cookies()).map((c) => c.name), [], 'both cookies are cleared');
  const replay = await fetch(`${ui.sg.base}/admin/auth/refresh`, { method: 'POST', headers: { 'content-type': 'application/json', cookie: `vg_refresh=${lastCookie}` }, body: '{}' });
  t.equal(replay.status, 401, 'the last refresh cookie from before the logout is refused');
  await page.reload();
  await page.getByRole('heading', { name: 'Sign in' }).waitFor({ timeout: UI_TIMEOUT_MS });

  t.same(pageErrors.filter((e) => !/401|Unauthorized|status of 4\d\d/.test(e)), [], 'no script errors in the page');
  await ctx.close();
});
