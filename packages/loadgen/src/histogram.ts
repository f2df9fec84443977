/**
 * The one histogram factory of the load generator, and the compressed form histograms travel in
 * (threads → main thread, reports → `merge`). Values are microseconds.
 *
 * Bounds: {@link LOWEST_US} 1 µs to {@link HIGHEST_US} 60 s at {@link SIGNIFICANT_DIGITS} 3
 * significant digits (HdrHistogram's usual latency setting: every value is kept within 0.1 %, values
 * under 2048 µs exactly), 32-bit counts per bucket, fixed size (never resizes, so recording never
 * allocates). A value past 60 s is recorded as 60 s and counted by the caller (see
 * {@link recordClamped}), so it is never lost: the count stays right and the max reads "≥ 60 s".
 * Every histogram in a thread, a report or a merge is built here, so any two can be added exactly.
 */
import * as hdr from 'hdr-histogram-js';
import type { Histogram } from 'hdr-histogram-js';

export type { Histogram } from 'hdr-histogram-js';

/** Lowest discernible value, µs. */
export const LOWEST_US = 1;
/** Highest trackable value, µs (60 s). */
export const HIGHEST_US = 60_000_000;
/** Significant decimal digits kept. */
export const SIGNIFICANT_DIGITS = 3;
/** Bits per bucket count (hdr-histogram-js `bitBucketSize`): up to 2^32 − 1 values per bucket. */
const BIT_BUCKET_SIZE = 32;

/** A new empty latency histogram of the bounds above (µs, 1 µs..60 s, 3 digits, fixed size). */
export function createHistogram(): Histogram {
  return hdr.build({
    lowestDiscernibleValue: LOWEST_US,
    highestTrackableValue: HIGHEST_US,
    numberOfSignificantValueDigits: SIGNIFICANT_DIGITS,
    autoResize: false,
    bitBucketSize: BIT_BUCKET_SIZE,
  });
}

/**
 * Records `valueUs` (rounded to whole µs; negatives read as 0) and returns 1 when it was past
 * {@link HIGHEST_US} and clamped to it, else 0, so callers add the result to a counter.
 */
export function recordClamped(h: Histogram, valueUs: number): 0 | 1 {
  if (valueUs > HIGHEST_US) {
    h.recordValue(HIGHEST_US);
    return 1;
  }
  h.recordValue(valueUs > 0 ? Math.round(valueUs) : 0);
  return 0;
}

/** HdrHistogram's compressed base64 form (the same bytes its Java/C tools read in logs). */
export function encodeHistogram(h: Histogram): string {
  return hdr.encodeIntoCompressedBase64(h);
}

/**
 * The populated prefix of a histogram's bucket counts (index 0 up to the bucket of its max value),
 * copied into a new array: one memcpy, so a generator thread can hand its interval off every second
 * (postMessage with the array's buffer in the transfer list) and leave the encoding to the main
 * thread (see {@link histogramOfCounts}). At most ~17,400 counts (68 KiB) at the bounds above.
 * @throws Error when `h` is not a 32-bit JS histogram ({@link createHistogram} always makes one)
 */
export function countsOf(h: Histogram): Uint32Array<ArrayBuffer> {
  if (!(h instanceof hdr.Int32Histogram)) throw new Error('countsOf needs a 32-bit JS histogram (createHistogram)');
  return (h._counts as Uint32Array).slice(0, h.countsArrayIndex(h.maxValue) + 1);
}

/**
 * A histogram of the standard bounds holding `counts` ({@link countsOf}'s array): its compressed form
 * is byte for byte the one of the histogram the counts came from (the encoding covers the buckets up
 * to the max value's, which is the last one here too).
 * @throws RangeError when `counts` is longer than the standard bounds' bucket array
 */
