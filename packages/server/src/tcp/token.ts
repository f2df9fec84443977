/** Token check in constant time (node:crypto timingSafeEqual over SHA-256 digests of equal length). */
import { createHash, timingSafeEqual } from 'node:crypto';

/** True when `given` equals `expected`, compared without leaking where they differ. */
export function tokenMatches(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given, 'utf8').digest();
  const b = createHash('sha256').update(expected, 'utf8').digest();
  return timingSafeEqual(a, b);
}
