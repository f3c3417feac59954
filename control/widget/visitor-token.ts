/**
 * A website visitor's token: HS256-signed (control/auth/jwt.ts) with a key of its own, naming one
 * chat session of one widget instance and the origin it was issued to. It is short-lived
 * (VISITOR_TOKEN_TTL_S) so a copied token is soon worthless, and renewable for a while after it
 * expires (VISITOR_RENEW_WINDOW_S) so a visitor who comes back the next day still finds their
 * conversation. It is not an admin credential: it opens one conversation and nothing else, so the
 * widget keeps it in the host page's localStorage.
 *
 * The voice token is the same kind of thing for one voice call: a minute to connect, then done.
 */
import { randomBytes } from 'node:crypto';
import { JwtError, signJwt, verifyJwt, type JwtClaims } from '../auth/jwt.ts';
import { unauthorized } from '../http/errors.ts';
import type { WidgetVisitor } from '../http/route.ts';

export const VISITOR_TOKEN_TTL_S = 15 * 60;
export const VISITOR_RENEW_WINDOW_S = 7 * 24 * 3600;
export const VOICE_TOKEN_TTL_S = 60;

const VISITOR = 'widget_visitor';
const VOICE = 'widget_voice';

export interface IssuedToken {
  token: string;
  expires_at: string;
}

export interface VoiceGrant extends WidgetVisitor {
  /** The persona the call speaks as (the instance's), null for the default. */
  personaId: number | null;
  /** The token's own id: a voice token opens one call. */
  tokenId: string;
  /** Unix seconds. */
  expiresAt: number;
}

export class VisitorTokens {
  constructor(
    private readonly key: Buffer,
    private readonly now: () => number = Date.now,
    readonly ttlS = VISITOR_TOKEN_TTL_S,
  ) {}

  /** The same key on another clock: tokens issued in the past, for tests and tools. */
  withClock(now: () => number): VisitorTokens {
    return new VisitorTokens(this.key, now, this.ttlS);
  }

  issue(v: WidgetVisitor): IssuedToken {
    const iat = Math.floor(this.now() / 1000);
    const exp = iat + this.ttlS;
    const token = signJwt({ sub: String(v.sessionId), typ: VISITOR, wid: v.instanceId, pub: v.publicId, org: v.origin, iat, exp }, this.key);
    return { token, expires_at: new Date(exp * 1000).toISOString() };
  }

  /** A live token's visitor; 401 `visitor_token_expired` or `visitor_token_invalid` otherwise. */
  verify(token: string | undefined): WidgetVisitor {
    return this.#visitor(token, VISITOR, 0);
  }

  /** Like verify, but a token that expired less than VISITOR_RENEW_WINDOW_S ago is still good. */
  verifyForRenewal(token: string | undefined): WidgetVisitor {
    return this.#visitor(token, VISITOR, VISITOR_RENEW_WINDOW_S);
  }

  issueVoice(v: WidgetVisitor, personaId: number | null): IssuedToken {
    const iat = Math.floor(this.now() / 1000);
    const exp = iat + VOICE_TOKEN_TTL_S;
    const jti = randomBytes(12).toString('base64url');
    const token = signJwt({ sub: String(v.sessionId), typ: VOICE, wid: v.instanceId, pub: v.publicId, org: v.origin, per: personaId, jti, iat, exp }, this.key);
    return { token, expires_at: new Date(exp * 1000).toISOString() };
  }

  /** A voice token's grant, or null (not one of ours, expired, or another kind of token). */
  voiceGrant(token: string): VoiceGrant | null {
    try {
      const { visitor, claims } = this.#verified(token, VOICE, 0);
      if (typeof claims.jti !== 'string') return null;
      return { ...visitor, personaId: typeof claims.per === 'number' ? claims.per : null, tokenId: claims.jti, expiresAt: claims.exp };
    } catch {
      return null;
    }
  }

  #visitor(token: string | undefined, typ: string, graceS: number): WidgetVisitor {
    return this.#verified(token, typ, graceS).visitor;
  }

  #verified(token: string | undefined, typ: string, graceS: number): { visitor: WidgetVisitor; claims: JwtClaims } {
    if (!token) throw unauthorized('a visitor token is required (POST /widget/v1/<widget>/sessions gives one)', 'visitor_token_required');
    let claims: JwtClaims;
    try {
      claims = verifyJwt(token, this.key, Math.floor(this.now() / 1000) - graceS);
    } catch (err) {
      if (err instanceof JwtError && err.reason === 'expired') throw unauthorized('the visitor token has expired; renew it', 'visitor_token_expired');
      throw unauthorized('the visitor token is not valid', 'visitor_token_invalid');
    }
    const sessionId = Number(claims.sub);
    if (claims.typ !== typ || !Number.isSafeInteger(sessionId) || typeof claims.wid !== 'number' || typeof claims.pub !== 'string' || typeof claims.org !== 'string') {
      throw unauthorized('the visitor token is not valid', 'visitor_token_invalid');
    }
    return { visitor: { instanceId: claims.wid, publicId: claims.pub, sessionId, origin: claims.org }, claims };
  }
}
