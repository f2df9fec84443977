/**
 * Clock offset against Redis's `TIME`, the one clock every agent and the controller can read: a few
 * round trips, the one with the smallest round trip kept (its midpoint is the tightest bound, as in
 * NTP's clock filter, RFC 5905 §10), offset = redisTime − (t0 + t1) / 2.
 */
import { performance } from 'node:perf_hooks';
import type { Redis } from 'ioredis';

/** This process's clock, epoch ms with sub-ms resolution. */
export function nowMs(): number {
  return performance.timeOrigin + performance.now();
}

/** An offset measurement, ms. */
export interface ClockOffset {
  /** Redis's clock minus ours, ms. */
  offsetMs: number;
  /** Round trip of the exchange kept, ms; the offset is exact to within half of it. */
  rttMs: number;
}

/** Round trips per measurement. */
export const TIME_SAMPLES = 5;

/** Measures the offset with {@link TIME_SAMPLES} `TIME` round trips. @throws what ioredis throws */
export async function measureOffset(redis: Redis, clock: () => number = nowMs): Promise<ClockOffset> {
  let best: ClockOffset | null = null;
  for (let i = 0; i < TIME_SAMPLES; i++) {
    const t0 = clock();
    const [sec, usec] = await redis.time();
    const t1 = clock();
    const redisMs = Number(sec) * 1000 + Number(usec) / 1000;
    const sample = { offsetMs: redisMs - (t0 + t1) / 2, rttMs: t1 - t0 };
    if (best === null || sample.rttMs < best.rttMs) best = sample;
  }
  return best!;
}
