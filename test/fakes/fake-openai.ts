/**
 * A fake OpenAI-compatible server on 127.0.0.1 that speaks the real wire protocol (what vLLM,
 * Ollama and friends speak), for tests and latency benches:
 *   POST /v1/chat/completions   JSON or SSE streaming, text and tool calls, configurable time to
 *                               first token and token rate, scripted failures
 *   POST /v1/audio/transcriptions  multipart upload (file + model), returns {text}
 *   POST /v1/audio/speech       streams PCM16 24 kHz (response_format pcm) or a WAV
 * Every request is recorded for assertions.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * Stop sending after `after` tokens (chat) or audio chunks (speech) until `until` settles: a test
 * then knows the rest has not been sent, so what the client got by then arrived while streaming
 * (no wall-time guess about "before the body was complete").
 */
export interface FakeHold {
  after: number;
  until: Promise<unknown>;
}

/**
 * A `until` for FakeHold that the test releases; after `ceilingMs` it lets go by itself (and says
 * so in `timedOut`), so a client that wrongly waits for the held rest fails the test instead of hanging it.
 */
export function testRelease(ceilingMs = 30_000): { until: Promise<void>; release(): void; readonly timedOut: boolean } {
  let resolve!: () => void;
  const until = new Promise<void>((r) => (resolve = r));
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    resolve();
  }, ceilingMs);
  timer.unref();
  return {
    until,
    release() {
      clearTimeout(timer);
      resolve();
    },
    get timedOut() {
      return timedOut;
    },
  };
}

export interface FakeChatReply {
  text?: string;
  toolCalls?: { name: string; arguments: Record<string, unknown> | string }[];
  /** Delay before the first chunk (default: server's ttftMs). */
  ttftMs?: number;
  /** Delay between tokens (default: server's tokenMs). */
  tokenMs?: number;
  /** Answer with this HTTP status and an error body instead. */
  status?: number;
  /** Accept the request and never answer. */
  hang?: boolean;
  /** Destroy the socket after this many tokens (a provider dying mid-reply). */
  dropAfterTokens?: number;
  hold?: FakeHold;
}

export interface ChatRequestBody {
  model: string;
  messages: { role: string; content: string | null; tool_calls?: unknown[]; tool_call_id?: string }[];
  stream?: boolean;
  tools?: { type: 'function'; function: { name: string } }[];
  [k: string]: unknown;
}

export interface FakeOpenAiOptions {
  /** Decide the reply per request (default: echo the last user message). */
  chat?: (body: ChatRequestBody, index: number) => FakeChatReply;
  ttftMs?: number;
  tokenMs?: number;
  /** Transcription result from the uploaded file bytes (default: `heard N bytes`). */
  transcribe?: (file: Buffer, fields: Record<string, string>) => string;
  /** Speech: samples per character of input (default 400 at 24 kHz), sent in `speechChunkSamples` chunks. */
  speechSamplesPerChar?: number;
  speechChunkSamples?: number;
  speechChunkDelayMs?: number;
  speechTtfbMs?: number;
  speechHold?: FakeHold;
  /** Require `Authorization: Bearer <apiKey>`. */
  apiKey?: string;
}

export interface RecordedRequest {
  path: string;
  headers: IncomingMessage['headers'];
  body: unknown;
  at: number;
}

export const FAKE_SPEECH_RATE = 24000;

const sleep = (ms: number) => (ms > 0 ? new Promise((r) => setTimeout(r, ms)) : Promise.resolve());

/** Word-ish tokens with their leading space, like a BPE tokenizer roughly does. */
export function fakeTokens(text: string): string[] {
  return text.match(/\s*\S+/g) ?? [];
}

export class FakeOpenAi {
  readonly requests: RecordedRequest[] = [];
  private server: Server;
  private chatCount = 0;
  private sockets = new Set<import('node:net').Socket>();
  port = 0;

