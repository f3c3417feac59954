import net from 'node:net';
import t from 'tap';
import { startControl } from './helpers/control.ts';

/** Send raw HTTP and read until the server has answered it whole (and, for a 413 mid-upload, closed). */
function rawRequest(port: number, head: string, chunks: Buffer[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1');
    let out = '';
    s.on('data', (d) => {
      out += d.toString();
      // The whole answer is in once its body (Content-Length) is: then we are done with the socket.
      const m = /\r\ncontent-length: (\d+)\r\n/i.exec(out);
      const bodyAt = out.indexOf('\r\n\r\n') + 4;
      if (m && bodyAt >= 4 && Buffer.byteLength(out.slice(bodyAt)) >= Number(m[1])) s.end();
    });
    s.on('close', () => resolve(out));
    s.on('error', (e) => (out ? resolve(out) : reject(e)));
    s.write(head);
    for (const c of chunks) s.write(c);
  });
}

t.test('body limits: declared and streamed bodies over the limit get 413 in the error format', async (t) => {
  const c = await startControl({ CONTROL_MAX_BODY_BYTES: '2048' });
  t.teardown(c.stop);
  const token = await c.userToken('op', 'operator');
  const big = { question: 'q', answer: 'x'.repeat(4000) };
  const r = await c.call('POST', '/admin/faq', { token, body: big });
  t.equal(r.status, 413);
  t.equal(r.body.error.code, 'payload_too_large');

  // Chunked transfer: no Content-Length, so the limit must be enforced while reading.
  const head = `POST /admin/faq HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n`;
  const chunk = (s: string) => Buffer.from(`${s.length.toString(16)}\r\n${s}\r\n`);
  const answer = await rawRequest(c.port, head, [chunk('{"question":"q","answer":"'), chunk('y'.repeat(3000)), chunk('"}'), Buffer.from('0\r\n\r\n')]);
  t.match(answer, /^HTTP\/1\.1 413/);
  t.match(answer, /"payload_too_large"/);

  const ok = await c.call('POST', '/admin/faq', { token, body: { question: 'q', answer: 'small' } });
  t.equal(ok.status, 201, 'a body under the limit is fine');
  t.equal((await c.cp.repos.faq.list()).length, 1, 'nothing from the refused bodies was stored');
});

