/**
 * Telegram bots as stored (migration 0016). The bot token and the webhook secret are encrypted at
 * rest and write-only: entities carry `has_token`, and only `tokenOf` / `webhookSecretOf` (used by
 * the bot runner and the webhook route) decrypt. A new bot gets a random webhook secret; it never
 * leaves the server except in setWebhook, where Telegram is told to send it back with every update.
 */
import { randomBytes } from 'node:crypto';
import type { FieldCipher } from '../crypto/field-cipher.ts';
import { bool, insertedId, nowIso, num, optNum, parseJson, type Queryable } from '../db/rows.ts';
import type { LlmBackendChoice } from '../llm/llm-backend.ts';
import { dropUndefined } from './crud-table.ts';

export const BOT_MODES = ['polling', 'webhook'] as const;
export type BotMode = (typeof BOT_MODES)[number];

/** The LLM override a bot gives its chats (null: the persona's provider and the default backend). */
export type BotLlmOverride = Exclude<LlmBackendChoice, { backend: 'auto' }> | null;

export interface TelegramBot {
  id: number;
  name: string;
  has_token: boolean;
  /** The bot's own Telegram user id and @username, as getMe reported them when it last started. */
  bot_user_id: string | null;
  username: string | null;
  enabled: boolean;
  auto_start: boolean;
  persona_id: number | null;
  /** 'faq', 'provider' (with llm_provider_id) or null, like a chat session's override. */
  llm_backend: string | null;
  llm_provider_id: number | null;
  greeting: string | null;
  /** Telegram user ids that may talk to the bot; null: anyone. */
  allowed_user_ids: number[] | null;
  mode: BotMode;
  reply_with_voice: boolean;
  last_update_at: string | null;
  created_at: string;
  updated_at: string;
}

export interface TelegramBotInput {
  name: string;
  /** Plaintext on the way in; undefined leaves it unchanged on update. */
  token?: string;
  enabled?: boolean;
  auto_start?: boolean;
  persona_id?: number | null;
  llm?: BotLlmOverride;
  greeting?: string | null;
  allowed_user_ids?: number[] | null;
  mode?: BotMode;
  reply_with_voice?: boolean;
}

const TOKEN_CONTEXT = 'telegram_bots.token';
const WEBHOOK_SECRET_CONTEXT = 'telegram_bots.webhook_secret';

/** What Telegram accepts as a secret_token: 1-256 characters of A-Z, a-z, 0-9, _ and -. */
export const newBotWebhookSecret = (): string => randomBytes(32).toString('base64url');

const hasText = (v: unknown): v is string => typeof v === 'string' && v !== '';

function userIds(v: unknown): number[] | null {
  const ids = parseJson<unknown>(v, null);
  // Rows may come from an uploaded backup: only safe integers.
  return Array.isArray(ids) ? ids.filter((x): x is number => Number.isSafeInteger(x)) : null;
}

const fromRow = (r: Record<string, unknown>): TelegramBot => ({
  id: num(r.id),
  name: String(r.name),
  has_token: hasText(r.token_encrypted),
  bot_user_id: hasText(r.bot_user_id) ? r.bot_user_id : null,
  username: hasText(r.username) ? r.username : null,
  enabled: bool(r.enabled),
  auto_start: bool(r.auto_start),
  persona_id: optNum(r.persona_id),
  llm_backend: hasText(r.llm_backend) ? r.llm_backend : null,
  llm_provider_id: optNum(r.llm_provider_id),
  greeting: hasText(r.greeting) ? r.greeting : null,
  allowed_user_ids: userIds(r.allowed_user_ids),
  mode: r.mode === 'webhook' ? 'webhook' : 'polling',
  reply_with_voice: bool(r.reply_with_voice),
  last_update_at: hasText(r.last_update_at) ? r.last_update_at : null,
  created_at: String(r.created_at),
  updated_at: String(r.updated_at),
});

export class TelegramBotsRepo {
  constructor(
    private readonly db: Queryable,
    private readonly cipher: FieldCipher,
  ) {}

