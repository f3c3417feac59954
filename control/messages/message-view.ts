/**
 * A message as the admin API shows it: the record, the links to its call (turns, transcript,
 * recordings) or chat session, and how its notifications went (each delivery's status, attempts,
 * last error and next attempt), so the owner sees at a glance whether they were told.
 */
import type { Repositories } from '../repositories/index.ts';
import type { Message } from '../repositories/messages.ts';
import type { Delivery } from '../repositories/notification-outbox.ts';
import { messageLinks, type MessageLinks } from './message-links.ts';

export interface MessageView extends Message {
  links: MessageLinks;
  deliveries: Delivery[];
}

type Repos = Pick<Repositories, 'calls' | 'notificationOutbox'>;

/** Many messages (a page, an export): one query for all their deliveries; recordings are listed by `messageDetail`. */
export async function messageViews(repos: Repos, messages: readonly Message[]): Promise<MessageView[]> {
  const deliveries = await repos.notificationOutbox.forMessages(messages.map((m) => m.id));
  return messages.map((m) => ({ ...m, links: messageLinks(m), deliveries: deliveries.get(m.id) ?? [] }));
}

/** One message, with the download links of its call's recordings. */
export async function messageDetail(repos: Repos, m: Message): Promise<MessageView> {
  const [deliveries, recordings] = await Promise.all([repos.notificationOutbox.forMessages([m.id]), m.call_id ? repos.calls.recordings(m.call_id) : []]);
  return { ...m, links: messageLinks(m, recordings.map((r) => r.id)), deliveries: deliveries.get(m.id) ?? [] };
}

/** "Owner (telegram): sent; Hook (webhook): failed": a delivery summary for one spreadsheet cell. */
export const deliverySummary = (deliveries: readonly Delivery[]): string => deliveries.map((d) => `${d.channel_name} (${d.channel_type}): ${d.status}`).join('; ');
