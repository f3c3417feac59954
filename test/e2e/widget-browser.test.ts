/**
 * The website widget in real Chromium (Debian's, driven by playwright-core) against a real gateway
 * on loopback. The host page comes from another origin than the gateway's: the gateway is
 * addressed as http://localhost:<gw>, the page as http://127.0.0.1:<page> (allowed) or
 * http://localhost:<page> (the same server under a name the widget does not allow). The page's
 * CSS is hostile on purpose (`* { color: red !important; font-size: 40px !important }`, `button {
 * display: none !important }`, and class names the widget uses), so leaks either way show.
 */
import t from 'tap';
import type { Browser, Page } from 'playwright-core';
import { until } from '../helpers/until.ts';
import { startSecretaryGateway, type SecretaryGateway } from './helpers/secretary-gateway.ts';
import { hasChromium, launchChromium, serveHostPage, widgetSnippet, type HostPage } from './helpers/widget-page.ts';

// Browser globals for the functions that run in the page (the repository's typecheck has no DOM lib).
declare const document: any, window: any, getComputedStyle: any, MutationObserver: any;
type ShadowRoot = any;

if (!hasChromium()) {
  t.plan(0, 'no Chromium');
  process.exit(0);
}

const HOSTILE_CSS = `
* { color: rgb(255, 0, 0) !important; font-size: 40px !important; }
button { display: none !important; }
.panel { position: absolute; border: 7px solid lime; }
.msg { padding: 33px; background: yellow; }
`;

let gw: SecretaryGateway;
let host: HostPage;
let pagePort: number;
let browser: Browser;
let widgetId: string;
let op: string;

t.before(async () => {
  gw = await startSecretaryGateway({ PIPELINE: 'echo' });
  host = await serveHostPage(
    (lang) => `<!doctype html><html lang="${lang}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<style>${HOSTILE_CSS}</style></head><body>
<p class="msg" id="page-text">The shop's own page</p><div class="panel" id="page-panel">page panel</div><button id="page-button">page button</button>
${widgetSnippet(gw.base, widgetId)}</body></html>`,
  );
  pagePort = host.port;
  op = await gw.userToken('owner', 'operator');
  await gw.call('POST', '/admin/faq', op, { question: 'What are your opening hours?', answer: 'We are open from nine to five. Details: https://example.com/hours.', keywords: ['hours', 'open'] });
  const w = await gw.call('POST', '/admin/widgets', op, { name: 'Shop', allowed_origins: [host.origin], greeting: 'Welcome to the test shop!' });
  if (w.status !== 201) throw new Error(`widget: ${w.status} ${w.text}`);
  widgetId = w.body.public_id;
  browser = await launchChromium();
});

t.teardown(async () => {
  await browser?.close();
  await host?.close();
  await gw?.stop();
});

/** The widget's shadow root, for what locators cannot say (focus, computed styles). */
const inWidget = <T>(page: Page, fn: (root: ShadowRoot) => T): Promise<T> =>
  page.evaluate(`(${fn.toString()})(document.querySelector('[data-voice-gateway-widget]').shadowRoot)`) as Promise<T>;

