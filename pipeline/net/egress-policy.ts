/**
 * Where outgoing requests to admin-configured URLs may go. An admin API that stores a URL and then
 * requests it (an LLM provider's "test", a webhook) is a way to reach whatever the gateway can
 * reach: its own loopback services, the LAN, a cloud metadata endpoint. So loopback, private,
 * link-local, unique-local and the other non-public ranges (ip-ranges.ts) are refused unless the
 * operator allows them (EGRESS_ALLOW: addresses, CIDR ranges, host names).
 *
 * The check is made on the address actually connected to: `lookup` is what the connection uses to
 * resolve a name, so a name that resolves to 127.0.0.1 (or is re-pointed there after a first
 * harmless answer: DNS rebinding) is refused when it connects, whatever the URL said. An allowed
 * host name is trusted with whatever it resolves to: the operator named it.
 *
 * URLs from the operator's own environment (LLM_BASE_URL, STT_BASE_URL, TTS_BASE_URL) are not
 * subject to it: the operator set them. See outbound-http.ts for how requests are made under it.
 */
import { lookup as dnsLookup, type LookupAddress, type LookupAllOptions, type LookupOneOptions } from 'node:dns';
import { lookup as dnsLookupAll } from 'node:dns/promises';
import type { LookupFunction } from 'node:net';
import { inRange, ipBytes, nonPublicKind, parseCidr, unwrapIpv4, type CidrRange } from './ip-ranges.ts';

/** The variable an operator sets; named in every refusal so the admin knows how to allow it. */
export const EGRESS_ALLOW_VARIABLE = 'EGRESS_ALLOW';

export class EgressRefusedError extends Error {
  override name = 'EgressRefusedError';
  readonly code = 'egress_refused';
  constructor(
    /** The host of the URL (a name or an address). */
    readonly host: string,
    /** The address it was refused for (for the log; the message names only its kind for a name). */
    readonly address: string,
    kind: string,
  ) {
    const literal = ipBytes(host) !== null;
    super(
      `outgoing request refused: ${literal ? `${host} is ${kind} address` : `${host} resolves to ${kind} address`}; ` +
        `the operator can allow it with ${EGRESS_ALLOW_VARIABLE} (e.g. ${EGRESS_ALLOW_VARIABLE}=${host.replace(/^\[(.*)\]$/, '$1')})`,
    );
  }
}

export class EgressConfigError extends Error {
  override name = 'EgressConfigError';
}

export interface EgressPolicy {
  /** The entries as configured (addresses, ranges, names), for logs and docs. */
  readonly allowed: readonly string[];
  /** Whether this host name was allowed by name (then any address it resolves to is fine). */
  allowsName(host: string): boolean;
  /** Throws EgressRefusedError when `address` may not be connected to on behalf of `host`. */
  checkAddress(host: string, address: string): void;
  /**
   * For a URL about to be stored: refuses an address written into it. A name is left for the
   * connection to check, since what it resolves to may change.
   */
  checkUrlLiteral(url: string | URL): void;
  /** Resolves `host` (unless allowed by name) and checks every address; for targets behind a proxy. */
  checkHost(host: string): Promise<void>;
  /** A DNS lookup for net.connect / tls.connect that refuses names resolving to refused addresses. */
  readonly lookup: LookupFunction;
}

const HOST_NAME = /^(\*\.)?[a-z0-9_](?:[a-z0-9_-]*[a-z0-9_])?(?:\.[a-z0-9_](?:[a-z0-9_-]*[a-z0-9_])?)*$/;

const normalizeName = (host: string) => host.toLowerCase().replace(/\.$/, '');

/**
 * Entries separated by commas or spaces; each an address, a CIDR range, a host name or `*.domain`.
 * @throws EgressConfigError naming the entry (the caller names the variable).
 */
export function parseEgressAllow(text: string | readonly string[]): { ranges: CidrRange[]; names: string[]; entries: string[] } {
  const entries = (typeof text === 'string' ? text.split(/[\s,]+/) : [...text]).map((e) => e.trim()).filter(Boolean);
  const ranges: CidrRange[] = [];
  const names: string[] = [];
  for (const entry of entries) {
    const range = parseCidr(entry);
    if (range) ranges.push(range);
    else if (HOST_NAME.test(normalizeName(entry))) names.push(normalizeName(entry));
    else throw new EgressConfigError(`${JSON.stringify(entry)} is not an IP address, a CIDR range (10.0.0.0/8) or a host name`);
  }
  return { ranges, names, entries };
}

export function createEgressPolicy(allow: string | readonly string[] = []): EgressPolicy {
  const { ranges, names, entries } = parseEgressAllow(allow);
  const allowsName = (host: string) => {
    const h = normalizeName(host);
    return names.some((n) => (n.startsWith('*.') ? h.endsWith(n.slice(1)) : h === n));
  };
  const checkAddress = (host: string, address: string) => {
    const ip = ipBytes(address);
    if (!ip) throw new EgressRefusedError(host, address, 'an unrecognised');
    const inner = unwrapIpv4(ip);
    if (ranges.some((r) => inRange(ip, r) || inRange(inner, r))) return;
    const kind = nonPublicKind(ip);
    if (kind) throw new EgressRefusedError(host, address, kind);
  };
  const lookup = ((hostname: string, options: LookupOneOptions | LookupAllOptions, callback: (err: Error | null, address: string | LookupAddress[], family?: number) => void) => {
    dnsLookup(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, '');
      if (!allowsName(hostname)) {
        try {
          for (const a of addresses) checkAddress(hostname, a.address);
        } catch (refused) {
          return callback(refused as Error, '');
        }
      }
      if (options.all) callback(null, addresses);
      else callback(null, addresses[0].address, addresses[0].family);
    });
  }) as unknown as LookupFunction;
  return {
    allowed: entries,
    allowsName,
    checkAddress,
    checkUrlLiteral(url) {
      const host = (typeof url === 'string' ? new URL(url) : url).hostname;
      if (ipBytes(host)) checkAddress(host, host);
    },
    async checkHost(host) {
      if (ipBytes(host)) return checkAddress(host, host);
      if (allowsName(host)) return;
      for (const a of await dnsLookupAll(host, { all: true })) checkAddress(host, a.address);
    },
    lookup,
  };
}
