/**
 * Notification channels as the admin API speaks of them, one shape per type, and how they map to
 * the stored row (a target and a secret):
 *
 *   telegram  chat_id  (target)   bot_token (secret, write-only: has_bot_token) or bot_id (a configured bot)
 *   sms       to       (target)
 *   webhook   url      (target)   secret    (write-only: has_secret; made and shown once when not given)
 */
import { z } from 'zod';
import { HttpError } from '../http/errors.ts';
import { MESSAGE_KINDS } from '../repositories/messages.ts';
import type { ChannelType, NotificationChannel, NotificationChannelInput } from '../repositories/notification-channels.ts';
import { HttpUrl, PhoneNumber } from './schemas.ts';

const BotToken = z.string().trim().regex(/^\d{3,20}:[A-Za-z0-9_-]{30,100}$/, 'a bot token as @BotFather gives it (123456789:AA...)');
const ChatId = z
  .union([z.number().int(), z.string().trim()])
  .transform(String)
  .pipe(z.string().regex(/^(-?\d{1,16}|@[A-Za-z][A-Za-z0-9_]{4,31})$/, 'a numeric chat id or @channelname'));
const WebhookSecret = z.string().min(16, 'at least 16 characters').max(200);
const BotId = z.number().int().positive().describe('a configured Telegram bot (/admin/telegram/bots) to send through, instead of a bot_token: its current token is used at each send');

/** A Telegram channel sends through its own token or a configured bot: exactly one of the two. */
const oneBot = (b: { bot_token?: string; bot_id?: number }, ctx: z.RefinementCtx) => {
  if (b.bot_token !== undefined && b.bot_id !== undefined) ctx.addIssue({ code: 'custom', path: ['bot_id'], message: 'give bot_token or bot_id, not both' });
};

const Common = {
  name: z.string().trim().min(1).max(100),
  enabled: z.boolean().optional(),
  /** Which messages it is told about (default: all kinds). */
  kinds: z.array(z.enum(MESSAGE_KINDS)).min(1).max(MESSAGE_KINDS.length).optional(),
};

export const ChannelCreate = z.discriminatedUnion('type', [
  z
    .strictObject({ type: z.literal('telegram'), ...Common, chat_id: ChatId, bot_token: BotToken.optional(), bot_id: BotId.optional() })
    .superRefine((b, ctx) => {
      oneBot(b, ctx);
      if (b.bot_token === undefined && b.bot_id === undefined) ctx.addIssue({ code: 'custom', path: ['bot_token'], message: 'give bot_token (a token from @BotFather) or bot_id (a configured bot)' });
    }),
  z.strictObject({ type: z.literal('sms'), ...Common, to: PhoneNumber }),
  z.strictObject({ type: z.literal('webhook'), ...Common, url: HttpUrl, secret: WebhookSecret.optional() }),
]);
export type ChannelCreate = z.infer<typeof ChannelCreate>;

export const ChannelPatch = z
  .strictObject({
    name: Common.name.optional(),
    enabled: Common.enabled,
    kinds: Common.kinds,
    chat_id: ChatId.optional(),
    bot_token: BotToken.optional().describe('Telegram: send with this token from now on (forgets bot_id)'),
    bot_id: BotId.optional().describe('Telegram: send through this configured bot from now on (forgets the stored bot_token)'),
    to: PhoneNumber.optional(),
    url: HttpUrl.optional(),
    secret: WebhookSecret.optional(),
  })
  .superRefine(oneBot);
export type ChannelPatch = z.infer<typeof ChannelPatch>;

/** Which API fields are the target and the secret, per type. */
const FIELDS: Record<ChannelType, { target: 'chat_id' | 'to' | 'url'; secret?: 'bot_token' | 'secret' }> = {
  telegram: { target: 'chat_id', secret: 'bot_token' },
  sms: { target: 'to' },
  webhook: { target: 'url', secret: 'secret' },
};

export function createInput(b: ChannelCreate, secret: string | undefined): NotificationChannelInput {
  const f = FIELDS[b.type];
  const botId = b.type === 'telegram' ? (b.bot_id ?? null) : null;
  return { name: b.name, type: b.type, enabled: b.enabled, kinds: b.kinds, target: String((b as Record<string, unknown>)[f.target]), secret, bot_id: botId };
}

/** A patch in stored terms; a field of another type (`url` on a Telegram channel) is refused, naming it. */
export function patchInput(type: ChannelType, b: ChannelPatch): Partial<Omit<NotificationChannelInput, 'type'>> {
  const f = FIELDS[type];
  const own = (k: string) => k === f.target || k === f.secret || (type === 'telegram' && k === 'bot_id');
  const foreign = (['chat_id', 'bot_token', 'bot_id', 'to', 'url', 'secret'] as const).filter((k) => b[k] !== undefined && !own(k));
  if (foreign.length) {
    const issues = foreign.map((field) => ({ field, message: `not a field of a ${type} channel`, code: 'unrecognized_keys' }));
    throw new HttpError(400, 'validation_failed', `body: ${foreign[0]}: not a field of a ${type} channel`, { in: 'body', issues });
  }
  // A Telegram channel switches between its own token and a configured bot: the other one is forgotten.
  if (type === 'telegram' && b.bot_id !== undefined) return { name: b.name, enabled: b.enabled, kinds: b.kinds, target: b.chat_id, secret: null, bot_id: b.bot_id };
  const secret = f.secret ? b[f.secret] : undefined;
  return { name: b.name, enabled: b.enabled, kinds: b.kinds, target: b[f.target], secret, ...(type === 'telegram' && secret !== undefined ? { bot_id: null } : {}) };
}

/** The channel in the API's terms; secrets only as whether one is stored. */
export function channelView(c: NotificationChannel): Record<string, unknown> {
  const f = FIELDS[c.type];
  const { target, has_secret, bot_id, ...rest } = c;
  return { ...rest, [f.target]: target, ...(f.secret ? { [`has_${f.secret}`]: has_secret } : {}), ...(c.type === 'telegram' ? { bot_id } : {}) };
}

export const ChannelResponse = z.object({
  id: z.number(),
  name: z.string(),
  type: z.enum(['telegram', 'sms', 'webhook']),
  enabled: z.boolean(),
  kinds: z.array(z.enum(MESSAGE_KINDS)),
  chat_id: z.string().optional(),
  has_bot_token: z.boolean().optional(),
  bot_id: z.number().nullable().optional().describe('Telegram: the configured bot it sends through; null when it has its own bot_token'),
  to: z.string().optional(),
  url: z.string().optional(),
  has_secret: z.boolean().optional(),
  secret: z.string().optional().describe('the webhook signing secret, only in the answer that made it'),
  created_at: z.string(),
  updated_at: z.string(),
});
