import t from 'tap';
import { hashPassword, needsRehash, parseHash, verifyPassword } from '../../control/auth/password.ts';
import { JwtError, signJwt, verifyJwt } from '../../control/auth/jwt.ts';

t.test('scrypt hashes carry their salt and cost, and verify', async (t) => {
  const h = await hashPassword('correct horse battery staple');
  t.match(h, /^\$scrypt\$ln=15,r=8,p=1\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/);
  t.ok(await verifyPassword('correct horse battery staple', h));
  t.notOk(await verifyPassword('correct horse battery stapler', h));
  t.not(await hashPassword('same'), await hashPassword('same'), 'per-user salt');
  const cheap = await hashPassword('pw-cheap-123', { ln: 12, r: 8, p: 1 });
  t.ok(await verifyPassword('pw-cheap-123', cheap), 'parameters are read from the hash');
  t.ok(needsRehash(cheap), 'a cheaper hash is upgraded at next login');
  t.notOk(needsRehash(h));
  t.notOk(await verifyPassword('x', 'sha256$salt$abc'), 'unknown formats never verify');
  t.equal(parseHash('$scrypt$ln=30,r=8,p=1$AAAA$AAAA'), null, 'absurd cost refused');
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