t.test('a visitor on an allowed page: FAQ answer streamed, a message left, history after a reload; no CSS crosses', async (t) => {
  const context = await browser.newContext({ viewport: { width: 360, height: 740 } });
  t.teardown(() => context.close());
  const page = await context.newPage();
  await page.goto(`http://127.0.0.1:${pagePort}/`);
  const launcher = page.getByRole('button', { name: 'Open chat' });
  await launcher.waitFor({ state: 'visible', timeout: 30_000 });

  // The page's CSS does not reach the widget...
  const look = await inWidget(page, (root) => {
    const l = root.querySelector('.launcher')!;
    const s = getComputedStyle(l);
    return { display: s.display, color: s.color, fontSize: getComputedStyle(root.querySelector('.root')!).fontSize, width: l.getBoundingClientRect().width };
  });
  t.equal(look.display, 'flex', 'button { display: none } does not hide the launcher');
  t.equal(look.color, 'rgb(255, 255, 255)', '* { color: red !important } does not colour it');
  t.equal(look.fontSize, '15px', 'nor size its text');
  t.equal(look.width, 56);
  // ...and the widget's does not reach the page.
  const pageLook = await page.evaluate(() => {
    const p = getComputedStyle(document.getElementById('page-text')!);
    const panel = getComputedStyle(document.getElementById('page-panel')!);
    return { padding: p.padding, panelPosition: panel.position, pageButton: getComputedStyle(document.getElementById('page-button')!).display };
  });
  t.same(pageLook, { padding: '33px', panelPosition: 'absolute', pageButton: 'none' }, 'the page keeps its own styles for .msg, .panel and button');

  // Keyboard: open, focus in the input, Enter sends.
  await launcher.focus();
  await page.keyboard.press('Enter');
  const dialog = page.getByRole('dialog', { name: 'Chat with us' });
  await dialog.waitFor({ state: 'visible' });
  t.equal(await inWidget(page, (root) => root.activeElement?.id), 'vgw-input', 'focus moves to the message box');
  await page.getByText('Welcome to the test shop!').waitFor();
  const box = page.getByRole('textbox', { name: 'Your message' });
  t.ok(((await dialog.boundingBox())?.width ?? 999) <= 360, 'the panel fits a 360 px screen');

  // Watch the reply arrive: the streamed text is shown as plain text first (deltas), then once
  // whole with its address made a link. Mutation records keep every text node added, whatever
  // the batching of the observer's callbacks on a loaded machine.
  await inWidget(page, (root) => {
    const w = window as unknown as { addedTexts: string[] };
    w.addedTexts = [];
    new MutationObserver((records: Array<{ addedNodes: ArrayLike<{ nodeType: number; data?: string }> }>) => {
      for (const r of records) for (const n of Array.from(r.addedNodes)) if (n.nodeType === 3) w.addedTexts.push(n.data ?? '');
    }).observe(root.querySelector('.log')!, { childList: true, subtree: true, characterData: true });
  });
  await box.fill('What are your opening hours?');
  await page.keyboard.press('Enter');
  await page.getByText(/We are open from nine to five/).waitFor({ timeout: 30_000 });
  const added = await page.evaluate(() => (window as unknown as { addedTexts: string[] }).addedTexts);
  t.ok(added.some((x) => x.includes('nine to five. Details: https://example.com/hours.')), 'the reply was shown as it streamed, as text');
  const link = page.getByRole('link', { name: 'https://example.com/hours' });
  t.equal(await link.getAttribute('href'), 'https://example.com/hours', 'the address is a link (its full stop left out)');
  t.equal(await link.getAttribute('rel'), 'noopener noreferrer');
  t.equal(await link.getAttribute('target'), '_blank');

  // Text only: markup typed by the visitor stays text.
  await box.fill('<b id="injected">bold</b> hello');
  await page.keyboard.press('Enter');
  await page.getByText('<b id="injected">bold</b> hello').waitFor();
  t.equal(await inWidget(page, (root) => root.querySelector('#injected')), null, 'no element made from the visitor’s text');
  await until('the send button enabled again', () => inWidget(page, (root) => !root.querySelector('.send')?.hasAttribute('disabled')));

  // Leave a message over several typed turns.
  const say = async (text: string, expect: RegExp) => {
    await box.fill(text);
    await page.keyboard.press('Enter');
    await page.getByText(expect).last().waitFor({ timeout: 30_000 });
    await until('the send button enabled again', () => inWidget(page, (root) => !root.querySelector('.send')?.hasAttribute('disabled')));
  };
  await say('I would like to leave a message', /May I have your name/);
  await say('Jane Doe', /number/i);
  await say('+49 151 1234 5678', /what is your message/i);
  await say('Please call me about my order', /Jane Doe/);
  await say('yes', /recorded/);
  const inbox = await until('the message in the inbox', async () => (await gw.call('GET', '/admin/messages', op)).body.items.find((m: { channel: string }) => m.channel === 'widget'));
  t.match(inbox, { caller_name: 'Jane Doe', callback_number: '+4915112345678', reason: 'Please call me about my order' }, 'the message is in /admin/messages, marked widget');

  // Escape closes and gives focus back to the launcher.
  await page.keyboard.press('Escape');
  await dialog.waitFor({ state: 'hidden' });
  t.equal(await inWidget(page, (root) => root.activeElement?.className), 'launcher');

  // A reload: the conversation is still there.
  await page.reload();
  await page.getByRole('button', { name: 'Open chat' }).click();
  await page.getByText(/We are open from nine to five/).waitFor({ timeout: 30_000 });
  await page.getByText('Please call me about my order', { exact: true }).waitFor();
  const bubbles = await inWidget(page, (root) => root.querySelectorAll('.msg').length);
  t.equal(bubbles, 1 + 2 * 7, 'the greeting and seven exchanges');
});

t.test('a page on an origin the widget does not allow: the panel says so', async (t) => {
  const context = await browser.newContext({ viewport: { width: 360, height: 740 } });
  t.teardown(() => context.close());
  const page = await context.newPage();
  await page.goto(`http://localhost:${pagePort}/`);
  await page.getByRole('button', { name: 'Open chat' }).click();
  await page.getByRole('alert').getByText('This chat is not available on this site.').waitFor({ timeout: 30_000 });
  t.pass('refusal shown in words');
  await page.getByRole('textbox', { name: 'Your message' }).fill('hello?');
  await page.keyboard.press('Enter');
  await until('a second refusal', async () => (await page.getByRole('alert').count()) >= 2);
  t.equal((await gw.call('GET', '/admin/chat/sessions?source=widget', op)).body.items.length, 1, 'no session was made for it');
});

t.test('a switched-off widget says so, in Russian on a Russian page', async (t) => {
  const w = (await gw.call('GET', '/admin/widgets', op)).body.items[0];
  t.equal((await gw.call('PATCH', `/admin/widgets/${w.id}`, op, { enabled: false })).status, 200);
  t.teardown(() => gw.call('PATCH', `/admin/widgets/${w.id}`, op, { enabled: true }));
  const context = await browser.newContext({ viewport: { width: 360, height: 740 } });
  t.teardown(() => context.close());
  const page = await context.newPage();
  await page.goto(`http://127.0.0.1:${pagePort}/?lang=ru`);
  await page.getByRole('button', { name: 'Открыть чат' }).click();
  await page.getByRole('alert').getByText('Чат сейчас отключён.').waitFor({ timeout: 30_000 });
  t.pass('refusal shown in Russian');
});
