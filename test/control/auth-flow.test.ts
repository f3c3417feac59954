import { spawn } from 'node:child_process';
import t from 'tap';
import { PASSWORD, startControl } from './helpers/control.ts';
import { testDatabase } from './helpers/database.ts';
import { until } from '../helpers/until.ts';

t.test('first admin through the one-time setup token; no default credentials', async (t) => {
  const c = await startControl();
  t.teardown(c.stop);
  for (const [u, p] of [['admin', 'admin'], ['admin', 'password'], ['root', 'root']]) {
    t.equal((await c.login(u, p)).status, 401, `${u}/${p} does not work`);
  }
  const token = c.cp.setup.token!;
  t.ok(token && token.length >= 32);
  const wrong = await c.call('POST', '/admin/setup', { body: { token: 'x'.repeat(32), username: 'boss', password: PASSWORD } });
  t.equal(wrong.status, 401);
  t.equal(wrong.body.error.code, 'invalid_setup_token');
  const weak = await c.call('POST', '/admin/setup', { body: { token, username: 'boss', password: 'short' } });
  t.equal(weak.status, 400);
  t.match(weak.body.error.message, /password/);
  const ok = await c.call('POST', '/admin/setup', { body: { token, username: 'boss', password: PASSWORD } });
  t.equal(ok.status, 201);
  t.equal(ok.body.user.role, 'admin');
  const again = await c.call('POST', '/admin/setup', { body: { token, username: 'boss2', password: PASSWORD } });
  t.equal(again.status, 409, 'the token is void after use');
  t.equal(c.cp.setup.armed, false);
  t.equal((await c.login('boss')).status, 200);
  const audit = await c.cp.repos.audit.list({ action: 'setup.' }, { limit: 10, offset: 0 });
  t.same(audit.items.map((e) => e.status).sort(), [201, 400, 401, 409], 'every setup attempt is audited');
});

t.test('no setup token when users exist at start', async (t) => {
  const db = await testDatabase();
  const c1 = await startControl({}, { db });
  t.ok(c1.cp.setup.armed, 'armed on an empty database');
  await c1.cp.repos.users.create({ username: 'x-admin', password_hash: 'h', role: 'admin' });
  await c1.stop();
  const c2 = await startControl({}, { db });
  t.teardown(async () => {
    await c2.stop();
    await db.cleanup();
  });
  t.equal(c2.cp.setup.armed, false);
});

t.test('login, me, lockout after N failures even with the right password', async (t) => {
  const c = await startControl({ LOGIN_MAX_FAILURES: '3', LOGIN_LOCKOUT_S: '2' });
  t.teardown(c.stop);
  const token = await c.userToken('lena', 'operator');
  const me = await c.call('GET', '/admin/auth/me', { token });
  t.equal(me.status, 200);
  t.match(me.body.user, { username: 'lena', role: 'operator' });
  t.notOk('password_hash' in me.body.user);
  t.equal((await c.login('lena', 'wrong-password-1')).status, 401);
  t.equal((await c.login('lena', 'wrong-password-2')).status, 401);
  const third = await c.login('lena', 'wrong-password-3');
  t.equal(third.status, 429);
  t.equal(third.body.error.code, 'account_locked');
  const right = await c.call('POST', '/admin/auth/login', { body: { username: 'lena', password: PASSWORD } });
  t.equal(right.status, 429, 'locked even with the right password');
  t.ok(Number(right.headers.get('retry-after')) >= 1);
  t.equal((await c.login('nobody', 'whatever-pass')).status, 401, 'unknown users get the same 401');
  // Each try while locked is a refused login (and an audit entry): a few a second is plenty.
  await until('the lock to expire', async () => (await c.login('lena')).status === 200, { everyMs: 250 });
  t.pass('the lock expires');
  const failures = await c.cp.repos.audit.list({ action: 'auth.login' }, { limit: 50, offset: 0 });
  t.ok(failures.items.some((e) => e.actor_name === 'lena' && e.status === 429 && e.details?.error === 'account_locked'));
});

