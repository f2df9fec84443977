/**
 * Round-trip summary as ping(8) prints it: `rtt min/avg/max/mdev = …`.
 *
 * The client's only summary, and not a histogram: it is computed exactly from every sample (doubles,
 * no buckets), so it has no lowest or highest trackable value and no precision setting. Its bounds are
 * the caller's: `ping` keeps one number per reply (8 bytes each; `-c 0` until Ctrl-C grows without
 * limit), and the RTTs it gets are non-negative ms from `performance.now()`. Latency distributions with
 * bounds and precision belong to the load generator's histogram factory.
 */

/** Summary of a set of round-trip times, ms. */
export interface RttSummary {
  /** Number of samples. */
  count: number;
  /** Smallest sample, exactly as given. */
  min: number;
  /** Arithmetic mean. */
  avg: number;
  /** Largest sample, exactly as given. */
  max: number;
  /**
   * Mean deviation as iputils ping(8) computes it: sqrt(mean(x²) − mean(x)²), i.e. the population
   * standard deviation (iputils `ping_common.c`, `finish()`), ms.
   */
  mdev: number;
}

/**
 * Summarizes RTTs in ms (any finite values; order does not matter), in one pass and O(1) extra memory.
 * @returns all fields 0 for no samples; `min`, `avg`, `max`, `mdev` in the unit of the input (ms)
 */
export function summarizeRtts(rttsMs: readonly number[]): RttSummary {
  const count = rttsMs.length;
  if (count === 0) return { count: 0, min: 0, avg: 0, max: 0, mdev: 0 };
  let min = Infinity;
  let max = -Infinity;
  let sum = 0;
  let sum2 = 0;
  for (const x of rttsMs) {
    if (x < min) min = x;
    if (x > max) max = x;
    sum += x;
    sum2 += x * x;
  }
  const avg = sum / count;
  // Rounding can make the difference a hair below 0 for identical samples.
  const mdev = Math.sqrt(Math.max(0, sum2 / count - avg * avg));
  return { count, min, avg, max, mdev };
}
