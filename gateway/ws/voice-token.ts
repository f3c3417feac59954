/**
 * The voice path's bearer token. Security by default: there is no built-in token. When
 * VOICE_WS_TOKEN is unset we generate a random one once and keep it in DATA_DIR/voice-token
 * (mode 0600), where the reference client and local tools find it; it is never logged.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ensurePrivateDir, PRIVATE_FILE_MODE } from '../../runtime/private-files.ts';

export const TOKEN_FILE = 'voice-token';

export function resolveVoiceToken(configured: string | undefined, dataDir: string): { token: string; source: 'env' | 'file' | 'generated'; file?: string } {
  if (configured) return { token: configured, source: 'env' };
  const file = path.join(dataDir, TOKEN_FILE);
  try {
    const existing = readFileSync(file, 'utf8').trim();
    if (existing.length >= 16) return { token: existing, source: 'file', file };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  ensurePrivateDir(dataDir);
  const token = randomBytes(24).toString('base64url');
  writeFileSync(file, token + '\n', { mode: PRIVATE_FILE_MODE });
  return { token, source: 'generated', file };
}

/** Constant-time comparison, the control plane's (one implementation for every secret we compare). */
export { tokenMatches } from '../../control/auth/token-compare.ts';

/** Token from `?token=`, `Authorization: Bearer`, or a `bearer.<token>` WebSocket subprotocol (browsers cannot set headers). */
export function presentedToken(query: string, authorization: string, protocols: string): string | undefined {
  if (query) return query;
  const m = /^Bearer\s+(\S+)$/i.exec(authorization);
  if (m) return m[1];
  for (const p of protocols.split(',')) {
    const t = p.trim();
    if (t.startsWith('bearer.')) return t.slice('bearer.'.length);
  }
  return undefined;
}
