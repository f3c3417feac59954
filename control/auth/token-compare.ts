/** Constant-time comparison of secrets: hashing first equalises lengths, so nothing leaks about them. */
import { createHash, timingSafeEqual } from 'node:crypto';

export function tokenMatches(presented: string, expected: string): boolean {
  const a = createHash('sha256').update(presented).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

export const sha256Hex = (s: string): string => createHash('sha256').update(s).digest('hex');