export function histogramOfCounts(counts: Uint32Array): Histogram {
  const h = createHistogram() as hdr.JsHistogram;
  if (counts.length > h.countsArrayIndex(HIGHEST_US) + 1) throw new RangeError(`counts has ${counts.length} buckets, over the ${h.countsArrayIndex(HIGHEST_US) + 1} of the standard bounds`);
  for (let i = 0; i < counts.length; i++) {
    const n = counts[i]!;
    if (n > 0) h.recordValueWithCount(h.valueFromIndex(i), n);
  }
  return h;
}

/**
 * Decodes a compressed base64 histogram into a new histogram of the standard bounds, so that
 * any number of them can be added together.
 * @throws Error when the text is not a compressed HdrHistogram
 */
export function decodeHistogram(base64: string): Histogram {
  return mergeEncoded([base64]);
}

/**
 * Adds compressed histograms into one new histogram (exact: counts per bucket are summed).
 * @throws Error when a text is not a compressed HdrHistogram
 */
export function mergeEncoded(encoded: readonly string[]): Histogram {
  const out = createHistogram();
  for (const e of encoded) {
    const h = hdr.decodeFromCompressedBase64(e, BIT_BUCKET_SIZE, false);
    out.add(h);
    h.destroy();
  }
  return out;
}

/** Percentiles, extremes and moments of a histogram, µs. Zeros when it is empty. */
export interface LatencySummary {
  count: number;
  min: number;
  p50: number;
  p75: number;
  p90: number;
  /** Added within version 2: reports written before it lack it (the table reads the histogram). */
  p95: number;
  p99: number;
  p999: number;
  p9999: number;
  /** Added within version 2, as `p95`. */
  p99999: number;
  max: number;
  mean: number;
  stdev: number;
}

/**
 * Summarizes a histogram (µs). `min` and `max` are the percentiles 0 and 100, i.e. bucket bounds
 * within 0.1 % of the recorded extremes, as HdrHistogram reports them: that is what survives the
 * compressed form, so a summary reads the same before and after a report is saved or merged.
 */
export function summarize(h: Histogram): LatencySummary {
  const count = h.totalCount;
  if (count === 0) return { count: 0, min: 0, p50: 0, p75: 0, p90: 0, p95: 0, p99: 0, p999: 0, p9999: 0, p99999: 0, max: 0, mean: 0, stdev: 0 };
  return {
    count,
    min: h.getValueAtPercentile(0),
    p50: h.getValueAtPercentile(50),
    p75: h.getValueAtPercentile(75),
    p90: h.getValueAtPercentile(90),
    p95: h.getValueAtPercentile(95),
    p99: h.getValueAtPercentile(99),
    p999: h.getValueAtPercentile(99.9),
    p9999: h.getValueAtPercentile(99.99),
    p99999: h.getValueAtPercentile(99.999),
    max: h.getValueAtPercentile(100),
    mean: h.mean,
    stdev: h.stdDeviation,
  };
}

/** One point of a percentile curve: `percentile` in 0..100, `valueUs` in µs. */
export interface PercentilePoint {
  percentile: number;
  valueUs: number;
}

/**
 * The percentile distribution as HdrHistogram's `outputPercentileDistribution` walks it (5 ticks per
 * half distance to 100 %), which is what its plotter draws on a 1/(1−p) axis.
 */
export function percentileCurve(h: Histogram, ticksPerHalfDistance = 5): PercentilePoint[] {
  const points: PercentilePoint[] = [];
  if (h.totalCount === 0) return points;
  const max = h.getValueAtPercentile(100);
  // Walk p = 1 − 2^(−k/ticks): evenly spaced on the log axis 1/(1−p), the plotter's x axis.
  for (let i = 0; ; i++) {
    const p = 100 * (1 - Math.pow(2, -i / ticksPerHalfDistance));
    const v = h.getValueAtPercentile(p);
    points.push({ percentile: p, valueUs: v });
    // Stop once the remaining tail is less than one recorded value.
    if ((100 - p) / 100 < 1 / h.totalCount || v >= max) break;
    if (i > 40 * ticksPerHalfDistance) break;
  }
  points.push({ percentile: 100, valueUs: max });
  return points;
}
