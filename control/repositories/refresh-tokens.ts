/**
 * Refresh tokens, stored only as SHA-256 hashes. Tokens issued from one login share a family; a
 * token is single-use (rotation), and presenting a used one revokes the whole family, because it
 * means a copy of the token exists somewhere it should not.
 */
import { nowIso, type Queryable } from '../db/rows.ts';

export interface RefreshTokenRow {
  id: string;
  user_id: number;
  family_id: string;
  token_hash: string;
  created_at: string;
  expires_at: string;
  used_at: string | null;
  revoked_at: string | null;
  revoked_reason: string | null;
}

export class RefreshTokensRepo {
  constructor(private readonly db: Queryable) {}

  async insert(row: Omit<RefreshTokenRow, 'used_at' | 'revoked_at' | 'revoked_reason' | 'created_at'> & { ip?: string; user_agent?: string }): Promise<void> {
    await this.db('refresh_tokens').insert({ ...row, user_id: row.user_id, created_at: nowIso() });
  }

  async findByHash(tokenHash: string): Promise<RefreshTokenRow | undefined> {
    const r = await this.db('refresh_tokens').where({ token_hash: tokenHash }).first();
    return r ? { ...r, user_id: Number(r.user_id) } : undefined;
  }

  /** Mark a token used; false when it was already used or revoked (a lost race counts as reuse). */
  async markUsed(id: string): Promise<boolean> {
    const n = await this.db('refresh_tokens').where({ id }).whereNull('used_at').whereNull('revoked_at').update({ used_at: nowIso() });
    return n === 1;
  }

  async revokeFamily(familyId: string, reason: string): Promise<number> {
    return this.db('refresh_tokens').where({ family_id: familyId }).whereNull('revoked_at').update({ revoked_at: nowIso(), revoked_reason: reason });
  }

  async revokeAllForUser(userId: number, reason: string): Promise<number> {
    return this.db('refresh_tokens').where({ user_id: userId }).whereNull('revoked_at').update({ revoked_at: nowIso(), revoked_reason: reason });
  }

  /**
   * A session (family) is live for a user while it holds one unused, unrevoked, unexpired token of
   * that user's: a session id is not a credential on its own, so another user's live session never
   * counts.
   */
  async isSessionLive(familyId: string, userId: number): Promise<boolean> {
    const r = await this.db('refresh_tokens')
      .where({ family_id: familyId, user_id: userId })
      .whereNull('used_at')
      .whereNull('revoked_at')
      .where('expires_at', '>', nowIso())
      .first('id');
    return r !== undefined;
  }

  async deleteExpired(before: string = nowIso()): Promise<number> {
    return this.db('refresh_tokens').where('expires_at', '<', before).delete();
  }
}
