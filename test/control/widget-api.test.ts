/**
 * The website widget's admin CRUD and its public visitor API, on a real control plane on a real
 * socket (SQLite, and Postgres when TEST_DATABASE_URL is set): origins checked against the
 * instance's allow-list, tokens bound to the origin and the instance, expiry and renewal, rate
 * limits, a disabled instance, length limits, history, a message left by typing that lands in the
 * inbox marked `widget`, usage metered as the instance, GDPR erase by the number left.
 */
import t from 'tap';
import { VISITOR_RENEW_WINDOW_S } from '../../control/widget/visitor-token.ts';
import { testEngines } from './helpers/database.ts';
import { startControl, type TestControl } from './helpers/control.ts';
import { TestVisitor } from './helpers/widget-visitor.ts';

const SHOP = 'https://shop.example';
const BLOG = 'http://blog.example:8080';

async function setup(c: TestControl, body: Record<string, unknown> = {}) {
  const op = await c.userToken(`op${Math.random().toString(36).slice(2, 8)}`, 'operator');
  await c.call('POST', '/admin/faq', { token: op, body: { question: 'What are your opening hours?', answer: 'We are open from nine to five, Monday to Friday.', keywords: ['hours', 'open'] } });
  const w = await c.call('POST', '/admin/widgets', { token: op, body: { name: `Shop ${Math.random()}`, allowed_origins: [SHOP, BLOG], ...body } });
  if (w.status !== 201) throw new Error(`widget create: ${w.status} ${w.text}`);
  return { op, widget: w.body, visitor: (origin: string | null = SHOP) => new TestVisitor(c.base, w.body.public_id, origin) };
}

