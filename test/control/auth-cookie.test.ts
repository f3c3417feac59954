/**
 * The admin UI's refresh cookie (control/auth/refresh-cookie.ts): set at login with cookie: true
 * (HttpOnly, SameSite=Strict, Path=/admin/auth, Secure except on plain-http loopback), never in the
 * JSON; a refresh with an empty JSON body uses and rotates it; the CSRF rules (JSON only, same
 * Origin); logout clears it and ends the session so the cookie no longer works. Scripts keep the
 * JSON refresh.
 */
import { request } from 'node:http';
import t from 'tap';
import { needsSecureFlag, readRefreshCookie } from '../../control/auth/refresh-cookie.ts';
import { PASSWORD, startControl, type TestControl } from './helpers/control.ts';

const cookieOf = (setCookie: string | null) => /vg_refresh=([^;]*)/.exec(setCookie ?? '')?.[1] ?? null;

async function cookieLogin(c: TestControl, username: string) {
  const r = await c.call('POST', '/admin/auth/login', { body: { username, password: PASSWORD, cookie: true } });
  return { ...r, cookie: cookieOf(r.headers.get('set-cookie')) };
}

const cookieRefresh = (c: TestControl, cookie: string | null, headers: Record<string, string> = {}) =>
  c.call('POST', '/admin/auth/refresh', { body: {}, headers: { ...(cookie ? { cookie: `other=1; vg_refresh=${cookie}` } : {}), ...headers } });

t.test('login with cookie: the refresh token only in an HttpOnly, SameSite=Strict cookie; refresh rotates it', async (t) => {
  const c = await startControl();
  t.teardown(c.stop);
  await c.userToken('uma', 'operator');
  const login = await cookieLogin(c, 'uma');
  t.equal(login.status, 200);
  t.type(login.body.access_token, 'string');
  t.notOk('refresh_token' in login.body, 'the refresh token is not in the JSON the page reads');
  const [set, hint] = login.headers.getSetCookie();
  t.match(set, /^vg_refresh=[A-Za-z0-9_-]{20,}; Path=\/admin\/auth; Max-Age=\d+; HttpOnly; SameSite=Strict$/, 'loopback plain http: no Secure flag');
  t.match(hint, /^vg_session=1; Path=\/; Max-Age=\d+; SameSite=Strict$/, 'and a hint the page can read, holding no secret');
  t.ok(login.cookie);

  const me = await c.call('GET', '/admin/auth/me', { token: login.body.access_token });
  t.equal(me.status, 200);

  const r1 = await cookieRefresh(c, login.cookie);
  t.equal(r1.status, 200, r1.text);
  t.type(r1.body.access_token, 'string');
  t.notOk('refresh_token' in r1.body);
  t.match(r1.body.user, { username: 'uma' });
  const next = cookieOf(r1.headers.get('set-cookie'));
  t.ok(next && next !== login.cookie, 'a new cookie replaces the used one');

  const reused = await cookieRefresh(c, login.cookie);
  t.equal(reused.status, 401, 'the old cookie is single-use');
  t.equal(reused.body.error.code, 'refresh_token_reused');
  t.match(reused.headers.get('set-cookie'), /vg_refresh=; .*Max-Age=0/, 'a dead cookie is cleared');
  t.equal((await cookieRefresh(c, next)).status, 401, 'reuse revoked the whole session, the newest cookie too');

  const audit = await c.cp.repos.audit.list({ action: 'auth.refresh' }, { limit: 10, offset: 0 });
  t.ok(audit.items.some((e) => e.status === 200 && (e.details as { via?: string } | null)?.via === 'cookie'), 'cookie refreshes are audited as such');
});

t.test('CSRF: the cookie refresh needs a JSON body and a same-origin Origin', async (t) => {
  const c = await startControl();
  t.teardown(c.stop);
  await c.userToken('cora', 'viewer');
  const { cookie } = await cookieLogin(c, 'cora');
  const form = await c.call('POST', '/admin/auth/refresh', { rawBody: 'refresh_token=x', headers: { cookie: `vg_refresh=${cookie}`, 'content-type': 'application/x-www-form-urlencoded' } });
  t.equal(form.status, 415, 'a form post (what another site can send without a preflight) is refused');
  const textPlain = await c.call('POST', '/admin/auth/refresh', { rawBody: '{}', headers: { cookie: `vg_refresh=${cookie}`, 'content-type': 'text/plain' } });
  t.equal(textPlain.status, 415);
  const empty = await c.call('POST', '/admin/auth/refresh', { headers: { cookie: `vg_refresh=${cookie}` } });
  t.equal(empty.status, 400, 'no body at all is refused too');
  const foreign = await cookieRefresh(c, cookie, { origin: 'https://evil.example' });
  t.equal(foreign.status, 403);
  t.equal(foreign.body.error.code, 'cross_origin');
  const ours = await cookieRefresh(c, cookie, { origin: c.base });
  t.equal(ours.status, 200, 'our own page (Origin = this host) refreshes, with the cookie still unused by the refused tries');
  const none = await cookieRefresh(c, null);
  t.equal(none.status, 401);
  t.equal(none.body.error.code, 'no_refresh_token');
});

