/**
 * Headers on every control-plane answer. The API serves only JSON, CSV and archives, never HTML,
 * so the CSP forbids everything; HSTS only takes effect when a TLS proxy is in front.
 */
import { SECURITY_HEADERS } from '../../gateway/http/respond.ts';

const OURS: Array<[string, string]> = [
  ['Content-Security-Policy', "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"],
  ['Strict-Transport-Security', 'max-age=31536000; includeSubDomains'],
  ['Cross-Origin-Opener-Policy', 'same-origin'],
  ['Permissions-Policy', 'camera=(), microphone=(), geolocation=()'],
];

export const CONTROL_SECURITY_HEADERS: ReadonlyArray<[string, string]> = [
  ...SECURITY_HEADERS.filter(([k]) => !OURS.some(([o]) => o.toLowerCase() === k.toLowerCase())),
  ...OURS,
];
