/**
 * Headers on every answer: SECURITY_HEADERS on whatever the gateway serves itself (/health,
 * /metrics, its 404s and refused upgrades), CONTROL_SECURITY_HEADERS on every control-plane answer.
 * The API serves only JSON, CSV and archives, never HTML, so the CSP forbids everything; HSTS only
 * takes effect when a TLS proxy is in front.
 */
export const SECURITY_HEADERS: ReadonlyArray<[string, string]> = [
  ['X-Content-Type-Options', 'nosniff'],
  ['X-Frame-Options', 'DENY'],
  ['Referrer-Policy', 'no-referrer'],
  ['Content-Security-Policy', "default-src 'none'; frame-ancestors 'none'"],
  ['Cache-Control', 'no-store'],
];

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
