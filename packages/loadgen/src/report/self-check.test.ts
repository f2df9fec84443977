import { describe, expect, it } from 'vitest';
import { planOf } from '../../test/synthetic.js';
import { judge } from './self-check.js';

const thread = (utilization: number, p99 = 1, pacerWaiting = 0) => ({
  thread: '0',
  loopDelayMs: { p50: 0.1, p99, max: p99 },
  utilization,
  pacerWaiting,
  eventLoopUtilization: utilization + pacerWaiting,
});

describe('self-check verdict', () => {
  it('says the generator kept up when it did', () => {
    const v = judge({ plan: planOf(), intendedRate: null, achievedRate: 1000, sendSlipUs: null, threads: [thread(0.4)] });
    expect(v).toEqual({ generatorBound: false, verdict: 'generator kept up: threads at most 40% busy, event-loop delay p99 1.0 ms' });
  });

  it('blames the generator when a closed-loop thread is saturated', () => {
    const v = judge({ plan: planOf(), intendedRate: null, achievedRate: 1000, sendSlipUs: null, threads: [thread(0.97)] });
    expect(v.generatorBound).toBe(true);
    expect(v.verdict).toMatch(/^generator-bound: thread 0 busy 97% of the time/);
  });

  it('blames the generator when its event loop is late, in either loop', () => {
    const v = judge({ plan: planOf({ rate: 100 }), intendedRate: 100, achievedRate: 100, sendSlipUs: { p50: 10, p99: 30_000, max: 40_000 }, threads: [thread(0.5, 45)] });
    expect(v.generatorBound).toBe(true);
    expect(v.verdict).toContain('event-loop delay p99 45.0 ms, send slip p99 30.00 ms');
  });

  it('blames the target when the open loop fell short while the generator idled', () => {
    const v = judge({ plan: planOf({ rate: 1000 }), intendedRate: 1000, achievedRate: 600, sendSlipUs: { p50: 10, p99: 200_000, max: 300_000 }, threads: [thread(0.2)] });
    expect(v).toEqual({
      generatorBound: false,
      verdict: 'target-bound: sent 600 of 1000 req/s intended while generator threads were at most 20% busy (sends waited on replies or TCP backpressure)',
    });
  });

  it('an open loop whose spin pacer keeps the event loop busy is judged on its work, and the spin is named apart', () => {
    // 1,000 req/s on one thread with --pacing spin: the event loop is busy all the time, 4 % of it work.
    const v = judge({ plan: planOf({ rate: 1000 }), intendedRate: 1000, achievedRate: 999.6, sendSlipUs: { p50: 10, p99: 900, max: 2000 }, threads: [thread(0.04, 1, 0.96)] });
    expect(v).toEqual({
      generatorBound: false,
      verdict: 'generator kept up: sent 1000 of 1000 req/s intended, threads at most 4% busy (plus up to 96% spin-waiting for send times, --pacing spin), event-loop delay p99 1.0 ms, send slip p99 0.90 ms',
    });
  });

  it('an open-loop thread working past the limit is generator-bound even when it kept its rate', () => {
    const v = judge({ plan: planOf({ rate: 50_000 }), intendedRate: 50_000, achievedRate: 50_000, sendSlipUs: { p50: 10, p99: 900, max: 2000 }, threads: [thread(0.5), { ...thread(0.93, 4, 0.05), thread: '1' }] });
    expect(v).toEqual({
      generatorBound: true,
      verdict:
        'generator-bound: thread 1 busy 93% of the time (plus up to 5% spin-waiting for send times, --pacing spin), event-loop delay p99 4.0 ms, send slip p99 0.90 ms; the numbers measure the generator, not the server (add --threads or generator machines)',
    });
  });

  it('busy means work: the same event-loop utilization is saturated as work, not as spin', () => {
    const input = { plan: planOf({ rate: 1000 }), intendedRate: 1000, achievedRate: 1000, sendSlipUs: { p50: 1, p99: 5, max: 9 } };
    expect(judge({ ...input, threads: [thread(0.97, 1, 0)] }).generatorBound).toBe(true);
    expect(judge({ ...input, threads: [thread(0.02, 1, 0.95)] }).generatorBound).toBe(false);
  });
});
