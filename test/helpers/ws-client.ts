/** A small promise-based `ws` client for protocol tests: collects events and binary frames. */
import { WebSocket } from 'ws';
import { DEFAULT_TIMEOUT_MS } from './until.ts';

export interface Received {
  events: { type: string; [k: string]: unknown }[];
  frames: Buffer[];
}

export class TestClient {
  readonly ws: WebSocket;
  readonly received: Received = { events: [], frames: [] };
  readonly opened: Promise<void>;
  readonly closed: Promise<{ code: number; reason: string }>;
  private waiters: (() => void)[] = [];

  constructor(url: string, token: string | null, opts: { protocols?: string[]; origin?: string } = {}) {
    const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
    this.ws = new WebSocket(url, opts.protocols ?? [], { headers, perMessageDeflate: false, ...(opts.origin ? { origin: opts.origin } : {}) });
    this.opened = new Promise((resolve, reject) => {
      this.ws.once('open', () => resolve());
      this.ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
      this.ws.once('error', reject);
    });
    this.closed = new Promise((resolve) => this.ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })));
    this.ws.on('message', (data: Buffer, isBinary: boolean) => {
      if (isBinary) this.received.frames.push(data);
      else this.received.events.push(JSON.parse(data.toString()));
      for (const w of this.waiters.splice(0)) w();
    });
    this.ws.on('close', () => {
      for (const w of this.waiters.splice(0)) w();
    });
  }

  sendJson(message: unknown): void {
    this.ws.send(JSON.stringify(message));
  }

  /**
   * Resolves when `predicate` holds (checked on every message), rejects after the timeout: a
   * ceiling for a broken test, generous by default (as test/helpers/until.ts), not a figure.
   */
  async waitFor(predicate: (r: Received) => boolean, what?: string): Promise<void>;
  async waitFor(predicate: (r: Received) => boolean, timeoutMs?: number, what?: string): Promise<void>;
  async waitFor(predicate: (r: Received) => boolean, a?: number | string, b?: string): Promise<void> {
    const timeoutMs = typeof a === 'number' ? a : DEFAULT_TIMEOUT_MS;
    const what = (typeof a === 'string' ? a : b) ?? 'condition';
    const deadline = performance.now() + timeoutMs;
    while (!predicate(this.received)) {
      const left = deadline - performance.now();
      if (left <= 0) throw new Error(`timed out waiting for ${what}; events: ${JSON.stringify(this.received.events).slice(0, 500)}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(left, 100));
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  async waitForEvent(type: string, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<{ type: string; [k: string]: unknown }> {
    await this.waitFor((r) => r.events.some((e) => e.type === type), timeoutMs, `event "${type}"`);
    return this.received.events.find((e) => e.type === type)!;
  }

  async start(codec = 'pcm16', sampleRate?: number): Promise<{ type: string; [k: string]: unknown }> {
    await this.opened;
    this.sendJson({ type: 'start', codec, ...(sampleRate ? { sample_rate: sampleRate } : {}) });
    return this.waitForEvent('started');
  }
}