  private toRow(i: Partial<TelegramBotInput>): Record<string, unknown> {
    const { token, llm, allowed_user_ids, ...rest } = i;
    return dropUndefined({
      ...rest,
      token_encrypted: token === undefined ? undefined : this.cipher.encrypt(token, TOKEN_CONTEXT),
      llm_backend: llm === undefined ? undefined : (llm?.backend ?? null),
      llm_provider_id: llm === undefined ? undefined : llm?.backend === 'provider' ? llm.provider_id : null,
      allowed_user_ids: allowed_user_ids === undefined ? undefined : allowed_user_ids === null ? null : JSON.stringify([...new Set(allowed_user_ids)]),
    });
  }

  async list(): Promise<TelegramBot[]> {
    return (await this.db('telegram_bots').orderBy('id')).map(fromRow);
  }

  async get(id: number): Promise<TelegramBot | undefined> {
    const r = await this.db('telegram_bots').where({ id }).first();
    return r ? fromRow(r) : undefined;
  }

  /** The decrypted token, for the runner; null when none is stored or it does not decrypt here (another SECRET_KEY). */
  async tokenOf(id: number): Promise<string | null> {
    const r = await this.db('telegram_bots').where({ id }).first('token_encrypted');
    return hasText(r?.token_encrypted) ? this.cipher.tryDecrypt(r.token_encrypted, TOKEN_CONTEXT) : null;
  }

  /** The secret Telegram sends back in X-Telegram-Bot-Api-Secret-Token; null for an unknown bot. */
  async webhookSecretOf(id: number): Promise<string | null> {
    const r = await this.db('telegram_bots').where({ id }).first('webhook_secret_encrypted');
    return hasText(r?.webhook_secret_encrypted) ? this.cipher.tryDecrypt(r.webhook_secret_encrypted, WEBHOOK_SECRET_CONTEXT) : null;
  }

  async create(input: TelegramBotInput & { token: string }): Promise<TelegramBot> {
    const now = nowIso();
    const row = this.toRow(input);
    const id = insertedId(
      await this.db('telegram_bots')
        .insert({ ...row, webhook_secret_encrypted: this.cipher.encrypt(newBotWebhookSecret(), WEBHOOK_SECRET_CONTEXT), created_at: now, updated_at: now })
        .returning('id'),
    );
    return (await this.get(id))!;
  }

  /** A new token forgets what getMe said about the old one and where its updates stood (another bot, maybe). */
  async update(id: number, patch: Partial<TelegramBotInput>): Promise<TelegramBot | undefined> {
    const row = this.toRow(patch);
    if (patch.token !== undefined) Object.assign(row, { bot_user_id: null, username: null, update_offset: null });
    const n = await this.db('telegram_bots').where({ id }).update({ ...row, updated_at: nowIso() });
    return n ? this.get(id) : undefined;
  }

  async remove(id: number): Promise<boolean> {
    return (await this.db('telegram_bots').where({ id }).delete()) > 0;
  }

  /** What getMe said (not an admin's edit: updated_at stays). */
  async setIdentity(id: number, identity: { bot_user_id: string; username: string }): Promise<void> {
    await this.db('telegram_bots').where({ id }).update(identity);
  }

  /** The polling runner's acknowledgement: updates below `offset` were handled. */
  async updateOffset(id: number): Promise<number | null> {
    const r = await this.db('telegram_bots').where({ id }).first('update_offset');
    return optNum(r?.update_offset);
  }

  /**
   * Saved only while the row still names the bot (`botUserId`, from getMe) whose updates these
   * are: a runner finishing its last updates after the token was changed to another bot's must not
   * put its offset back (the new bot's first updates would be skipped and acknowledged).
   */
  async setUpdateOffset(id: number, offset: number, botUserId: string): Promise<void> {
    await this.db('telegram_bots').where({ id, bot_user_id: botUserId }).update({ update_offset: offset });
  }

  async touchLastUpdate(id: number, at: string = nowIso()): Promise<void> {
    await this.db('telegram_bots').where({ id }).update({ last_update_at: at });
  }
}
