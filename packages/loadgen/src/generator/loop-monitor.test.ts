import { describe, expect, it } from 'vitest';
import { LOOP_DELAY_RESOLUTION_MS, LoopMonitor, delayMs, threadLoad } from './loop-monitor.js';

describe('delayMs', () => {
  it('converts a sample (ns, period included) to the delay alone, ms; no sample reads 0', () => {
    expect(delayMs(12_500_000)).toBe(12.5 - LOOP_DELAY_RESOLUTION_MS);
    expect(delayMs(9_000_000)).toBe(0); // under one period: on time
    expect([delayMs(Number.NaN), delayMs(0), delayMs(Number.POSITIVE_INFINITY)]).toEqual([0, 0, 0]);
  });
});

describe('threadLoad', () => {
  it("takes the pacer's busy wait out of event-loop busy time: utilization is work alone", () => {
    // A 1 s window, the loop busy all of it (a spin pacer), 960 ms of that spent waiting for send times.
    expect(threadLoad(1000, 0, 960)).toEqual({ utilization: 0.04, pacerWaiting: 0.96, eventLoopUtilization: 1 });
    // A sleeping pacer (timer): busy 30 ms of 1 s, no wait to take out.
    expect(threadLoad(30, 970, 0)).toEqual({ utilization: 0.03, pacerWaiting: 0, eventLoopUtilization: 0.03 });
  });

  it('a wait longer than the busy time (clocks a hair apart) leaves no negative work; an empty window reads 0', () => {
    expect(threadLoad(500, 500, 600)).toEqual({ utilization: 0, pacerWaiting: 0.5, eventLoopUtilization: 0.5 });
    expect(threadLoad(500, 500, -1)).toEqual({ utilization: 0.5, pacerWaiting: 0, eventLoopUtilization: 0.5 });
    expect(threadLoad(0, 0, 0)).toEqual({ utilization: 0, pacerWaiting: 0, eventLoopUtilization: 0 });
  });
});

describe('LoopMonitor', () => {
  it('sees an event loop held busy: the delay as a lower bound, some utilization', async () => {
    const m = new LoopMonitor();
    m.start();
    await new Promise((r) => setTimeout(r, 30)); // let the sampler take a first sample
    const until = performance.now() + 80;
    while (performance.now() < until) {
      // busy: the sampler cannot run
    }
    await new Promise((r) => setTimeout(r, 30));
    const health = m.stop();
    // The 80 ms block delays a sample by at least 80 − one period; nothing bounds it from above.
    expect(health.loopDelayMs.max).toBeGreaterThanOrEqual(80 - 2 * LOOP_DELAY_RESOLUTION_MS);
    expect(health.loopDelayMs.p50).toBeLessThanOrEqual(health.loopDelayMs.max);
    // A starved machine adds idle time (waiting in epoll), so only "some" is certain.
    expect(health.utilization).toBeGreaterThan(0);
    expect(health.utilization).toBeLessThanOrEqual(1);
    // Nothing was said to be waiting: all of the busy time is work.
    expect([health.pacerWaiting, health.eventLoopUtilization]).toEqual([0, health.utilization]);
    m.close();
  });

  it('never started: zeros, not NaN', () => {
    const m = new LoopMonitor();
    const h = m.stop();
    expect(h.loopDelayMs).toEqual({ p50: 0, p99: 0, max: 0 });
  });
});
