import fc from 'fast-check';
import * as hdr from 'hdr-histogram-js';
import { describe, expect, it } from 'vitest';
import { HIGHEST_US, countsOf, createHistogram, decodeHistogram, encodeHistogram, histogramOfCounts, mergeEncoded, percentileCurve, recordClamped, summarize } from './histogram.js';

const values = fc.array(fc.integer({ min: 0, max: HIGHEST_US }), { maxLength: 300 });

describe('histogram factory', () => {
  it('is 1 µs..60 s at 3 significant digits', () => {
    const h = createHistogram();
    expect(h.numberOfSignificantValueDigits).toBe(3);
    expect(h.highestTrackableValue).toBeGreaterThanOrEqual(HIGHEST_US);
    h.recordValue(123_456);
    expect(Math.abs(h.getValueAtPercentile(50) - 123_456) / 123_456).toBeLessThan(0.001);
  });

  it('keeps values under 2048 µs exactly, and never grows (recording past 60 s needs recordClamped)', () => {
    const h = createHistogram();
    for (const v of [1, 999, 2047]) h.recordValue(v);
    expect([h.minNonZeroValue, h.getValueAtPercentile(50), h.maxValue]).toEqual([1, 999, 2047]);
    expect(h.autoResize).toBe(false);
    expect(() => h.recordValue(10 * HIGHEST_US)).toThrow();
  });

  it('clamps a value past 60 s to 60 s and says so, without losing it', () => {
    const h = createHistogram();
    expect(recordClamped(h, 90_000_000)).toBe(1);
    expect(recordClamped(h, 1500.4)).toBe(0);
    expect(recordClamped(h, -3)).toBe(0);
    expect(h.totalCount).toBe(3);
    expect(h.maxValue).toBeGreaterThanOrEqual(HIGHEST_US);
    expect(h.maxValue).toBeLessThan(HIGHEST_US * 1.001);
    expect(summarize(h).min).toBe(0);
  });
});

describe('compressed histograms', () => {
  it('encode and decode to the same distribution', () => {
    fc.assert(
      fc.property(values, (vs) => {
        const h = createHistogram();
        for (const v of vs) h.recordValue(v);
        const back = decodeHistogram(encodeHistogram(h));
        expect(back.totalCount).toBe(h.totalCount);
        expect(summarize(back)).toEqual(summarize(h));
      }),
      { numRuns: 50 },
    );
  });

  it('merging two equals recording both', () => {
    fc.assert(
      fc.property(values, values, (a, b) => {
        const ha = createHistogram();
        const hb = createHistogram();
        const both = createHistogram();
        for (const v of a) ha.recordValue(v);
        for (const v of b) hb.recordValue(v);
        for (const v of [...a, ...b]) both.recordValue(v);
        const merged = mergeEncoded([encodeHistogram(ha), encodeHistogram(hb)]);
        expect(encodeHistogram(merged)).toBe(encodeHistogram(both));
      }),
      { numRuns: 50 },
    );
  });

  it('reads what HdrHistogram itself wrote', () => {
    const h = hdr.build({ numberOfSignificantValueDigits: 3 });
    h.recordValue(42);
    h.recordValue(4200);
    const back = decodeHistogram(hdr.encodeIntoCompressedBase64(h));
    expect(back.totalCount).toBe(2);
    expect(summarize(back).min).toBe(42);
    expect(Math.abs(summarize(back).max - 4200)).toBeLessThanOrEqual(4);
  });
});

describe('summaries', () => {
  it('orders percentiles: min ≤ p50 ≤ … ≤ p99.99 ≤ max', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: HIGHEST_US }), { minLength: 1, maxLength: 300 }), (vs) => {
        const h = createHistogram();
        for (const v of vs) h.recordValue(v);
        const s = summarize(h);
        const order = [s.min, s.p50, s.p75, s.p90, s.p95, s.p99, s.p999, s.p9999, s.p99999, s.max];
        for (let i = 1; i < order.length; i++) expect(order[i]!).toBeGreaterThanOrEqual(order[i - 1]!);
        expect(s.count).toBe(vs.length);
      }),
      { numRuns: 50 },
    );
  });

  it('an empty histogram summarizes to zeros and no curve', () => {
    expect(summarize(createHistogram()).p99).toBe(0);
    expect(percentileCurve(createHistogram())).toEqual([]);
  });

  it('walks the percentile curve evenly on the 1/(1-p) axis, ending at the max', () => {
    const h = createHistogram();
    for (let v = 1; v <= 10_000; v++) h.recordValue(v);
    const curve = percentileCurve(h);
    expect(curve[0]!.percentile).toBe(0);
    expect(curve.at(-1)).toEqual({ percentile: 100, valueUs: summarize(h).max });
    expect(Math.abs(summarize(h).max - 10_000)).toBeLessThanOrEqual(10);
    for (let i = 1; i < curve.length; i++) {
      expect(curve[i]!.percentile).toBeGreaterThanOrEqual(curve[i - 1]!.percentile);
      expect(curve[i]!.valueUs).toBeGreaterThanOrEqual(curve[i - 1]!.valueUs);
    }
    expect(curve.some((p) => p.percentile > 99.9)).toBe(true);
  });
});

describe('countsOf / histogramOfCounts (the thread hand-off)', () => {
  it('round-trips to the same compressed bytes, for any values (counts only up to the max value)', () => {
    fc.assert(
      fc.property(values, (vs) => {
        const h = createHistogram();
        for (const v of vs) h.recordValue(v);
        const counts = countsOf(h);
        expect(counts.length).toBe(vs.length === 0 ? 1 : (h as hdr.JsHistogram).countsArrayIndex(Math.max(...vs)) + 1);
        const back = histogramOfCounts(counts);
        expect(encodeHistogram(back)).toBe(encodeHistogram(h));
        expect(back.totalCount).toBe(vs.length);
      }),
      { numRuns: 200 },
    );
  });

  it('copies: the histogram may be reset after countsOf without touching the copy', () => {
    const h = createHistogram();
    h.recordValueWithCount(1500, 7);
    const counts = countsOf(h);
    h.reset();
    expect(histogramOfCounts(counts).getValueAtPercentile(100)).toBe(1500);
    expect(histogramOfCounts(counts).totalCount).toBe(7);
  });

  it('refuses counts longer than the standard bounds hold, naming both lengths', () => {
    const full = (createHistogram() as hdr.JsHistogram).countsArrayIndex(HIGHEST_US) + 1;
    expect(() => histogramOfCounts(new Uint32Array(full + 1))).toThrow(new RangeError(`counts has ${full + 1} buckets, over the ${full} of the standard bounds`));
  });

  it('refuses a histogram that is not a 32-bit JS one', () => {
    const h = hdr.build({ bitBucketSize: 16 });
    expect(() => countsOf(h)).toThrow('countsOf needs a 32-bit JS histogram (createHistogram)');
  });
});
