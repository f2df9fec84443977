/**
 * Adding up the parts of one per-second interval: the generator threads' parts during a run, or the
 * same second of several runs in `merge`. Histograms add exactly (HdrHistogram's own `add`).
 */
import { sumCounters, type Counters } from '../counters.js';
import { encodeHistogram, mergeEncoded, summarize } from '../histogram.js';
import type { IntervalReport } from './schema.js';

/** What each part of an interval carries: its time span (ms), counters and compressed histogram (µs). */
export interface IntervalPart {
  startMs: number;
  endMs: number;
  counters: Counters;
  histogram: string;
}

/** Adds the parts of interval `index` into one interval report (req/s over the parts' joint span). */
export function addIntervalParts(index: number, parts: readonly IntervalPart[]): IntervalReport {
  const h = mergeEncoded(parts.map((p) => p.histogram));
  const counters = sumCounters(parts.map((p) => p.counters));
  const startMs = Math.min(...parts.map((p) => p.startMs));
  const endMs = Math.max(...parts.map((p) => p.endMs));
  const s = summarize(h);
  return {
    index,
    startMs,
    endMs,
    counters,
    requestsPerSec: endMs > startMs ? (counters.completed * 1000) / (endMs - startMs) : 0,
    latencyUs: { p50: s.p50, p99: s.p99, max: s.max },
    histogram: encodeHistogram(h),
  };
}
