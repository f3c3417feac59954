/**
 * LLM providers (any OpenAI-compatible endpoint). The API key is encrypted at rest and write-only:
 * entities carry `has_api_key`, and only `getApiKey` (used by the code that calls the LLM) decrypts.
 * The key was given for one server: moving `base_url` to another origin (scheme, host or port)
 * without sending a key clears it, so it is never sent to a host it was not meant for.
 * A proxy password is encrypted at rest too (`proxy_password_encrypted`; `proxy_url` keeps the URL
 * without it) and never read back: entities show it as `***`, sending that back on update keeps the
 * stored one (only for the same proxy host, port and user), and only `getProxyUrl` returns the
 * real URL. Rows written before migration 0004 still hold the password inside `proxy_url`: they are
 * read as they are and sealed by `sealPlaintextProxyPasswords` (at start and after a restore).
 */
import type { FieldCipher } from '../crypto/field-cipher.ts';
import { bool, insertedId, nowIso, num, type Queryable } from '../db/rows.ts';
import { dropUndefined } from './crud-table.ts';
import { isMasked, joinProxyPassword, keepStoredPassword, maskProxyUrl, splitProxyPassword } from './proxy-password.ts';

export { MASKED_PASSWORD, MaskedPasswordError } from './proxy-password.ts';

export interface LlmProvider {
  id: number;
  name: string;
  kind: 'openai-compatible';
  base_url: string;
  model: string;
  has_api_key: boolean;
  proxy_url: string | null;
  timeout_ms: number;
  priority: number;
  enabled: boolean;
  created_at: string;
  updated_at: string;
}

export interface LlmProviderInput {
  name: string;
  kind?: 'openai-compatible';
  base_url: string;
  model: string;
  /** Plaintext on the way in; `null` clears it; undefined leaves it unchanged on update. */
  api_key?: string | null;
  /** With the password in plaintext, or `***` for the stored one (update only); `null` clears it. */
  proxy_url?: string | null;
  timeout_ms?: number;
  priority?: number;
  enabled?: boolean;
}

const KEY_CONTEXT = 'llm_providers.api_key';
const PROXY_PASSWORD_CONTEXT = 'llm_providers.proxy_password';

const hasText = (v: unknown) => typeof v === 'string' && v !== '';

/** Scheme, host and port alike (a path change on the same server keeps the key). */
function sameOrigin(a: string, b: string): boolean {
  try {
    return new URL(a).origin === new URL(b).origin;
  } catch {
    return false;
  }
}

const fromRow = (r: Record<string, unknown>): LlmProvider => ({
  id: num(r.id),
  name: String(r.name),
  kind: 'openai-compatible',
  base_url: String(r.base_url),
  model: String(r.model),
  has_api_key: hasText(r.api_key_encrypted),
  proxy_url: maskProxyUrl((r.proxy_url as string | null) ?? null, hasText(r.proxy_password_encrypted)),
  timeout_ms: num(r.timeout_ms),
  priority: num(r.priority),
  enabled: bool(r.enabled),
  created_at: String(r.created_at),
  updated_at: String(r.updated_at),
});

export class LlmProvidersRepo {
  constructor(
    private readonly db: Queryable,
    private readonly cipher: FieldCipher,
  ) {}

  /** `proxy_url` is the full URL in plaintext here (already unmasked). */
  private toRow(i: Partial<LlmProviderInput>): Record<string, unknown> {
    const { api_key, proxy_url, ...rest } = i;
    let proxy: Record<string, unknown> = {};
    if (proxy_url === null) proxy = { proxy_url: null, proxy_password_encrypted: null };
    else if (proxy_url !== undefined) {
      const { url, password } = splitProxyPassword(proxy_url);
      proxy = { proxy_url: url, proxy_password_encrypted: password === null ? null : this.cipher.encrypt(password, PROXY_PASSWORD_CONTEXT) };
    }
    return dropUndefined({
      ...rest,
      ...proxy,
      api_key_encrypted: api_key === undefined ? undefined : api_key === null ? null : this.cipher.encrypt(api_key, KEY_CONTEXT),
    });
  }

  async list(): Promise<LlmProvider[]> {
    return (await this.db('llm_providers').orderBy([{ column: 'priority' }, { column: 'id' }])).map(fromRow);
  }

