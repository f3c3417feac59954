/**
 * LLM providers (any OpenAI-compatible endpoint). The API key is encrypted at rest and write-only:
 * entities carry `has_api_key`, and only `secretsFor` (used by the code that calls the LLM) and
 * `getApiKey` / `getProxyUrl` decrypt. The key was given for one server: moving `base_url` to
 * another origin (scheme, host or port) without sending a key clears it, so it is never sent to a
 * host it was not meant for; so does moving a plain-http provider to a new proxy, which would
 * read the key in clear.
 * A proxy password is encrypted at rest too (`proxy_password_encrypted`; `proxy_url` keeps the URL
 * without it) and never read back: entities show it as `***`, sending that back on update keeps the
 * stored one (only for the same proxy host, port and user), and only the readers above return the
 * real URL. Rows written before migration 0004 still hold the password inside `proxy_url`: they are
 * read as they are and sealed by `sealPlaintextProxyPasswords` (at start and after a restore).
 *
 * Each secret's ciphertext is bound to where it may go (secret-binding.ts): the API key to the
 * origin of `base_url` (and, for plain http, the proxy), the proxy password to the proxy's scheme,
 * host, port and user. A row whose URL was changed behind our back (an edited backup, restored) no
 * longer decrypts, and its secret counts as missing (`api_key_status: "missing"`) rather than being
 * sent to the new place. Ciphertexts from before the binding are bound once, at start
 * (`bindLegacySecrets`), and dropped when a restore brings them (`dropLegacySecrets`): from a file
 * their URL cannot be trusted.
 */
import type { FieldCipher } from '../crypto/field-cipher.ts';
import { bool, insertedId, nowIso, num, type Queryable } from '../db/rows.ts';
import { dropUndefined } from './crud-table.ts';
import { isMasked, joinProxyPassword, keepStoredPassword, maskProxyUrl, splitProxyPassword } from './proxy-password.ts';
import { apiKeyContext, LEGACY_KEY_CONTEXT, LEGACY_PROXY_PASSWORD_CONTEXT, proxyOrigin, proxyPasswordContext } from './secret-binding.ts';

export { MASKED_PASSWORD, MaskedPasswordError } from './proxy-password.ts';

/**
 * `set`: stored and usable with the provider's URL; `none`: none stored; `missing`: one is stored
 * but cannot be used here (it was stored for another server or proxy, or under another secret
 * key): it is never sent, and an admin has to enter it again.
 */
export type SecretStatus = 'set' | 'none' | 'missing';

export interface LlmProvider {
  id: number;
  name: string;
  kind: 'openai-compatible';
  base_url: string;
  model: string;
  /** A key is stored and will be sent (`api_key_status: "set"`). */
  has_api_key: boolean;
  api_key_status: SecretStatus;
  proxy_url: string | null;
  proxy_password_status: SecretStatus;
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

/** A stored secret that could not be used with its row's URL (logged at start). */
export interface UnusableSecret {
  id: number;
  name: string;
  secret: 'api_key' | 'proxy_password';
}

type Row = Record<string, unknown>;

const hasText = (v: unknown): v is string => typeof v === 'string' && v !== '';
const proxyUrlOf = (r: Row): string | null => (hasText(r.proxy_url) ? r.proxy_url : null);

/**
 * Why an update that sends no `api_key` must drop the stored one: `base_url` moved to another
 * origin, or a plain-http server's calls move to a proxy that has not seen them before (it would
 * read the key in clear; through https it sees only TLS). Going without a proxy keeps the key.
 */
function keyDroppedBecause(stored: { baseUrl: string; proxyUrl: string | null }, next: { baseUrl: string; proxyUrl: string | null }): 'origin_changed' | 'proxy_changed' | null {
  if (!sameOrigin(next.baseUrl, stored.baseUrl)) return 'origin_changed';
  const plainHttp = new URL(next.baseUrl).protocol === 'http:';
  if (plainHttp && next.proxyUrl !== null && (stored.proxyUrl === null || proxyOrigin(next.proxyUrl) !== proxyOrigin(stored.proxyUrl))) return 'proxy_changed';
  return null;
}

/** Scheme, host and port alike (a path change on the same server keeps the key). */
export function sameOrigin(a: string, b: string): boolean {
  try {
    return new URL(a).origin === new URL(b).origin;
  } catch {
    return false;
  }
}

export class LlmProvidersRepo {
  constructor(
    private readonly db: Queryable,
    private readonly cipher: FieldCipher,
  ) {}

  /** The row's API key for a request to `sendTo` (default: the row's own base_url), through the row's proxy. */
  #apiKey(r: Row, sendTo: string = String(r.base_url)): { status: SecretStatus; key: string | null } {
    if (!hasText(r.api_key_encrypted)) return { status: 'none', key: null };
    const context = apiKeyContext(sendTo, proxyUrlOf(r));
    const key = context === null ? null : this.cipher.tryDecrypt(r.api_key_encrypted, context);
    return key === null ? { status: 'missing', key } : { status: 'set', key };
  }

