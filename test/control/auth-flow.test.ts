import { createHook } from 'node:async_hooks';
import { spawn } from 'node:child_process';
import t from 'tap';
import { signJwt } from '../../control/auth/jwt.ts';
import { hashingGate, hashPassword, verifyPassword } from '../../control/auth/password.ts';
import { resolveMasterSecret } from '../../control/crypto/secret-key.ts';
import { PASSWORD, startControl } from './helpers/control.ts';
import { testDatabase, testEngines } from './helpers/database.ts';
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

t.test('login and me', async (t) => {
  const c = await startControl();
  t.teardown(c.stop);
  const token = await c.userToken('lena', 'operator');
  const me = await c.call('GET', '/admin/auth/me', { token });
  t.equal(me.status, 200);
  t.match(me.body.user, { username: 'lena', role: 'operator' });
  t.notOk('password_hash' in me.body.user);
  const login = await c.login('lena');
  t.match(login.body, { token_type: 'Bearer', access_token: String, refresh_token: String, device_token: /^vgd1\./, user: { username: 'lena' } });
});

/** How many scrypt computations `run` started in this process (the server runs in it too). */
async function scryptsDuring(run: () => Promise<unknown>): Promise<number> {
  let n = 0;
  const hook = createHook({ init: (_id, type) => void (type === 'SCRYPTREQUEST' && n++) }).enable();
  try {
    await run();
  } finally {
    hook.disable();
  }
  return n;
}

const THROTTLE_ENV = { LOGIN_MAX_FAILURES: '5', LOGIN_FIRST_DELAY_S: '600', LOGIN_LOCKOUT_S: '600' };

for (const engine of testEngines()) {
  t.test(`${engine}: 10 parallel wrong passwords count exactly 10 failures; only the free 5 are checked`, async (t) => {
    const c = await startControl(THROTTLE_ENV, { engine });
    t.teardown(c.stop);
    await c.userToken('target', 'admin');
    const id = (await c.cp.repos.users.findByUsername('target'))!.id;
    const answers = await Promise.all(Array.from({ length: 10 }, (_, i) => c.call('POST', '/admin/auth/login', { body: { username: 'target', password: `wrong password ${i}` } })));
    t.same(new Set(answers.map((a) => `${a.status} ${a.text} ${a.headers.get('retry-after')}`)), new Set(['401 {"error":{"code":"invalid_credentials","message":"wrong username or password"}} null']), 'every answer the same');
    const row = (await c.cp.repos.users.findById(id))!;
    t.equal(row.failed_logins, 10, 'no failure lost to a race');
    t.ok(row.locked_until && Date.parse(row.locked_until) > Date.now(), 'the fifth started a wait');
    const audited = (await c.cp.repos.audit.list({ action: 'auth.login' }, { limit: 50, offset: 0 })).items.filter((e) => e.status === 401);
    t.same(audited.map((e) => e.details?.reason).sort(), [...Array(5).fill('throttled'), ...Array(5).fill('wrong_password')], 'exactly five were checked');
  });
}

