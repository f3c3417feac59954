/**
 * A fake Telegram Bot API on 127.0.0.1 speaking the real wire protocol, for the owner's
 * notifications: `POST /bot<token>/sendMessage` with a JSON body answers
 * `{"ok": true, "result": {message_id, date, chat, text}}`; a token it does not know answers 401
 * `{"ok": false, "error_code": 401, "description": "Unauthorized"}`. Scripted answers (`failNext`)
 * stand for a Bot API that limits (429 with `parameters.retry_after`) or fails (500, 400 "chat not
 * found"). Every request is recorded, with the time it arrived.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface TelegramRequest {
  token: string;
  method: string;
  body: Record<string, unknown>;
  at: number;
}

export type TelegramFailure = { status: 429; retryAfterS: number } | { status: 400 | 401 | 403 | 500; description?: string };

export interface FakeTelegram {
  /** For `new Api(token, { apiRoot })` and TELEGRAM_API_ROOT. */
  apiRoot: string;
  requests: TelegramRequest[];
  /** Messages it accepted (answered ok). */
  readonly sent: TelegramRequest[];
  /** Answer the next requests with these failures, in order. */
  failNext(...failures: TelegramFailure[]): void;
  close(): Promise<void>;
}

const DESCRIPTIONS: Record<number, string> = { 400: 'Bad Request: chat not found', 401: 'Unauthorized', 403: 'Forbidden: bot was blocked by the user', 500: 'Internal Server Error' };

export async function startFakeTelegram(opts: { tokens: string[] }): Promise<FakeTelegram> {
  const requests: TelegramRequest[] = [];
  const sent: TelegramRequest[] = [];
  const failures: TelegramFailure[] = [];
  let nextId = 1;
  const server: Server = createServer(async (req, res) => {
    let raw = '';
    for await (const c of req) raw += c;
    const reply = (status: number, body: unknown) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    const m = /^\/bot([^/]+)\/([A-Za-z]+)$/.exec(req.url ?? '');
    if (req.method !== 'POST' || !m) return reply(404, { ok: false, error_code: 404, description: 'Not Found' });
    let body: Record<string, unknown> = {};
    try {
      body = raw ? JSON.parse(raw) : {};
    } catch {
      return reply(400, { ok: false, error_code: 400, description: 'Bad Request: invalid JSON' });
    }
    const request: TelegramRequest = { token: decodeURIComponent(m[1]), method: m[2], body, at: Date.now() };
    requests.push(request);
    if (!opts.tokens.includes(request.token)) return reply(401, { ok: false, error_code: 401, description: 'Unauthorized' });
    const failure = failures.shift();
    if (failure?.status === 429) {
      return reply(429, { ok: false, error_code: 429, description: `Too Many Requests: retry after ${failure.retryAfterS}`, parameters: { retry_after: failure.retryAfterS } });
    }
    if (failure) return reply(failure.status, { ok: false, error_code: failure.status, description: failure.description ?? DESCRIPTIONS[failure.status] });
    if (request.method !== 'sendMessage') return reply(404, { ok: false, error_code: 404, description: 'Not Found: method not found' });
    if (typeof body.text !== 'string' || body.text === '' || body.chat_id === undefined) return reply(400, { ok: false, error_code: 400, description: 'Bad Request: message text is empty' });
    sent.push(request);
    const chatId = body.chat_id;
    reply(200, { ok: true, result: { message_id: nextId++, date: Math.floor(request.at / 1000), chat: { id: chatId, type: typeof chatId === 'number' && chatId < 0 ? 'group' : 'private' }, text: body.text } });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    apiRoot: `http://127.0.0.1:${port}`,
    requests,
    sent,
    failNext: (...f) => void failures.push(...f),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
