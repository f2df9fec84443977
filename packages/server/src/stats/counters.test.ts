import { describe, expect, it } from 'vitest';
import { ErrorCode, MessageType } from '@sockbench/protocol';
import { Counters, mergeStats, type ProcessStats } from './counters.js';

/** A process's stats through Counters.snapshot, with a pool and live backpressure figures of its own. */
function processStats(c: Counters): ProcessStats {
  c.slowConsumersClosed = 1;
  return c.snapshot({ threads: 2, queued: 1, completed: 5 }, { paused: 0, pendingWriteBytes: 10, pendingWorkBytes: 3 }, { bytes: 100, limit: 1000, waiting: 1, frameTimeouts: 2 });
}

describe('mergeStats', () => {
  it('sums counters and merges service-time histograms exactly', () => {
    // Started 5 s and 2 s before `now`: the server is as old as its oldest process.
    const now = 1_700_000_010_000;
    const a = new Counters(now - 5_000);
    const b = new Counters(now - 2_000);
    a.framesIn = 3;
    b.framesIn = 4;
    a.connectionsCurrent = 1;
    b.connectionsCurrent = 2;
    a.countError(ErrorCode.BUSY);
    b.countError(ErrorCode.BUSY);
    b.countError(ErrorCode.BAD_FRAME);
    a.countSocketError('ECONNRESET');
    // 1..100 µs on one process, 101..200 on the other: merged p50 ≈ 100, max 200.
    for (let v = 1; v <= 100; v++) a.serviceTimes.record(MessageType.PING, v);
    for (let v = 101; v <= 200; v++) b.serviceTimes.record(MessageType.PING, v);
    b.serviceTimes.record(MessageType.ECHO, 0.2); // sub-µs is recorded as 1 µs
    const s = mergeStats([processStats(b), processStats(a)], now);
    expect(s.processes).toBe(2);
    expect(s.frames.in).toBe(7);
    expect(s.connections.current).toBe(3);
    expect(s.errors).toEqual({ BUSY: 2, BAD_FRAME: 1 });
    expect(s.socketErrors).toEqual({ ECONNRESET: 1 });
    expect(s.pool).toEqual({ threads: 4, queued: 2, completed: 10 });
    expect(s.backpressure).toEqual({ paused: 0, pendingWriteBytes: 20, pendingWorkBytes: 6, slowConsumersClosed: 2 });
    expect(s.buffered).toEqual({ bytes: 200, limit: 2000, waiting: 2, frameTimeouts: 4 });
    expect(s.serviceTimeUs.PING).toEqual({ count: 200, p50: 100, p99: 198, p999: 200, max: 200 });
    expect(s.serviceTimeUs.ECHO).toEqual({ count: 1, p50: 1, p99: 1, p999: 1, max: 1 });
    expect(s.uptimeMs).toBe(5_000);
  });
});
