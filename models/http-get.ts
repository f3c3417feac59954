// One HTTP(S) GET with what model downloads need and node:https alone lacks: redirects (GitHub
// release URLs answer 302 to a signed CDN URL), an idle timeout (a stalled CDN must not hang a
// fetch forever), optional proxies, and network failures turned into one recognisable error.
import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import type { Socket } from 'node:net';
import tls from 'node:tls';

export class UnreachableError extends Error {
  constructor(readonly host: string, override readonly cause: Error) {
    super(`cannot reach ${host}: ${cause.message}`);
    this.name = 'UnreachableError';
  }
}

export class HttpStatusError extends Error {
  constructor(readonly url: string, readonly status: number) {
    super(`GET ${url} answered HTTP ${status}`);
    this.name = 'HttpStatusError';
  }
}

// Errors that mean "no route to the server at all", as opposed to a transfer cut half-way.
const UNREACHABLE_CODES = new Set(['ENOTFOUND', 'EAI_AGAIN', 'ECONNREFUSED', 'ETIMEDOUT', 'ENETUNREACH', 'EHOSTUNREACH', 'ENETDOWN', 'EHOSTDOWN', 'ECONNRESET', 'EPIPE']);

export function isUnreachable(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return typeof code === 'string' && UNREACHABLE_CODES.has(code);
}

export interface GetOptions {
  headers?: Record<string, string>;
  timeoutMs?: number;
  maxRedirects?: number;
  /** Proxy URL; null = none; undefined = from HTTPS_PROXY / HTTP_PROXY / NO_PROXY. */
  proxy?: string | null;
  env?: Record<string, string | undefined>;
  onRedirect?: (from: string, to: string) => void;
  /** Aborts the request, or the body being read (the gateway's shutdown; a .part keeps what arrived). */
  signal?: AbortSignal;
}

export interface GetResult {
  res: IncomingMessage;
  url: string; // after redirects
}

/** The proxy the environment asks for, if any. Loopback is never proxied: no proxy can reach our 127.0.0.1. */
export function proxyFromEnv(target: URL, env: Record<string, string | undefined> = process.env): string | null {
  const host = target.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (host === 'localhost' || host === '::1' || host.startsWith('127.')) return null;
  const noProxy = (env.NO_PROXY ?? env.no_proxy ?? '').split(',').map((s) => s.trim().toLowerCase()).filter(Boolean);
  for (const rule of noProxy) {
    if (rule === '*') return null;
    const bare = rule.replace(/^\*?\./, '').replace(/:\d+$/, '');
    if (host === bare || host.endsWith('.' + bare)) return null;
  }
  const p = target.protocol === 'https:' ? (env.HTTPS_PROXY ?? env.https_proxy) : (env.HTTP_PROXY ?? env.http_proxy);
  return p || null;
}

function proxyAuth(proxy: URL): Record<string, string> {
  if (!proxy.username) return {};
  const cred = `${decodeURIComponent(proxy.username)}:${decodeURIComponent(proxy.password)}`;
  return { 'proxy-authorization': 'Basic ' + Buffer.from(cred).toString('base64') };
}

function timeoutError(host: string): NodeJS.ErrnoException {
  const e: NodeJS.ErrnoException = new Error(`no data from ${host} for too long`);
  e.code = 'ETIMEDOUT';
  return e;
}

// HTTPS through an HTTP proxy: ask the proxy for a raw TCP tunnel (CONNECT), then speak TLS to the
// real host inside it. Only http:// proxies are supported; that is what corporate networks expose.
function openTunnel(proxy: URL, target: URL, timeoutMs: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const authority = `${target.hostname}:${target.port || 443}`;
    const req = http.request({
      host: proxy.hostname, port: Number(proxy.port) || 80, method: 'CONNECT', path: authority,
      headers: { host: authority, ...proxyAuth(proxy) },
    });
    req.setTimeout(timeoutMs, () => req.destroy(timeoutError(proxy.hostname)));
    req.once('connect', (res, socket) => {
      if (res.statusCode === 200) resolve(socket);
      else { socket.destroy(); reject(new HttpStatusError(`CONNECT ${authority} via ${proxy.host}`, res.statusCode ?? 0)); }
    });
    req.once('error', (err) => reject(isUnreachable(err) ? new UnreachableError(proxy.host, err) : err));
    req.end();
  });
}

async function requestOnce(target: URL, opts: GetOptions): Promise<IncomingMessage> {
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const proxyUrl = opts.proxy === undefined ? proxyFromEnv(target, opts.env) : opts.proxy;
  const headers = { 'user-agent': 'voice-gateway-models/0.1', accept: '*/*', ...opts.headers };
  let req: http.ClientRequest;
  if (proxyUrl && target.protocol === 'https:') {
    const socket = await openTunnel(new URL(proxyUrl), target, timeoutMs);
    req = https.request(target, { headers, signal: opts.signal, createConnection: () => tls.connect({ socket, servername: target.hostname }) });
  } else if (proxyUrl) {
    // Plain HTTP through a proxy: send the absolute URL to the proxy, as HTTP/1.1 says.
    const proxy = new URL(proxyUrl);
    req = http.request({ host: proxy.hostname, port: Number(proxy.port) || 80, path: target.href, headers: { ...headers, host: target.host, ...proxyAuth(proxy) }, signal: opts.signal });
  } else {
    req = (target.protocol === 'https:' ? https : http).request(target, { headers, signal: opts.signal });
  }
  return new Promise((resolve, reject) => {
    // Idle timeout on the socket: covers connecting and every later gap in the body as well.
    req.setTimeout(timeoutMs, () => req.destroy(timeoutError(target.hostname)));
    req.once('response', resolve);
    req.once('error', (err) => reject(isUnreachable(err) ? new UnreachableError(target.host, err) : err));
    req.end();
  });
}

export async function httpGet(url: string, opts: GetOptions = {}): Promise<GetResult> {
  const maxRedirects = opts.maxRedirects ?? 5;
  let current = new URL(url);
  for (let hop = 0; ; hop++) {
    if (current.protocol !== 'https:' && current.protocol !== 'http:') throw new Error(`unsupported URL scheme in ${current.href}`);
    const res = await requestOnce(current, opts);
    const status = res.statusCode ?? 0;
    if ([301, 302, 303, 307, 308].includes(status) && res.headers.location) {
      res.resume(); // drain the redirect body so the socket is released
      if (hop >= maxRedirects) throw new Error(`too many redirects fetching ${url}`);
      const next = new URL(res.headers.location, current);
      opts.onRedirect?.(current.href, next.href);
      current = next;
      continue;
    }
    return { res, url: current.href };
  }
}
