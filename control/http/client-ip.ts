/**
 * The client's address. X-Forwarded-For is believed only when TRUST_PROXY is set, and then only its
 * last hop (the one our proxy appended), since earlier entries are whatever the client wrote.
 */
import { ipBytes } from '../../pipeline/net/ip-ranges.ts';

export function clientIp(remote: string, forwardedFor: string | undefined, trustProxy: boolean): string {
  if (trustProxy && forwardedFor) {
    const hops = forwardedFor.split(',').map((s) => s.trim()).filter(Boolean);
    if (hops.length) return hops[hops.length - 1];
  }
  return remote || 'unknown';
}

/**
 * Who a rate limit counts an address as: an IPv4 address itself (also written IPv4-mapped,
 * `::ffff:a.b.c.d`), an IPv6 address by its /64, the smallest block a host is given (one machine
 * can use every address in it, so keyed by the full address it would have no limit at all).
 * Anything that is not an address (a forwarded value) stays as it is.
 */
export function rateLimitKey(ip: string): string {
  const bytes = ipBytes(ip);
  if (!bytes) return ip;
  const v4 = bytes.length === 4 ? bytes : bytes.subarray(0, 12).every((b, i) => b === (i < 10 ? 0 : 0xff)) ? bytes.subarray(12) : null;
  if (v4) return v4.join('.');
  const words = Array.from({ length: 4 }, (_, i) => ((bytes[2 * i] << 8) | bytes[2 * i + 1]).toString(16));
  return `${words.join(':')}::/64`;
}
