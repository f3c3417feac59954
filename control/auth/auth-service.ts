/**
 * Logins and sessions. A login starts a session (a refresh-token family) and returns a short-lived
 * JWT access token plus a single-use refresh token. Refreshing rotates the refresh token; presenting
 * one that was already used revokes the whole family (someone holds a stolen copy). Logout revokes
 * the family, and every authenticated request checks that its family is still live and belongs to
 * the token's user, and re-reads the user, so logout, disabling a user or changing a role take
 * effect at once, not at token expiry. Wrong passwords are throttled per account and per
 * remembered device (login-throttle.ts, device-token.ts).
 */
import { randomBytes } from 'node:crypto';
import type { Knex } from 'knex';
import { nowIso } from '../db/rows.ts';
import { HttpError, unauthorized } from '../http/errors.ts';
import { createRepositories, type Repositories } from '../repositories/index.ts';
import type { FieldCipher } from '../crypto/field-cipher.ts';
import type { UserWithHash } from '../repositories/users.ts';
import type { DeviceTokens } from './device-token.ts';
import { JwtError, signJwt, verifyJwt } from './jwt.ts';
import { LoginRefusedError, type LoginRefusal } from './login-refused.ts';
import type { ThrottlePolicy } from './login-throttle.ts';
import { hashingGate, hashPassword, needsRehash, typicalHashMs, verifyPassword, type ScryptParams } from './password.ts';
import { sha256Hex } from './token-compare.ts';

export interface AuthSettings {
  accessTokenTtlS: number;
  refreshTokenTtlS: number;
  loginThrottle: ThrottlePolicy;
  hashParams: ScryptParams;
}

export interface TokenPair {
  token_type: 'Bearer';
  access_token: string;
  expires_in: number;
  refresh_token: string;
  refresh_expires_in: number;
}

export interface ClientMeta {
  ip: string;
  userAgent?: string;
}

export interface AuthenticatedUser {
  user: UserWithHash;
  /** Session (refresh-token family) id. */
  sid: string;
}

export class AuthService {
  constructor(
    private readonly db: Knex,
    private readonly repos: Repositories,
    private readonly cipher: FieldCipher,
    private readonly jwtKey: Buffer,
    private readonly devices: DeviceTokens,
    readonly settings: AuthSettings,
  ) {}

  hash(password: string): Promise<string> {
    return hashPassword(password, this.settings.hashParams);
  }

  /**
   * Check a password; throws LoginRefusedError. Only an attempt the throttle lets through, against
   * an existing account, spends a scrypt: an unknown name or an attempt held back waits as long as
   * a typical hash at the current cost instead (typicalHashMs), so a flood of them cannot fill the
   * hashing gate; every refusal is padded to that duration, so none tells from outside why. A
   * place in the gate is taken before the attempt is counted, so one refused as busy (503) is not a
   * failure; a remembered device takes a priority place. The device token returned is for this client's later logins.
   */
  async login(username: string, password: string, meta: ClientMeta, deviceToken?: string): Promise<{ user: UserWithHash; tokens: TokenPair; deviceToken: string; knownDevice: boolean }> {
    const started = performance.now();
    const user = await this.repos.users.findByUsername(username);
    const deviceId = user ? (this.devices.deviceOf(deviceToken, user) ?? undefined) : undefined;
    // An unknown name takes a place too (and gives it back), so a full gate answers every name alike.
    const ticket = hashingGate.admit({ priority: deviceId !== undefined });
    let refusal: LoginRefusal | null = 'unknown_user';
    try {
      if (user && !(await this.repos.loginThrottles.claim({ userId: user.id, deviceId }, this.settings.loginThrottle)).checked) refusal = 'throttled';
      else if (user) {
        const right = await verifyPassword(password, user.password_hash, ticket);
        // Disabled is checked after the password so a disabled account is indistinguishable from a wrong password.
        refusal = !right ? 'wrong_password' : user.disabled ? 'disabled' : null;
      }
    } finally {
      ticket.release();
    }
    if (refusal || !user) {
      // Every refusal ends as late as a checked attempt would: an unknown name or a held-back
      // attempt (no hash), a wrong password against an older, cheaper hash, and the throttle's
      // write (done for real accounts only) all hide inside the same measured duration.
      await this.#likeAHash(started);
      throw new LoginRefusedError(refusal ?? 'unknown_user', deviceId !== undefined);
    }
    const bucket = { userId: user.id, deviceId };
    await this.repos.loginThrottles.clear(bucket);
    await this.repos.users.recordLogin(user.id);
    if (needsRehash(user.password_hash, this.settings.hashParams)) {
      await this.repos.users.update(user.id, { password_hash: await this.hash(password) });
    }
    const tokens = await this.issue(this.repos, user, randomBytes(16).toString('hex'), meta);
    return { user, tokens, deviceToken: this.devices.issue(user, deviceId), knownDevice: deviceId !== undefined };
  }

