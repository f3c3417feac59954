/**
 * Sending an `openai` SDK client through an HTTP(S) proxy, for LLM providers that are only reachable
 * that way (a corporate egress proxy, a region-bound gateway).
 *
 * The SDK calls `fetch`; a proxy is an undici dispatcher in its `fetchOptions`. Node's built-in fetch
 * comes from the undici bundled into Node, which need not accept a dispatcher made by the npm undici
 * (different classes, different internals), so the npm undici's own `fetch` is handed to the SDK
 * with it: dispatcher and fetch always come from the same undici.
 *
 * undici 6's ProxyAgent opens a CONNECT tunnel for every target, http:// ones included, and sends
 * `user:password@` from the proxy URL as Basic `Proxy-Authorization`.
 */
import type { ClientOptions } from 'openai';
import { ProxyAgent, fetch as undiciFetch } from 'undici';

export class ProxyUrlError extends Error {
  override readonly name = 'ProxyUrlError';
}

/** What `new OpenAI({...})` needs to go through the proxy; empty without one. */
export type ProxyClientOptions = Pick<ClientOptions, 'fetch' | 'fetchOptions'>;

// One agent per proxy: it holds the pooled tunnels, so every client through the same proxy reuses
// them instead of each opening its own. Keyed by the normalised URL, credentials included.
const agents = new Map<string, ProxyAgent>();

/** Checks a proxy URL; the error never repeats the URL, which may carry a password. */
export function parseProxyUrl(raw: string): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ProxyUrlError('invalid proxy URL: expected http://[user:password@]host:port or https://...');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ProxyUrlError(`unsupported proxy URL scheme '${url.protocol}': only http:// and https:// proxies are supported`);
  }
  return url;
}

export function proxyClientOptions(proxyUrl: string | null | undefined): ProxyClientOptions {
  if (!proxyUrl) return {};
  const url = parseProxyUrl(proxyUrl);
  let dispatcher = agents.get(url.href);
  if (!dispatcher) {
    // undici sends Basic auth only when the URL has both user and password; a bare user (a token
    // some proxies accept) is sent here too.
    const token = url.username && !url.password ? `Basic ${Buffer.from(`${decodeURIComponent(url.username)}:`).toString('base64')}` : undefined;
    dispatcher = new ProxyAgent({ uri: url.href, ...(token ? { token } : {}) });
    agents.set(url.href, dispatcher);
  }
  // The npm undici's fetch has its own Request/Response types; at runtime they are what the SDK uses.
  return { fetch: undiciFetch as unknown as NonNullable<ClientOptions['fetch']>, fetchOptions: { dispatcher } as ClientOptions['fetchOptions'] };
}
