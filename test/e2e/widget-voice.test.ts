/**
 * The widget's voice button: a visitor's one-minute voice token (never the gateway-wide
 * VOICE_WS_TOKEN) opens one call on the voice WebSocket, from the visitor's origin only, and the
 * call speaks as the widget instance's persona whatever `start` asks for. Driven by the reference
 * client (gateway/ws/reference-client.ts), then by the widget itself in Chromium with a fake
 * microphone, against the secretary pipeline, whose greeting names the persona.
 */
import t from 'tap';
import { runCall } from '../../gateway/ws/reference-client.ts';
import { until } from '../helpers/until.ts';
import { TestClient } from '../helpers/ws-client.ts';
import { TestVisitor } from '../control/helpers/widget-visitor.ts';
import { startSecretaryGateway, type SecretaryGateway } from './helpers/secretary-gateway.ts';
import { hasChromium, launchChromium, serveHostPage, widgetSnippet } from './helpers/widget-page.ts';

declare const document: any;

const SHOP = 'https://shop.example';
let gw: SecretaryGateway;
t.before(async () => {
  gw = await startSecretaryGateway();
});
t.teardown(() => gw.stop());

t.test('a voice token opens one call from its origin, as the widget persona', async (t) => {
  const op = await gw.userToken('owner', 'operator');
  await gw.call('POST', '/admin/personas', op, { name: 'Front desk', system_prompt: 'p', greeting: 'Good day, front desk speaking.', language: 'en' });
  const persona = (await gw.call('POST', '/admin/personas', op, { name: 'Shop voice', system_prompt: 'p', greeting: 'Hello, this is the shop assistant.', language: 'en' })).body;
  const silent = (await gw.call('POST', '/admin/widgets', op, { name: 'No voice', allowed_origins: [SHOP] })).body;
  const w = (await gw.call('POST', '/admin/widgets', op, { name: 'Shop', allowed_origins: [SHOP], persona_id: persona.id, voice_enabled: true })).body;

  const quiet = new TestVisitor(gw.base, silent.public_id, SHOP);
  await quiet.start();
  const refused = await quiet.call('POST', '/voice-token', {});
  t.equal(refused.status, 403);
  t.equal(refused.body.error.code, 'voice_disabled', 'no voice button, no voice token');

  const v = new TestVisitor(gw.base, w.public_id, SHOP);
  await v.start();
  const issued = await v.call('POST', '/voice-token', {});
  t.equal(issued.status, 201);
  t.match(issued.body, { token: String, expires_at: String });
  t.not(issued.body.token, gw.token);

  const call = (token: string, origin?: string) => runCall({ url: gw.url, token, codec: 'pcm16', tailMs: 4000, maxMs: 20_000, origin });
  await t.rejects(call(issued.body.token, 'https://evil.example'), /HTTP 401/, 'not from another origin');
  await t.rejects(call(issued.body.token), /HTTP 401/, 'nor without one');
  const r = await call(issued.body.token, SHOP);
  t.ok(r.call_id, 'the call started');
  t.match(r.reply_text, /shop assistant/, 'greeted as the widget’s persona, not the default');
  await t.rejects(call(issued.body.token, SHOP), /HTTP 401/, 'one token, one call');
  await t.rejects(call(v.token!, SHOP), /HTTP 401/, 'a chat token is not a voice token');
  const normal = await call(gw.token);
  t.match(normal.reply_text, /front desk/, 'the gateway token still works, with the default persona');
});

t.test('one widget has at most WIDGET_VOICE_CALLS (3) calls open; its visitors cannot type into a call', async (t) => {
  const op = await gw.userToken('owner3', 'operator');
  const w = (await gw.call('POST', '/admin/widgets', op, { name: 'Busy shop', allowed_origins: [SHOP], voice_enabled: true })).body;
  const lines = () => gw.controlPlane.widgets.voiceCallsOf(w.id);
  const token = async () => {
    const v = new TestVisitor(gw.base, w.public_id, SHOP);
    await v.start();
    return v.call('POST', '/voice-token', {});
  };
  const open: TestClient[] = [];
  t.teardown(() => open.forEach((c) => c.ws.terminate()));
  const dial = async (voiceToken: string) => {
    const c = new TestClient(gw.url, voiceToken, { origin: SHOP });
    open.push(c);
    await c.start();
    return c;
  };
  const a = await dial((await token()).body.token);
  await dial((await token()).body.token);
  const third = (await token()).body.token;
  const late = (await token()).body.token; // issued while a line was still free
  await dial(third);
  t.equal(lines(), 3);

  const refused = await token();
  t.equal(refused.status, 503, 'a fourth token is refused while the three lines are open');
  t.equal(refused.body.error.code, 'voice_busy');
  t.equal(refused.headers.get('retry-after'), '30');
  await t.rejects(new TestClient(gw.url, late, { origin: SHOP }).opened, /HTTP 503/, 'a token issued before the lines filled is refused at the upgrade');

  a.sendJson({ type: 'text', text: 'x'.repeat(3000) });
  const err = await a.waitForEvent('error');
  t.equal(err.code, 'not_allowed', 'typed text in a visitor’s call is refused: typing goes through the chat and its limits');
  t.equal(a.ws.readyState, a.ws.OPEN, 'the call goes on');

  a.ws.close();
  await until('a line given back when its call ends', () => lines() === 2);
  await dial(late);
  t.pass('the token refused while busy was not spent: it opens a call once a line is free');
  t.equal(lines(), 3);
  for (const c of open) c.ws.close();
  await until('every line given back', () => lines() === 0);
});

t.test('the widget’s voice button in Chromium: a hands-free call greets as the widget persona, and ends', { skip: hasChromium() ? false : 'no Chromium' }, async (t) => {
  const op = await gw.userToken('owner2', 'operator');
  const persona = (await gw.call('GET', '/admin/personas', op)).body.items.find((p: { name: string }) => p.name === 'Shop voice');
  let widgetId = '';
  const host = await serveHostPage((lang) => `<!doctype html><html lang="${lang}"><body><h1>Shop</h1>${widgetSnippet(gw.base, widgetId)}</body></html>`);
  const w = (await gw.call('POST', '/admin/widgets', op, { name: 'Shop page', allowed_origins: [host.origin], persona_id: persona.id, voice_enabled: true })).body;
  widgetId = w.public_id;
  const browser = await launchChromium(['--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream', '--autoplay-policy=no-user-gesture-required']);
  t.teardown(async () => {
    await browser.close();
    await host.close();
  });
  const context = await browser.newContext({ viewport: { width: 360, height: 740 } });
  await context.grantPermissions(['microphone'], { origin: host.origin });
  const page = await context.newPage();
  await page.goto(host.origin + '/');
  await page.getByRole('button', { name: 'Open chat' }).click();
  const start = page.getByRole('button', { name: 'Start a voice call' });
  await start.click();
  await page.getByText(/Hello, this is the shop assistant/).waitFor({ timeout: 30_000 });
  t.pass('the greeting of the widget’s persona, in the panel');
  const stop = page.getByRole('button', { name: 'End the voice call' });
  t.equal(await stop.getAttribute('aria-pressed'), 'true');
  await stop.click();
  await page.getByRole('button', { name: 'Start a voice call' }).waitFor();
  t.equal(await page.getByRole('alert').count(), 0, 'ended without an error');
  t.equal(await page.evaluate(() => document.querySelector('[data-voice-gateway-widget]').shadowRoot.querySelector('.voice').getAttribute('aria-pressed')), 'false');
});
