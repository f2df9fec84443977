import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { TargetUnreachable } from '../errors.js';
import { resolveRunOptions } from '../options.js';
import { PROBE_ATTEMPTS, ReachabilityProbe, probeWaitMs } from './reachability-probe.js';

const plan = resolveRunOptions({ port: 7878, transport: 'udp', timeout: 300 }).plan;

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
});
afterEach(() => {
  vi.useRealTimers();
});

describe('probeWaitMs', () => {
  it('is the timeout, kept within 200..1000 ms', () => {
    expect([50, 300, 5000].map(probeWaitMs)).toEqual([200, 300, 1000]);
  });
});

describe('ReachabilityProbe', () => {
  it('resolves at the reply to the probe in flight; replies to other ids do not count', async () => {
    const probe = new ReachabilityProbe();
    const sent: number[] = [];
    let id = 40;
    const done = probe.check(plan, () => (sent.push(++id), id));
    probe.answered(7);
    await vi.advanceTimersByTimeAsync(300); // first probe (41) unanswered: a second goes out
    expect(sent).toEqual([41, 42]);
    probe.answered(41); // late: not the probe in flight
    probe.answered(42);
    await expect(done).resolves.toBeUndefined();
    expect(sent).toEqual([41, 42]);
  });

  it('after every probe went unanswered the target is unreachable (ETIMEDOUT), naming the wait', async () => {
    const probe = new ReachabilityProbe();
    let n = 0;
    const done = probe.check(plan, () => ++n);
    const failed = expect(done).rejects.toThrow(new TargetUnreachable('127.0.0.1', 7878, 'ETIMEDOUT', 'no reply to 3 udp probes within 300 ms each'));
    await vi.advanceTimersByTimeAsync(PROBE_ATTEMPTS * 300);
    await failed;
    expect(n).toBe(PROBE_ATTEMPTS);
    probe.answered(n); // after the check: ignored
  });
});
