/**
 * Minimal HS256 JSON Web Tokens on node:crypto, for our own short-lived access tokens only (we
 * issue them and we verify them; no third-party tokens, no key sets). The header is fixed and
 * checked byte for byte, which rules out `alg: none` and algorithm confusion. If the project adds
 * `jose`, `signJwt`/`verifyJwt` are the only two functions to swap.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export interface JwtClaims {
  sub: string;
  iat: number;
  exp: number;
  [claim: string]: unknown;
}

export class JwtError extends Error {
  override name = 'JwtError';
  constructor(readonly reason: 'malformed' | 'signature' | 'expired' | 'claims') {
    super(`invalid token (${reason})`);
  }
}

const HEADER = Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'JWT' })).toString('base64url');

const sign = (input: string, key: Buffer) => createHmac('sha256', key).update(input).digest();

export function signJwt(claims: JwtClaims, key: Buffer): string {
  const payload = Buffer.from(JSON.stringify(claims)).toString('base64url');
  const input = `${HEADER}.${payload}`;
  return `${input}.${sign(input, key).toString('base64url')}`;
}

/** Verify signature and expiry; `nowS` is Unix seconds. Leeway covers small clock differences between processes. */
export function verifyJwt(token: string, key: Buffer, nowS: number = Math.floor(Date.now() / 1000), leewayS = 5): JwtClaims {
  const parts = token.split('.');
  if (parts.length !== 3 || parts[0] !== HEADER) throw new JwtError('malformed');
  const expected = sign(`${parts[0]}.${parts[1]}`, key);
  const given = Buffer.from(parts[2], 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw new JwtError('signature');
  let claims: JwtClaims;
  try {
    claims = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8')) as JwtClaims;
  } catch {
    throw new JwtError('malformed');
  }
  if (typeof claims !== 'object' || claims === null || typeof claims.sub !== 'string' || typeof claims.exp !== 'number') throw new JwtError('claims');
  if (claims.exp + leewayS <= nowS) throw new JwtError('expired');
  return claims;
}
