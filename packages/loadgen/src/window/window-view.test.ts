import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { planOf } from '../../test/synthetic.js';
import { emptyCounters, type Counters } from '../counters.js';
import { HIGHEST_US, createHistogram, encodeHistogram, summarize } from '../histogram.js';
import type { HostSample } from './host-sample.js';
import type { ServerSample } from './server-sample.js';
import { WARMUP_SPAN_NOTE, cpuUse, peerForms, serverView, subtractHistograms, windowFields, type WindowSamples } from './window-view.js';

const values = fc.array(fc.integer({ min: 0, max: HIGHEST_US }), { maxLength: 300 });

function encoded(...parts: number[][]): string {
  const h = createHistogram();
  for (const part of parts) for (const v of part) h.recordValue(v);
  return encodeHistogram(h);
}

describe('subtractHistograms', () => {
  it('after − before equals a histogram that recorded only the values in between (property)', () => {
    fc.assert(
      fc.property(values, values, (early, window) => {
        const diff = subtractHistograms(encoded(early, window), encoded(early));
        const only = createHistogram();
        for (const v of window) only.recordValue(v);
        expect(diff.totalCount).toBe(window.length);
        expect(summarize(diff)).toEqual(summarize(only));
        expect(encodeHistogram(diff)).toBe(encodeHistogram(only));
      }),
      { numRuns: 30 },
    );
  });

  it('min and max are those of the window, not of the whole run', () => {
    const d = subtractHistograms(encoded([1, 50_000], [200, 300]), encoded([1, 50_000]));
    expect([d.minNonZeroValue, d.maxValue, d.totalCount]).toEqual([200, 300, 2]);
  });

  it('no earlier histogram: everything is in the window; a histogram that went back is refused', () => {
    expect(subtractHistograms(encoded([5, 6, 7]), undefined).totalCount).toBe(3);
    expect(() => subtractHistograms(encoded([5]), encoded([5, 6]))).toThrow('the earlier histogram holds 2 values, the later 1');
  });
});

describe('cpuUse', () => {
  it('µs per request and cores over the window', () => {
    expect(cpuUse({ userUs: 1000, systemUs: 500 }, { userUs: 301_000, systemUs: 200_500 }, 1_000_000, 2500)).toEqual({
      userUs: 300_000,
      systemUs: 200_000,
      usPerRequest: 200,
      cores: 0.5,
    });
    expect(cpuUse({ userUs: 0, systemUs: 0 }, { userUs: 10, systemUs: 0 }, 0, 0)).toEqual({ userUs: 10, systemUs: 0, usPerRequest: null, cores: 0 });
  });
});

/** A cumulative STATS sample with the added fields; `over` replaces parts of it. */
function sample(over: Omit<Partial<ServerSample>, 'udp'> & { udp?: Partial<ServerSample['udp']> } = {}): ServerSample {
  const base: ServerSample = {
    atMs: 0,
    uptimeMs: 10_000,
    frames: { in: 0, out: 0 },
    errors: {},
    udp: { in: 0, out: 0, dropped: 0, droppedByReason: {}, kernelDrops: 0, peerTable: { size: 0, capacity: 1024, evicted: 0 }, peers: {} },
    serviceCounts: {},
    serviceTimeHistograms: {},
    cpu: { userUs: 0, systemUs: 0 },
    tcpRetransmits: 0,
  };
  return { ...base, ...over, udp: { ...base.udp, ...over.udp } };
}

function counters(c: Partial<Counters>): Counters {
  return { ...emptyCounters(), ...c };
}

const A = '127.0.0.1:40001';
const B = '127.0.0.1:40002';

