import { describe, expect, it } from 'vitest';
import { MessageType } from '@sockbench/protocol';
import { ServiceTimes, summarizeServiceTimes } from '../stats/service-time.js';
import { ServiceTimeRuns } from './service-time-runs.js';

const summary = (st: ServiceTimes): Record<string, { count: number; max: number }> =>
  Object.fromEntries(Object.entries(summarizeServiceTimes([st.encode()])).map(([k, v]) => [k, { count: v.count, max: v.max }]));

describe('ServiceTimeRuns', () => {
  it('merges consecutive replies of one type and one arrival into a run; a new type or stamp starts one', () => {
    const runs = new ServiceTimeRuns();
    runs.add(MessageType.PING, 10);
    runs.add(MessageType.PING, 10);
    runs.add(MessageType.PING, 10);
    expect(runs.size).toBe(1);
    runs.add(MessageType.ECHO, 10);
    runs.add(MessageType.PING, 10); // same as the first run, but not adjacent to it
    runs.add(MessageType.PING, 11);
    expect(runs.size).toBe(4);
  });

  it('records each reply as now − its arrival, in µs, with the run\'s count, and empties', () => {
    const runs = new ServiceTimeRuns();
    const st = new ServiceTimes();
    for (let i = 0; i < 5; i++) runs.add(MessageType.PING, 100);
    runs.add(MessageType.ECHO, 99);
    runs.record(100.25, st);
    expect(runs.size).toBe(0);
    expect(summary(st)).toEqual({ ECHO: { count: 1, max: 1250 }, PING: { count: 5, max: 250 } });
    // Reused after a record: the slots are overwritten, not appended to.
    runs.add(MessageType.ECHO, 200);
    runs.record(201.5, st); // under 2048 µs, so HdrHistogram reports it exactly
    expect(summary(st)).toEqual({ ECHO: { count: 2, max: 1500 }, PING: { count: 5, max: 250 } });
  });
});