  /**
   * Ends no sooner than a typical hash at the current cost after `started`, plus up to a quarter
   * more at random (real hashes vary too): what a checked attempt would have taken.
   */
  async #likeAHash(started: number): Promise<void> {
    const typical = await typicalHashMs(this.settings.hashParams);
    const left = started + typical * (1 + Math.random() * 0.25) - performance.now();
    if (left > 0) await new Promise((resolve) => setTimeout(resolve, left));
  }

  async refresh(refreshToken: string, meta: ClientMeta): Promise<{ user: UserWithHash; tokens: TokenPair }> {
    const reuse = new HttpError(401, 'refresh_token_reused', 'this refresh token was already used; the session has been revoked');
    let outcome: { user: UserWithHash; tokens: TokenPair } | HttpError;
    // The transaction makes check-and-rotate atomic; a reuse verdict commits its revocation.
    outcome = await this.db.transaction(async (trx) => {
      const repos = createRepositories(trx, this.cipher);
      const row = await repos.refreshTokens.findByHash(sha256Hex(refreshToken));
      if (!row || row.revoked_at) return unauthorized('invalid refresh token', 'invalid_refresh_token');
      if (row.used_at || !(await repos.refreshTokens.markUsed(row.id))) {
        await repos.refreshTokens.revokeFamily(row.family_id, 'reuse');
        return reuse;
      }
      if (row.expires_at <= nowIso()) return unauthorized('refresh token expired', 'invalid_refresh_token');
      const user = await repos.users.findById(row.user_id);
      if (!user || user.disabled) {
        await repos.refreshTokens.revokeFamily(row.family_id, 'user_disabled');
        return unauthorized('invalid refresh token', 'invalid_refresh_token');
      }
      return { user, tokens: await this.issue(repos, user, row.family_id, meta) };
    });
    if (outcome instanceof HttpError) throw outcome;
    return outcome;
  }

  async logout(sid: string): Promise<void> {
    await this.repos.refreshTokens.revokeFamily(sid, 'logout');
  }

  /** Verify an access token and load its user; throws 401 for anything short of a live session. */
  async authenticate(accessToken: string): Promise<AuthenticatedUser> {
    let claims;
    try {
      claims = verifyJwt(accessToken, this.jwtKey);
    } catch (err) {
      if (err instanceof JwtError) throw unauthorized(err.reason === 'expired' ? 'access token expired' : 'invalid access token', 'invalid_token');
      throw err;
    }
    if (claims.typ !== 'access' || typeof claims.sid !== 'string') throw unauthorized('invalid access token', 'invalid_token');
    const user = await this.repos.users.findById(Number(claims.sub));
    if (!user || user.disabled) throw unauthorized('invalid access token', 'invalid_token');
    if (!(await this.repos.refreshTokens.isSessionLive(claims.sid, user.id))) throw unauthorized('session ended; log in again', 'session_revoked');
    return { user, sid: claims.sid };
  }

  private async issue(repos: Repositories, user: UserWithHash, familyId: string, meta: ClientMeta): Promise<TokenPair> {
    const now = Math.floor(Date.now() / 1000);
    const access = signJwt({ sub: String(user.id), sid: familyId, typ: 'access', iat: now, exp: now + this.settings.accessTokenTtlS }, this.jwtKey);
    const refresh = randomBytes(32).toString('base64url');
    await repos.refreshTokens.insert({
      id: randomBytes(16).toString('hex'),
      user_id: user.id,
      family_id: familyId,
      token_hash: sha256Hex(refresh),
      expires_at: nowIso(Date.now() + this.settings.refreshTokenTtlS * 1000),
      ip: meta.ip.slice(0, 64),
      user_agent: meta.userAgent?.slice(0, 256),
    });
    return {
      token_type: 'Bearer',
      access_token: access,
      expires_in: this.settings.accessTokenTtlS,
      refresh_token: refresh,
      refresh_expires_in: this.settings.refreshTokenTtlS,
    };
  }
}
