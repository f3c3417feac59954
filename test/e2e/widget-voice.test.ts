/**
 * The widget's voice button: a visitor's one-minute voice token (never the gateway-wide
 * VOICE_WS_TOKEN) opens one call on the voice WebSocket, from the visitor's origin only, and the
 * call speaks as the widget instance's persona whatever `start` asks for. Driven by the reference
 * client (gateway/ws/reference-client.ts), then by the widget itself in Chromium with a fake
 * microphone, against the secretary pipeline, whose greeting names the persona.
 */
import t from 'tap';
import { runCall } from '../../gateway/ws/reference-client.ts';
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
