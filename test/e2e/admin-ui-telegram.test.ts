/**
 * The Telegram bots view in Chromium against the real gateway, whose bots talk to the fake Bot API
 * (test/fakes/fake-telegram.ts through TELEGRAM_API_ROOT): add with a write-only token, the status
 * as it changes (running, stopped, an error in words with its error id), stop/start/restart, edit
 * keeping the token, the API's refusals shown in words, delete; a viewer reads only.
 */
import t from 'tap';
import type { Page } from 'playwright-core';
import { startFakeTelegram } from '../fakes/fake-telegram.ts';
import { until } from '../helpers/until.ts';
import { axeViolations, startAdminUi } from './helpers/admin-browser.ts';

t.setTimeout(240_000);

const TOKEN = '1001:' + 'A'.repeat(35);
/** Well formed, but the fake Bot API does not know it: answered 401. */
const REFUSED = '1003:' + 'C'.repeat(35);

const statusOf = (page: Page, name: string) => page.getByTestId(`bot-${name}`).getByTestId('bot-status');

t.test('add, watch, stop, start, restart, edit and delete bots; refusals and errors in words', async (t) => {
  const tg = await startFakeTelegram({ tokens: [TOKEN] });
  t.teardown(() => tg.close());
  const ui = await startAdminUi({
    controlEnv: { TELEGRAM_API_ROOT: tg.apiRoot, TELEGRAM_POLL_TIMEOUT_S: '2', TELEGRAM_BACKOFF_MIN_MS: '100', TELEGRAM_BACKOFF_MAX_MS: '400' },
  });
  t.teardown(ui.close);
  await ui.user('otto', 'operator');
  await ui.user('vic', 'viewer');
  const page = await (await ui.context()).newPage();
  const bodies: string[] = [];
  page.on('response', (r) => {
    if (new URL(r.url()).pathname.startsWith('/admin/telegram')) void r.text().then((b) => bodies.push(b), () => {});
  });
  await ui.signIn(page, 'otto');
  await page.getByRole('link', { name: 'Telegram bots' }).click();
  await page.getByRole('heading', { level: 1, name: 'Telegram bots' }).waitFor();
  await page.getByText(/^No bots yet/).waitFor();

  // A malformed token: the API's refusal, in its words.
  const form = page.locator('form[aria-labelledby="bot-form"]');
  await form.getByLabel('Name').fill('Front desk');
  await form.getByLabel('Bot token').fill('not-a-token');
  await form.getByRole('button', { name: 'Add' }).click();
  await page.getByRole('alert').getByText(/a bot token as @BotFather gives it/).waitFor();

  // Webhook mode without PUBLIC_BASE_URL: refused, saying what to do.
  await form.getByLabel('Bot token').fill(TOKEN);
  await form.getByLabel('Updates by').selectOption('webhook');
  await form.getByRole('button', { name: 'Add' }).click();
  await page.getByRole('alert').getByText(/webhook mode needs PUBLIC_BASE_URL/).waitFor();

  // Polling: it starts, and Telegram's name for it shows.
  await form.getByLabel('Updates by').selectOption('polling');
  await form.getByRole('button', { name: 'Add' }).click();
  await statusOf(page, 'Front desk').getByText('Running', { exact: true }).waitFor();
  await page.getByTestId('bot-Front desk').getByText('@fake1001_bot').waitFor();
  t.equal(await form.getByLabel('Bot token').inputValue(), '', 'the form is cleared after adding');

  // A user writes; the bot answers through the fake, and "last message" fills in.
  tg.userWrites(TOKEN, { chatId: 4242, text: 'Hello' });
  await until('the bot answered', () => tg.botMessages(TOKEN, 4242).length > 0, 30_000);

  await page.getByRole('button', { name: 'Stop: Front desk', exact: true }).click();
  await statusOf(page, 'Front desk').getByText('Stopped', { exact: true }).waitFor();
  await page.getByRole('button', { name: 'Start: Front desk', exact: true }).click();
  await statusOf(page, 'Front desk').getByText('Running', { exact: true }).waitFor();
  const polls = () => tg.requests.filter((r) => r.method === 'getUpdates').length;
  const before = polls();
  await page.getByRole('button', { name: 'Restart: Front desk', exact: true }).click();
  await statusOf(page, 'Front desk').getByText('Running', { exact: true }).waitFor();
  await until('it polls again after the restart', () => polls() > before, 30_000);

  // Edit: a new name, the token field left empty keeps the token (the bot keeps running).
  await page.getByRole('button', { name: 'Edit: Front desk', exact: true }).click();
  t.equal(await form.getByLabel('Bot token').inputValue(), '', 'the token is never shown');
  await form.getByLabel('Name').fill('Reception');
  await form.getByRole('button', { name: 'Save' }).click();
  await statusOf(page, 'Reception').getByText('Running', { exact: true }).waitFor();
  const [bot] = await ui.sg.controlPlane.repos.telegramBots.list();
  t.equal(bot.name, 'Reception');

  // A token Telegram refuses: the status is an error in words, with the id to find it in the log.
  await form.getByLabel('Name').fill('Old bot');
  await form.getByLabel('Bot token').fill(REFUSED);
  await form.getByRole('button', { name: 'Add' }).click();
  await statusOf(page, 'Old bot').getByText('Error', { exact: true }).waitFor();
  t.match(await statusOf(page, 'Old bot').textContent(), /refused the bot token \(401\).*error id [0-9a-f]{10}/);
  t.same(
    (await axeViolations(page)).map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join('; ')}`),
    [],
    'axe clean with bots listed',
  );

  page.once('dialog', (d) => void d.accept());
  await page.getByRole('button', { name: 'Delete: Old bot', exact: true }).click();
  await page.getByTestId('bot-Old bot').waitFor({ state: 'detached' });

  t.notOk(
    bodies.some((b) => b.includes(TOKEN) || b.includes(REFUSED)),
    'no API answer to the page carried a token',
  );

  // A viewer sees the bots and their status, and nothing to change them with.
  const viewerPage = await (await ui.context()).newPage();
  await ui.signIn(viewerPage, 'vic');
  await viewerPage.goto('/telegram-bots');
  await statusOf(viewerPage, 'Reception').getByText('Running', { exact: true }).waitFor();
  await viewerPage.getByText('Read-only: your role cannot change this.').waitFor();
  t.equal(await viewerPage.getByRole('button', { name: /Stop|Start|Restart|Edit|Delete/ }).count(), 0, 'no controls for a viewer');
});