  constructor(private readonly opts: FakeOpenAiOptions = {}) {
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((err) => {
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { message: String(err) } }));
      });
    });
    this.server.on('connection', (s) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
  }

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  get baseURL(): string {
    return `http://127.0.0.1:${this.port}/v1`;
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  chatRequests(): ChatRequestBody[] {
    return this.requests.filter((r) => r.path === '/v1/chat/completions').map((r) => r.body as ChatRequestBody);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const raw = await readBody(req);
    const path = (req.url ?? '').split('?')[0];
    if (this.opts.apiKey && req.headers.authorization !== `Bearer ${this.opts.apiKey}`) {
      return json(res, 401, { error: { message: 'bad api key', type: 'invalid_request_error' } });
    }
    if (req.method === 'POST' && path === '/v1/chat/completions') {
      const body = JSON.parse(raw.toString('utf8')) as ChatRequestBody;
      this.requests.push({ path, headers: req.headers, body, at: performance.now() });
      return this.chat(body, res);
    }
    if (req.method === 'POST' && path === '/v1/audio/transcriptions') {
      const { fields, files } = parseMultipart(raw, req.headers['content-type'] ?? '');
      this.requests.push({ path, headers: req.headers, body: { fields, fileBytes: files.file?.data.length, filename: files.file?.filename }, at: performance.now() });
      if (!files.file) return json(res, 400, { error: { message: 'file is required' } });
      if (!fields.model) return json(res, 400, { error: { message: 'model is required' } });
      const text = this.opts.transcribe ? this.opts.transcribe(files.file.data, fields) : `heard ${files.file.data.length} bytes`;
      return json(res, 200, { text });
    }
    if (req.method === 'POST' && path === '/v1/audio/speech') {
      const body = JSON.parse(raw.toString('utf8')) as { model: string; input: string; voice: string; response_format?: string };
      this.requests.push({ path, headers: req.headers, body, at: performance.now() });
      return this.speech(body, res);
    }
    json(res, 404, { error: { message: `no route ${req.method} ${path}` } });
  }

  private async chat(body: ChatRequestBody, res: ServerResponse): Promise<void> {
    const index = this.chatCount++;
    const reply = this.opts.chat ? this.opts.chat(body, index) : { text: `You said: ${lastUser(body)}` };
    if (reply.hang) return; // never answer; the client's timeout must fire
    await sleep(reply.ttftMs ?? this.opts.ttftMs ?? 0);
    if (reply.status) return json(res, reply.status, { error: { message: `scripted ${reply.status}`, type: 'server_error' } });
    const id = `chatcmpl-${index}`;
    const created = Math.floor(Date.now() / 1000);
    const tokens = fakeTokens(reply.text ?? '');
    const toolCalls = (reply.toolCalls ?? []).map((c, i) => ({
      index: i,
      id: `call_${index}_${i}`,
      type: 'function' as const,
      function: { name: c.name, arguments: typeof c.arguments === 'string' ? c.arguments : JSON.stringify(c.arguments) },
    }));
    const finish = toolCalls.length ? 'tool_calls' : 'stop';
    if (!body.stream) {
      return json(res, 200, {
        id,
        object: 'chat.completion',
        created,
        model: body.model,
        choices: [{ index: 0, message: { role: 'assistant', content: reply.text ?? null, ...(toolCalls.length ? { tool_calls: toolCalls.map(({ index: _i, ...c }) => c) } : {}) }, finish_reason: finish }],
        usage: { prompt_tokens: 10, completion_tokens: tokens.length, total_tokens: 10 + tokens.length },
      });
    }
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
    const chunk = (delta: unknown, finish_reason: string | null = null) =>
      res.write(`data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model: body.model, choices: [{ index: 0, delta, finish_reason }] })}\n\n`);
    chunk({ role: 'assistant', content: '' });
    const tokenMs = reply.tokenMs ?? this.opts.tokenMs ?? 0;
    for (let i = 0; i < tokens.length; i++) {
      if (res.destroyed) return;
      if (reply.dropAfterTokens !== undefined && i >= reply.dropAfterTokens) {
        res.socket?.destroy();
        return;
      }
      if (reply.hold && i === reply.hold.after) await reply.hold.until;
      if (res.destroyed) return;
      chunk({ content: tokens[i] });
      if (i < tokens.length - 1) await sleep(tokenMs);
    }
    // Tool calls stream like real servers do: id and name first, arguments in pieces.
    for (const c of toolCalls) {
      chunk({ tool_calls: [{ index: c.index, id: c.id, type: 'function', function: { name: c.function.name, arguments: '' } }] });
      const args = c.function.arguments;
      const mid = Math.ceil(args.length / 2);
      for (const piece of [args.slice(0, mid), args.slice(mid)]) if (piece) chunk({ tool_calls: [{ index: c.index, function: { arguments: piece } }] });
    }
    chunk({}, finish);
    res.write('data: [DONE]\n\n');
    res.end();
  }

  private async speech(body: { input: string; response_format?: string }, res: ServerResponse): Promise<void> {
    const total = Math.max(1, body.input.length) * (this.opts.speechSamplesPerChar ?? 400);
    const pcm = new Int16Array(total);
    for (let i = 0; i < total; i++) pcm[i] = Math.round(8000 * Math.sin((2 * Math.PI * 220 * i) / FAKE_SPEECH_RATE));
    const bytes = Buffer.from(pcm.buffer);
    const format = body.response_format ?? 'mp3';
    if (format !== 'pcm' && format !== 'wav') return json(res, 400, { error: { message: `fake supports pcm and wav, not ${format}` } });
    await sleep(this.opts.speechTtfbMs ?? 0);
    res.writeHead(200, { 'content-type': format === 'wav' ? 'audio/wav' : 'audio/pcm', 'transfer-encoding': 'chunked' });
    if (format === 'wav') res.write(streamingWavHeader(FAKE_SPEECH_RATE));
    // An odd byte count on purpose: clients must not assume sample-aligned network chunks.
    const step = (this.opts.speechChunkSamples ?? 2400) * 2 + 1;
    const hold = this.opts.speechHold;
    for (let i = 0; i < bytes.length; i += step) {
      if (hold && i === hold.after * step) await hold.until;
      if (res.destroyed) return;
      res.write(bytes.subarray(i, i + step));
      await sleep(this.opts.speechChunkDelayMs ?? 0);
    }
    res.end();
  }
}

