import { describe, expect, it } from 'vitest';
import { summarizeRtts } from './rtt-summary.js';

describe('summarizeRtts (ping(8) min/avg/max/mdev)', () => {
  it('computes mdev as iputils does: sqrt(mean(x²) − mean(x)²)', () => {
    const s = summarizeRtts([1, 2, 3, 4]);
    expect(s).toMatchObject({ count: 4, min: 1, max: 4, avg: 2.5 });
    expect(s.mdev).toBeCloseTo(Math.sqrt(1.25), 12);
  });

  it('one sample or identical samples: mdev 0, never NaN', () => {
    expect(summarizeRtts([0.1]).mdev).toBe(0);
    expect(summarizeRtts([0.1, 0.1, 0.1]).mdev).toBe(0);
  });

  it('has no bounds and no buckets: a sub-µs and an hour-long sample come back exactly', () => {
    const s = summarizeRtts([3_600_000.5, 0.000_25]);
    expect([s.min, s.max, s.avg]).toEqual([0.000_25, 3_600_000.5, (3_600_000.5 + 0.000_25) / 2]);
  });

  it('no samples: all zero', () => {
    expect(summarizeRtts([])).toEqual({ count: 0, min: 0, avg: 0, max: 0, mdev: 0 });
  });
});
