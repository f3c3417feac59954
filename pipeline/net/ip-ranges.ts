/**
 * IP addresses as bytes, CIDR ranges, and which ranges are not the public internet. The egress
 * policy refuses those by default: a URL an admin typed must not reach the gateway's own loopback
 * services, the LAN, or a cloud metadata endpoint (169.254.169.254), however it is spelt
 * (IPv4-mapped IPv6, NAT64 and 6to4 forms carry an IPv4 address inside and are judged by it).
 */
import { isIP } from 'node:net';

export interface CidrRange {
  bytes: Uint8Array;
  bits: number;
}

/** "127.0.0.1", "::1", "[::1]", "fe80::1%eth0" -> 4 or 16 bytes; null for anything else. */
export function ipBytes(text: string): Uint8Array | null {
  const ip = text.replace(/^\[(.*)\]$/, '$1').replace(/%.*$/, '');
  const v = isIP(ip);
  if (v === 4) return Uint8Array.from(ip.split('.').map(Number));
  if (v !== 6) return null;
  // A trailing dotted quad ("::ffff:127.0.0.1") is the last two 16-bit words.
  const hex = ip.replace(/(\d+)\.(\d+)\.(\d+)\.(\d+)$/, (_, a, b, c, d) => `${((+a << 8) | +b).toString(16)}:${((+c << 8) | +d).toString(16)}`);
  const words = (s: string) => (s ? s.split(':').map((h) => parseInt(h, 16)) : []);
  const [left, right] = hex.split('::');
  const l = words(left);
  const r = right === undefined ? [] : words(right);
  const all = [...l, ...new Array(8 - l.length - r.length).fill(0), ...r];
  const out = new Uint8Array(16);
  all.forEach((w, i) => {
    out[2 * i] = w >> 8;
    out[2 * i + 1] = w & 0xff;
  });
  return out;
}

/** "10.0.0.0/8", "fd00::/8", or a single address (a /32 or /128). Null when it is neither. */
export function parseCidr(text: string): CidrRange | null {
  const [addr, len, extra] = text.split('/');
  if (extra !== undefined) return null;
  const bytes = ipBytes(addr);
  if (!bytes) return null;
  const max = bytes.length * 8;
  const bits = len === undefined ? max : /^\d{1,3}$/.test(len) ? Number(len) : NaN;
  if (!(bits >= 0 && bits <= max)) return null;
  return { bytes, bits };
}

export function inRange(ip: Uint8Array, range: CidrRange): boolean {
  if (ip.length !== range.bytes.length) return false;
  for (let bit = 0; bit < range.bits; bit += 8) {
    const take = Math.min(8, range.bits - bit);
    const mask = (0xff << (8 - take)) & 0xff;
    if ((ip[bit / 8] & mask) !== (range.bytes[bit / 8] & mask)) return false;
  }
  return true;
}

const range = (cidr: string): CidrRange => parseCidr(cidr)!;

/** IPv6 forms that carry an IPv4 address: where it sits (byte offset). */
const EMBEDDING: Array<[CidrRange, number]> = [
  [range('::ffff:0:0/96'), 12], // IPv4-mapped
  [range('64:ff9b::/96'), 12], // NAT64
  [range('2002::/16'), 2], // 6to4
];

/** Not the public internet, with a name for error messages. Order matters only for the name. */
const NON_PUBLIC: Array<[CidrRange, string]> = [
  ['0.0.0.0/8', 'an unspecified ("this network")'],
  ['10.0.0.0/8', 'a private'],
  ['100.64.0.0/10', 'a carrier-grade NAT (shared)'],
  ['127.0.0.0/8', 'a loopback'],
  ['169.254.0.0/16', 'a link-local (cloud metadata)'],
  ['172.16.0.0/12', 'a private'],
  ['192.0.0.0/24', 'a reserved (IETF protocol)'],
  ['192.0.2.0/24', 'a documentation'],
  ['192.88.99.0/24', 'a reserved (6to4 relay)'],
  ['192.168.0.0/16', 'a private'],
  ['198.18.0.0/15', 'a reserved (benchmarking)'],
  ['198.51.100.0/24', 'a documentation'],
  ['203.0.113.0/24', 'a documentation'],
  ['224.0.0.0/4', 'a multicast'],
  ['240.0.0.0/4', 'a reserved (or broadcast)'],
  ['::/128', 'an unspecified'],
  ['::1/128', 'a loopback'],
  ['::/96', 'a reserved (IPv4-compatible)'],
  ['64:ff9b:1::/48', 'a private (local NAT64)'],
  ['100::/64', 'a reserved (discard)'],
  ['2001:db8::/32', 'a documentation'],
  ['fc00::/7', 'a unique-local'],
  ['fe80::/10', 'a link-local'],
  ['fec0::/10', 'a site-local'],
  ['ff00::/8', 'a multicast'],
].map(([cidr, kind]) => [range(cidr), kind]);

/** The IPv4 address inside an IPv4-mapped, NAT64 or 6to4 IPv6 address; the address itself otherwise. */
export function unwrapIpv4(ip: Uint8Array): Uint8Array {
  if (ip.length === 16) {
    for (const [r, at] of EMBEDDING) if (inRange(ip, r)) return ip.slice(at, at + 4);
  }
  return ip;
}

/** What kind of non-public address this is ("a loopback"), or null for a public one. */
export function nonPublicKind(ip: Uint8Array): string | null {
  const inner = unwrapIpv4(ip);
  for (const [r, kind] of NON_PUBLIC) if (inRange(inner, r)) return kind;
  return null;
}
