/**
 * The owner's inbox: messages callers and chat visitors left (and their requests for a human),
 * newest first, filtered; one with its links and deliveries; marking it handled (or new again);
 * a CSV or JSON export; trying a failed notification again. Reading needs a viewer (like calls),
 * changing an operator; every change and every export is audited.
 */
import { z } from 'zod';
import { conflict, notFound } from '../http/errors.ts';
import { json, route, type RouteDef } from '../http/route.ts';
import { deliverySummary, messageDetail, messageViews } from '../messages/message-view.ts';
import { MESSAGE_KINDS, MESSAGE_STATUSES } from '../repositories/messages.ts';
import { DELIVERY_STATUSES } from '../repositories/notification-outbox.ts';
import type { ControlServices } from '../services.ts';
import { exportReply, toCsv } from './csv.ts';
import { PageQuery, TimeRange } from './schemas.ts';

const Filter = TimeRange.extend({
  status: z.enum(MESSAGE_STATUSES).optional(),
  channel: z.string().max(16).optional(),
  kind: z.enum(MESSAGE_KINDS).optional(),
});

const IdParam = z.object({ id: z.string().min(1).max(64) });

const EXPORT_MAX = 100_000;
const CSV_COLUMNS = [
  'id', 'created_at', 'kind', 'status', 'channel', 'caller_name', 'callback_number', 'callback_text', 'caller_id', 'reason', 'language',
  'call_id', 'session_id', 'handled_at', 'handled_by', 'deliveries',
] as const;

const nullable = <T extends z.ZodType>(s: T) => s.nullable();
const DeliveryResponse = z.object({
  id: z.number(),
  message_id: z.string(),
  channel_id: nullable(z.number()),
  channel_type: z.string(),
  channel_name: z.string(),
  idempotency_key: z.string(),
  status: z.enum(DELIVERY_STATUSES),
  attempts: z.number(),
  next_attempt_at: nullable(z.string()),
  last_attempt_at: nullable(z.string()),
  last_error: nullable(z.string()),
  sent_at: nullable(z.string()),
  external_ref: nullable(z.string()),
  created_at: z.string(),
  updated_at: z.string(),
});
export const MessageResponse = z.object({
  id: z.string(),
  kind: z.enum(MESSAGE_KINDS),
  status: z.enum(MESSAGE_STATUSES),
  caller_name: nullable(z.string()),
  callback_number: nullable(z.string()).describe('digits with an optional leading +, read from what the caller gave'),
  callback_text: nullable(z.string()).describe('the callback number as the caller gave it'),
  caller_id: nullable(z.string()).describe('the number the network reported for the call'),
  reason: nullable(z.string()),
  language: nullable(z.string()),
  channel: z.string().describe('ws, modem, chat, v1, widget, telegram'),
  call_id: nullable(z.string()),
  session_id: nullable(z.number()),
  created_at: z.string(),
  updated_at: z.string(),
  handled_at: nullable(z.string()),
  handled_by: nullable(z.object({ id: nullable(z.number()), username: nullable(z.string()) })),
  links: z.object({
    ui: z.string(),
    api: z.string(),
    call: nullable(z.string()),
    transcript: nullable(z.string()),
    recordings: z.array(z.string()),
    chat: nullable(z.string()),
  }),
  deliveries: z.array(DeliveryResponse),
});

export function messagesRoutes(s: ControlServices): RouteDef[] {
  const READ = { kind: 'user', role: 'viewer' } as const;
  const WRITE = { kind: 'user', role: 'operator' } as const;
  const detail = async (id: string) => {
    const m = await s.repos.messages.get(id);
    if (!m) throw notFound('message');
    return messageDetail(s.repos, m);
  };
  return [
    route({
      method: 'GET',
      path: '/admin/messages',
      summary: 'Messages left for the owner, newest first; filter by status, channel, kind and time taken',
      tag: 'messages',
      auth: READ,
      query: Filter.extend(PageQuery.shape),
      response: z.object({ items: z.array(MessageResponse), total: z.number(), limit: z.number(), offset: z.number() }),
      async handler(ctx) {
        const { limit, offset, ...filter } = ctx.query;
        const page = await s.repos.messages.list(filter, { limit, offset });
        return json({ items: await messageViews(s.repos, page.items), total: page.total, limit, offset });
      },
    }),
    route({
      method: 'GET',
      path: '/admin/messages/export',
      summary: `Export matching messages (at most ${EXPORT_MAX}) as CSV or JSON`,
      tag: 'messages',
      auth: READ,
      audit: 'messages.export',
      query: Filter.extend({ format: z.enum(['csv', 'json']).default('csv') }),
      async handler(ctx) {
        const { format, ...filter } = ctx.query;
        const { items } = await s.repos.messages.list(filter, { limit: EXPORT_MAX, offset: 0 });
        const views = await messageViews(s.repos, items);
        ctx.audit.details = { format, rows: views.length, filter };
        const rows = () => views.map((m) => ({ ...m, handled_by: m.handled_by?.username ?? null, deliveries: deliverySummary(m.deliveries) }));
        return exportReply('messages', format, views, () => toCsv(CSV_COLUMNS, rows()));
      },
    }),
    route({
      method: 'GET',
      path: '/admin/messages/:id',
      summary: 'One message with links to its call (transcript, recordings) or chat, and its notification deliveries',
      tag: 'messages',
      auth: READ,
      params: IdParam,
      response: MessageResponse,
      async handler(ctx) {
        return json(await detail(ctx.params.id));
      },
    }),
    route({
      method: 'PATCH',
      path: '/admin/messages/:id',
      summary: 'Mark a message handled (who and when are recorded) or new again',
      tag: 'messages',
      auth: WRITE,
      audit: 'messages.update',
      params: IdParam,
      body: z.strictObject({ status: z.enum(MESSAGE_STATUSES) }),
      response: MessageResponse,
      async handler(ctx) {
        ctx.audit.target = `message:${ctx.params.id}`;
        ctx.audit.details = { status: ctx.body.status };
        const p = ctx.principal;
        const by = p.kind === 'user' ? { id: p.user.id, username: p.user.username } : { id: null, username: null };
        if (!(await s.repos.messages.setStatus(ctx.params.id, ctx.body.status, by))) throw notFound('message');
        return json(await detail(ctx.params.id));
      },
    }),
    route({
      method: 'POST',
      path: '/admin/messages/:id/deliveries/:deliveryId/retry',
      summary: 'Try a failed notification of this message again, now, with a fresh budget of attempts',
      tag: 'messages',
      auth: WRITE,
      audit: 'messages.delivery_retry',
      params: IdParam.extend({ deliveryId: z.coerce.number().int().positive() }),
      response: MessageResponse,
      async handler(ctx) {
        const { id, deliveryId } = ctx.params;
        ctx.audit.target = `message:${id}`;
        ctx.audit.details = { delivery_id: deliveryId };
        const delivery = await s.repos.notificationOutbox.get(deliveryId);
        if (!delivery || delivery.message_id !== id) throw notFound('delivery');
        if (!(await s.repos.notificationOutbox.retry(deliveryId))) throw conflict(`only a failed delivery can be retried; this one is ${delivery.status}`, { status: delivery.status });
        s.notifications.worker.wake();
        return json(await detail(id));
      },
    }),
  ];
}
