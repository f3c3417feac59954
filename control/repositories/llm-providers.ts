/**
 * LLM providers (any OpenAI-compatible endpoint). The API key is encrypted at rest and write-only:
 * entities carry `has_api_key`, and only `getApiKey` (used by the code that calls the LLM) decrypts.
 * A proxy password is never read back either: entities show it as `***` (sending that back on
 * update keeps the stored one), and only `getProxyUrl` returns the real URL.
 */
import type { FieldCipher } from '../crypto/field-cipher.ts';
import { bool, insertedId, nowIso, num, type Queryable } from '../db/rows.ts';
import { dropUndefined } from './crud-table.ts';

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
  proxy_url?: string | null;
  timeout_ms?: number;
  priority?: number;
  enabled?: boolean;
}

const KEY_CONTEXT = 'llm_providers.api_key';
export const MASKED_PASSWORD = '***';

function maskProxyPassword(url: string | null): string | null {
  if (!url) return null;
  try {
    const u = new URL(url);
    if (!u.password) return url;
    u.password = MASKED_PASSWORD;
    // URL adds a "/" path to a bare origin; keep the URL as the admin typed it.
    return url.endsWith('/') ? u.href : u.href.replace(/\/$/, '');
  } catch {
    return null; // stored before validation existed and unreadable: show nothing rather than a secret
  }
}

const fromRow = (r: Record<string, unknown>): LlmProvider => ({
  id: num(r.id),
  name: String(r.name),
  kind: 'openai-compatible',
  base_url: String(r.base_url),
  model: String(r.model),
  has_api_key: typeof r.api_key_encrypted === 'string' && r.api_key_encrypted !== '',
  proxy_url: maskProxyPassword((r.proxy_url as string | null) ?? null),
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

  private toRow(i: Partial<LlmProviderInput>): Record<string, unknown> {
    const { api_key, ...rest } = i;
    return dropUndefined({
      ...rest,
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

  /** The proxy URL with its password, for the code that calls the LLM. */
  async getProxyUrl(id: number): Promise<string | null> {
    const r = await this.db('llm_providers').where({ id }).first('proxy_url');
    return (r?.proxy_url as string | null) ?? null;
  }

  /** `***` as the password (what the API showed) means "the password stored now". */
  private async unmasked(id: number, proxyUrl: string | null | undefined): Promise<string | null | undefined> {
    if (!proxyUrl) return proxyUrl;
    const u = new URL(proxyUrl);
    if (decodeURIComponent(u.password) !== MASKED_PASSWORD) return proxyUrl;
    const stored = await this.getProxyUrl(id);
    u.password = stored ? new URL(stored).password : '';
    return u.href;
  }

  async create(input: LlmProviderInput): Promise<LlmProvider> {
    const now = nowIso();
    const id = insertedId(await this.db('llm_providers').insert({ kind: 'openai-compatible', ...this.toRow(input), created_at: now, updated_at: now }).returning('id'));
    return (await this.get(id))!;
  }

  async update(id: number, patch: Partial<LlmProviderInput>): Promise<LlmProvider | undefined> {
    const row = this.toRow({ ...patch, proxy_url: await this.unmasked(id, patch.proxy_url) });
    const n = await this.db('llm_providers').where({ id }).update({ ...row, updated_at: nowIso() });
    return n ? this.get(id) : undefined;
  }

  async remove(id: number): Promise<boolean> {
    return (await this.db('llm_providers').where({ id }).delete()) > 0;
  }
}
