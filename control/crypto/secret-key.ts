/**
 * The control plane's master secret. From SECRET_KEY when set (at least 32 characters), otherwise
 * 32 random bytes generated once into `<dataDir>/secret.key` with mode 0600. Separate subkeys for
 * each use are derived with HKDF, so the API-key cipher and the JWT signer never share key material
 * and one leaking cannot be turned against the other.
 */
import { hkdfSync, randomBytes } from 'node:crypto';
import { chmodSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ensurePrivateDir } from '../../runtime/private-files.ts';

export const SECRET_KEY_FILE = 'secret.key';

export class SecretKeyError extends Error {
  override name = 'SecretKeyError';
}

export interface MasterSecret {
  source: 'env' | 'file' | 'generated';
  file?: string;
  /** A subkey for one purpose; same secret + purpose always gives the same key. */
  derive(purpose: string, bytes?: number): Buffer;
}

export function resolveMasterSecret(configured: string | undefined, dataDir: string): MasterSecret & { warning?: string } {
  if (configured !== undefined) {
    if (configured.length < 32) throw new SecretKeyError('SECRET_KEY must be at least 32 characters');
    return withDerive(Buffer.from(configured, 'utf8'), 'env');
  }
  const file = path.join(dataDir, SECRET_KEY_FILE);
  let warning: string | undefined;
  try {
    const text = readFileSync(file, 'utf8').trim();
    const key = Buffer.from(text, 'base64url');
    if (key.length < 32) throw new SecretKeyError(`${file} holds fewer than 32 bytes; remove it to generate a new one (encrypted API keys will need re-entering)`);
    if ((statSync(file).mode & 0o077) !== 0) warning = `${file} is readable by group or others; chmod 600 it`;
    return { ...withDerive(key, 'file', file), warning };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  ensurePrivateDir(dataDir);
  const key = randomBytes(32);
  writeFileSync(file, key.toString('base64url') + '\n', { mode: 0o600, flag: 'wx' });
  chmodSync(file, 0o600); // the umask may have narrowed the mode, never widened it, but be explicit
  return withDerive(key, 'generated', file);
}

function withDerive(ikm: Buffer, source: MasterSecret['source'], file?: string): MasterSecret {
  return {
    source,
    file,
    derive: (purpose, bytes = 32) => Buffer.from(hkdfSync('sha256', ikm, 'voice-gateway/control', purpose, bytes)),
  };
}