t.test('X-Forwarded-Host names the page\'s host only behind a trusted proxy (TRUST_PROXY)', async (t) => {
  const spoof = { origin: 'https://evil.example', 'x-forwarded-host': 'evil.example' };
  const direct = await startControl();
  t.teardown(direct.stop);
  await direct.userToken('xena', 'viewer');
  const a = await cookieLogin(direct, 'xena');
  const refused = await cookieRefresh(direct, a.cookie, spoof);
  t.equal(refused.status, 403, 'without TRUST_PROXY a client cannot name the host its foreign Origin has');
  t.equal(refused.body.error.code, 'cross_origin');
  t.equal((await cookieRefresh(direct, a.cookie, { origin: direct.base })).status, 200, 'the refused try did not spend the cookie');

  const proxied = await startControl({ TRUST_PROXY: '1' });
  t.teardown(proxied.stop);
  await proxied.userToken('yuri', 'viewer');
  const b = await cookieLogin(proxied, 'yuri');
  const viaProxy = await cookieRefresh(proxied, b.cookie, { origin: 'https://gw.example', 'x-forwarded-host': 'gw.example' });
  t.equal(viaProxy.status, 200, 'behind our own proxy the public host name is the page\'s host');
});

t.test('logout clears the cookie and ends the session: the cookie no longer refreshes', async (t) => {
  const c = await startControl();
  t.teardown(c.stop);
  await c.userToken('lou', 'viewer');
  const login = await cookieLogin(c, 'lou');
  const out = await c.call('POST', '/admin/auth/logout', { token: login.body.access_token });
  t.equal(out.status, 200);
  t.match(out.headers.getSetCookie(), [/^vg_refresh=; Path=\/admin\/auth; Max-Age=0; HttpOnly; SameSite=Strict/, /^vg_session=; Path=\/; Max-Age=0/]);
  const after = await cookieRefresh(c, login.cookie);
  t.equal(after.status, 401, 'the revoked session’s cookie is refused');
  t.equal((await c.call('GET', '/admin/auth/me', { token: login.body.access_token })).status, 401, 'and its access token');
});

t.test('scripts keep the JSON refresh token; Secure is set unless the host is loopback over plain http', async (t) => {
  const c = await startControl();
  t.teardown(c.stop);
  await c.userToken('sam', 'viewer');
  const plain = await c.login('sam');
  t.type(plain.body.refresh_token, 'string', 'without cookie: true the token is in the JSON, as before');
  const r = await c.call('POST', '/admin/auth/refresh', { body: { refresh_token: plain.body.refresh_token } });
  t.equal(r.status, 200);
  t.type(r.body.refresh_token, 'string');
  t.equal(r.headers.get('set-cookie'), null, 'no cookie for scripts');

  // A public host name (as behind a reverse proxy): Secure. fetch cannot set Host, node:http can.
  const setCookies = await new Promise<string>((resolve, reject) => {
    const req = request(`${c.base}/admin/auth/login`, { method: 'POST', headers: { host: 'gateway.example.com', 'content-type': 'application/json' } }, (res) => {
      res.resume();
      resolve((res.headers['set-cookie'] ?? []).join('\n'));
    });
    req.on('error', reject);
    req.end(JSON.stringify({ username: 'sam', password: PASSWORD, cookie: true }));
  });
  t.match(setCookies, /^vg_refresh=[^\n]*HttpOnly; SameSite=Strict; Secure\nvg_session=1;[^\n]*SameSite=Strict; Secure$/);

  t.equal(needsSecureFlag({ host: '127.0.0.1:8002' }), false);
  t.equal(needsSecureFlag({ host: 'localhost' }), false);
  t.equal(needsSecureFlag({ host: '[::1]:80' }), false);
  t.equal(needsSecureFlag({ host: 'localhost:8002', 'x-forwarded-proto': 'https' }), true, 'a TLS proxy on this machine');
  t.equal(needsSecureFlag({ host: '127.0.0.1:8002', origin: 'http://127.0.0.1:8002' }), false, 'a page on plain-http loopback');
  t.equal(needsSecureFlag({ host: '127.0.0.1:8080', origin: 'https://gw.example' }), true, 'a proxy passing a loopback Host for a public https page');
  t.equal(needsSecureFlag({ host: '192.168.1.5:8002' }), true);
  t.equal(needsSecureFlag({ host: 'localhost.evil.com' }), true);
  t.equal(needsSecureFlag({}), true);
  t.equal(readRefreshCookie('a=1; vg_refresh=abc ; b=2'), 'abc');
  t.equal(readRefreshCookie('vg_refresh_x=abc'), null);
  t.equal(readRefreshCookie(undefined), null);
});
