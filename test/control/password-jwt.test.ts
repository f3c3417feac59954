import { scryptSync } from 'node:crypto';
import t from 'tap';
import { HashingBusyError, HashingGate } from '../../control/auth/hashing-gate.ts';
import { fromServiceError } from '../../control/http/errors.ts';
import { DEFAULT_PARAMS, hashPassword, needsRehash, OWASP_MIN_PARAMS, parseHash, scryptMemoryBytes, verifyPassword } from '../../control/auth/password.ts';
import { until } from '../helpers/until.ts';
import { JwtError, signJwt, verifyJwt } from '../../control/auth/jwt.ts';

t.test("scrypt hashes carry their salt and cost, verify, and default to OWASP's minimum (N=2^17, r=8, p=1)", async (t) => {
  t.same(DEFAULT_PARAMS, { ln: 17, r: 8, p: 1 });
  const h = await hashPassword('correct horse battery staple');
  t.match(h, /^\$scrypt\$ln=17,r=8,p=1\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/);
  t.ok(await verifyPassword('correct horse battery staple', h));
  t.notOk(await verifyPassword('correct horse battery stapler', h));
  const cheap = { ln: 10, r: 8, p: 1 };
  t.not(await hashPassword('same', cheap), await hashPassword('same', cheap), 'per-user salt');
  const weak = await hashPassword('pw-cheap-123', { ln: 12, r: 8, p: 1 });
  t.ok(await verifyPassword('pw-cheap-123', weak), 'parameters are read from the hash');
  t.ok(needsRehash(weak), 'a cheaper hash is upgraded at next login');
  t.ok(needsRehash(await hashPassword('x', { ln: 15, r: 8, p: 1 })), "the old default (ln=15) is below OWASP's and is upgraded");
  t.notOk(needsRehash(h));
  t.notOk(await verifyPassword('x', 'sha256$salt$abc'), 'unknown formats never verify');
  t.equal(parseHash('$scrypt$ln=30,r=8,p=1$AAAA$AAAA'), null, 'absurd cost refused');
  t.equal(parseHash('$scrypt$ln=20,r=32,p=1$AAAA$AAAA'), null, 'a stored hash asking for 4 GiB is refused');
  t.equal(parseHash('$scrypt$ln=17,r=8,p=16$AAAA$AAAA'), null, 'p=16 (sixteen times the work) is refused too');
  await t.rejects(hashPassword('x', { ln: 20, r: 8, p: 1 }), RangeError, 'nor do we make such hashes');
});

t.test('maxmem is exactly what scrypt needs: OWASP cost fits, and Node would refuse it with its default', async (t) => {
  const need = scryptMemoryBytes(OWASP_MIN_PARAMS);
  t.equal(need, 128 * 8 * (2 ** 17 + 3), '128 MiB and a little: V of (N+2) blocks plus p blocks of 128*r bytes');
  t.ok(need > 32 * 1024 * 1024, "more than Node's default maxmem, so it must be passed");
  const opts = { N: 2 ** 10, r: 8, p: 1 };
  const exact = scryptMemoryBytes({ ln: 10, r: 8, p: 1 });
  t.doesNotThrow(() => scryptSync('pw', 'salt', 32, { ...opts, maxmem: exact }), 'enough');
  t.throws(() => scryptSync('pw', 'salt', 32, { ...opts, maxmem: exact - 1 }), 'one byte less is not: the formula is the real need');
});

t.test('hashing runs off the event loop, one at a time: the loop keeps turning while a hash is computed', async (t) => {
  let ticks = 0;
  const timer = setInterval(() => ticks++, 1);
  let done = false;
  const hashing = hashPassword('correct horse battery staple', OWASP_MIN_PARAMS).finally(() => (done = true));
  await until('the event loop ticks while scrypt runs', () => ticks >= 3);
  clearInterval(timer);
  t.notOk(done, 'the timer ran before the hash was done (a synchronous scrypt would have finished first)');
  t.match(await hashing, /^\$scrypt\$ln=17/);
});

t.test('the hashing gate admits `concurrency` jobs, queues up to maxWaiting, refuses the rest at once', async (t) => {
  const gate = new HashingGate(1, 2);
  const releases: Array<() => void> = [];
  let peak = 0;
  const job = () =>
    gate.run(async () => {
      peak = Math.max(peak, gate.running);
      await new Promise<void>((r) => releases.push(r));
    });
  const admitted = [job(), job(), job()];
  const refused = await job().catch((e: unknown) => e);
  t.type(refused, HashingBusyError, 'a fourth finds the queue full');
  t.match(fromServiceError(refused), { status: 503, code: 'busy', headers: [['Retry-After', '1']] }, 'which every route answers 503 busy');
  t.equal(gate.running, 1);
  t.equal(gate.waiting, 2);
  for (let i = 0; i < 3; i++) {
    await until(`job ${i + 1} runs`, () => releases.length === i + 1);
    releases[i]();
  }
  await Promise.all(admitted);
  t.equal(peak, 1, 'never two at once');
  t.equal(gate.running, 0);
  await gate.run(async () => {});
});

t.test('the hashing gate: priority tickets have their own room and go first; a ticket given back frees its place', async (t) => {
  const gate = new HashingGate(1, 1, 1);
  const order: string[] = [];
  let unblock: (() => void) | undefined;
  const running = gate.run(() => new Promise<void>((r) => (unblock = r)));
  const stranger = gate.admit();
  t.throws(() => gate.admit(), HashingBusyError, "the strangers' room is full");
  const owner = gate.admit({ priority: true });
  t.throws(() => gate.admit({ priority: true }), HashingBusyError, 'the priority room has its own limit');
  const done = [stranger.run(async () => void order.push('stranger')), owner.run(async () => void order.push('owner'))];
  await until('the first job runs', () => unblock !== undefined);
  unblock!();
  await Promise.all([running, ...done]);
  t.same(order, ['owner', 'stranger'], 'the priority ticket ran first though it came second');
  t.equal(gate.completed, 3);

  let hold: (() => void) | undefined;
  const busy = gate.run(() => new Promise<void>((r) => (hold = r)));
  await until('the blocking job runs', () => hold !== undefined);
  const given = gate.admit();
  given.release();
  t.equal(gate.waiting, 0, 'a waiting ticket given back leaves the room');
  const next = gate.admit();
  hold!();
  await busy;
  await next.run(async () => {});
  t.equal(gate.running, 0, 'and a held slot given back passes on');
  gate.admit().release();
  t.equal(gate.running, 0);
});

t.test('JWT: signs, verifies, and refuses tampering, other keys, alg=none and expiry', async (t) => {
  const key = Buffer.alloc(32, 1);
  const now = 1_700_000_000;
  const tok = signJwt({ sub: '1', sid: 'abc', iat: now, exp: now + 60 }, key);
  t.equal(verifyJwt(tok, key, now).sub, '1');
  const [h, p, s] = tok.split('.');
  const forged = Buffer.from(JSON.stringify({ sub: '2', iat: now, exp: now + 60 })).toString('base64url');
  t.throws(() => verifyJwt(`${h}.${forged}.${s}`, key, now), JwtError);
  t.throws(() => verifyJwt(tok, Buffer.alloc(32, 2), now), JwtError);
  const none = Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url');
  t.throws(() => verifyJwt(`${none}.${p}.`, key, now), new JwtError('malformed'));
  t.throws(() => verifyJwt(tok, key, now + 120), new JwtError('expired'));
  t.throws(() => verifyJwt('garbage', key, now), new JwtError('malformed'));
});
