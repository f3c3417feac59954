/**
 * Bearer API keys for /v1. Lookups are cached for a few seconds, because the OpenAI-compatible
 * API is the hot path and a key check must not cost a database round trip per request. Revoking
 * a key through the admin API clears this process's cache at once; other processes see it within
 * the TTL. `last_used_at` is written in batches for the same reason.
 */
import { nowIso } from '../db/rows.ts';
import { unauthorized } from '../http/errors.ts';
import { hashApiKey, type ApiKey, type ApiKeysRepo } from '../repositories/api-keys.ts';

const KEY_SHAPE = /^vgk_[0-9a-f]{12}_[A-Za-z0-9_-]{43}$/;
const MAX_CACHED = 10_000;

export class ApiKeyAuthenticator {
  readonly #cache = new Map<string, { key: ApiKey | null; until: number }>();
  readonly #used = new Set<number>();
  readonly #flush: NodeJS.Timeout;

  constructor(
    private readonly repo: ApiKeysRepo,
    private readonly ttlMs = 5000,
  ) {
    this.#flush = setInterval(() => void this.flushLastUsed().catch(() => {}), 30_000);
    this.#flush.unref();
  }

  async authenticate(presented: string | undefined): Promise<ApiKey> {
    if (!presented || !KEY_SHAPE.test(presented)) throw unauthorized('a valid API key is required (Authorization: Bearer vgk_...)', 'invalid_api_key');
    const hash = hashApiKey(presented);
    const now = Date.now();
    let hit = this.#cache.get(hash);
    if (!hit || hit.until < now) {
      if (this.#cache.size >= MAX_CACHED) this.#cache.clear();
      hit = { key: (await this.repo.findByHash(hash)) ?? null, until: now + this.ttlMs };
      this.#cache.set(hash, hit);
    }
    const key = hit.key;
    if (!key || key.revoked_at || (key.expires_at && key.expires_at <= nowIso(now))) {
      throw unauthorized('a valid API key is required (Authorization: Bearer vgk_...)', 'invalid_api_key');
    }
    this.#used.add(key.id);
    return key;
  }

  invalidate(): void {
    this.#cache.clear();
  }

  async flushLastUsed(): Promise<void> {
    if (!this.#used.size) return;
    const ids = [...this.#used];
    this.#used.clear();
    await this.repo.touch(ids, nowIso());
  }

  async close(): Promise<void> {
    clearInterval(this.#flush);
    await this.flushLastUsed().catch(() => {});
  }
}
