/**
 * What an LLM provider's stored secrets are bound to: the associated data of their ciphertexts
 * (crypto/field-cipher.ts). A backup is a plain file an admin can edit and upload again, so a
 * ciphertext must not decrypt for a row that was pointed somewhere else meanwhile: an API key is
 * bound to the origin of `base_url` (scheme, host, port; for a plain-http one, the proxy's origin
 * too), a proxy password to the proxy's scheme, host, port and user, the same parts that decide
 * whether `***` may keep a stored password (proxy-password.ts). Moving either elsewhere through the
 * API needs the secret sent again anyway.
 *
 * Before this binding the context was the column name alone (the LEGACY_ contexts): such a
 * ciphertext fits any URL, so it is bound to the row's URL once, at start, and one arriving from a
 * restored backup is dropped instead (its URL came from a file).
 */

export const LEGACY_KEY_CONTEXT = 'llm_providers.api_key';
export const LEGACY_PROXY_PASSWORD_CONTEXT = 'llm_providers.proxy_password';

/**
 * The context of an API key that may be sent to `baseUrl`'s origin; null for a URL no key can go to.
 * To a plain-http server through a proxy, the proxy reads the key too (the tunnel carries cleartext),
 * so there the proxy (scheme, host, port) is part of where the key goes: `proxyUrl`, or none.
 */
export function apiKeyContext(baseUrl: string, proxyUrl: string | null): string | null {
  try {
    const origin = new URL(baseUrl).origin;
    if (origin === 'null') return null;
    if (!origin.startsWith('http:')) return `${LEGACY_KEY_CONTEXT}@${origin}`;
    return `${LEGACY_KEY_CONTEXT}@${origin} via ${proxyUrl === null ? 'no proxy' : proxyOrigin(proxyUrl)}`;
  } catch {
    return null;
  }
}

/** Where a proxy is: scheme, host and port (its user and password are not where it is). */
export function proxyOrigin(proxyUrl: string): string {
  return new URL(proxyUrl).origin;
}

/** The context of a password for the proxy `proxyUrl` (its password part, if any, is ignored). */
export function proxyPasswordContext(proxyUrl: string): string | null {
  try {
    const u = new URL(proxyUrl);
    // As URL reports them: the default port as '', so "http://h" and "http://h:80" are one proxy.
    return `${LEGACY_PROXY_PASSWORD_CONTEXT}@${u.protocol}//${u.username}@${u.hostname}:${u.port}`;
  } catch {
    return null;
  }
}
