/**
 * Where the owner is told about new messages: notification channels (Telegram chat, SMS through
 * the modem, webhook), a "test" action per channel, and the outbox's deliveries. Channels decide
 * where callers' personal data is sent and hold credentials, so changing them is admin only (like
 * LLM providers); operators may read them and the deliveries. A Telegram channel carries its own
 * bot token or names a configured bot (`bot_id`) whose token it uses. Bot tokens and webhook secrets are
 * write-only; a webhook secret the server makes is shown once, in the answer that made it. Webhook
 * URLs are refused when saved if the egress policy refuses their address.
 */
import { z } from 'zod';
import { notFound } from '../http/errors.ts';
import { created, json, noContent, route, type RouteDef } from '../http/route.ts';
import { newWebhookSecret } from '../notifications/webhook-signature.ts';
import { DELIVERY_STATUSES } from '../repositories/notification-outbox.ts';
import type { ControlServices } from '../services.ts';
import { ChannelCreate, ChannelPatch, ChannelResponse, channelView, createInput, patchInput } from './notification-channel-fields.ts';
import { assertEgressAllowed, IdParams, PageQuery } from './schemas.ts';

export function notificationsRoutes(s: ControlServices): RouteDef[] {
  const ADMIN = { kind: 'user', role: 'admin' } as const;
  const READ = { kind: 'user', role: 'operator' } as const;
  const channel = async (id: number) => {
    const c = await s.repos.notificationChannels.get(id);
    if (!c) throw notFound('notification channel');
    return c;
  };
  /** A channel may name only a bot that exists (its deletion is refused while channels use it). */
  const configuredBot = async (id: number) => {
    if (!(await s.repos.telegramBots.get(id))) throw notFound('telegram bot');
  };
  return [
    route({
      method: 'GET',
      path: '/admin/notifications/channels',
      summary: 'Notification channels (secrets are never returned)',
      tag: 'notifications',
      auth: READ,
      response: z.object({ items: z.array(ChannelResponse) }),
      async handler() {
        return json({ items: (await s.repos.notificationChannels.list()).map(channelView) });
      },
    }),
    route({
      method: 'POST',
      path: '/admin/notifications/channels',
      summary: 'Add a channel: {type: "telegram", chat_id, bot_token or bot_id (a configured bot)}, {type: "sms", to} or {type: "webhook", url, secret?} (a secret is made and shown once when not given)',
      tag: 'notifications',
      auth: ADMIN,
      audit: 'notification_channels.create',
      body: ChannelCreate,
      response: ChannelResponse,
      async handler(ctx) {
        const b = ctx.body;
        if (b.type === 'webhook') assertEgressAllowed(s.config.egress, 'url', b.url);
        if (b.type === 'telegram' && b.bot_id !== undefined) await configuredBot(b.bot_id);
        const made = b.type === 'webhook' && !b.secret ? newWebhookSecret() : undefined;
        const secret = b.type === 'telegram' ? b.bot_token : b.type === 'webhook' ? (b.secret ?? made) : undefined;
        const c = await s.repos.notificationChannels.create(createInput(b, secret));
        ctx.audit.target = `notification_channel:${c.id}`;
        ctx.audit.details = { type: c.type, name: c.name, secret: secret === undefined ? undefined : made ? 'generated' : 'set', bot_id: c.bot_id ?? undefined };
        return created({ ...channelView(c), ...(made ? { secret: made } : {}) });
      },
    }),
    route({
      method: 'GET',
      path: '/admin/notifications/channels/:id',
      summary: 'One notification channel',
      tag: 'notifications',
      auth: READ,
      params: IdParams,
      response: ChannelResponse,
      async handler(ctx) {
        return json(channelView(await channel(ctx.params.id)));
      },
    }),
    route({
      method: 'PATCH',
      path: '/admin/notifications/channels/:id',
      summary: "Change a channel (its type stays); a secret left out is kept; fields of another type are refused",
      tag: 'notifications',
      auth: ADMIN,
      audit: 'notification_channels.update',
      params: IdParams,
      body: ChannelPatch,
      response: ChannelResponse,
      async handler(ctx) {
        const before = await channel(ctx.params.id);
        const patch = patchInput(before.type, ctx.body);
        if (before.type === 'webhook') assertEgressAllowed(s.config.egress, 'url', patch.target);
        if (patch.bot_id != null) await configuredBot(patch.bot_id);
        ctx.audit.target = `notification_channel:${before.id}`;
        ctx.audit.details = { fields: Object.keys(ctx.body).filter((k) => k !== 'bot_token' && k !== 'secret'), secret: typeof patch.secret === 'string' ? 'set' : undefined };
        const c = await s.repos.notificationChannels.update(before.id, patch);
        if (!c) throw notFound('notification channel');
        return json(channelView(c));
      },
    }),
    route({
      method: 'DELETE',
      path: '/admin/notifications/channels/:id',
      summary: 'Delete a channel (its deliveries stay in the messages\u2019 history; pending ones fail as "the channel was deleted")',
      tag: 'notifications',
      auth: ADMIN,
      audit: 'notification_channels.delete',
      params: IdParams,
      async handler(ctx) {
        ctx.audit.target = `notification_channel:${ctx.params.id}`;
        if (!(await s.repos.notificationChannels.remove(ctx.params.id))) throw notFound('notification channel');
        return noContent();
      },
    }),
    route({
      method: 'POST',
      path: '/admin/notifications/channels/:id/test',
      summary: 'Send a test notification through this channel now: {ok, latency_ms, ref} or {ok: false, error, retryable}',
      tag: 'notifications',
      auth: ADMIN,
      audit: 'notification_channels.test',
      params: IdParams,
      response: z.object({ channel_id: z.number(), ok: z.boolean(), latency_ms: z.number(), ref: z.string().nullable().optional(), error: z.string().optional(), retryable: z.boolean().optional() }),
      async handler(ctx) {
        const c = await channel(ctx.params.id);
        ctx.audit.target = `notification_channel:${c.id}`;
        const result = await s.notifications.test(c, ctx.signal);
        ctx.audit.details = { ok: result.ok };
        return json({ channel_id: c.id, ...result });
      },
    }),
    route({
      method: 'GET',
      path: '/admin/notifications/deliveries',
      summary: 'Notification deliveries, newest first; filter by status (failed: what the owner was not told), channel and message',
      tag: 'notifications',
      auth: READ,
      query: z
        .object({
          status: z.enum(DELIVERY_STATUSES).optional(),
          channel_id: z.coerce.number().int().positive().optional(),
          message_id: z.string().max(64).optional(),
        })
        .extend(PageQuery.shape),
      async handler(ctx) {
        const { limit, offset, ...filter } = ctx.query;
        return json({ ...(await s.repos.notificationOutbox.list(filter, { limit, offset })), limit, offset });
      },
    }),
  ];
}
