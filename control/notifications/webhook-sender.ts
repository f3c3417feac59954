/**
 * A generic webhook: the notification as JSON, POSTed to the channel's URL with a timestamp and an
 * HMAC-SHA256 signature (webhook-signature.ts) and the delivery's Idempotency-Key, the same on
 * every retry, so a receiver that saw it already can answer 2xx and do nothing.
 *
 * The URL is the admin's, so the request goes through the egress policy (outboundFetch): no
 * loopback, private or metadata addresses unless EGRESS_ALLOW says so, and no redirects. A 2xx is
 * delivered; 408, 425, 429 and 5xx are tried again (after Retry-After when given); any other
 * answer fails for good, as does an address the policy refuses. The receiver's body is logged
 * (its first 500 characters, under an error id), never stored or shown.
 */
import { engineFailure, findCause, type EngineLog } from '../../pipeline/engines/engine-error.ts';
import { EgressRefusedError, type EgressPolicy } from '../../pipeline/net/egress-policy.ts';
import { outboundFetch } from '../../pipeline/net/outbound-http.ts';
import { DeliveryError, retryAfterMs, type NotificationSender } from './notification-sender.ts';
import { EVENT_HEADER, IDEMPOTENCY_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, webhookSignature } from './webhook-signature.ts';

export interface WebhookSenderOptions {
  egress: EgressPolicy;
  log: EngineLog;
  timeoutMs: number;
}

const RETRYABLE = new Set([408, 425, 429]);

export function webhookSender(opts: WebhookSenderOptions): NotificationSender {
  const fetch = outboundFetch({ egress: opts.egress });
  return {
    async send({ channel, secret }, content, { idempotencyKey, signal }) {
      if (!secret) throw new DeliveryError('no signing secret is stored for this channel', true);
      const body = JSON.stringify({ ...content.payload, idempotency_key: idempotencyKey });
      const timestamp = Math.floor(Date.now() / 1000);
      let res: Awaited<ReturnType<typeof fetch>>;
      try {
        res = await fetch(channel.target, {
          method: 'POST',
          body,
          headers: {
            'content-type': 'application/json',
            'user-agent': 'voice-gateway-webhook/1',
            [TIMESTAMP_HEADER]: String(timestamp),
            [SIGNATURE_HEADER]: webhookSignature(secret, timestamp, body),
            [IDEMPOTENCY_HEADER]: idempotencyKey,
            [EVENT_HEADER]: String(content.payload.event),
          },
          signal: AbortSignal.any([signal, AbortSignal.timeout(opts.timeoutMs)]),
        });
      } catch (err) {
        const refused = findCause(err, (e) => e instanceof EgressRefusedError);
        if (refused) throw new DeliveryError(refused.message, true);
        if (signal.aborted || findCause(err, (e) => e.name === 'TimeoutError' || e.name === 'AbortError')) {
          throw new DeliveryError('the webhook did not answer in time', false);
        }
        if (findCause(err, (e) => /redirect/i.test(e.message))) throw new DeliveryError('the webhook answered with a redirect, which is not followed: configure the final URL', true);
        const code = (findCause(err, (e) => typeof (e as { code?: unknown }).code === 'string') as { code?: string } | undefined)?.code ?? 'unknown';
        // The code only: the URL (which may carry a token of the receiver's) stays out of the log.
        throw new DeliveryError(engineFailure(opts.log, 'webhook', `could not reach the webhook (${code})`, { channel_id: channel.id, network_error: code }).message, false);
      }
      const answer = (await res.text().catch(() => '')).slice(0, 500);
      if (res.ok) return `http:${res.status}`;
      const retryable = RETRYABLE.has(res.status) || res.status >= 500;
      const summary = engineFailure(opts.log, 'webhook', `the webhook answered HTTP ${res.status}`, { channel_id: channel.id, status: res.status, body: answer }).message;
      throw new DeliveryError(summary, !retryable, retryable ? retryAfterMs(res.headers.get('retry-after')) : undefined);
    },
  };
}
