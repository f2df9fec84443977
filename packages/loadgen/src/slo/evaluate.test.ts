import { describe, expect, it } from 'vitest';
import { planOf, syntheticRun } from '../../test/synthetic.js';
import { UsageError } from '../errors.js';
import { resolveRunOptions } from '../options.js';
import { sloSummary } from '../report/text.js';
import type { RunReport } from '../report/schema.js';
import { checkSlosApply, evaluateSlos, failedSlos } from './evaluate.js';
import { formatSloValue, sloCell } from './format.js';
import { parseSlos } from './parse.js';

/** Latencies 1..n µs (exact in the histogram: under 2048 µs). */
const upTo = (n: number): number[] => Array.from({ length: n }, (_, i) => i + 1);

function judge(run: RunReport, ...exprs: string[]) {
  return evaluateSlos(parseSlos(exprs), run);
}

describe('evaluateSlos', () => {
  // One thread, two seconds of 1,000 requests each with latencies 1..1000 µs: p50 500 µs, p99 990 µs.
  const closed = syntheticRun(planOf({ threads: 1 }), [[upTo(1000), upTo(1000)]]);

  it('latency percentiles from the histogram, in the expression unit, strict and not', () => {
    expect(judge(closed, 'p50<0.5ms', 'p50<=0.5ms', 'p99<990us', 'p99<=990µs', 'p99>0.9ms', 'p100==1000us', 'p99.9<1s')).toEqual([
      { expr: 'p50<0.5ms', value: 0.5, threshold: 0.5, unit: 'ms', held: false },
      { expr: 'p50<=0.5ms', value: 0.5, threshold: 0.5, unit: 'ms', held: true },
      { expr: 'p99<990us', value: 990, threshold: 990, unit: 'us', held: false },
      { expr: 'p99<=990µs', value: 990, threshold: 990, unit: 'µs', held: true },
      { expr: 'p99>0.9ms', value: 0.99, threshold: 0.9, unit: 'ms', held: true },
      { expr: 'p100==1000us', value: 1000, threshold: 1000, unit: 'us', held: true },
      { expr: 'p99.9<1s', value: 0.000999, threshold: 1, unit: 's', held: true },
    ]);
  });

  it('compares in the expression unit: p99>=1.1ms holds at exactly 1,100 µs (1.1 × 1000 is 1100.0000000000002)', () => {
    const run = syntheticRun(planOf({ threads: 1 }), [[Array.from({ length: 100 }, () => 1100)]]);
    expect(judge(run, 'p99>=1.1ms', 'p99<=1.1ms', 'p99==1.1ms').map((r) => r.held)).toEqual([true, true, true]);
  });

  it('errors count the run\'s errors', () => {
    const run = syntheticRun(planOf({ threads: 1 }), [[upTo(10)]], { BUSY: 3 });
    expect(judge(run, 'errors==0', 'errors<5', 'errors==3')).toEqual([
      { expr: 'errors==0', value: 3, threshold: 0, unit: '', held: false },
      { expr: 'errors<5', value: 3, threshold: 5, unit: '', held: true },
      { expr: 'errors==3', value: 3, threshold: 3, unit: '', held: true },
    ]);
  });

  it('loss is timeouts ÷ sent in %', () => {
    const run: RunReport = { ...closed, counters: { ...closed.counters, sent: 2000, completed: 1970, timeouts: 30 }, results: { ...closed.results, lossPercent: 1.5 } };
    expect(judge(run, 'loss<1%', 'loss<=1.5%', 'loss<2%').map((r) => [r.value, r.held])).toEqual([
      [1.5, false],
      [1.5, true],
      [1.5, true],
    ]);
    expect(judge(closed, 'loss==0%')).toEqual([{ expr: 'loss==0%', value: 0, threshold: 0, unit: '%', held: true }]);
  });

  it('throughput is the payload layer, in the expression unit (64 B × 1,000 req/s × 8 = 512 kbit/s)', () => {
    expect(closed.results.mbitPerSec.payload).toBe(0.512);
    expect(judge(closed, 'throughput>=512kbit/s', 'throughput>0.512Mbit/s', 'throughput>=500000bit/s')).toEqual([
      { expr: 'throughput>=512kbit/s', value: 512, threshold: 512, unit: 'kbit/s', held: true },
      { expr: 'throughput>0.512Mbit/s', value: 0.512, threshold: 0.512, unit: 'Mbit/s', held: false },
      { expr: 'throughput>=500000bit/s', value: 512_000, threshold: 500_000, unit: 'bit/s', held: true },
    ]);
  });

  it('rate is completed req/s ÷ intended req/s in %, open loop only', () => {
    // 2 × 1,000 completed over 2 s = 1,000 req/s, against 1,250 intended: 80 %.
    const open = syntheticRun(planOf({ threads: 1, rate: 1250 }), [[upTo(1000), upTo(1000)]]);
    expect(judge(open, 'rate>=95%', 'rate>=80%')).toEqual([
      { expr: 'rate>=95%', value: 80, threshold: 95, unit: '%', held: false },
      { expr: 'rate>=80%', value: 80, threshold: 80, unit: '%', held: true },
    ]);
    const message = '--slo "rate>=95%": rate (completed ÷ intended req/s) applies to open loop only (--rate); this run is closed loop';
    expect(() => judge(closed, 'rate>=95%')).toThrow(message);
    expect(() => checkSlosApply(parseSlos(['errors==0', 'rate>=95%']), closed.plan)).toThrow(message);
    expect(() => checkSlosApply(parseSlos(['rate>=95%']), open.plan)).not.toThrow();
  });

  it('nothing measured (no completed request, nothing sent) fails with value null', () => {
    const empty = syntheticRun(planOf({ threads: 1 }), [[[]]]);
    expect(judge(empty, 'p99<5ms', 'loss<1%', 'errors==0')).toEqual([
      { expr: 'p99<5ms', value: null, threshold: 5, unit: 'ms', held: false },
      { expr: 'loss<1%', value: null, threshold: 1, unit: '%', held: false },
      { expr: 'errors==0', value: 0, threshold: 0, unit: '', held: true },
    ]);
  });

  it('failedSlos, the table cell and the summary line', () => {
    const results = judge(closed, 'p50<100us', 'errors==0', 'throughput>=1Mbit/s');
    expect(failedSlos(results).map((r) => r.expr)).toEqual(['p50<100us', 'throughput>=1Mbit/s']);
    expect(failedSlos(undefined)).toEqual([]);
    expect(results.map(sloCell)).toEqual(['FAILED 500 µs', 'held 0', 'FAILED 512 kbit/s']);
    expect(formatSloValue({ expr: 'loss<1%', value: 0.4, threshold: 1, unit: '%', held: true })).toBe('0.40%');
    expect(formatSloValue({ expr: 'p99<5ms', value: null, threshold: 5, unit: 'ms', held: false })).toBe('-');
    expect(formatSloValue({ expr: 'made up', value: 3, threshold: 1, unit: 'x', held: false })).toBe('3 x');
    expect(sloSummary({ ...closed, slo: results })).toBe('tcp SLOs: 2 of 3 failed: p50<100us (500 µs), throughput>=1Mbit/s (512 kbit/s)');
    expect(sloSummary({ ...closed, slo: results.slice(1, 2) })).toBe('tcp SLOs: all 1 held');
    expect(sloSummary({ ...closed, slo: [] })).toBeNull();
  });
});

describe('resolveRunOptions with --slo', () => {
  it('parses every --slo and refuses rate in closed loop before anything runs', () => {
    expect(resolveRunOptions({ port: 1, slo: ['p99<5ms', 'errors==0'] }).slo.map((s) => s.expr)).toEqual(['p99<5ms', 'errors==0']);
    expect(resolveRunOptions({ port: 1 }).slo).toEqual([]);
    expect(resolveRunOptions({ port: 1, rate: 100, slo: 'rate>=95%' }).slo[0]!.metric).toBe('rate');
    expect(() => resolveRunOptions({ port: 1, slo: 'rate>=95%' })).toThrow(UsageError);
    expect(() => resolveRunOptions({ port: 1, slo: 'p99<5' })).toThrow('--slo "p99<5": p99 needs a latency unit');
  });
});
