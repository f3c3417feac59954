/**
 * The one-time token that lets the very first admin be created over HTTP. It exists only while the
 * users table is empty, lives only in memory (a restart prints a new one), and is void after use.
 * There is no default password anywhere.
 */
import { randomBytes } from 'node:crypto';
import { tokenMatches } from './token-compare.ts';

export class SetupGate {
  #token: string | null = null;

  /** Arm the gate (when no users exist); returns the token to print. */
  arm(): string {
    this.#token = randomBytes(24).toString('base64url');
    return this.#token;
  }

  get armed(): boolean {
    return this.#token !== null;
  }

  /** For tests and the start-up message only. */
  get token(): string | null {
    return this.#token;
  }

  matches(presented: string): boolean {
    return this.#token !== null && tokenMatches(presented, this.#token);
  }

  disarm(): void {
    this.#token = null;
  }
}
