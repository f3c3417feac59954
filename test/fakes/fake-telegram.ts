/**
 * A fake Telegram Bot API on 127.0.0.1 speaking the real wire protocol, so grammy's own client
 * (`new Api(token, { apiRoot })`, TELEGRAM_API_ROOT) runs against it unchanged:
 *
 *   POST /bot<token>/<method>   JSON or multipart/form-data body (files as `attach://<name>` parts)
 *   GET  /file/bot<token>/<path>  a file getFile named
 *
 * Every answer is `{"ok": true, "result": ...}` or `{"ok": false, "error_code", "description",
 * "parameters"?}`. It knows getMe, getUpdates (long polling: `offset` confirms every update below
 * it, `timeout` holds the request open until one arrives; a second poller ends the first with 409,
 * as Telegram does), setWebhook / deleteWebhook (with a webhook set, updates are POSTed to its URL
 * with `X-Telegram-Bot-Api-Secret-Token`, one at a time, and confirmed only by a 2xx answer;
 * getUpdates answers 409 meanwhile), sendMessage, editMessageText ("message is not modified" for
 * the same text, "message is too long" past 4096 characters), sendChatAction, sendVoice (the
 * uploaded bytes are kept) and getFile plus the file download.
 *
 * Users are scripted (`userWrites`, `userSendsVoice`) and what each chat shows is kept as the user
 * would see it (`chat`: the bot's messages with their current text after edits, voice notes).
 * Failures are scripted too: `failNext` (the next requests, any method, as before), `failMethod`
 * (the next calls of one method: 429 with `retry_after`, 400, 500), tokens it does not know (401),
 * and `cut()` / `restore()`: every open connection is destroyed and new ones are reset on accept
 * until restored, like a network that went away. Every request is recorded with when it arrived.
 */
import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { parseMultipart } from '../../control/stt/multipart.ts';

export interface TelegramRequest {
  token: string;
  method: string;
  body: Record<string, unknown>;
  /** Uploaded files by their field (`voice`), for multipart requests. */
  files?: Record<string, { filename?: string; data: Buffer }>;
  at: number;
}

export type TelegramFailure = { status: 429; retryAfterS: number } | { status: 400 | 401 | 403 | 500; description?: string };

/** A message in a chat as its user sees it. */
export interface ChatEntry {
  message_id: number;
  from: 'bot' | 'user';
  /** The current text (after the bot's edits). */
  text?: string;
  /** Every text it had, in order (the first is what was sent; the rest are edits). */
  versions: string[];
  /** A voice note's bytes (Ogg Opus), as uploaded or as the user sent it. */
  voice?: Buffer;
  at: number;
}

export interface WebhookDelivery {
  update_id: number;
  status: number;
  at: number;
}

export interface UserMessage {
  chatId: number;
  /** Default: the chat id (a private chat). */
  userId?: number;
  text: string;
  languageCode?: string;
  firstName?: string;
}

export interface FakeTelegram {
  /** For `new Api(token, { apiRoot })` and TELEGRAM_API_ROOT. */
  apiRoot: string;
  requests: TelegramRequest[];
  /** Messages it accepted (sendMessage answered ok). */
  readonly sent: TelegramRequest[];
  /** Answer the next requests (any method, any token) with these failures, in order. */
  failNext(...failures: TelegramFailure[]): void;
  /** Answer the next calls of `method` with these failures, in order. */
  failMethod(method: string, ...failures: TelegramFailure[]): void;
  /** A user writes to the bot: an update is queued; returns its update_id. */
  userWrites(token: string, m: UserMessage): number;
  /** A user sends a voice note (Ogg Opus bytes); returns its update_id. */
  userSendsVoice(token: string, m: { chatId: number; userId?: number; ogg: Buffer; durationS: number; fileSize?: number }): number;
  /** What the chat shows, oldest first. */
  chat(token: string, chatId: number): ChatEntry[];
  /** The bot's messages in a chat (what the user reads), oldest first. */
  botMessages(token: string, chatId: number): ChatEntry[];
  /** Updates queued and not yet confirmed. */
  pending(token: string): number;
  webhook(token: string): { url: string; secret?: string } | null;
  readonly deliveries: WebhookDelivery[];
  /** Drop every connection and reset new ones until `restore()`. */
  cut(): void;
  restore(): void;
  /** Connections reset while cut. */
  readonly refused: number;
  close(): Promise<void>;
}