t.test('JSON and schema errors: 400 naming the field, 415 for non-JSON', async (t) => {
  const c = await startControl();
  t.teardown(c.stop);
  const token = await c.userToken('op', 'operator');
  const bad = await c.call('POST', '/admin/faq', { token, rawBody: '{"question":', headers: { 'content-type': 'application/json' } });
  t.equal(bad.status, 400);
  t.equal(bad.body.error.code, 'invalid_json');
  const v = await c.call('POST', '/admin/faq', { token, body: { question: 'q' } });
  t.equal(v.status, 400);
  t.equal(v.body.error.code, 'validation_failed');
  t.match(v.body.error.message, /^body: answer: /);
  t.same(v.body.error.details.issues.map((i: { field: string }) => i.field), ['answer']);
  const extra = await c.call('POST', '/admin/faq', { token, body: { question: 'q', answer: 'a', is_admin: true } });
  t.equal(extra.status, 400, 'unknown fields are refused, not ignored');
  t.match(extra.body.error.message, /is_admin/);
  const form = await c.call('POST', '/admin/faq', { token, rawBody: 'question=q&answer=a', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
  t.equal(form.status, 415);
  const q = await c.call('GET', '/admin/audit?limit=100000', { token: await c.userToken('ad', 'admin') });
  t.equal(q.status, 400);
  t.match(q.body.error.message, /^query: limit: /);
  const p = await c.call('GET', '/admin/faq/abc', { token });
  t.equal(p.status, 400);
  t.match(p.body.error.message, /^params: id: /);
});

t.test('404 and 405 in the error format; security headers on every answer', async (t) => {
  const c = await startControl();
  t.teardown(c.stop);
  const nf = await c.call('GET', '/admin/nothing-here');
  t.equal(nf.status, 404);
  t.equal(nf.body.error.code, 'not_found');
  const na = await c.call('PUT', '/admin/faq');
  t.equal(na.status, 405);
  t.equal(na.headers.get('allow'), 'GET, POST');
  for (const r of [nf, na, await c.call('GET', '/admin/auth/me')]) {
    t.match(r.headers.get('content-security-policy'), /default-src 'none'/);
    t.match(r.headers.get('content-security-policy'), /frame-ancestors 'none'/);
    t.equal(r.headers.get('x-content-type-options'), 'nosniff');
    t.equal(r.headers.get('x-frame-options'), 'DENY');
    t.equal(r.headers.get('cache-control'), 'no-store');
    t.equal(r.headers.get('referrer-policy'), 'no-referrer');
  }
});

t.test('CORS: only CORS_ORIGINS get CORS headers; other preflights are refused', async (t) => {
  const c = await startControl({ CORS_ORIGINS: 'https://admin.example.com, https://shop.example.com/' });
  t.teardown(c.stop);
  const pre = await fetch(c.base + '/admin/faq', {
    method: 'OPTIONS',
    headers: { origin: 'https://shop.example.com', 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization, content-type' },
  });
  t.equal(pre.status, 204);
  t.equal(pre.headers.get('access-control-allow-origin'), 'https://shop.example.com');
  t.match(pre.headers.get('access-control-allow-headers'), /Authorization/);
  t.match(pre.headers.get('access-control-allow-methods'), /PATCH/);
  const evil = await fetch(c.base + '/admin/faq', { method: 'OPTIONS', headers: { origin: 'https://evil.example.com', 'access-control-request-method': 'POST' } });
  t.equal(evil.status, 403);
  t.equal(evil.headers.get('access-control-allow-origin'), null);
  const get = await fetch(c.base + '/admin/auth/me', { headers: { origin: 'https://admin.example.com' } });
  t.equal(get.headers.get('access-control-allow-origin'), 'https://admin.example.com');
  t.match(get.headers.get('vary'), /Origin/);
  const get2 = await fetch(c.base + '/admin/auth/me', { headers: { origin: 'https://evil.example.com' } });
  t.equal(get2.headers.get('access-control-allow-origin'), null);
});

t.test('rate limits per class: the default class applies before authentication and says when a token is back', async (t) => {
  // 5 a minute: one token back every 12 s, so however slowly a loaded machine sends these seven
  // requests, none refills in between. The refill itself is the bucket unit test's (its own clock).
  const c = await startControl({ RATE_LIMIT_DEFAULT: '5/min' });
  t.teardown(c.stop);
  const answers: { status: number; headers: Headers }[] = [];
  for (let i = 0; i < 7; i++) answers.push(await c.call('GET', '/admin/faq'));
  t.same(answers.map((a) => a.status), [401, 401, 401, 401, 401, 429, 429], 'rate limit applies before authentication');
  const retry = Number(answers[6].headers.get('retry-after'));
  t.ok(retry >= 1 && retry <= 12, `Retry-After ${retry} s: the next token is at most 12 s away`);
});

t.test('rate limiter unit: bucket math, sweep and off', async (t) => {
  const { RateLimiter } = await import('../../control/http/rate-limiter.ts');
  const { parseRateSpec } = await import('../../control/config.ts');
  let now = 0;
  const rl = new RateLimiter({ auth: parseRateSpec('2/min'), chat: null, tts: parseRateSpec('1/s'), default: parseRateSpec('10/h') }, () => now);
  t.teardown(() => rl.close());
  t.ok(rl.take('auth', 'a').ok);
  t.ok(rl.take('auth', 'a').ok);
  const no = rl.take('auth', 'a');
  t.notOk(no.ok);
  t.equal(Math.round(no.retryAfterS), 30);
  t.ok(rl.take('auth', 'b').ok, 'per client');
  const taken = Array.from({ length: 100 }, () => rl.take('chat', 'a').ok);
  t.ok(taken.every(Boolean), 'off means unlimited: 100 in a row all allowed');
  now = 30_000;
  t.ok(rl.take('auth', 'a').ok, 'refilled one token after 30 s');
  now = 10_000_000;
  rl.sweep();
  t.equal(rl.size, 0, 'full buckets are forgotten');

  const v6 = new RateLimiter({ auth: parseRateSpec('2/min'), chat: null, tts: null, default: null }, () => now);
  t.teardown(() => v6.close());
  t.ok(v6.take('auth', '2001:db8:1:2::1').ok);
  t.ok(v6.take('auth', '2001:db8:1:2:ffff:1:2:3').ok);
  t.notOk(v6.take('auth', '2001:db8:1:2:abcd::9').ok, 'IPv6 counts by its /64: a host owning the block is one client');
  t.ok(v6.take('auth', '2001:db8:1:3::1').ok, 'the next /64 is another');
  t.ok(v6.take('auth', '192.0.2.7').ok);
  t.ok(v6.take('auth', '::ffff:192.0.2.7').ok);
  t.notOk(v6.take('auth', '192.0.2.7').ok, 'an IPv4 address written IPv4-mapped is the same client');

  const small = new RateLimiter({ auth: parseRateSpec('1/h'), chat: null, tts: null, default: null }, () => now, 100);
  t.teardown(() => small.close());
  t.ok(small.take('auth', 'victim').ok);
  for (let i = 0; i < 50; i++) small.take('auth', `10.0.0.${i}`);
  t.notOk(small.take('auth', 'victim').ok, 'the victim used their token (and is now the most recently seen)');
  for (let i = 0; i < 500; i++) small.take('auth', `10.0.${1 + (i >> 8)}.${i & 255}`);
  t.ok(small.size <= 100, `a flood of addresses stays under the cap (${small.size})`);
  const recent = Array.from({ length: 85 }, (_, k) => 499 - k).map((i) => small.check('auth', `10.0.${1 + (i >> 8)}.${i & 255}`).ok);
  t.ok(recent.every((ok) => !ok), 'past the cap the oldest buckets go, never all: the 85 most recent clients are still limited');
  t.throws(() => parseRateSpec('ten per minute'));
  t.equal(parseRateSpec('off'), null);
});
