/**
 * CORS with an explicit allow-list (CORS_ORIGINS). No wildcard: the admin API carries bearer
 * tokens, and the widget's origins are known. A disallowed origin gets no CORS headers (the browser
 * then refuses to hand the answer to the page) and its preflights are answered 403.
 */
export const ALLOWED_METHODS = 'GET, POST, PUT, PATCH, DELETE';
export const ALLOWED_HEADERS = 'Authorization, Content-Type';

export class CorsPolicy {
  readonly #origins: ReadonlySet<string>;

  constructor(origins: readonly string[]) {
    this.#origins = new Set(origins);
  }

  allows(origin: string): boolean {
    return this.#origins.has(origin);
  }

  /** Headers for an actual (non-preflight) response. */
  headersFor(origin: string | undefined): Array<[string, string]> {
    if (!origin || !this.allows(origin)) return [['Vary', 'Origin']];
    return [
      ['Access-Control-Allow-Origin', origin],
      ['Vary', 'Origin'],
      ['Access-Control-Expose-Headers', 'Retry-After, Content-Disposition'],
    ];
  }

  /** Added to `headersFor(origin)` on an allowed preflight. */
  preflightHeaders(): Array<[string, string]> {
    return [
      ['Access-Control-Allow-Methods', ALLOWED_METHODS],
      ['Access-Control-Allow-Headers', ALLOWED_HEADERS],
      ['Access-Control-Max-Age', '600'],
    ];
  }
}
