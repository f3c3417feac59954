/** A website visitor as widget.js is, over plain fetch: Origin header, visitor token, SSE replies. */

export interface SseEvent {
  event: string;
  data: any;
}

export function parseSse(text: string): SseEvent[] {
  return text
    .split('\n\n')
    .filter((block) => block.trim())
    .map((block) => {
      const event = /^event: (.*)$/m.exec(block)?.[1] ?? 'message';
      const data = /^data: (.*)$/m.exec(block)?.[1];
      return { event, data: data === undefined ? undefined : JSON.parse(data) };
    });
}

export interface VisitorAnswer {
  status: number;
  headers: Headers;
  body: any;
  text: string;
}

export class TestVisitor {
  token: string | null = null;

  constructor(
    readonly base: string,
    readonly widget: string,
    readonly origin: string | null,
  ) {}

  async call(method: string, path: string, body?: unknown, opts: { token?: string | null; headers?: Record<string, string> } = {}): Promise<VisitorAnswer> {
    const headers: Record<string, string> = { ...opts.headers };
    if (this.origin) headers.origin = this.origin;
    const token = opts.token === undefined ? this.token : opts.token;
    if (token) headers.authorization = `Bearer ${token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(`${this.base}/widget/v1/${this.widget}${path}`, { method, headers, body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body) });
    const text = await res.text();
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = undefined;
    }
    return { status: res.status, headers: res.headers, body: parsed, text };
  }

  async start(): Promise<VisitorAnswer> {
    const r = await this.call('POST', '/sessions', {}, { token: null });
    if (r.status === 201) this.token = r.body.token;
    return r;
  }

  /** Send a message; the reply's events, and the reply text (deltas joined) when it completed. */
  async say(content: string): Promise<{ status: number; headers: Headers; body: any; events: SseEvent[]; reply: string | null; done: any }> {
    const r = await this.call('POST', '/messages', { content });
    if (r.status !== 200) return { status: r.status, headers: r.headers, body: r.body, events: [], reply: null, done: null };
    const events = parseSse(r.text);
    const done = events.find((e) => e.event === 'done')?.data ?? null;
    return { status: 200, headers: r.headers, body: undefined, events, reply: done ? events.filter((e) => e.event === 'delta').map((e) => e.data.text).join('') : null, done };
  }
}
