/**
 * Device tokens ("device cookies", OWASP's answer to lockout as denial of service): a successful
 * login hands the client a token naming a random device id, signed for that user; a later login
 * that presents it is throttled in that device's own bucket (login-throttle.ts) instead of the
 * account's bucket for unknown clients, so a stranger typing wrong passwords never holds the
 * owner back on a device the owner has used. The token grants nothing else: it is no credential,
 * only a separate allowance of attempts, and a stolen one is worth one device's allowance.
 *
 * Stateless (HMAC with a subkey of the master secret) and bound to the account's creation time
 * as well as its id, so it never carries over to a later account that reuses the id or the name.
 * Each successful login with it renews it, so a device in use never loses it.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export const DEVICE_TOKEN_TTL_S = 180 * 24 * 60 * 60;
const FORMAT = /^vgd1\.(\d{1,10})\.([0-9a-f]{32})\.(\d{1,12})\.([A-Za-z0-9_-]{43})$/;

export interface DeviceAccount {
  id: number;
  created_at: string;
}

export class DeviceTokens {
  constructor(
    private readonly key: Buffer,
    private readonly ttlS: number = DEVICE_TOKEN_TTL_S,
  ) {}

  #mac(account: DeviceAccount, deviceId: string, expS: number): Buffer {
    return createHmac('sha256', this.key).update(`vgd1\n${account.id}\n${account.created_at}\n${deviceId}\n${expS}`).digest();
  }

  /** A token for `deviceId` (a new device when absent), valid for the TTL from now. */
  issue(account: DeviceAccount, deviceId: string = randomBytes(16).toString('hex'), nowMs: number = Date.now()): string {
    const expS = Math.floor(nowMs / 1000) + this.ttlS;
    return `vgd1.${account.id}.${deviceId}.${expS}.${this.#mac(account, deviceId, expS).toString('base64url')}`;
  }

  /** The device id when `token` is a live token of this account's, else null. */
  deviceOf(token: string | undefined, account: DeviceAccount, nowMs: number = Date.now()): string | null {
    const m = token === undefined ? null : FORMAT.exec(token);
    if (!m || Number(m[1]) !== account.id) return null;
    const expS = Number(m[3]);
    if (expS * 1000 <= nowMs) return null;
    const given = Buffer.from(m[4], 'base64url');
    const expected = this.#mac(account, m[2], expS);
    return given.length === expected.length && timingSafeEqual(given, expected) ? m[2] : null;
  }
}