for (const engine of testEngines()) {
  t.test(`${engine}: admin CRUD validates, defaults, audits; viewers read, operators write`, async (t) => {
    const c = await startControl({}, { engine });
    t.teardown(c.stop);
    const op = await c.userToken('op', 'operator');
    const viewer = await c.userToken('vi', 'viewer');
    const bad = async (body: unknown, field: RegExp) => {
      const r = await c.call('POST', '/admin/widgets', { token: op, body });
      t.equal(r.status, 400, JSON.stringify(body));
      t.match(r.body.error.message, field);
    };
    await bad({ name: 'w', allowed_origins: ['https://*.example.com'] }, /wildcard/);
    await bad({ name: 'w', allowed_origins: ['https://example.com/shop'] }, /no path/);
    await bad({ name: 'w', allowed_origins: ['ftp://example.com'] }, /http or https/);
    await bad({ name: 'w', allowed_origins: ['https://user:pw@example.com'] }, /user name/);
    await bad({ name: 'w', allowed_origins: [] }, /at least one origin/);
    await bad({ name: 'w', allowed_origins: [SHOP], colors: { primary: 'red' } }, /#rrggbb/);
    await bad({ name: 'w', allowed_origins: [SHOP], language: 'de' }, /language/);
    await bad({ name: 'w', allowed_origins: [SHOP], position: 'top' }, /position/);
    await bad({ name: 'w', allowed_origins: [SHOP], surprise: 1 }, /surprise|unrecognized/i);
    t.equal((await c.call('POST', '/admin/widgets', { token: op, body: { name: 'w', allowed_origins: [SHOP], persona_id: 999 } })).status, 404, 'an unknown persona');

    const r = await c.call('POST', '/admin/widgets', { token: op, body: { name: 'Shop', allowed_origins: ['https://Shop.Example:443/', BLOG, BLOG], colors: { primary: '#AA0000' } } });
    t.equal(r.status, 201);
    const w = r.body;
    t.match(w.public_id, /^wg_[A-Za-z0-9_-]{22}$/);
    t.same(w.allowed_origins, [SHOP, BLOG], 'origins normalised as browsers send them, duplicates dropped');
    t.match(w, { enabled: true, language: 'auto', position: 'bottom-right', voice_enabled: false, session_messages_per_min: 10, ip_messages_per_min: 30, greeting: null, persona_id: null });
    t.same(w.colors, { primary: '#aa0000', primary_text: '#ffffff', background: '#ffffff', text: '#111827' });

    t.equal((await c.call('POST', '/admin/widgets', { token: viewer, body: { name: 'x', allowed_origins: [SHOP] } })).status, 403);
    t.equal((await c.call('GET', '/admin/widgets', { token: viewer })).body.items.length, 1);
    t.equal((await c.call('GET', `/admin/widgets/${w.id}`, { token: viewer })).body.public_id, w.public_id);
    const p = await c.call('PATCH', `/admin/widgets/${w.id}`, { token: op, body: { greeting: 'Hi there!', colors: { text: '#000000' }, language: 'ru', position: 'bottom-left' } });
    t.equal(p.status, 200);
    t.match(p.body, { greeting: 'Hi there!', language: 'ru', position: 'bottom-left', public_id: w.public_id });
    t.same(p.body.colors, { ...w.colors, text: '#000000' }, 'a colour changed, the others kept');
    t.equal((await c.call('PATCH', '/admin/widgets/999', { token: op, body: { enabled: false } })).status, 404);
    t.equal((await c.call('POST', '/admin/widgets', { token: op, body: { name: 'Shop', allowed_origins: [SHOP] } })).status, 409, 'names are unique');
    t.equal((await c.call('DELETE', `/admin/widgets/${w.id}`, { token: op })).status, 204);
    t.equal((await c.call('GET', `/admin/widgets/${w.id}`, { token: op })).status, 404);
    const actions = (await c.cp.repos.audit.list({ actor: 'op' }, { limit: 100, offset: 0 })).items.map((e) => e.action);
    for (const a of ['widgets.create', 'widgets.update', 'widgets.delete']) t.ok(actions.includes(a), `${a} audited`);
  });

  t.test(`${engine}: a visitor asks the FAQ, gets the answer streamed, reloads and sees the history`, async (t) => {
    const c = await startControl({}, { engine });
    t.teardown(c.stop);
    const { widget, visitor } = await setup(c, { greeting: 'Hello from the shop' });
    const v = visitor();
    const config = await v.call('GET', '/config');
    t.equal(config.status, 200);
    t.match(config.body, { greeting: 'Hello from the shop', language: 'auto', position: 'bottom-right', voice: false, max_message_chars: 2000 });
    t.equal(config.headers.get('access-control-allow-origin'), SHOP);

    const pre = await fetch(`${c.base}/widget/v1/${widget.public_id}/messages`, { method: 'OPTIONS', headers: { origin: SHOP, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization, content-type' } });
    t.equal(pre.status, 204, 'a preflight from an allowed origin');
    t.equal(pre.headers.get('access-control-allow-origin'), SHOP);
    t.match(pre.headers.get('access-control-allow-methods'), /POST/);
    t.match(pre.headers.get('access-control-allow-headers'), /Authorization/);

    const s = await v.start();
    t.equal(s.status, 201);
    t.match(s.body, { token: String, expires_at: String, renew_until: String });
    const a = await v.say('What are your opening hours?');
    t.equal(a.status, 200);
    t.equal(a.headers.get('content-type'), 'text/event-stream; charset=utf-8');
    t.equal(a.headers.get('access-control-allow-origin'), SHOP);
    t.ok(a.events.filter((e) => e.event === 'delta').length >= 1, 'the answer came as delta events');
    t.match(a.reply, /nine to five/);
    t.match(a.done, { message: { role: 'assistant', content: /nine to five/ }, ended: Boolean });
    t.equal(a.events.at(-1)?.event, 'done');

    const history = await v.call('GET', '/messages');
    t.equal(history.status, 200);
    t.same(history.body.items.map((m: { role: string }) => m.role), ['user', 'assistant']);
    t.equal(history.body.items[0].content, 'What are your opening hours?');
    // Only the visitor's own conversation.
    const other = visitor();
    await other.start();
    t.same((await other.call('GET', '/messages')).body.items, []);

    const op = await c.userToken('reader', 'viewer');
    const sessions = (await c.call('GET', '/admin/chat/sessions?source=widget', { token: op })).body.items;
    t.equal(sessions.length, 2, 'widget sessions in the admin chat history');
    t.ok(sessions.every((x: { source_id: string }) => x.source_id.startsWith(`${widget.id}:`)), 'each names its instance');

    await c.cp.usage.flush();
    const usage = (await c.call('GET', '/admin/usage?subject_type=widget', { token: await c.userToken('adm', 'admin') })).body;
    t.ok(usage.items.some((u: { subject_id: string; kind: string; source: string }) => u.subject_id === String(widget.id) && u.kind === 'chat' && u.source === 'faq'), 'usage metered as the instance');
  });

  t.test(`${engine}: origins are checked, tokens are bound to their origin and instance`, async (t) => {
    const c = await startControl({}, { engine });
    t.teardown(c.stop);
    const { visitor, widget } = await setup(c);
    const evil = visitor('https://evil.example');
    const refused = await evil.call('GET', '/config');
    t.equal(refused.status, 403);
    t.equal(refused.body.error.code, 'origin_not_allowed');
    t.equal(refused.headers.get('access-control-allow-origin'), 'https://evil.example', 'the refused page may read why, so the widget can say it');
    t.equal((await evil.start()).body.error.code, 'origin_not_allowed');
    const pre = await fetch(`${c.base}/widget/v1/${widget.public_id}/sessions`, { method: 'OPTIONS', headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' } });
    t.equal(pre.status, 403, 'its preflight is refused');
    t.equal(pre.headers.get('access-control-allow-origin'), null);
    t.equal((await visitor(null).call('GET', '/config')).body.error.code, 'origin_required');
    t.equal((await new TestVisitor(c.base, 'wg_AAAAAAAAAAAAAAAAAAAAAA', SHOP).call('GET', '/config')).status, 404);
    t.equal((await new TestVisitor(c.base, 'not-a-widget', SHOP).call('GET', '/config')).status, 404);

    const v = visitor(SHOP);
    await v.start();
    t.equal((await v.say('hello')).status, 200);
    // The same token from the other allowed origin, and on another instance.
    const moved = new TestVisitor(c.base, widget.public_id, BLOG);
    moved.token = v.token;
    const r1 = await moved.say('hello');
    t.equal(r1.status, 401);
    t.equal(r1.body.error.code, 'visitor_token_mismatch');
    const { widget: second } = await setup(c);
    const elsewhere = new TestVisitor(c.base, second.public_id, SHOP);
    elsewhere.token = v.token;
    t.equal((await elsewhere.call('GET', '/messages')).body.error.code, 'visitor_token_mismatch');
    t.equal((await elsewhere.call('POST', '/sessions/renew', { token: v.token }, { token: null })).status, 401, 'nor renewed there');
    // Forged and missing tokens.
    t.equal((await v.call('GET', '/messages', undefined, { token: v.token!.slice(0, -2) + 'AA' })).body.error.code, 'visitor_token_invalid');
    t.equal((await v.call('GET', '/messages', undefined, { token: null })).body.error.code, 'visitor_token_required');
    const adminToken = await c.userToken('adam', 'admin');
    t.equal((await v.call('GET', '/messages', undefined, { token: adminToken })).status, 401, 'an admin token is not a visitor token');
    t.equal((await c.call('GET', '/admin/widgets', { token: v.token! })).status, 401, 'nor a visitor token an admin one');
  });

  t.test(`${engine}: an expired token is refused and renewed within the window; a disabled instance stops answering`, async (t) => {
    const c = await startControl({}, { engine });
    t.teardown(c.stop);
    const { op, widget, visitor } = await setup(c);
    const v = visitor();
    await v.start();
    await v.say('What are your opening hours?');
    const sessionId = Number(JSON.parse(Buffer.from(v.token!.split('.')[1], 'base64url').toString()).sub);
    const visitorClaims = { instanceId: widget.id, publicId: widget.public_id, sessionId, origin: SHOP };
    const old = c.cp.widgets.tokens.withClock(() => Date.now() - 20 * 60_000).issue(visitorClaims).token;
    const expired = await v.call('GET', '/messages', undefined, { token: old });
    t.equal(expired.status, 401);
    t.equal(expired.body.error.code, 'visitor_token_expired');
    const renewed = await v.call('POST', '/sessions/renew', { token: old }, { token: null });
    t.equal(renewed.status, 200);
    t.equal((await v.call('GET', '/messages', undefined, { token: renewed.body.token })).body.items.length, 2, 'the same conversation');
    const ancient = c.cp.widgets.tokens.withClock(() => Date.now() - (VISITOR_RENEW_WINDOW_S + 3600) * 1000).issue(visitorClaims).token;
    t.equal((await v.call('POST', '/sessions/renew', { token: ancient }, { token: null })).body.error.code, 'visitor_token_expired', 'past the renewal window');
    const fromBlog = new TestVisitor(c.base, widget.public_id, BLOG);
    t.equal((await fromBlog.call('POST', '/sessions/renew', { token: old }, { token: null })).status, 401, 'renewed only from its own origin');

    t.equal((await c.call('PATCH', `/admin/widgets/${widget.id}`, { token: op, body: { enabled: false } })).status, 200);
    const off = await v.say('hello?');
    t.equal(off.status, 403);
    t.equal(off.body.error.code, 'widget_disabled');
    t.equal((await v.call('GET', '/config')).body.error.code, 'widget_disabled');
    t.equal((await visitor().start()).body.error.code, 'widget_disabled');
    await c.call('PATCH', `/admin/widgets/${widget.id}`, { token: op, body: { enabled: true, allowed_origins: [BLOG] } });
    t.equal((await v.say('hello?')).body.error.code, 'origin_not_allowed', 'an origin taken off the list is refused at once, token or not');
    await c.call('PATCH', `/admin/widgets/${widget.id}`, { token: op, body: { allowed_origins: [SHOP] } });
    t.equal((await v.say('What are your opening hours?')).status, 200, 'and allowed again');

    // A session erased by an admin: its token no longer opens anything.
    await c.call('DELETE', `/admin/chat/sessions/${sessionId}`, { token: op });
    const gone = await v.call('GET', '/messages', undefined, { token: renewed.body.token });
    t.equal(gone.status, 401);
    t.equal(gone.body.error.code, 'session_gone');
  });

  t.test(`${engine}: rate limits per session and per address, length and body limits`, async (t) => {
    const c = await startControl({}, { engine });
    t.teardown(c.stop);
    const { op, widget, visitor } = await setup(c, { session_messages_per_min: 2, ip_messages_per_min: 5 });
    const v = visitor();
    await v.start(); // 1 from the address's 5
    t.equal((await v.say('What are your opening hours?')).status, 200);
    t.equal((await v.say('What are your opening hours?')).status, 200);
    const limited = await v.say('What are your opening hours?');
    t.equal(limited.status, 429, 'the session’s third message in a minute');
    t.equal(limited.body.error.code, 'rate_limited');
    t.ok(Number(limited.headers.get('retry-after')) >= 1, 'with Retry-After');
    t.equal(limited.headers.get('access-control-allow-origin'), SHOP, 'readable by the page');
    t.equal((await v.call('GET', '/messages')).body.items.length, 4, 'the refused message was not stored');
    const w = visitor();
    t.equal((await w.start()).status, 201); // 4 of 5
    t.equal((await w.say('hi')).status, 200); // 5 of 5
    const r = await w.say('hi');
    t.equal(r.status, 429, 'the address’s allowance is spent, whatever the session');
    t.equal((await visitor().start()).status, 429, 'new sessions too');
    // The admin raises the limit: it applies at once.
    t.equal((await c.call('PATCH', `/admin/widgets/${widget.id}`, { token: op, body: { ip_messages_per_min: 1000, session_messages_per_min: 600 } })).status, 200);
    const x = visitor();
    t.equal((await x.start()).status, 201);

    const long = await x.say('a'.repeat(2001));
    t.equal(long.status, 400);
    t.match(long.body.error.message, /2000/);
    t.equal((await x.say('я'.repeat(2000))).status, 200, '2000 characters of Cyrillic are fine');
    t.equal((await x.say(' \u0000\u0007 ')).status, 400, 'nothing but control characters is empty');
    const big = await x.call('POST', '/messages', JSON.stringify({ content: 'a'.repeat(20_000) }));
    t.equal(big.status, 413);
    const html = await x.say('<img src=x onerror=alert(1)> opening hours?');
    t.equal(html.status, 200);
    const items = (await x.call('GET', '/messages')).body.items;
    t.equal(items.at(-2).content, '<img src=x onerror=alert(1)> opening hours?', 'stored as the text it is; the widget shows it as text');
  });

  t.test(`${engine}: a visitor leaves a message by typing; it lands in the inbox as widget, GDPR finds the conversation by the number`, async (t) => {
    const c = await startControl({}, { engine });
    t.teardown(c.stop);
    const { op, widget, visitor } = await setup(c);
    const v = visitor();
    await v.start();
    t.match((await v.say('Hello, I would like to leave a message')).reply, /May I have your name/);
    t.match((await v.say('Jane Doe')).reply, /number/i);
    t.match((await v.say('+49 151 1234 5678')).reply, /message/i);
    t.match((await v.say('Please call me about my order')).reply, /Jane Doe/);
    const done = await v.say('yes');
    t.match(done.done, { ended: true, message: { content: /recorded/ } });

    const admin = await c.userToken('adm', 'admin');
    const inbox = await c.call('GET', '/admin/messages', { token: op });
    t.equal(inbox.status, 200);
    const m = inbox.body.items.find((x: { channel: string }) => x.channel === 'widget');
    t.ok(m, 'in the inbox, marked widget');
    t.match(m, { caller_name: 'Jane Doe', callback_number: '+4915112345678', reason: 'Please call me about my order' });
    const session = (await c.call('GET', `/admin/chat/sessions/${m.session_id}`, { token: op })).body;
    t.match(session, { source: 'widget', contact: '+4915112345678' });
    t.ok(session.source_id.startsWith(`${widget.id}:`), 'the message’s session names the instance');

    const exported = await c.call('POST', '/admin/legal/export', { token: admin, body: { subject: '+4915112345678' } });
    t.equal(exported.status, 200);
    t.equal(exported.body.data.chat_sessions.length, 1, 'the export has the conversation');
    t.ok(exported.body.data.chat_messages.length >= 10);
    const erased = await c.call('POST', '/admin/legal/erase', { token: admin, body: { subject: '+4915112345678', confirm: true } });
    t.equal(erased.status, 200);
    t.equal(await c.cp.repos.chat.getSession(m.session_id), undefined, 'the erase took the conversation');
    t.equal((await v.call('GET', '/messages')).body.error.code, 'session_gone', 'and the visitor’s token opens nothing');
  });
}

t.test('a reply streaming when its widget is switched off is cut with an error event', async (t) => {
  // An LLM that sends one word, then holds the stream until released.
  const http = await import('node:http');
  let release: () => void = () => {};
  const held = new Promise<void>((r) => (release = r));
  const llm = http.createServer(async (req, res) => {
    for await (const _ of req);
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    const chunk = (text: string) => `data: ${JSON.stringify({ id: 'x', object: 'chat.completion.chunk', created: 1, model: 'm', choices: [{ index: 0, delta: { content: text }, finish_reason: null }] })}\n\n`;
    res.write(chunk('Once '));
    await Promise.race([held, new Promise((r) => res.once('close', r))]);
    if (!res.destroyed) res.end(chunk('upon a time.') + 'data: [DONE]\n\n');
  });
  await new Promise<void>((r) => llm.listen(0, '127.0.0.1', r));
  const c = await startControl({ EGRESS_ALLOW: '127.0.0.1' });
  t.teardown(async () => {
    release();
    await c.stop();
    await new Promise((r) => llm.close(r));
  });
  const admin = await c.userToken('adm', 'admin');
  const port = (llm.address() as import('node:net').AddressInfo).port;
  t.equal((await c.call('POST', '/admin/llm-providers', { token: admin, body: { name: 'slow', base_url: `http://127.0.0.1:${port}/v1`, model: 'm' } })).status, 201);
  const { op, widget, visitor } = await setup(c);
  const v = visitor();
  await v.start();
  const res = await fetch(`${c.base}/widget/v1/${widget.public_id}/messages`, {
    method: 'POST',
    headers: { origin: SHOP, authorization: `Bearer ${v.token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ content: 'Tell me a story about dragons' }),
  });
  t.equal(res.status, 200);
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let text = '';
  while (!text.includes('event: delta')) {
    const { value, done } = await reader.read();
    if (done) break;
    text += decoder.decode(value, { stream: true });
  }
  t.match(text, /Once/, 'the reply started streaming');
  t.equal(c.cp.widgets.streaming, 1);
  t.equal((await c.call('PATCH', `/admin/widgets/${widget.id}`, { token: op, body: { enabled: false } })).status, 200);
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    text += decoder.decode(value, { stream: true });
  }
  t.match(text, /event: error\ndata: \{"code":"widget_disabled"/, 'cut, and told why');
  t.notMatch(text, /event: done/);
  t.notMatch(text, /upon a time/);
  t.equal(c.cp.widgets.streaming, 0);
});