function lastUser(body: ChatRequestBody): string {
  for (let i = body.messages.length - 1; i >= 0; i--) if (body.messages[i].role === 'user') return String(body.messages[i].content ?? '');
  return '';
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const p of req) parts.push(p as Buffer);
  return Buffer.concat(parts);
}

/** WAV header with the 0xFFFFFFFF "unknown length" placeholders streaming servers send. */
function streamingWavHeader(rate: number): Buffer {
  const h = Buffer.alloc(44);
  h.write('RIFF', 0, 'latin1');
  h.writeUInt32LE(0xffffffff, 4);
  h.write('WAVEfmt ', 8, 'latin1');
  h.writeUInt32LE(16, 16);
  h.writeUInt16LE(1, 20);
  h.writeUInt16LE(1, 22);
  h.writeUInt32LE(rate, 24);
  h.writeUInt32LE(rate * 2, 28);
  h.writeUInt16LE(2, 32);
  h.writeUInt16LE(16, 34);
  h.write('data', 36, 'latin1');
  h.writeUInt32LE(0xffffffff, 40);
  return h;
}

/** Just enough multipart/form-data parsing for the transcription endpoint. */
export function parseMultipart(body: Buffer, contentType: string): { fields: Record<string, string>; files: Record<string, { filename: string; data: Buffer }> } {
  const m = /boundary=(?:"([^"]+)"|([^;]+))/i.exec(contentType);
  if (!m) throw new Error(`not multipart: ${contentType}`);
  const boundary = Buffer.from(`--${m[1] ?? m[2]}`);
  const fields: Record<string, string> = {};
  const files: Record<string, { filename: string; data: Buffer }> = {};
  let at = body.indexOf(boundary);
  while (at >= 0) {
    const next = body.indexOf(boundary, at + boundary.length);
    if (next < 0) break;
    const part = body.subarray(at + boundary.length + 2, next - 2); // skip CRLF after boundary, before next
    const headerEnd = part.indexOf('\r\n\r\n');
    if (headerEnd >= 0) {
      const headers = part.subarray(0, headerEnd).toString('utf8');
      const data = part.subarray(headerEnd + 4);
      const name = /name="([^"]*)"/i.exec(headers)?.[1];
      const filename = /filename="([^"]*)"/i.exec(headers)?.[1];
      if (name !== undefined) {
        if (filename !== undefined) files[name] = { filename, data: Buffer.from(data) };
        else fields[name] = data.toString('utf8');
      }
    }
    at = next;
  }
  return { fields, files };
}
