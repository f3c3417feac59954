/**
 * Login throttling: how long a run of wrong passwords holds back the next check. The first
 * `freeFailures` wrong passwords in a row are answered at once; after that each failure doubles the
 * wait before the next attempt is even checked (`firstDelayS`, twice that, ... up to `maxDelayS`).
 * An attempt made while a wait runs is not checked, whatever the password, is answered exactly like
 * a wrong one, and counts as a failure (so hammering reaches the longest wait quickly) without
 * moving the end of the current wait (so hammering cannot hold an account shut for longer).
 *
 * Waits are kept per bucket: one per account for clients the account has never logged in from,
 * and one per remembered device (device-token.ts). A stranger guessing passwords fills the
 * account's bucket and never slows its owner on a device the owner has logged in from before.
 * The counting itself is one atomic UPDATE (repositories/login-throttles.ts).
 */

export interface ThrottlePolicy {
  /** Wrong passwords in a row answered without a wait (LOGIN_MAX_FAILURES). */
  freeFailures: number;
  /** The wait after the `freeFailures`-th failure in a row (LOGIN_FIRST_DELAY_S). */
  firstDelayS: number;
  /** The longest wait (LOGIN_LOCKOUT_S). */
  maxDelayS: number;
}

/** A bucket whose last wait ended this long ago starts counting again from zero. */
export const FORGIVE_AFTER_MS = 24 * 60 * 60 * 1000;

/** Seconds before the next attempt is checked, after `failures` failures in a row. */
export function delayAfterS(failures: number, p: ThrottlePolicy): number {
  if (failures < p.freeFailures) return 0;
  return Math.min(p.maxDelayS, p.firstDelayS * 2 ** Math.min(failures - p.freeFailures, 31));
}

/**
 * The distinct waits in order: the k-th applies after `freeFailures + k` failures, the last one to
 * every count beyond. At most 13 (1 s doubled up to an hour), which is what lets the database pick
 * the wait in a CASE expression inside the same UPDATE that counts the failure.
 */
export function delayLadderS(p: ThrottlePolicy): number[] {
  const ladder: number[] = [];
  for (let k = 0; ; k++) {
    const d = delayAfterS(p.freeFailures + k, p);
    ladder.push(d);
    if (d >= p.maxDelayS) return ladder;
  }
}
