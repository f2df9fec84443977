import { describe, expect, it } from 'vitest';
import { decodeFromCompressedBase64 } from 'hdr-histogram-js';
import { ErrorCode, MessageType, type BusState } from '@sockbench/protocol';
import { PeerTable } from '../udp/peer-table.js';
import { Counters, mergeStats, type ProcessStats, type UdpPeerView } from './counters.js';

const NO_BUFFER = { bytes: 0, limit: 0, waiting: 0, frameTimeouts: 0 };

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

  it('adds the STATS fields: cpu (plus the primary\'s), UDP drops by reason, peer tables and named peers summed, merged histograms; host values taken, not summed', () => {
    const now = 1_700_000_010_000;
    const a = new Counters(now);
    const b = new Counters(now);
    a.countUdpDrop(ErrorCode.UNSUPPORTED);
    b.countUdpDrop(ErrorCode.UNSUPPORTED);
    b.countUdpDrop(ErrorCode.BAD_FRAME);
    for (let v = 1; v <= 10; v++) a.serviceTimes.record(MessageType.ECHO, v);
    for (let v = 11; v <= 30; v++) b.serviceTimes.record(MessageType.ECHO, v);
    const table = (capacity: number, sent: number): UdpPeerView => {
      const t = new PeerTable(capacity);
      for (let i = 0; i < sent; i++) t.seen('127.0.0.1', 7000)!.answered++;
      t.seen('127.0.0.1', 7001)!.drop(ErrorCode.UNSUPPORTED);
      return { peerTable: t.stats(), peers: (addrs) => t.lookup(addrs) };
    };
    const ask = ['127.0.0.1:7000', '127.0.0.1:7001', '127.0.0.1:7002'];
    const pa = a.snapshot({ threads: 1, queued: 0, completed: 0 }, { paused: 0, pendingWriteBytes: 0, pendingWorkBytes: 0 }, NO_BUFFER, table(4, 3), ask);
    const pb = b.snapshot({ threads: 1, queued: 0, completed: 0 }, { paused: 0, pendingWriteBytes: 0, pendingWorkBytes: 0 }, NO_BUFFER, table(4, 5), ask);
    // Fixed CPU figures, so the sum is known (snapshot reads process.cpuUsage()).
    pa.cpu = { userUs: 100, systemUs: 10 };
    pb.cpu = { userUs: 200, systemUs: 20 };
    const s = mergeStats([pa, pb], now, { histograms: true, peers: true, extraCpu: { userUs: 1, systemUs: 2 }, tcpRetransmits: 42, kernelDrops: 7 });
    expect(s.cpu).toEqual({ userUs: 301, systemUs: 32 });
    expect(s.udp).toEqual({
      in: 0, out: 0, dropped: 3,
      droppedByReason: { UNSUPPORTED: 2, BAD_FRAME: 1 },
      kernelDrops: 7,
      peerTable: { size: 4, capacity: 8, evicted: 0 },
      peers: {
        '127.0.0.1:7000': { received: 8, answered: 8, dropped: {} },
        '127.0.0.1:7001': { received: 2, answered: 0, dropped: { UNSUPPORTED: 2 } },
      },
    });
    expect(s.errors).toEqual({ UNSUPPORTED: 2, BAD_FRAME: 1 });
    expect(s.tcpRetransmits).toBe(42);
    const echo = decodeFromCompressedBase64(s.serviceTimeHistograms!.ECHO!);
    expect([echo.totalCount, echo.minNonZeroValue, echo.maxValue]).toEqual([30, 1, 30]);
    expect(s.serviceTimeUs.ECHO!.count).toBe(30);
    // Not asked: no histograms, no peers; host values unknown are null.
    const plain = mergeStats([pa, pb], now);
    expect([plain.serviceTimeHistograms, plain.udp.peers, plain.tcpRetransmits, plain.udp.kernelDrops]).toEqual([undefined, undefined, null, null]);
    // One process: its own encoded histograms pass through unchanged.
    expect(mergeStats([pa], now, { histograms: true }).serviceTimeHistograms).toEqual(pa.serviceTimes);
  });

  it('bus: counts summed over processes, state the least healthy process\'s, off without a bus', () => {
    const now = 1_700_000_010_000;
    const part = (state: BusState, n: number): ProcessStats =>
      new Counters(now).snapshot({ threads: 1, queued: 0, completed: 0 }, { paused: 0, pendingWriteBytes: 0, pendingWorkBytes: 0 }, NO_BUFFER, undefined, undefined,
        { state, published: n, received: 2 * n, failed: 3 * n, dropped: 4 * n, invalid: 5 * n });
    expect(mergeStats([part('connected', 1), part('connected', 10)], now).bus).toEqual({ state: 'connected', published: 11, received: 22, failed: 33, dropped: 44, invalid: 55 });
    expect(mergeStats([part('connected', 1), part('connecting', 1)], now).bus.state).toBe('connecting');
    expect(mergeStats([part('down', 1), part('connecting', 1), part('connected', 1)], now).bus.state).toBe('down');
    expect(mergeStats([part('connected', 1), part('down', 1)], now).bus.state).toBe('down');
    const plain = new Counters(now).snapshot({ threads: 1, queued: 0, completed: 0 }, { paused: 0, pendingWriteBytes: 0, pendingWorkBytes: 0 }, NO_BUFFER);
    expect(mergeStats([plain], now).bus).toEqual({ state: 'off', published: 0, received: 0, failed: 0, dropped: 0, invalid: 0 });
    expect(mergeStats([], now).bus.state).toBe('off');
  });
});