describe('serverView', () => {
  const udpPlan = planOf({ transport: 'udp', warmup: '0' });

  it('UDP from this generator\'s own peers: lost each way, dropped by reason, kernel drops', () => {
    const before = sample({ udp: { in: 500, out: 490, kernelDrops: 7, peers: { [A]: { received: 1, answered: 1, dropped: {} } } } });
    const after = sample({
      uptimeMs: 11_000,
      udp: {
        in: 500 + 95 + 90,
        out: 490 + 90 + 88,
        kernelDrops: 9,
        droppedByReason: { UNSUPPORTED: 2 },
        peers: { [A]: { received: 96, answered: 91, dropped: { UNSUPPORTED: 2 } }, [B]: { received: 90, answered: 88, dropped: {} } },
      },
    });
    // 200 requests sent since the load started; 173 replies came back (170 in time, 3 late).
    const v = serverView(udpPlan, { sent: 200, replies: 173 }, { address: 'srv:1', peers: [A, B], baseline: before, before, after, notes: [] });
    if (typeof v === 'string') throw new Error(v);
    expect(v.udp).toEqual({ source: 'peers', received: 185, answered: 178, lostToServer: 15, droppedAtServer: { UNSUPPORTED: 2 }, kernelDrops: 2, lostFromServer: 5 });
    expect(v.notes).toEqual([]);
    expect(v.windowMs).toBe(1000);
  });

  it('finds a socket under its IPv4-mapped name (a dual-stack server socket)', () => {
    const after = sample({ uptimeMs: 10_500, udp: { in: 10, out: 10, peers: { '[::ffff:127.0.0.1]:40001': { received: 10, answered: 10, dropped: {} } } } });
    const v = serverView(udpPlan, { sent: 10, replies: 10 }, { address: 'srv:1', peers: [A], baseline: sample(), before: sample(), after, notes: [] });
    if (typeof v === 'string') throw new Error(v);
    expect([v.udp?.source, v.udp?.received, v.udp?.lostToServer]).toEqual(['peers', 10, 0]);
    expect(peerForms(A)).toEqual([A, '[::ffff:127.0.0.1]:40001']);
    expect(peerForms('[::1]:5')).toEqual(['[::1]:5']);
  });

  it('after a warm-up: the UDP split counts from the baseline (before the load), service time and CPU from the window\'s start', () => {
    const baseline = sample({ uptimeMs: 9_000, udp: { in: 3, out: 3, peers: { [A]: { received: 3, answered: 3, dropped: {} } } } });
    // At the window's start (1 s of warm-up later) the server had 103 from A, 101 answered.
    const before = sample({ udp: { in: 103, out: 101, peers: { [A]: { received: 103, answered: 101, dropped: {} } } }, cpu: { userUs: 1000, systemUs: 0 } });
    const after = sample({ uptimeMs: 11_000, udp: { in: 303, out: 301, peers: { [A]: { received: 303, answered: 301, dropped: {} } } }, cpu: { userUs: 3000, systemUs: 0 } });
    const v = serverView(planOf({ transport: 'udp', warmup: '1s' }), { sent: 302, replies: 298 }, { address: 'srv:1', peers: [A], baseline, before, after, notes: [] });
    if (typeof v === 'string') throw new Error(v);
    expect(v.udp).toEqual({ source: 'peers', received: 300, answered: 298, lostToServer: 2, droppedAtServer: {}, kernelDrops: 0, lostFromServer: 0 });
    expect([v.windowMs, v.cpu?.cores]).toEqual([1000, 0.002]);
    expect(v.notes).toEqual([WARMUP_SPAN_NOTE]);
  });

  it('warns when the server\'s totals show other clients\' datagrams in the window', () => {
    const after = sample({ uptimeMs: 10_500, udp: { in: 150, out: 150, peers: { [A]: { received: 100, answered: 100, dropped: {} } } } });
    const v = serverView(udpPlan, { sent: 100, replies: 100 }, { address: 'srv:1', peers: [A], baseline: sample(), before: sample(), after, notes: [] });
    if (typeof v === 'string') throw new Error(v);
    expect(v.udp?.source).toBe('peers');
    expect(v.notes).toEqual(["other clients sent 50 datagrams to the server's UDP port during the window (its totals exceed this generator's own)"]);
  });

  it('falls back to the totals when the server saw none of the generator\'s addresses (a proxy), and says so', () => {
    const after = sample({ uptimeMs: 10_500, udp: { in: 97, out: 97, droppedByReason: { BAD_FRAME: 1 }, peers: {} } });
    const v = serverView(udpPlan, { sent: 100, replies: 92 }, { address: 'srv:1', peers: [A, B], baseline: sample(), before: sample(), after, notes: [] });
    if (typeof v === 'string') throw new Error(v);
    expect(v.udp).toEqual({ source: 'totals', received: 97, answered: 97, lostToServer: 3, droppedAtServer: { BAD_FRAME: 1 }, kernelDrops: 0, lostFromServer: 5 });
    expect(v.notes).toEqual([
      "the server saw none of this generator's 2 source addresses (a NAT or proxy in between?): using the server's UDP totals, so other clients' traffic in the window cannot be told apart from this generator's",
    ]);
  });

  it('an older server (no peers, no reasons, no CPU, no retransmits): totals, UNSPECIFIED drops, nulls and notes', () => {
    const old = (s: ServerSample): ServerSample => ({ ...s, cpu: null, tcpRetransmits: undefined, serviceTimeHistograms: null, udp: { ...s.udp, droppedByReason: null, kernelDrops: null, peerTable: null, peers: null } });
    const before = old(sample({ udp: { dropped: 4 } }));
    const after = old(sample({ uptimeMs: 12_000, udp: { in: 10, out: 9, dropped: 5 } }));
    const v = serverView(udpPlan, { sent: 10, replies: 9 }, { address: 'srv:1', peers: [A], baseline: before, before, after, notes: [] });
    if (typeof v === 'string') throw new Error(v);
    expect(v.udp).toEqual({ source: 'totals', received: 10, answered: 9, lostToServer: 0, droppedAtServer: { UNSPECIFIED: 1 }, kernelDrops: null, lostFromServer: 0 });
    expect([v.cpu, v.tcpRetransmits, v.serviceTimeUs]).toEqual([null, null, {}]);
    expect(v.notes).toEqual([
      'srv:1 sent no service-time histograms: no service time for the window',
      'srv:1 reports no CPU time (an older server)',
      "the server keeps no per-peer UDP counters (an older server): using the server's UDP totals, so other clients' traffic in the window cannot be told apart from this generator's",
    ]);
  });

  it('service time of the window per type (STATS left out), server CPU per request of the run\'s op, retransmits', () => {
    const before = sample({ serviceTimeHistograms: { ECHO: encoded([9_000, 9_000]), STATS: encoded([40]) }, cpu: { userUs: 5_000, systemUs: 1_000 }, tcpRetransmits: 12 });
    const after = sample({
      uptimeMs: 12_000,
      serviceTimeHistograms: { ECHO: encoded([9_000, 9_000], [10, 20, 30, 40]), PING: encoded([3]), STATS: encoded([40, 41]) },
      cpu: { userUs: 5_000 + 600, systemUs: 1_000 + 200 },
      tcpRetransmits: 15,
    });
    const v = serverView(planOf(), { sent: 4, replies: 4 }, { address: 'srv:1', peers: [], baseline: before, before, after, notes: [] });
    if (typeof v === 'string') throw new Error(v);
    expect(v.serviceTimeUs).toEqual({ ECHO: { count: 4, p50: 20, p99: 40, p999: 40, max: 40 }, PING: { count: 1, p50: 3, p99: 3, p999: 3, max: 3 } });
    expect(Object.keys(v.serviceTimeHistograms)).toEqual(['ECHO', 'PING']);
    expect(v.cpu).toEqual({ userUs: 600, systemUs: 200, usPerRequest: 200, cores: 800 / 2_000_000 });
    expect(v.tcpRetransmits).toBe(3);
    expect(v.udp).toBeNull();
  });

  it('a server that restarted between the snapshots gives no view, and says why', () => {
    const v = serverView(planOf(), { sent: 0, replies: 0 }, { address: 'srv:1', peers: [], baseline: sample({ uptimeMs: 9000 }), before: sample({ uptimeMs: 9000 }), after: sample({ uptimeMs: 20 }), notes: [] });
    expect(v).toBe('srv:1 restarted during the run (its uptime went from 9000 to 20 ms)');
  });
});

describe('windowFields', () => {
  const host = (atMs: number, userUs: number, systemUs: number, tcpRetransmits: number | null): HostSample => ({ atMs, userUs, systemUs, tcpRetransmits });

  it('generator CPU over the window and host retransmits; the missing reason when STATS failed', () => {
    const samples: WindowSamples = { generator: { before: host(100, 1000, 0, 40), after: host(1100, 201_000, 100_000, 46) }, server: { missing: 'nope' } };
    expect(windowFields(planOf(), counters({ completed: 1000 }), samples, { sent: 1000, replies: 1000 })).toEqual({
      server: null,
      serverMissing: 'nope',
      generatorCpu: { userUs: 200_000, systemUs: 100_000, usPerRequest: 300, cores: 0.3 },
      generatorHost: { tcpRetransmits: 6 },
    });
    const noProc: WindowSamples = { generator: { before: host(0, 0, 0, null), after: host(1, 0, 0, null) }, server: { missing: 'x' } };
    expect(windowFields(planOf(), counters({}), noProc, { sent: 0, replies: 0 }).generatorHost).toEqual({ tcpRetransmits: null });
  });
});
