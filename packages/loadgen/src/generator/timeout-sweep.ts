/**
 * The load loop's timeout sweep: how often it runs and one pass over the connections, expiring
 * requests older than the timeout (`--timeout`).
 */
import type { LoopConnection } from './loop-connection.js';

/** The sweep's period for a timeout of `timeoutMs`: timeout/4, at most 100 ms, at least 5 ms. */
export function sweepEveryMs(timeoutMs: number): number {
  return Math.min(100, Math.max(5, timeoutMs / 4));
}

/**
 * Expires the requests sent before `deadline` (ms) on every live connection of `conns`, in order:
 * `expired(n)` with the n > 0 measured requests a connection timed out, then `freed(c)` where `c`
 * now has fewer requests in flight (warm-up ones included).
 */
export function expireOlder(conns: readonly LoopConnection[], deadline: number, expired: (live: number) => void, freed: (c: LoopConnection) => void): void {
  for (const c of conns) {
    if (c.dead) continue;
    const before = c.ring.inflight;
    const live = c.ring.expire(deadline);
    if (live > 0) expired(live);
    if (c.ring.inflight < before) freed(c);
  }
}
