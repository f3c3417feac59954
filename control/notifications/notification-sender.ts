/**
 * One way of telling the owner (Telegram, SMS, webhook) behind one small interface, so the delivery
 * worker and the channels' "test" action treat them alike. A sender resolves with what the target
 * gave back (a message id, SMS references) or throws a DeliveryError that says, in our own words,
 * what failed and whether trying again can help; the target's own answer goes to the log only,
 * under the error id the summary names.
 */
import type { ChannelType, NotificationChannel } from '../repositories/notification-channels.ts';
import type { NotificationContent } from './notification-content.ts';

export interface DeliveryTarget {
  channel: NotificationChannel;
  /** The decrypted bot token or webhook secret. */
  secret: string | null;
}

export interface SendOptions {
  /** The same on every attempt of one delivery (the webhook's Idempotency-Key). */
  idempotencyKey: string;
  /** Aborted when the attempt times out or the gateway shuts down. */
  signal: AbortSignal;
}

export interface NotificationSender {
  send(target: DeliveryTarget, content: NotificationContent, opts: SendOptions): Promise<string | null>;
}

export type NotificationSenders = Record<ChannelType, NotificationSender>;

export class DeliveryError extends Error {
  override name = 'DeliveryError';
  constructor(
    /** Our summary, safe to show (API, /health): never the target's answer. */
    message: string,
    /** Trying again cannot help (a refused token, an unknown chat, a 4xx): the delivery fails now. */
    readonly permanent: boolean,
    /** The target said when to come back (Telegram's retry_after, a Retry-After header). */
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}

/** Retry-After as seconds or an HTTP date, in ms from now; undefined when absent or unreadable. */
export function retryAfterMs(header: string | null, now = Date.now()): number | undefined {
  if (!header) return undefined;
  if (/^\d+$/.test(header.trim())) return Number(header.trim()) * 1000;
  const at = Date.parse(header);
  return Number.isFinite(at) ? Math.max(0, at - now) : undefined;
}
