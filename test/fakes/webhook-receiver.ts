/**
 * A webhook receiver on 127.0.0.1 as an owner would write one from docs/control-plane.md
 * ("Webhook signatures"), with its own HMAC check (not the gateway's code): it recomputes
 * HMAC-SHA256(secret, "<X-VG-Timestamp>.<raw body>"), compares in constant time, refuses stale
 * timestamps, and treats a repeated Idempotency-Key as already done (2xx, not counted again).
 * Scripted answers (`failNext`) and a `hold` stand for a receiver that fails or is slow.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface WebhookRequest {
  headers: Record<string, string | string[] | undefined>;
  body: string;
  json: any;
  /** The signature and timestamp checked out. */
  valid: boolean;
  /** Its Idempotency-Key had been accepted before. */
  duplicate: boolean;
  at: number;
}

export interface WebhookReceiver {
  url: string;
  port: number;
  /** The channel's signing secret (set once the gateway made it). */
  secret: string;
  requests: WebhookRequest[];
  /** Distinct deliveries accepted, by Idempotency-Key. */
  readonly accepted: Map<string, WebhookRequest>;
  /** Answer the next requests with these statuses (and headers), in order. */
  failNext(...answers: Array<{ status: number; headers?: Record<string, string> }>): void;
  /** Hold every request until this settles (a slow receiver), recording it at once. */
  hold: Promise<unknown> | null;
  close(): Promise<void>;
}

export function verifySignature(secret: string, headers: WebhookRequest['headers'], body: string, toleranceS = 300): boolean {
  const ts = String(headers['x-vg-timestamp'] ?? '');
  const sig = String(headers['x-vg-signature'] ?? '');
  if (!/^\d+$/.test(ts) || Math.abs(Date.now() / 1000 - Number(ts)) > toleranceS) return false;
  const expected = Buffer.from('sha256=' + createHmac('sha256', secret).update(`${ts}.${body}`).digest('hex'));
  const given = Buffer.from(sig);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

export async function startWebhookReceiver(opts: { port?: number; secret?: string } = {}): Promise<WebhookReceiver> {
  const requests: WebhookRequest[] = [];
  const accepted = new Map<string, WebhookRequest>();
  const answers: Array<{ status: number; headers?: Record<string, string> }> = [];
  const receiver = { secret: opts.secret ?? '', hold: null as Promise<unknown> | null };
  const server: Server = createServer(async (req, res) => {
    let body = '';
    for await (const c of req) body += c;
    const valid = verifySignature(receiver.secret, req.headers, body);
    const key = String(req.headers['idempotency-key'] ?? '');
    let json: unknown = null;
    try {
      json = JSON.parse(body);
    } catch {
      json = null;
    }
    const r: WebhookRequest = { headers: req.headers, body, json, valid, duplicate: accepted.has(key), at: Date.now() };
    requests.push(r);
    if (receiver.hold) await receiver.hold;
    const scripted = answers.shift();
    if (scripted) return void res.writeHead(scripted.status, { 'content-type': 'text/plain', ...scripted.headers }).end(`scripted ${scripted.status}: internal detail`);
    if (!valid) return void res.writeHead(401).end('bad signature');
    if (!r.duplicate && key) accepted.set(key, r);
    res.writeHead(204).end();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', resolve);
  });
  const port = (server.address() as AddressInfo).port;
  return Object.assign(receiver, {
    url: `http://127.0.0.1:${port}/hooks/voice-gateway`,
    port,
    requests,
    accepted,
    failNext: (...a: Array<{ status: number; headers?: Record<string, string> }>) => void answers.push(...a),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  });
}
