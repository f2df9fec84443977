import { describe, expect, it } from 'vitest';
import { planOf } from '../test/synthetic.js';
import { emptyCounters } from './counters.js';
import { Progress, progressLine } from './progress.js';
import type { IntervalReport } from './report/schema.js';

const iv: IntervalReport = {
  index: 2,
  startMs: 2000,
  endMs: 3000,
  counters: { ...emptyCounters(), completed: 12_345, errors: 2, timeouts: 1 },
  requestsPerSec: 12_345,
  latencyUs: { p50: 87, p99: 1234, max: 5000 },
  histogram: '',
};

function sink(isTTY: boolean): { isTTY: boolean; text: string; write(s: string): void } {
  return {
    isTTY,
    text: '',
    write(s: string) {
      this.text += s;
    },
  };
}

describe('progress', () => {
  it('shows elapsed/total, req/s, p50, p99 and errors', () => {
    expect(progressLine(planOf({ duration: '10s' }), iv)).toBe('tcp        3s/10s     12,345 req/s  p50    87 µs  p99  1.23 ms  errors 2  timeouts 1');
  });

  it('adds the unexpected replies of the interval when there are any', () => {
    const odd = { ...iv, counters: { ...iv.counters, unexpected: 1_200, unexpectedByKind: { unsentId: 1_200 } } };
    expect(progressLine(planOf({ duration: '10s' }), odd)).toBe('tcp        3s/10s     12,345 req/s  p50    87 µs  p99  1.23 ms  errors 2  timeouts 1  unexpected 1,200');
  });

  it('rewrites one live line on a TTY and ends it before other output', () => {
    const out = sink(true);
    const p = new Progress(out, false);
    p.interval(planOf(), iv);
    p.interval(planOf(), iv);
    p.end();
    expect(out.text.split('\r\x1b[2K')).toHaveLength(3);
    expect(out.text.endsWith('\n')).toBe(true);
    expect(out.text.split('\n')).toHaveLength(2);
  });

  it('prints one plain line per interval elsewhere, and nothing when quiet', () => {
    const plain = sink(false);
    new Progress(plain, false).interval(planOf(), iv);
    expect(plain.text).toBe(`${progressLine(planOf(), iv)}\n`);
    const quiet = sink(false);
    new Progress(quiet, true).interval(planOf(), iv);
    expect(quiet.text).toBe('');
  });

  it('puts a label before each line (a sweep says which step)', () => {
    const out = sink(false);
    const p = new Progress(out, false);
    p.label('sweep step 3 (ramp, 8,000 req/s)');
    p.interval(planOf(), iv);
    p.label('');
    p.interval(planOf(), iv);
    expect(out.text).toBe(`sweep step 3 (ramp, 8,000 req/s)  ${progressLine(planOf(), iv)}\n${progressLine(planOf(), iv)}\n`);
  });
});
