/**
 * Where the owner is told about new messages: a Telegram chat, an SMS number or a webhook. The
 * secret (a bot token, a webhook signing secret) is encrypted at rest and write-only: entities
 * carry `has_secret`, and only `secretOf` (used by the code that delivers) decrypts.
 *
 * A Telegram channel either carries its own bot token (the secret) or names one of the owner's
 * configured bots (`bot_id`, migration 0017), whose token is read at each send; never both.
 */
import type { FieldCipher } from '../crypto/field-cipher.ts';
import { bool, insertedId, nowIso, num, optNum, parseJson, type Queryable } from '../db/rows.ts';
import { dropUndefined } from './crud-table.ts';
import { MESSAGE_KINDS, type MessageKind } from './messages.ts';

export const CHANNEL_TYPES = ['telegram', 'sms', 'webhook'] as const;
export type ChannelType = (typeof CHANNEL_TYPES)[number];

export interface NotificationChannel {
  id: number;
  name: string;
  type: ChannelType;
  enabled: boolean;
  /** The message kinds it is told about. */
  kinds: MessageKind[];
  /** The Telegram chat id, the SMS number or the webhook URL. */
  target: string;
  has_secret: boolean;
  /** Telegram only: the configured bot (telegram_bots) it sends through; null when it has its own token. */
  bot_id: number | null;
  created_at: string;
  updated_at: string;
}

export interface NotificationChannelInput {
  name: string;
  type: ChannelType;
  enabled?: boolean;
  kinds?: MessageKind[];
  target: string;
  /** Plaintext on the way in; undefined leaves it unchanged on update, null removes it. */
  secret?: string | null;
  /** Telegram: the configured bot to send through (null: none; undefined leaves it unchanged on update). */
  bot_id?: number | null;
}

const SECRET_CONTEXT = 'notification_channels.secret';

const fromRow = (r: Record<string, unknown>): NotificationChannel => {
  const kinds = parseJson<unknown>(r.kinds, []);
  return {
    id: num(r.id),
    name: String(r.name),
    type: String(r.type) as ChannelType,
    enabled: bool(r.enabled),
    // Rows may come from an uploaded backup: only kinds this version knows.
    kinds: Array.isArray(kinds) ? MESSAGE_KINDS.filter((k) => kinds.includes(k)) : [],
    target: String(r.target),
    has_secret: typeof r.secret_encrypted === 'string' && r.secret_encrypted !== '',
    bot_id: optNum(r.bot_id),
    created_at: String(r.created_at),
    updated_at: String(r.updated_at),
  };
};

export class NotificationChannelsRepo {
  constructor(
    private readonly db: Queryable,
    private readonly cipher: FieldCipher,
  ) {}

  private toRow(i: Partial<NotificationChannelInput>): Record<string, unknown> {
    const { secret, kinds, ...rest } = i;
    return dropUndefined({
      ...rest,
      kinds: kinds === undefined ? undefined : JSON.stringify([...new Set(kinds)]),
      secret_encrypted: secret === undefined ? undefined : secret === null ? null : this.cipher.encrypt(secret, SECRET_CONTEXT),
    });
  }

  async list(): Promise<NotificationChannel[]> {
    return (await this.db('notification_channels').orderBy('id')).map(fromRow);
  }

  /** Enabled channels told about `kind`: the ones a new message of that kind is queued for. */
  async listEnabledFor(kind: MessageKind): Promise<NotificationChannel[]> {
    return (await this.db('notification_channels').where({ enabled: true }).orderBy('id')).map(fromRow).filter((c) => c.kinds.includes(kind));
  }

  async get(id: number): Promise<NotificationChannel | undefined> {
    const r = await this.db('notification_channels').where({ id }).first();
    return r ? fromRow(r) : undefined;
  }

  /** The decrypted bot token or webhook secret, for the code that delivers. */
  async secretOf(id: number): Promise<string | null> {
    const r = await this.db('notification_channels').where({ id }).first('secret_encrypted');
    return r?.secret_encrypted ? this.cipher.decrypt(r.secret_encrypted, SECRET_CONTEXT) : null;
  }

  async create(input: NotificationChannelInput): Promise<NotificationChannel> {
    const now = nowIso();
    const row = this.toRow({ ...input, enabled: input.enabled ?? true, kinds: input.kinds ?? [...MESSAGE_KINDS] });
    const id = insertedId(await this.db('notification_channels').insert({ ...row, created_at: now, updated_at: now }).returning('id'));
    return (await this.get(id))!;
  }

  /** The type never changes (its target and secret mean something else for another type). */
  async update(id: number, patch: Partial<Omit<NotificationChannelInput, 'type'>>): Promise<NotificationChannel | undefined> {
    const n = await this.db('notification_channels').where({ id }).update({ ...this.toRow(patch), updated_at: nowIso() });
    return n ? this.get(id) : undefined;
  }

  /** The channels that send through a configured bot (deleting the bot is refused while there are any). */
  async listUsingBot(botId: number): Promise<NotificationChannel[]> {
    return (await this.db('notification_channels').where({ bot_id: botId }).orderBy('id')).map(fromRow);
  }

  async remove(id: number): Promise<boolean> {
    return (await this.db('notification_channels').where({ id }).delete()) > 0;
  }
}
