import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import t from 'tap';
import { FieldCipher } from '../../control/crypto/field-cipher.ts';
import { resolveMasterSecret, SECRET_KEY_FILE, SecretKeyError } from '../../control/crypto/secret-key.ts';

t.test('secret key: generated once into a 0600 file, then reused; SECRET_KEY wins', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'vg-secret-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const a = resolveMasterSecret(undefined, dir);
  t.equal(a.source, 'generated');
  t.equal(statSync(path.join(dir, SECRET_KEY_FILE)).mode & 0o777, 0o600);
  const b = resolveMasterSecret(undefined, dir);
  t.equal(b.source, 'file');
  t.same(a.derive('x'), b.derive('x'), 'same key after a restart');
  t.notSame(a.derive('x'), a.derive('y'), 'purposes get different subkeys');
  const env = resolveMasterSecret('s'.repeat(40), dir);
  t.equal(env.source, 'env');
  t.notSame(env.derive('x'), a.derive('x'));
  t.throws(() => resolveMasterSecret('short', dir), SecretKeyError);
  writeFileSync(path.join(dir, SECRET_KEY_FILE), 'abc\n');
  t.throws(() => resolveMasterSecret(undefined, dir), SecretKeyError, 'a truncated key file is refused, not silently replaced');
  t.equal(readFileSync(path.join(dir, SECRET_KEY_FILE), 'utf8'), 'abc\n');
});

t.test('field cipher: round trip, fresh IV each time, tampering and wrong context detected', async (t) => {
  const c = new FieldCipher(Buffer.alloc(32, 7));
  const x = c.encrypt('sk-secret', 'llm_providers.api_key');
  const y = c.encrypt('sk-secret', 'llm_providers.api_key');
  t.not(x, y, 'random IV');
  t.notMatch(x, /sk-secret/);
  t.equal(c.decrypt(x, 'llm_providers.api_key'), 'sk-secret');
  t.throws(() => c.decrypt(x, 'other.column'), 'bound to its column');
  const parts = x.split('.');
  parts[3] = Buffer.from('tampered!').toString('base64url');
  t.throws(() => c.decrypt(parts.join('.'), 'llm_providers.api_key'), 'tampered ciphertext fails');
  t.throws(() => new FieldCipher(Buffer.alloc(31)).encrypt('a', 'b'));
  t.throws(() => new FieldCipher(Buffer.alloc(32, 8)).decrypt(x, 'llm_providers.api_key'), 'another key cannot decrypt');
});