t.test('auth rate limit per IP answers 429 with Retry-After', async (t) => {
  const c = await startControl({ RATE_LIMIT_AUTH: '3/min' });
  t.teardown(c.stop);
  const statuses: number[] = [];
  for (let i = 0; i < 5; i++) statuses.push((await c.login('x', 'y')).status);
  t.same(statuses, [401, 401, 401, 429, 429]);
  const r = await c.call('POST', '/admin/auth/login', { body: { username: 'x', password: 'y' } });
  t.equal(r.body.error.code, 'rate_limited');
  t.ok(Number(r.headers.get('retry-after')) >= 1);
  t.equal((await c.call('GET', '/admin/auth/me')).status, 401, 'other classes keep their own bucket');
});

t.test('refresh rotates; reusing a refresh token revokes the whole session', async (t) => {
  const c = await startControl();
  t.teardown(c.stop);
  await c.userToken('rita', 'viewer');
  const first = (await c.login('rita')).body;
  const r1 = await c.call('POST', '/admin/auth/refresh', { body: { refresh_token: first.refresh_token } });
  t.equal(r1.status, 200);
  t.not(r1.body.refresh_token, first.refresh_token, 'a new refresh token');
  t.equal((await c.call('GET', '/admin/auth/me', { token: r1.body.access_token })).status, 200);
  t.equal((await c.call('GET', '/admin/auth/me', { token: first.access_token })).status, 200, 'the older access token lives until expiry');

  const reuse = await c.call('POST', '/admin/auth/refresh', { body: { refresh_token: first.refresh_token } });
  t.equal(reuse.status, 401);
  t.equal(reuse.body.error.code, 'refresh_token_reused');
  const r2 = await c.call('POST', '/admin/auth/refresh', { body: { refresh_token: r1.body.refresh_token } });
  t.equal(r2.status, 401, 'the legitimate newest token died with its family');
  const me = await c.call('GET', '/admin/auth/me', { token: r1.body.access_token });
  t.equal(me.status, 401, 'and so did the session access tokens');
  t.equal(me.body.error.code, 'session_revoked');

  const other = (await c.login('rita')).body;
  t.equal((await c.call('GET', '/admin/auth/me', { token: other.access_token })).status, 200, 'other sessions are unaffected');
  const audit = await c.cp.repos.audit.list({ action: 'auth.refresh' }, { limit: 10, offset: 0 });
  t.ok(audit.items.some((e) => e.details?.error === 'refresh_token_reused'), 'reuse is audited');
  t.equal((await c.call('POST', '/admin/auth/refresh', { body: { refresh_token: 'garbage' } })).status, 401);
});

t.test('logout revokes the session; disabling a user ends their sessions; password change', async (t) => {
  const c = await startControl();
  t.teardown(c.stop);
  const admin = await c.userToken('root-admin', 'admin');
  const s = (await c.login('root-admin')).body;
  t.equal((await c.call('POST', '/admin/auth/logout', { token: s.access_token })).status, 200);
  t.equal((await c.call('GET', '/admin/auth/me', { token: s.access_token })).status, 401, 'access token dead after logout');
  t.equal((await c.call('POST', '/admin/auth/refresh', { body: { refresh_token: s.refresh_token } })).status, 401, 'refresh token too');
  t.equal((await c.call('GET', '/admin/auth/me', { token: admin })).status, 200, 'other session fine');

  const op = await c.userToken('otto', 'operator');
  const otto = (await c.cp.repos.users.findByUsername('otto'))!;
  t.equal((await c.call('PATCH', `/admin/users/${otto.id}`, { token: admin, body: { disabled: true } })).status, 200);
  t.equal((await c.call('GET', '/admin/auth/me', { token: op })).status, 401, 'disabled user is out at once');
  t.equal((await c.login('otto')).status, 401);
  await c.call('PATCH', `/admin/users/${otto.id}`, { token: admin, body: { disabled: false, role: 'viewer' } });
  const o2 = (await c.login('otto')).body.access_token;
  t.equal((await c.call('GET', '/admin/faq', { token: o2 })).status, 200);
  t.equal((await c.call('POST', '/admin/faq', { token: o2, body: { question: 'q', answer: 'a' } })).status, 403, 'demotion applies to new requests');

  const bad = await c.call('POST', '/admin/auth/password', { token: o2, body: { current_password: 'nope-nope-nope', new_password: 'new password 123' } });
  t.equal(bad.status, 401);
  const good = await c.call('POST', '/admin/auth/password', { token: o2, body: { current_password: PASSWORD, new_password: 'new password 123' } });
  t.equal(good.status, 200);
  t.equal((await c.call('GET', '/admin/auth/me', { token: o2 })).status, 401, 'sessions end after a password change');
  t.equal((await c.login('otto', 'new password 123')).status, 200);
});

