/**
 * How a webhook receiver knows a notification is ours and fresh: every POST carries
 *
 *   X-VG-Timestamp: <unix seconds>
 *   X-VG-Signature: sha256=<hex HMAC-SHA256(secret, "<timestamp>.<raw body>")>
 *
 * with the channel's own secret. A receiver recomputes the HMAC over the exact bytes it received,
 * compares in constant time, and refuses timestamps more than a few minutes away from its clock
 * (a replayed request). docs/control-plane.md, "Webhook signatures", has a receiver's code.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export const TIMESTAMP_HEADER = 'X-VG-Timestamp';
export const SIGNATURE_HEADER = 'X-VG-Signature';
export const IDEMPOTENCY_HEADER = 'Idempotency-Key';
export const EVENT_HEADER = 'X-VG-Event';

/** A new signing secret: 32 random bytes, prefixed so it is recognisable in a receiver's settings. */
export const newWebhookSecret = (): string => `whsec_${randomBytes(32).toString('base64url')}`;

export function webhookSignature(secret: string, timestamp: number, body: string): string {
  return 'sha256=' + createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');
}

/** The receiver's check: the signature matches and the timestamp is within `toleranceS` of now. */
export function verifyWebhookSignature(secret: string, timestamp: string | undefined, signature: string | undefined, body: string, toleranceS = 300, nowS = Date.now() / 1000): boolean {
  if (!timestamp || !signature || !/^\d{1,12}$/.test(timestamp)) return false;
  if (Math.abs(nowS - Number(timestamp)) > toleranceS) return false;
  const expected = Buffer.from(webhookSignature(secret, Number(timestamp), body));
  const given = Buffer.from(signature);
  return given.length === expected.length && timingSafeEqual(given, expected);
}
