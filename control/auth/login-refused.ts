/**
 * Why a login was refused. The client is told none of it (every refusal is the same 401, so a
 * held-back attempt cannot be told from a wrong password, nor a known name from an unknown one);
 * the audit log is.
 */
export type LoginRefusal = 'unknown_user' | 'wrong_password' | 'throttled' | 'disabled';

export class LoginRefusedError extends Error {
  override name = 'LoginRefusedError';
  constructor(
    readonly reason: LoginRefusal,
    /** Whether the attempt came with a valid device token (its device's bucket was used). */
    readonly knownDevice: boolean,
  ) {
    super(`login refused (${reason})`);
  }
}