  /** The stored proxy URL without its password, and the password, from either storage form. */
  #proxy(r: Row): { url: string | null; password: string | null; status: SecretStatus } {
    const url = hasText(r.proxy_url) ? r.proxy_url : null;
    if (url === null) return { url, password: null, status: 'none' };
    if (hasText(r.proxy_password_encrypted)) {
      const context = proxyPasswordContext(url);
      const password = context === null ? null : this.cipher.tryDecrypt(r.proxy_password_encrypted, context);
      return { url, password, status: password === null ? 'missing' : 'set' };
    }
    try {
      const split = splitProxyPassword(url); // a row from before the password had its own column
      return { ...split, status: split.password === null ? 'none' : 'set' };
    } catch {
      return { url, password: null, status: 'none' };
    }
  }

  #entity(r: Row): LlmProvider {
    const key = this.#apiKey(r);
    const proxy = this.#proxy(r);
    return {
      id: num(r.id),
      name: String(r.name),
      kind: 'openai-compatible',
      base_url: String(r.base_url),
      model: String(r.model),
      has_api_key: key.status === 'set',
      api_key_status: key.status,
      proxy_url: maskProxyUrl((r.proxy_url as string | null) ?? null, proxy.status === 'set'),
      proxy_password_status: proxy.status,
      timeout_ms: num(r.timeout_ms),
      priority: num(r.priority),
      enabled: bool(r.enabled),
      created_at: String(r.created_at),
      updated_at: String(r.updated_at),
    };
  }

  /**
   * `proxy_url` is the full URL in plaintext here (already unmasked); `keyGoesTo` is the base URL
   * and the proxy URL the row will have, which the key is bound to.
   */
  private toRow(i: Partial<LlmProviderInput>, keyGoesTo: { baseUrl: string; proxyUrl: string | null }): Row {
    const { api_key, proxy_url, ...rest } = i;
    let proxy: Row = {};
    if (proxy_url === null) proxy = { proxy_url: null, proxy_password_encrypted: null };
    else if (proxy_url !== undefined) {
      const { url, password } = splitProxyPassword(proxy_url);
      proxy = { proxy_url: url, proxy_password_encrypted: password === null ? null : this.cipher.encrypt(password, proxyPasswordContext(url)!) };
    }
    const keyContext = () => apiKeyContext(keyGoesTo.baseUrl, keyGoesTo.proxyUrl)!;
    return dropUndefined({
      ...rest,
      ...proxy,
      api_key_encrypted: api_key === undefined ? undefined : api_key === null ? null : this.cipher.encrypt(api_key, keyContext()),
    });
  }

  async list(): Promise<LlmProvider[]> {
    return (await this.db('llm_providers').orderBy([{ column: 'priority' }, { column: 'id' }])).map((r: Row) => this.#entity(r));
  }

  /** Enabled providers in fallback order (lowest priority number first). */
  async listEnabled(): Promise<LlmProvider[]> {
    return (await this.list()).filter((p) => p.enabled);
  }

  async get(id: number): Promise<LlmProvider | undefined> {
    const r = await this.db('llm_providers').where({ id }).first();
    return r ? this.#entity(r) : undefined;
  }

  /**
   * The key to send with a request to `sendTo` (default: the provider's stored base_url), or null
   * when none is stored or the one stored was not given for that origin.
   */
  async getApiKey(id: number, sendTo?: string): Promise<string | null> {
    const r = await this.db('llm_providers').where({ id }).first('base_url', 'api_key_encrypted', 'proxy_url');
    return r ? this.#apiKey(r, sendTo).key : null;
  }

  /** What a call to `provider.base_url` needs, read together: the key for that URL and the proxy URL with its password. */
  async secretsFor(provider: Pick<LlmProvider, 'id' | 'base_url'>): Promise<{ apiKey: string | null; proxyUrl: string | null }> {
    const r = await this.db('llm_providers').where({ id: provider.id }).first('base_url', 'api_key_encrypted', 'proxy_url', 'proxy_password_encrypted');
    if (!r) return { apiKey: null, proxyUrl: null };
    const { url, password } = this.#proxy(r);
    return { apiKey: this.#apiKey(r, provider.base_url).key, proxyUrl: url === null ? null : joinProxyPassword(url, password) };
  }

  private async storedProxy(id: number): Promise<{ url: string | null; password: string | null }> {
    const r = await this.db('llm_providers').where({ id }).first('proxy_url', 'proxy_password_encrypted');
    return r ? this.#proxy(r) : { url: null, password: null };
  }

  /** The proxy URL with its password (when it is usable for that proxy), for the code that calls the LLM. */
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
    const proxyUrl = await this.unmasked(null, input.proxy_url);
    const row = this.toRow({ ...input, proxy_url: proxyUrl }, { baseUrl: input.base_url, proxyUrl: proxyUrl ? splitProxyPassword(proxyUrl).url : null });
    const id = insertedId(await this.db('llm_providers').insert({ kind: 'openai-compatible', ...row, created_at: now, updated_at: now }).returning('id'));
    return (await this.get(id))!;
  }

  /**
   * Without `api_key`, the stored key is cleared when it would go somewhere new (keyDroppedBecause),
   * and otherwise bound again to where it goes now.
   * @throws MaskedPasswordError when `***` is sent for a proxy other than the stored one.
   */
  async update(id: number, patch: Partial<LlmProviderInput>): Promise<LlmProvider | undefined> {
    const stored: Row | undefined = await this.db('llm_providers').where({ id }).first('base_url', 'api_key_encrypted', 'proxy_url');
    if (!stored) return undefined;
    const proxyUrl = await this.unmasked(id, patch.proxy_url);
    const before = { baseUrl: String(stored.base_url), proxyUrl: proxyUrlOf(stored) };
    const after = { baseUrl: patch.base_url ?? before.baseUrl, proxyUrl: proxyUrl === undefined ? before.proxyUrl : proxyUrl && splitProxyPassword(proxyUrl).url };
    let apiKey = patch.api_key;
    if (apiKey === undefined && hasText(stored.api_key_encrypted)) {
      // A key that cannot be used now stays as it is (missing); a usable one is bound to its new context.
      if (keyDroppedBecause(before, after)) apiKey = null;
      else if (apiKeyContext(after.baseUrl, after.proxyUrl) !== apiKeyContext(before.baseUrl, before.proxyUrl)) apiKey = this.#apiKey(stored).key ?? undefined;
    }
    const row = this.toRow({ ...patch, api_key: apiKey, proxy_url: proxyUrl }, after);
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
   * (Bound to the URL they were found in: whoever holds that backup has the password in clear anyway.)
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
        .update({ proxy_url: split.url, proxy_password_encrypted: this.cipher.encrypt(split.password, proxyPasswordContext(split.url)!) });
      sealed++;
    }
    return sealed;
  }

  /**
   * Each stored secret in its column, with the plaintext it has under the unbound context of
   * before secret-binding.ts (null when it has none: bound already, or unreadable), and the
   * context it belongs under for its row's URL.
   */
  async #storedSecrets(): Promise<Array<{ id: number; name: string; secret: UnusableSecret['secret']; column: string; stored: string; legacy: string | null; usable: boolean; context: string | null }>> {
    const rows: Row[] = await this.db('llm_providers').select('id', 'name', 'base_url', 'api_key_encrypted', 'proxy_url', 'proxy_password_encrypted');
    const out = [];
    for (const r of rows) {
      const common = { id: num(r.id), name: String(r.name) };
      if (hasText(r.api_key_encrypted)) {
        const stored = r.api_key_encrypted;
        const legacy = this.cipher.tryDecrypt(stored, LEGACY_KEY_CONTEXT);
        const context = apiKeyContext(String(r.base_url), proxyUrlOf(r));
        out.push({ ...common, secret: 'api_key' as const, column: 'api_key_encrypted', stored, legacy, usable: this.#apiKey(r).status === 'set', context });
      }
      if (hasText(r.proxy_password_encrypted) && hasText(r.proxy_url)) {
        const stored = r.proxy_password_encrypted;
        const legacy = this.cipher.tryDecrypt(stored, LEGACY_PROXY_PASSWORD_CONTEXT);
        out.push({ ...common, secret: 'proxy_password' as const, column: 'proxy_password_encrypted', stored, legacy, usable: this.#proxy(r).status === 'set', context: proxyPasswordContext(r.proxy_url) });
      }
    }
    return out;
  }

  /**
   * At start: bind every secret still encrypted without its destination to the URL its row has
   * now (this database's own rows, so their URLs are the admins'), and report the secrets that
   * cannot be used with their row's URL. Idempotent: a bound secret is left as it is. The update
   * only lands if the ciphertext is still the one read, so a concurrent restore or edit wins.
   */
  async bindLegacySecrets(): Promise<{ bound: number; unusable: UnusableSecret[] }> {
    let bound = 0;
    const unusable: UnusableSecret[] = [];
    for (const s of await this.#storedSecrets()) {
      if (s.usable) continue;
      if (s.legacy === null || s.context === null) {
        unusable.push({ id: s.id, name: s.name, secret: s.secret });
        continue;
      }
      bound += await this.db('llm_providers')
        .where({ id: s.id, [s.column]: s.stored })
        .update({ [s.column]: this.cipher.encrypt(s.legacy, s.context) });
    }
    return { bound, unusable };
  }

  /**
   * In a restore's transaction: drop secrets encrypted before they were bound to a destination.
   * Their rows' URLs come from a file anyone with the backup could have edited, so binding them
   * now could bind a key to an attacker's host. Returns how many were dropped.
   */
  async dropLegacySecrets(): Promise<number> {
    let dropped = 0;
    for (const s of await this.#storedSecrets()) {
      if (s.legacy === null) continue;
      dropped += await this.db('llm_providers')
        .where({ id: s.id })
        .update({ [s.column]: null });
    }
    return dropped;
  }
}