  /** Enabled providers in fallback order (lowest priority number first). */
  async listEnabled(): Promise<LlmProvider[]> {
    return (await this.list()).filter((p) => p.enabled);
  }

  async get(id: number): Promise<LlmProvider | undefined> {
    const r = await this.db('llm_providers').where({ id }).first();
    return r ? fromRow(r) : undefined;
  }

  async getApiKey(id: number): Promise<string | null> {
    const r = await this.db('llm_providers').where({ id }).first('api_key_encrypted');
    return r?.api_key_encrypted ? this.cipher.decrypt(r.api_key_encrypted, KEY_CONTEXT) : null;
  }

  /** The stored proxy URL without its password, and the password, from either storage form. */
  private async storedProxy(id: number): Promise<{ url: string | null; password: string | null }> {
    const r = await this.db('llm_providers').where({ id }).first('proxy_url', 'proxy_password_encrypted');
    const url = (r?.proxy_url as string | null) ?? null;
    if (!url) return { url: null, password: null };
    if (hasText(r.proxy_password_encrypted)) return { url, password: this.cipher.decrypt(r.proxy_password_encrypted, PROXY_PASSWORD_CONTEXT) };
    try {
      return splitProxyPassword(url); // a row from before the password had its own column
    } catch {
      return { url, password: null };
    }
  }

  /** The proxy URL with its password, for the code that calls the LLM. */
  async getProxyUrl(id: number): Promise<string | null> {
    const { url, password } = await this.storedProxy(id);
    return url === null ? null : joinProxyPassword(url, password);
  }

  /** `***` as the password (what the API showed) means "the password stored now", for the same proxy and user only. */
  private async unmasked(id: number | null, proxyUrl: string | null | undefined): Promise<string | null | undefined> {
    if (!proxyUrl || !isMasked(proxyUrl)) return proxyUrl;
    const stored = id === null ? { url: null, password: null } : await this.storedProxy(id);
    return joinProxyPassword(proxyUrl, keepStoredPassword(proxyUrl, stored));
  }

  /** @throws MaskedPasswordError when `proxy_url` carries the `***` placeholder (nothing is stored yet). */
  async create(input: LlmProviderInput): Promise<LlmProvider> {
    const now = nowIso();
    const row = this.toRow({ ...input, proxy_url: await this.unmasked(null, input.proxy_url) });
    const id = insertedId(await this.db('llm_providers').insert({ kind: 'openai-compatible', ...row, created_at: now, updated_at: now }).returning('id'));
    return (await this.get(id))!;
  }

  /**
   * A new `base_url` on another origin without `api_key` clears the stored key.
   * @throws MaskedPasswordError when `***` is sent for a proxy other than the stored one.
   */
  async update(id: number, patch: Partial<LlmProviderInput>): Promise<LlmProvider | undefined> {
    const stored = await this.db('llm_providers').where({ id }).first('base_url');
    if (!stored) return undefined;
    const keyFollows = patch.base_url === undefined || patch.api_key !== undefined || sameOrigin(patch.base_url, String(stored.base_url));
    const row = this.toRow({ ...patch, api_key: keyFollows ? patch.api_key : null, proxy_url: await this.unmasked(id, patch.proxy_url) });
    const n = await this.db('llm_providers').where({ id }).update({ ...row, updated_at: nowIso() });
    return n ? this.get(id) : undefined;
  }

  async remove(id: number): Promise<boolean> {
    return (await this.db('llm_providers').where({ id }).delete()) > 0;
  }

  /**
   * Move passwords still held in plaintext inside `proxy_url` (rows from before migration 0004, or
   * restored from a backup made then) into the encrypted column. Returns how many rows changed.
   * A URL that does not parse is left alone: it cannot be split, and it cannot be used either.
   */
  async sealPlaintextProxyPasswords(): Promise<number> {
    const rows = await this.db('llm_providers').whereNotNull('proxy_url').select('id', 'proxy_url');
    let sealed = 0;
    for (const r of rows) {
      let split;
      try {
        split = splitProxyPassword(String(r.proxy_url));
      } catch {
        continue;
      }
      if (split.password === null) continue;
      // The URL's own password is the newer one: our writes never leave one there.
      await this.db('llm_providers')
        .where({ id: r.id })
        .update({ proxy_url: split.url, proxy_password_encrypted: this.cipher.encrypt(split.password, PROXY_PASSWORD_CONTEXT) });
      sealed++;
    }
    return sealed;
  }
}