t.test('during a wait the right password answers exactly like a wrong one; the owner’s remembered device is not held back', async (t) => {
  const c = await startControl({ ...THROTTLE_ENV, LOGIN_MAX_FAILURES: '2' });
  t.teardown(c.stop);
  const admin = await c.userToken('boss', 'admin');
  await c.userToken('owner', 'operator');
  const device = (await c.login('owner')).body.device_token as string;
  const attempt = (username: string, password: string, device_token?: string) => c.call('POST', '/admin/auth/login', { body: { username, password, device_token } });
  const wrongs = [await attempt('owner', 'guess number one'), await attempt('owner', 'guess number two')];
  t.same(wrongs.map((r) => r.status), [401, 401], 'a stranger guesses twice: the account now waits 600 s for unknown clients');

  const shape = (r: { status: number; text: string; headers: Headers }) => ({
    status: r.status,
    body: r.text,
    headers: ['www-authenticate', 'retry-after', 'content-type'].map((h) => r.headers.get(h)),
  });
  const wrong = await attempt('owner', 'guess number three');
  let right!: Awaited<ReturnType<typeof attempt>>;
  const scrypts = await scryptsDuring(async () => (right = await attempt('owner', PASSWORD)));
  t.same(shape(right), shape(wrong), 'the right password, held back, gets the answer a wrong one gets: status, body and headers');
  t.equal(right.headers.get('retry-after'), null, 'and no Retry-After that would tell');
  t.equal(scrypts, 0, 'but spends no hash (it waits as long as one instead), so a flood of them cannot fill the hashing gate');
  t.equal(await scryptsDuring(() => attempt('owner', 'guess number four')), 0, 'nor does a held-back wrong password');
  t.equal(await scryptsDuring(() => attempt('nobody-here', 'whatever password')), 0, 'nor an unknown name');
  t.same(shape(await attempt('nobody-here', 'whatever password')), shape(wrong), 'whose answer is the same too');

  const mine = await attempt('owner', PASSWORD, device);
  t.equal(mine.status, 200, 'the owner, with the device token of an earlier login, gets in at once');
  t.equal(mine.body.device_token.split('.')[2], device.split('.')[2], 'and keeps that device, renewed');
  const bossDevice = (await c.login('boss')).body.device_token as string;
  t.equal((await attempt('owner', PASSWORD, bossDevice)).status, 401, "another user's device token is no way past the wait");
  t.equal((await attempt('owner', PASSWORD, device.slice(0, -2) + 'AA')).status, 401, 'nor is a forged one');
  for (let i = 0; i < 2; i++) await attempt('owner', `typo ${i} on my laptop`, device);
  t.equal((await attempt('owner', PASSWORD, device)).status, 401, 'a device has its own allowance, held back like any other');

  const audit = (await c.cp.repos.audit.list({ action: 'auth.login', actor: 'owner' }, { limit: 50, offset: 0 })).items;
  t.ok(audit.some((e) => e.status === 401 && e.details?.reason === 'throttled' && e.details?.device === 'unknown'), 'the audit log says why (the client is not told)');
  t.ok(audit.some((e) => e.status === 200 && e.details?.device === 'known'));

  const owner = (await c.cp.repos.users.findByUsername('owner'))!;
  t.equal((await c.call('PATCH', `/admin/users/${owner.id}`, { token: admin, body: { password: 'a brand new password' } })).status, 200);
  t.equal((await attempt('owner', 'a brand new password')).status, 200, 'an admin password reset clears every wait');
  t.equal((await attempt('owner', 'a brand new password', device)).status, 200);
});

t.test('a full hashing gate: strangers get 503 busy, which is not counted as a failure; the owner’s remembered device still gets in', async (t) => {
  const c = await startControl(THROTTLE_ENV);
  t.teardown(c.stop);
  await c.userToken('owner', 'operator');
  const device = (await c.login('owner')).body.device_token as string;
  let unblock: (() => void) | undefined;
  const blocker = hashingGate.run(() => new Promise<void>((r) => (unblock = r)));
  await until('the blocking hash holds the slot', () => unblock !== undefined);
  const fillers = Array.from({ length: hashingGate.maxWaiting }, () => hashingGate.run(async () => {}));
  t.teardown(async () => {
    unblock?.();
    await Promise.allSettled([blocker, ...fillers]);
  });
  const attempt = (password: string, device_token?: string) => c.call('POST', '/admin/auth/login', { body: { username: 'owner', password, device_token } });
  for (let i = 0; i < 7; i++) {
    const r = await attempt(`a stranger's guess ${i}`);
    t.equal(r.status, 503, `guess ${i}: 503 busy`);
  }
  t.equal(r503code(await attempt('one more guess')), 'busy');
  t.match(await c.cp.repos.users.findByUsername('owner'), { failed_logins: 0, locked_until: null }, 'refused as busy, no attempt was counted: the owner is not pushed up the wait ladder');
  const mine = attempt(PASSWORD, device);
  await until('the owner waits in the priority room', () => hashingGate.waiting === hashingGate.maxWaiting + 1);
  unblock!();
  t.equal((await mine).status, 200, 'the owner, from a remembered device, gets in, ahead of the waiting strangers');
});

