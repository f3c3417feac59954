/**
 * AES-256-GCM for secrets stored in the database (LLM provider API keys). The stored form is
 * `v1.<iv>.<tag>.<ciphertext>` in base64url; the version prefix leaves room for key rotation. A
 * context is bound in as associated data: the column, and where the caller needs it, what the
 * secret may be used for (an API key: its server's origin), so a ciphertext copied into another
 * column, or a row edited to point elsewhere, fails to decrypt instead of being silently accepted.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

export class FieldCipher {
  readonly #key: Buffer;

  constructor(key: Buffer) {
    if (key.length !== 32) throw new Error('FieldCipher needs a 32-byte key');
    this.#key = key;
  }

  encrypt(plaintext: string, context: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.#key, iv);
    cipher.setAAD(Buffer.from(context, 'utf8'));
    const ct = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return ['v1', iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), ct.toString('base64url')].join('.');
  }

  decrypt(stored: string, context: string): string {
    const [version, iv, tag, ct] = stored.split('.');
    if (version !== 'v1' || !iv || !tag || ct === undefined) throw new Error('unrecognised ciphertext format');
    const decipher = createDecipheriv('aes-256-gcm', this.#key, Buffer.from(iv, 'base64url'));
    decipher.setAAD(Buffer.from(context, 'utf8'));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(ct, 'base64url')), decipher.final()]).toString('utf8');
  }

  /** The plaintext, or null when `stored` was not encrypted for `context` with this key (or is not a ciphertext). */
  tryDecrypt(stored: string, context: string): string | null {
    try {
      return this.decrypt(stored, context);
    } catch {
      return null;
    }
  }
}