const DESCRIPTIONS: Record<number, string> = { 400: 'Bad Request: chat not found', 401: 'Unauthorized', 403: 'Forbidden: bot was blocked by the user', 500: 'Internal Server Error' };
const MAX_TEXT = 4096;

interface BotState {
  id: number;
  username: string;
  updates: Array<{ update_id: number } & Record<string, unknown>>;
  nextUpdateId: number;
  webhook: { url: string; secret?: string } | null;
  /** The long poll waiting now: woken by a new update, ended by a newer poller. */
  poller: { wake(): void; conflict(): void } | null;
  delivering: boolean;
}

export async function startFakeTelegram(opts: { tokens: string[]; webhookRetryMs?: number }): Promise<FakeTelegram> {
  const requests: TelegramRequest[] = [];
  const sent: TelegramRequest[] = [];
  const deliveries: WebhookDelivery[] = [];
  const failures: TelegramFailure[] = [];
  const methodFailures = new Map<string, TelegramFailure[]>();
  const bots = new Map<string, BotState>();
  const chats = new Map<string, ChatEntry[]>();
  const files = new Map<string, { path: string; data: Buffer }>();
  const sockets = new Set<Socket>();
  let nextId = 1;
  let nextFile = 1;
  let down = false;
  let refused = 0;
  let closed = false;

  const bot = (token: string): BotState => {
    let b = bots.get(token);
    if (!b) {
      const id = Number(token.split(':')[0]) || 1;
      b = { id, username: `fake${id}_bot`, updates: [], nextUpdateId: 1000, webhook: null, poller: null, delivering: false };
      bots.set(token, b);
    }
    return b;
  };
  const chatOf = (token: string, chatId: number): ChatEntry[] => {
    const key = `${token}\u0000${chatId}`;
    let c = chats.get(key);
    if (!c) chats.set(key, (c = []));
    return c;
  };

  const queueUpdate = (token: string, message: Record<string, unknown>): number => {
    const b = bot(token);
    const update_id = b.nextUpdateId++;
    b.updates.push({ update_id, message });
    b.poller?.wake();
    void deliverWebhook(token);
    return update_id;
  };

  /** One update at a time, in order; confirmed by a 2xx, retried otherwise. */
  const deliverWebhook = async (token: string) => {
    const b = bot(token);
    if (b.delivering) return;
    b.delivering = true;
    try {
      while (!closed && b.webhook && b.updates.length) {
        const hook = b.webhook;
        const u = b.updates[0]!;
        const status = await postJson(hook.url, u, hook.secret).catch(() => 0);
        deliveries.push({ update_id: u.update_id, status, at: Date.now() });
        if (status >= 200 && status < 300) {
          if (b.updates[0] === u) b.updates.shift();
        } else await new Promise((r) => setTimeout(r, opts.webhookRetryMs ?? 200));
      }
    } finally {
      b.delivering = false;
    }
  };

  const server: Server = createServer((req, res) => {
    void handle(req, res).catch(() => res.destroy());
  });
  server.on('connection', (socket) => {
    if (down) {
      refused++;
      socket.destroy();
      return;
    }
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  const reply = (res: ServerResponse, status: number, body: unknown) => {
    if (!res.destroyed) res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  };
  const ok = (res: ServerResponse, result: unknown) => reply(res, 200, { ok: true, result });
  const error = (res: ServerResponse, status: number, description: string, parameters?: Record<string, unknown>) =>
    reply(res, status, { ok: false, error_code: status, description, ...(parameters ? { parameters } : {}) });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks);
    const url = req.url ?? '';
    const file = /^\/file\/bot([^/]+)\/(.+)$/.exec(url);
    if (req.method === 'GET' && file) {
      if (!opts.tokens.includes(decodeURIComponent(file[1]!))) return error(res, 401, 'Unauthorized');
      const f = [...files.values()].find((x) => x.path === file[2]);
      if (!f) return error(res, 404, 'Not Found');
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': f.data.length }).end(f.data);
      return;
    }
    const m = /^\/bot([^/]+)\/([A-Za-z]+)$/.exec(url);
    if (req.method !== 'POST' || !m) return error(res, 404, 'Not Found');
    let body: Record<string, unknown> = {};
    let uploaded: TelegramRequest['files'];
    const type = req.headers['content-type'] ?? '';
    try {
      if (type.startsWith('multipart/form-data')) {
        const parts = parseMultipart(raw, type);
        const byName = new Map(parts.map((p) => [p.name, p]));
        uploaded = {};
        for (const p of parts) {
          if (p.filename !== undefined) continue;
          const v = p.data.toString('utf8');
          const attached = /^attach:\/\/(.+)$/.exec(v);
          const filePart = attached ? byName.get(attached[1]!) : undefined;
          if (filePart) uploaded[p.name] = { filename: filePart.filename, data: Buffer.from(filePart.data) };
          else body[p.name] = v;
        }
      } else body = raw.length ? JSON.parse(raw.toString('utf8')) : {};
    } catch {
      return error(res, 400, 'Bad Request: invalid request body');
    }
    const request: TelegramRequest = { token: decodeURIComponent(m[1]!), method: m[2]!, body, ...(uploaded ? { files: uploaded } : {}), at: Date.now() };
    requests.push(request);
    if (!opts.tokens.includes(request.token)) return error(res, 401, 'Unauthorized');
    const failure = methodFailures.get(request.method)?.shift() ?? failures.shift();
    if (failure?.status === 429) return error(res, 429, `Too Many Requests: retry after ${failure.retryAfterS}`, { retry_after: failure.retryAfterS });
    if (failure) return error(res, failure.status, failure.description ?? DESCRIPTIONS[failure.status]!);
    await method(request, res);
  }

  async function method(r: TelegramRequest, res: ServerResponse): Promise<void> {
    const b = bot(r.token);
    const body = r.body;
    const chatId = Number(body.chat_id);
    const now = Math.floor(r.at / 1000);
    const botUser = { id: b.id, is_bot: true, first_name: 'Fake bot', username: b.username };
    const chat = { id: chatId, type: chatId < 0 ? 'group' : 'private' };
    switch (r.method) {
      case 'getMe':
        return ok(res, { ...botUser, can_join_groups: true, can_read_all_group_messages: false, supports_inline_queries: false });
      case 'getUpdates': {
        if (b.webhook) return error(res, 409, "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first");
        const offset = Number(body.offset ?? 0);
        if (offset > 0) b.updates = b.updates.filter((u) => u.update_id >= offset);
        const limit = Math.min(100, Math.max(1, Number(body.limit ?? 100)));
        const timeoutS = Math.max(0, Number(body.timeout ?? 0));
        b.poller?.conflict();
        const take = () => b.updates.filter((u) => u.update_id >= offset).slice(0, limit);
        let got = take();
        if (!got.length && timeoutS > 0) {
          const outcome = await new Promise<'wake' | 'conflict' | 'timeout' | 'gone'>((resolve) => {
            const me = { wake: () => finish('wake'), conflict: () => finish('conflict') };
            const timer = setTimeout(() => finish('timeout'), timeoutS * 1000);
            function finish(how: 'wake' | 'conflict' | 'timeout' | 'gone') {
              clearTimeout(timer);
              if (b.poller === me) b.poller = null;
              resolve(how);
            }
            b.poller = me;
            res.once('close', () => finish('gone'));
          });
          if (outcome === 'conflict') return error(res, 409, 'Conflict: terminated by other getUpdates request; make sure that only one bot instance is running');
          if (outcome === 'gone') return;
          got = take();
        }
        return ok(res, got);
      }
      case 'setWebhook': {
        if (typeof body.url !== 'string' || !body.url) {
          b.webhook = null;
          return ok(res, true);
        }
        b.webhook = { url: body.url, ...(typeof body.secret_token === 'string' ? { secret: body.secret_token } : {}) };
        if (body.drop_pending_updates === true) b.updates = [];
        b.poller?.conflict();
        void deliverWebhook(r.token);
        return ok(res, true);
      }
      case 'deleteWebhook':
        b.webhook = null;
        if (body.drop_pending_updates === true) b.updates = [];
        return ok(res, true);
      case 'sendChatAction':
        return ok(res, true);
      case 'sendMessage': {
        const text = body.text;
        if (typeof text !== 'string' || text === '' || body.chat_id === undefined) return error(res, 400, 'Bad Request: message text is empty');
        if (text.length > MAX_TEXT) return error(res, 400, 'Bad Request: message is too long');
        sent.push(r);
        const entry: ChatEntry = { message_id: nextId++, from: 'bot', text, versions: [text], at: r.at };
        chatOf(r.token, chatId).push(entry);
        return ok(res, { message_id: entry.message_id, date: now, chat, from: botUser, text });
      }
      case 'editMessageText': {
        const text = body.text;
        const entry = chatOf(r.token, chatId).find((e) => e.message_id === Number(body.message_id) && e.from === 'bot');
        if (!entry || entry.text === undefined) return error(res, 400, 'Bad Request: message to edit not found');
        if (typeof text !== 'string' || text === '') return error(res, 400, 'Bad Request: message text is empty');
        if (text.length > MAX_TEXT) return error(res, 400, 'Bad Request: MESSAGE_TOO_LONG');
        if (text === entry.text) {
          return error(res, 400, 'Bad Request: message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message');
        }
        entry.text = text;
        entry.versions.push(text);
        return ok(res, { message_id: entry.message_id, date: now, edit_date: now, chat, from: botUser, text });
      }
      case 'sendVoice': {
        const voice = r.files?.voice?.data;
        if (!voice || body.chat_id === undefined) return error(res, 400, 'Bad Request: there is no voice in the request');
        const entry: ChatEntry = { message_id: nextId++, from: 'bot', versions: [], voice, at: r.at };
        chatOf(r.token, chatId).push(entry);
        const fileId = `voice-out-${nextFile++}`;
        files.set(fileId, { path: `voice/${fileId}.oga`, data: voice });
        return ok(res, { message_id: entry.message_id, date: now, chat, from: botUser, voice: { file_id: fileId, file_unique_id: fileId, duration: 1, mime_type: 'audio/ogg', file_size: voice.length } });
      }
      case 'getFile': {
        const f = files.get(String(body.file_id));
        if (!f) return error(res, 400, 'Bad Request: invalid file_id');
        return ok(res, { file_id: String(body.file_id), file_unique_id: String(body.file_id), file_size: f.data.length, file_path: f.path });
      }
      default:
        return error(res, 404, 'Not Found: method not found');
    }
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const userOf = (chatId: number, userId: number | undefined, languageCode?: string, firstName?: string) => ({
    id: userId ?? chatId,
    is_bot: false,
    first_name: firstName ?? 'Ann',
    ...(languageCode ? { language_code: languageCode } : {}),
  });
  return {
    apiRoot: `http://127.0.0.1:${port}`,
    requests,
    sent,
    deliveries,
    failNext: (...f) => void failures.push(...f),
    failMethod(method, ...f) {
      methodFailures.set(method, [...(methodFailures.get(method) ?? []), ...f]);
    },
    userWrites(token, u) {
      const at = Date.now();
      const message_id = nextId++;
      chatOf(token, u.chatId).push({ message_id, from: 'user', text: u.text, versions: [u.text], at });
      return queueUpdate(token, {
        message_id,
        date: Math.floor(at / 1000),
        chat: { id: u.chatId, type: u.chatId < 0 ? 'group' : 'private' },
        from: userOf(u.chatId, u.userId, u.languageCode, u.firstName),
        text: u.text,
        ...(u.text.startsWith('/') ? { entities: [{ type: 'bot_command', offset: 0, length: u.text.split(/\s/)[0]!.length }] } : {}),
      });
    },
    userSendsVoice(token, v) {
      const at = Date.now();
      const message_id = nextId++;
      const fileId = `voice-in-${nextFile++}`;
      files.set(fileId, { path: `voice/${fileId}.oga`, data: v.ogg });
      chatOf(token, v.chatId).push({ message_id, from: 'user', versions: [], voice: v.ogg, at });
      return queueUpdate(token, {
        message_id,
        date: Math.floor(at / 1000),
        chat: { id: v.chatId, type: 'private' },
        from: userOf(v.chatId, v.userId),
        voice: { file_id: fileId, file_unique_id: fileId, duration: v.durationS, mime_type: 'audio/ogg', file_size: v.fileSize ?? v.ogg.length },
      });
    },
    chat: (token, chatId) => chatOf(token, chatId),
    botMessages: (token, chatId) => chatOf(token, chatId).filter((e) => e.from === 'bot'),
    pending: (token) => bot(token).updates.length,
    webhook: (token) => bot(token).webhook,
    cut() {
      down = true;
      for (const s of sockets) s.destroy();
      sockets.clear();
    },
    restore() {
      down = false;
    },
    get refused() {
      return refused;
    },
    close: () =>
      new Promise<void>((resolve) => {
        closed = true;
        for (const b of bots.values()) b.poller?.conflict();
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** POST an update as Telegram does: JSON, with the secret token header when one was set. */
function postJson(url: string, body: unknown, secret: string | undefined): Promise<number> {
  return new Promise((resolve, reject) => {
    const data = Buffer.from(JSON.stringify(body));
    const req = httpRequest(url, { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': data.length, ...(secret ? { 'x-telegram-bot-api-secret-token': secret } : {}) } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.setTimeout(60_000, () => req.destroy(new Error('timeout')));
    req.end(data);
  });
}
