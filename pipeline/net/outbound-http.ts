/**
 * How an outgoing HTTP request leaves the process: directly or through an HTTP(S) proxy (LLM
 * providers only reachable that way: a corporate egress proxy, a region-bound gateway), and, for
 * URLs an admin configured, under the egress policy (egress-policy.ts).
 *
 * The `openai` SDK calls `fetch`; a proxy or a guarded connection is an undici dispatcher in its
 * `fetchOptions`. Node's built-in fetch comes from the undici bundled into Node, which need not
 * accept a dispatcher made by the npm undici (different classes, different internals), so the npm
 * undici's own `fetch` is handed to the SDK with it: dispatcher and fetch always come from the same
 * undici.
 *
 * undici 6's ProxyAgent opens a CONNECT tunnel for every target, http:// ones included, and sends
 * `user:password@` from the proxy URL as Basic `Proxy-Authorization`.
 *
 * Under an egress policy:
 *   - every connection we open resolves names through the policy's lookup and checks literal
 *     addresses, so the address actually connected to is the one judged (DNS rebinding included);
 *     through a proxy, that is the proxy's address;
 *   - through a proxy the target is resolved here and checked before the request is sent (the
 *     proxy resolves it again itself: a name that answers differently to the proxy is the one gap,
 *     which the operator closes by allowing only names, or by the proxy's own rules);
 *   - redirects are not followed: a redirect would send the request (and its headers) to a URL
 *     nobody checked.
 */
import { isIP } from 'node:net';
import type { ClientOptions } from 'openai';
import { Agent, buildConnector, Pool, ProxyAgent, fetch as undiciFetch, type Dispatcher } from 'undici';
import type { EgressPolicy } from './egress-policy.ts';

export class ProxyUrlError extends Error {
  override readonly name = 'ProxyUrlError';
}

/** What `new OpenAI({...})` needs to go through the proxy or the policy; empty without either. */
export type ProxyClientOptions = Pick<ClientOptions, 'fetch' | 'fetchOptions'>;

/** A fetch with undici's signature (the one the dispatcher belongs to). */
export type OutboundFetch = typeof undiciFetch;

// One dispatcher per proxy (and per policy): it holds the pooled connections and tunnels, so every
// client going the same way reuses them instead of each opening its own. Keyed by the normalised
// proxy URL, credentials included ('' for direct connections).
const unguarded = new Map<string, Dispatcher>();
const guarded = new WeakMap<EgressPolicy, Map<string, Dispatcher>>();

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

/** A connector that opens connections only to addresses the policy allows. */
function guardedConnector(egress: EgressPolicy): buildConnector.connector {
  const connect = buildConnector({ lookup: egress.lookup } as buildConnector.BuildOptions);
  return (opts, callback) => {
    // A literal address never goes through `lookup`: it is checked here.
    if (isIP(opts.hostname)) {
      try {
        egress.checkAddress(opts.hostname, opts.hostname);
      } catch (err) {
        callback(err as Error, null);
        return;
      }
    }
    connect(opts, callback);
  };
}

function proxyAgent(url: URL, egress: EgressPolicy | undefined): ProxyAgent {
  // undici sends Basic auth only when the URL has both user and password; a bare user (a token
  // some proxies accept) is sent here too.
  const token = url.username && !url.password ? `Basic ${Buffer.from(`${decodeURIComponent(url.username)}:`).toString('base64')}` : undefined;
  return new ProxyAgent({
    uri: url.href,
    ...(token ? { token } : {}),
    ...(egress ? { clientFactory: (origin: URL) => new Pool(origin, { connect: guardedConnector(egress) }) } : {}),
  });
}

function dispatcherFor(proxy: URL | null, egress: EgressPolicy | undefined): Dispatcher {
  const key = proxy?.href ?? '';
  const cache = egress ? guarded.get(egress) ?? guarded.set(egress, new Map()).get(egress)! : unguarded;
  let d = cache.get(key);
  if (!d) {
    d = proxy ? proxyAgent(proxy, egress) : new Agent({ connect: guardedConnector(egress!) });
    cache.set(key, d);
  }
  return d;
}

const urlOf = (input: Parameters<OutboundFetch>[0]): string => (typeof input === 'string' ? input : input instanceof URL ? input.href : input.url);

/**
 * A fetch that goes through `proxyUrl` (when given) and obeys `egress` (when given): what a
 * webhook sender or any other plain-fetch client of admin-configured URLs uses.
 */
export function outboundFetch(opts: { proxyUrl?: string | null; egress?: EgressPolicy }): OutboundFetch {
  const proxy = opts.proxyUrl ? parseProxyUrl(opts.proxyUrl) : null;
  const { egress } = opts;
  if (!proxy && !egress) return undiciFetch;
  const dispatcher = dispatcherFor(proxy, egress);
  if (!egress) return (input, init) => undiciFetch(input, { ...init, dispatcher });
  return async (input, init) => {
    if (proxy) await egress.checkHost(new URL(urlOf(input)).hostname);
    return undiciFetch(input, { ...init, dispatcher, redirect: 'error' });
  };
}

/** The `openai` SDK's options for the same: `{}` when neither a proxy nor a policy applies. */
export function proxyClientOptions(proxyUrl: string | null | undefined, egress?: EgressPolicy): ProxyClientOptions {
  if (!proxyUrl && !egress) return {};
  const proxy = proxyUrl ? parseProxyUrl(proxyUrl) : null;
  // The npm undici's fetch has its own Request/Response types; at runtime they are what the SDK uses.
  return {
    fetch: outboundFetch({ proxyUrl, egress }) as unknown as NonNullable<ClientOptions['fetch']>,
    fetchOptions: { dispatcher: dispatcherFor(proxy, egress) } as ClientOptions['fetchOptions'],
  };
}
