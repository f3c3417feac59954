/**
 * Short-lived voice tokens for signed-in operators (the admin UI's softphone). The voice WebSocket's
 * own token (VOICE_WS_TOKEN) is gateway-wide and must never reach a browser; instead an operator
 * asks `POST /admin/voice/token` and gets a token that opens one voice connection within its TTL
 * (60 s). It is spent by the upgrade that presents it, so a token seen in a log or a proxy is
 * worth nothing afterwards.
 *
 * Kept in this process's memory: only the gateway that minted a token accepts it (a softphone talks
 * to the gateway that served it; behind a load balancer, pin /admin/voice/token and the voice path
 * to one node, or the upgrade answers 401). Stored by SHA-256, so the map holds no usable secret
 * and a lookup leaks nothing through timing.
 */
import { createHash, randomBytes } from 'node:crypto';

export const OPERATOR_VOICE_TOKEN_TTL_S = 60;
/** More outstanding tokens than any honest set of operators asks for in a minute; beyond it the oldest go. */
const MAX_OUTSTANDING = 1000;
const PREFIX = 'vgop_';

export interface OperatorVoiceGrant {
  userId: number;
  username: string;
}

interface Outstanding extends OperatorVoiceGrant {
  expiresAtMs: number;
}

const digest = (token: string) => createHash('sha256').update(token).digest('base64url');

export class OperatorVoiceTokens {
  readonly #tokens = new Map<string, Outstanding>();

  constructor(
    private readonly ttlS: number = OPERATOR_VOICE_TOKEN_TTL_S,
    private readonly now: () => number = Date.now,
  ) {}

  /** A new token for `grant`, valid for one connection within the TTL. */
  mint(grant: OperatorVoiceGrant): { token: string; expiresAt: Date } {
    this.#prune();
    const token = PREFIX + randomBytes(32).toString('base64url');
    const expiresAtMs = this.now() + this.ttlS * 1000;
    this.#tokens.set(digest(token), { ...grant, expiresAtMs });
    return { token, expiresAt: new Date(expiresAtMs) };
  }

  /** Spend `token`: the grant when it is live (it is then gone), else null. */
  redeem(token: string): OperatorVoiceGrant | null {
    if (!token.startsWith(PREFIX)) return null;
    const key = digest(token);
    const found = this.#tokens.get(key);
    if (!found) return null;
    this.#tokens.delete(key);
    if (found.expiresAtMs <= this.now()) return null;
    return { userId: found.userId, username: found.username };
  }

  get outstanding(): number {
    return this.#tokens.size;
  }

  #prune(): void {
    const now = this.now();
    for (const [key, t] of this.#tokens) if (t.expiresAtMs <= now) this.#tokens.delete(key);
    // Map order is insertion order: the first keys are the oldest.
    for (const key of this.#tokens.keys()) {
      if (this.#tokens.size < MAX_OUTSTANDING) break;
      this.#tokens.delete(key);
    }
  }
}