function r503code(r: { status: number; body: { error?: { code?: string } } }): string | undefined {
  return r.status === 503 ? r.body.error?.code : `status ${r.status}`;
}

t.test('a wait ends: then the right password is checked and clears the count', async (t) => {
  const c = await startControl({ LOGIN_MAX_FAILURES: '1', LOGIN_FIRST_DELAY_S: '1', LOGIN_LOCKOUT_S: '1' });
  t.teardown(c.stop);
  await c.userToken('sam', 'viewer');
  t.equal((await c.login('sam', 'not my password')).status, 401);
  const { locked_until } = (await c.cp.repos.users.findByUsername('sam'))!;
  t.ok(locked_until);
  // Waiting for the clock, not for the server: attempts before it would be held back (and counted).
  await until('the one-second wait is over', () => Date.now() > Date.parse(locked_until!), { everyMs: 50 });
  t.equal((await c.login('sam')).status, 200, 'the owner is in once the wait ends');
  t.match(await c.cp.repos.users.findByUsername('sam'), { failed_logins: 0, locked_until: null });
});

t.test('a hash made with weaker parameters is replaced after a successful login, and only then', async (t) => {
  const c = await startControl(); // PASSWORD_HASH_LN=12 (TEST_ENV): the server's cost for new hashes
  t.teardown(c.stop);
  const weak = await hashPassword(PASSWORD, { ln: 10, r: 8, p: 1 });
  const u = await c.cp.repos.users.create({ username: 'old-hash', role: 'viewer', password_hash: weak });
  t.equal((await c.login('old-hash', 'not the password')).status, 401);
  t.equal((await c.cp.repos.users.findById(u.id))!.password_hash, weak, 'a failed login changes nothing');
  t.equal((await c.login('old-hash')).status, 200);
  const upgraded = (await c.cp.repos.users.findById(u.id))!.password_hash;
  t.match(upgraded, /^\$scrypt\$ln=12,r=8,p=1\$/, 'rehashed at the configured cost');
  t.ok(await verifyPassword(PASSWORD, upgraded), 'with the same password');
  t.equal((await c.login('old-hash')).status, 200, 'which still logs in');
  t.equal((await c.cp.repos.users.findById(u.id))!.password_hash, upgraded, 'and is not rehashed again');
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

t.test("an access token naming another user's session (or a revoked or unknown one) is refused", async (t) => {
  const secret = 'test-secret-key-'.repeat(3);
  const c = await startControl({ SECRET_KEY: secret });
  t.teardown(c.stop);
  const jwtKey = resolveMasterSecret(secret, c.db.dataDir).derive('jwt-hs256');
  await c.userToken('mallory', 'viewer');
  await c.userToken('alice-admin', 'admin');
  const mallory = (await c.cp.repos.users.findByUsername('mallory'))!;
  const alice = (await c.login('alice-admin')).body;
  const aliceSid = (await c.cp.db('refresh_tokens').where({ user_id: alice.user.id }).orderBy('created_at', 'desc').first()).family_id;
  const now = Math.floor(Date.now() / 1000);
  const token = (sub: number, sid: string) => signJwt({ sub: String(sub), sid, typ: 'access', iat: now, exp: now + 300 }, jwtKey);

  t.equal((await c.call('GET', '/admin/auth/me', { token: token(alice.user.id, aliceSid) })).status, 200, 'the signer is right: her own session works');
  const crossed = await c.call('GET', '/admin/auth/me', { token: token(mallory.id, aliceSid) });
  t.equal(crossed.status, 401, "mallory's user id with alice's live session is refused");
  t.equal(crossed.body.error.code, 'session_revoked');
  t.equal((await c.call('GET', '/admin/auth/me', { token: token(mallory.id, 'f'.repeat(32)) })).status, 401, 'a session that never existed');
  await c.call('POST', '/admin/auth/logout', { token: alice.access_token });
  t.equal((await c.call('GET', '/admin/auth/me', { token: token(alice.user.id, aliceSid) })).status, 401, 'a revoked session');
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
