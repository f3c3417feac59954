/**
 * The client's address. X-Forwarded-For is believed only when TRUST_PROXY is set, and then only its
 * last hop (the one our proxy appended), since earlier entries are whatever the client wrote.
 */
export function clientIp(remote: string, forwardedFor: string | undefined, trustProxy: boolean): string {
  if (trustProxy && forwardedFor) {
    const hops = forwardedFor.split(',').map((s) => s.trim()).filter(Boolean);
    if (hops.length) return hops[hops.length - 1];
  }
  return remote || 'unknown';
}
