/**
 * API keys for the OpenAI-compatible API. A key is `vgk_<prefix>_<secret>`; we store the prefix
 * (to show the admin which key is which) and SHA-256 of the whole key. A plain hash is enough here,
 * unlike passwords: the secret is 32 random bytes, so there is nothing to brute-force.
 */
import { createHash, randomBytes } from 'node:crypto';
import { insertedId, nowIso, num, type Queryable } from '../db/rows.ts';

export interface ApiKey {
  id: number;
  name: string;
  prefix: string;
  created_by: number | null;
  created_at: string;
  last_used_at: string | null;
  expires_at: string | null;
  revoked_at: string | null;
}

export const hashApiKey = (key: string): string => createHash('sha256').update(key).digest('hex');

const toKey = (r: Record<string, unknown>): ApiKey => ({
  id: num(r.id),
  name: String(r.name),
  prefix: String(r.prefix),
  created_by: r.created_by === null || r.created_by === undefined ? null : num(r.created_by),
  created_at: String(r.created_at),
  last_used_at: (r.last_used_at as string | null) ?? null,
  expires_at: (r.expires_at as string | null) ?? null,
  revoked_at: (r.revoked_at as string | null) ?? null,
});

export class ApiKeysRepo {
  constructor(private readonly db: Queryable) {}

  /** Create a key; the plaintext is returned once, here, and never again. */
  async create(input: { name: string; created_by: number | null; expires_at?: string | null }): Promise<{ key: string; record: ApiKey }> {
    const prefix = randomBytes(6).toString('hex');
    const key = `vgk_${prefix}_${randomBytes(32).toString('base64url')}`;
    const id = insertedId(
      await this.db('api_keys')
        .insert({ name: input.name, prefix, key_hash: hashApiKey(key), created_by: input.created_by, expires_at: input.expires_at ?? null, created_at: nowIso() })
        .returning('id'),
    );
    return { key, record: (await this.get(id))! };
  }

  async get(id: number): Promise<ApiKey | undefined> {
    const r = await this.db('api_keys').where({ id }).first();
    return r ? toKey(r) : undefined;
  }

  async findByHash(keyHash: string): Promise<ApiKey | undefined> {
    const r = await this.db('api_keys').where({ key_hash: keyHash }).first();
    return r ? toKey(r) : undefined;
  }

  async list(): Promise<ApiKey[]> {
    return (await this.db('api_keys').orderBy('id')).map(toKey);
  }

  async revoke(id: number): Promise<boolean> {
    return (await this.db('api_keys').where({ id }).whereNull('revoked_at').update({ revoked_at: nowIso() })) > 0;
  }

  async touch(ids: number[], at: string): Promise<void> {
    if (ids.length) await this.db('api_keys').whereIn('id', ids).update({ last_used_at: at });
  }
}
