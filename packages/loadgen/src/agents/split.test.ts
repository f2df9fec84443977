import { describe, expect, it } from 'vitest';
import { UsageError } from '../errors.js';
import type { LoadPlan } from '../options.js';
import { mergeRuns } from '../report/merge.js';
import { syntheticRun } from '../../test/synthetic.js';

/** A one-thread run of `plan` that completed `n` requests of 100 µs in one second. */
const runOf = (plan: LoadPlan, n = 1) => syntheticRun(plan, [[Array<number>(n).fill(100)]]);
import { splitPlan } from './split.js';

const base: LoadPlan = { host: '127.0.0.1', port: 7878, transport: 'tcp', connections: 5, threads: 4, op: 'echo', size: 64, iterations: 0, durationMs: 1000, requests: null, warmupMs: 0, pipeline: 8, rate: null, pacing: null, timeoutMs: 1000 };

describe('splitPlan', () => {
  it('divides connections as evenly as integers allow, keeps the pipeline per connection, caps threads', () => {
    const shares = splitPlan(base, 2);
    expect(shares.map((p) => [p.connections, p.threads, p.pipeline])).toEqual([[2, 2, 8], [3, 3, 8]]);
    expect(shares.every((p) => p.durationMs === 1000 && p.size === 64 && p.rate === null)).toBe(true);
  });

  it('divides the open-loop rate by connections and a request count like the connections', () => {
    const shares = splitPlan({ ...base, pipeline: null, rate: 1000, pacing: 'spin', requests: 7, durationMs: null }, 2);
    expect(shares.map((p) => [p.rate, p.requests])).toEqual([[400, 3], [600, 4]]);
  });

  it('refuses fewer connections or requests than agents', () => {
    expect(() => splitPlan({ ...base, connections: 1 }, 2)).toThrow(new UsageError('--agents 2 needs at least 2 connections (one per agent), got --connections 1'));
    expect(() => splitPlan({ ...base, requests: 1, durationMs: null }, 2)).toThrow(new UsageError('--agents 2 needs at least 2 requests (one per agent), got --requests 1'));
  });
});

describe('mergeRuns with the whole plan (shares of one split)', () => {
  it('adds the shares into the whole plan: counts summed, intended rate the whole rate', () => {
    const whole: LoadPlan = { ...base, pipeline: null, rate: 1000, pacing: 'spin' };
    const shares = splitPlan(whole, 2);
    const runs = shares.map((p, i) => runOf(p, 100 * (i + 1)));
    const merged = mergeRuns(runs, ['a', 'b'], whole);
    expect(merged.plan).toEqual({ ...whole, threads: 5 });
    expect(merged.counters.sent).toBe(300);
    expect(merged.selfCheck.intendedRate).toBe(1000);
  });

  it('with a share missing, the plan is what the runs given carried', () => {
    const whole: LoadPlan = { ...base, pipeline: null, rate: 1000, pacing: 'spin' };
    const [first] = splitPlan(whole, 2);
    const merged = mergeRuns([runOf(first!, 10)], ['a'], whole);
    expect([merged.plan.connections, merged.plan.rate, merged.selfCheck.intendedRate]).toEqual([2, 400, 400]);
  });

  it('refuses a share that differs in anything but its share', () => {
    const [first] = splitPlan(base, 2);
    expect(() => mergeRuns([runOf({ ...first!, size: 32 })], ['a'], base)).toThrow('cannot merge the plan and a: plans differ in size: 64 vs 32');
  });
});