t.test('the last active admin cannot be removed, disabled or demoted', async (t) => {
  const c = await startControl();
  t.teardown(c.stop);
  const admin = await c.userToken('only-admin', 'admin');
  const id = (await c.cp.repos.users.findByUsername('only-admin'))!.id;
  for (const [m, body] of [['DELETE', undefined], ['PATCH', { disabled: true }], ['PATCH', { role: 'viewer' }]] as const) {
    const r = await c.call(m, `/admin/users/${id}`, { token: admin, body });
    t.equal(r.status, 409, `${m} ${JSON.stringify(body)} refused`);
  }
  const created = await c.call('POST', '/admin/users', { token: admin, body: { username: 'second', password: PASSWORD, role: 'admin' } });
  t.equal(created.status, 201);
  t.notOk('password_hash' in created.body);
  t.equal((await c.call('POST', '/admin/users', { token: admin, body: { username: 'second', password: PASSWORD, role: 'admin' } })).status, 409, 'duplicate username is a 409');
  t.equal((await c.call('DELETE', `/admin/users/${id}`, { token: admin })).status, 204, 'fine once another admin exists');
  t.equal((await c.call('GET', '/admin/users', { token: admin })).status, 401, 'a deleted user is logged out');
});

// On SQLite whatever TEST_DATABASE_URL says: the CLI opens DATA_DIR's database (DATABASE_URL names a
// database, not a per-test Postgres schema), and CI, which always sets TEST_DATABASE_URL, must run it.
t.test('CLI creates the first admin from --password-stdin', async (t) => {
  const c = await startControl({}, { engine: 'sqlite' });
  t.teardown(c.stop);
  const env: Record<string, string | undefined> = { ...process.env, DATA_DIR: c.db.dataDir, PASSWORD_HASH_LN: '12' };
  {
    delete env.DATABASE_URL;
    const run = (args: string[], input: string) =>
      new Promise<{ code: number | null; out: string; err: string }>((resolve) => {
        const p = spawn(process.execPath, ['--import', 'tsx', 'control/cli/admin.ts', ...args], { env, stdio: ['pipe', 'pipe', 'pipe'] });
        let out = '';
        let err = '';
        p.stdout.on('data', (d) => (out += d));
        p.stderr.on('data', (d) => (err += d));
        p.on('exit', (code) => resolve({ code, out, err }));
        p.stdin.end(input);
      });
    const r = await run(['create', 'cli-admin', '--password-stdin'], PASSWORD + '\n');
    t.equal(r.code, 0, r.err);
    t.match(r.out, /created admin "cli-admin"/);
    t.equal((await run(['create', 'cli-admin', '--password-stdin'], PASSWORD)).code, 1, 'no duplicates');
    t.equal((await run(['create', 'weak', '--password-stdin'], 'short')).code, 1, 'weak password refused');
    t.equal((await run(['create', 'nopw'], '')).code, 1, 'no terminal and no --password-stdin: refused');
    t.equal((await run([], '')).code, 2);
    t.equal((await c.login('cli-admin')).status, 200, 'the password works over HTTP');
    const list = await run(['list'], '');
    t.match(list.out, /cli-admin\tadmin/);
  }
});
