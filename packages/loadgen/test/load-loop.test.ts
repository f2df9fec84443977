/**
 * The load loop's recording, exactly: a frozen (or fake-timer) clock and a scripted driver that
 * answers request `id` after a latency chosen per id, so every value the histograms must hold is known
 * in advance. No sockets here on purpose: this checks the arithmetic (latency = reply time − scheduled
 * time, whole µs, equal values in a row merged into one histogram call; in open loop the schedule,
 * the slip and the uncorrected service time), which real runs cannot pin down.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Driver, DriverFactory } from '../src/generator/drivers.js';
import { LoadLoop } from '../src/generator/load-loop.js';
import { encodeInterval } from '../src/generator/recorder.js';
import type { ThreadFinal, ThreadInterval } from '../src/generator/messages.js';
import { sumCounters } from '../src/counters.js';
import { createHistogram, encodeHistogram, mergeEncoded } from '../src/histogram.js';
import { resolveRunOptions } from '../src/options.js';
import { SimLoop } from './fixtures/sim-loop.js';

/** Latency of request `id` on connection `conn`, µs: runs of equal values, then a change. */
function latencyUs(conn: number, id: number): number {
  return 100 + 37 * conn + 50 * (Math.floor(id / 5) % 3);
}

describe('LoadLoop recording', () => {
  it('closed loop: records every measured reply once, at exactly reply time − send time (= its scheduled time)', async () => {
    const connections = 3;
    const requests = 600;
    const plan = resolveRunOptions({ port: 7878, connections, threads: 1, requests, warmup: '0', pipeline: 4 }).plan;
    const clock = 0; // frozen: every request is scheduled (and sent) at 0 ms
    const sent: Array<{ conn: number; id: number }> = [];
    let nextConn = 0;
    const open: DriverFactory = async (sink) => {
      const conn = nextConn++;
      const driver: Driver = {
        requestBytes: 76,
        peer: null,
        send(id) {
          sent.push({ conn, id });
          // The reply arrives later (as from a socket), stamped latency µs after the send.
          setImmediate(() => sink.reply(id, clock + latencyUs(conn, id) / 1000, 76, null));
          return true;
        },
        close: async () => undefined,
      };
      return driver;
    };
    const loop = new LoadLoop({ plan, thread: 0, connections: [0, connections], open, clock: () => clock });
    await loop.open();
    const intervals: ThreadInterval[] = [];
    const final = await new Promise<ThreadFinal>((resolve) => {
      loop.start(clock, { interval: (iv) => intervals.push(encodeInterval(iv)), done: resolve });
    });
    await loop.close();

    expect(sent.length).toBe(requests);
    const h = mergeEncoded(intervals.map((iv) => iv.histogram));
    expect(h.totalCount).toBe(requests);
    // The histogram that recording each latency once, one by one, would give: same bytes.
    const want = createHistogram();
    for (const { conn, id } of sent) want.recordValue(latencyUs(conn, id));
    expect(encodeHistogram(h)).toBe(encodeHistogram(want));
    expect([h.minNonZeroValue, h.maxValue]).toEqual([100, 100 + 37 * 2 + 100]);
    want.destroy();
    const completed = intervals.reduce((n, iv) => n + iv.counters.completed, 0);
    expect(completed).toBe(requests);
    expect(final.connectionsLost).toBe(0);
    h.destroy();
  });
});

describe('LoadLoop open loop', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('schedules connection i of C at i/C of the period and records from the scheduled time, also for sends late after a stall', async () => {
    // Timers and the clock are fake: time moves only when the test advances it, in whole ms.
    vi.useFakeTimers({ now: 0, toFake: ['setTimeout', 'clearTimeout', 'setImmediate', 'clearImmediate', 'Date'] });
    const clock = (): number => Date.now();
    // 200 req/s over 4 TCP connections for 100 ms: each connection every 20 ms, connection i at +5·i ms.
    const plan = resolveRunOptions({ port: 7878, connections: 4, threads: 1, rate: 200, duration: '100ms', warmup: '0' }).plan;
    // Every reply takes 1 ms, except connection 0's request 2 (scheduled at 20), which the server holds
    // for 50 ms: requests 3 and 4 (due 40, 60) cannot leave while it is in flight (TCP: one at a time).
    const latencyMs = (conn: number, id: number): number => (conn === 0 && id === 2 ? 50 : 1);
    const sent: Array<[conn: number, id: number, atMs: number]> = [];
    let nextConn = 0;
    const open: DriverFactory = async (sink) => {
      const conn = nextConn++;
      return {
        requestBytes: 76,
        peer: null,
        send(id) {
          sent.push([conn, id, clock()]);
          setTimeout(() => sink.reply(id, clock(), 76, null), latencyMs(conn, id));
          return true;
        },
        close: async () => undefined,
      };
    };
    const loop = new LoadLoop({ plan, thread: 0, connections: [0, 4], open, clock });
    await loop.open();
    const intervals: ThreadInterval[] = [];
    let final: ThreadFinal | null = null;
    loop.start(0, { interval: (iv) => intervals.push(encodeInterval(iv)), done: (f) => (final = f) });
    await vi.advanceTimersByTimeAsync(200);
    expect(final).not.toBeNull();
    await loop.close();

    const byConn = (c: number): number[] => sent.filter(([conn]) => conn === c).map(([, , at]) => at);
    expect(byConn(1)).toEqual([5, 25, 45, 65, 85]);
    expect(byConn(2)).toEqual([10, 30, 50, 70, 90]);
    expect(byConn(3)).toEqual([15, 35, 55, 75, 95]);
    // Scheduled 0, 20, 40, 60, 80; requests 3 and 4 leave late, when the replies before them arrive.
    expect(byConn(0)).toEqual([0, 20, 70, 71, 80]);

    const histogramOf = (ms: number[]): string => {
      const h = createHistogram();
      for (const v of ms) h.recordValue(v * 1000);
      const text = encodeHistogram(h);
      h.destroy();
      return text;
    };
    const ones = (n: number): number[] => Array.from({ length: n }, () => 1);
    // Corrected: reply − scheduled time: 71 − 40 = 31 ms and 72 − 60 = 12 ms for the late two. A loop
    // that recorded from the send time would hold 1 ms for them, as the uncorrected histogram does.
    const latency = mergeEncoded(intervals.map((iv) => iv.histogram));
    expect(encodeHistogram(latency)).toBe(histogramOf([1, 50, 31, 12, 1, ...ones(15)]));
    latency.destroy();
    const f = final as unknown as ThreadFinal;
    expect(f.uncorrected).toBe(histogramOf([1, 50, 1, 1, 1, ...ones(15)]));
    // Slip: how late each request left its schedule (0 for all but those two).
    expect(f.slip).toBe(histogramOf([30, 11, ...Array.from({ length: 18 }, () => 0)]));
    const counters = intervals.reduce((n, iv) => n + iv.counters.completed, 0);
    expect(counters).toBe(20);
    expect([f.sendEndMs, f.drainEndMs]).toEqual([100, 100]);
  });
});

describe('LoadLoop replies never asked for', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('late (timed out, or its slot reused since), duplicate and unexpected replies are told apart, each counted once', async () => {
    vi.useFakeTimers({ now: 0, toFake: ['setTimeout', 'clearTimeout', 'setImmediate', 'clearImmediate', 'Date'] });
    const clock = (): number => Date.now();
    // One connection, one request in flight, 40 requests, a ring of 16 slots, timeout 100 ms.
    const plan = resolveRunOptions({ port: 7878, connections: 1, threads: 1, requests: 40, warmup: '0', timeout: 100 }).plan;
    const open: DriverFactory = async (sink) => ({
      requestBytes: 76,
      peer: null,
      send(id) {
        const reply = (rid: number): void => void setImmediate(() => sink.reply(rid, clock(), 76, null));
        if (id === 3) return true; // held: it times out, and its reply comes with request 5
        if (id === 5) reply(3); // late: request 3 timed out
        if (id === 7) {
          for (const never of [0, 7 + 1000, 41]) reply(never); // ids this connection never sent (41 > the 40 it sends)
          setImmediate(() => sink.unexpected('badFrame'));
        }
        if (id === 10) reply(10); // a duplicate, below
        if (id === 30) reply(4); // request 4 was answered; its slot (4 & 15) holds request 20 now: late, not unexpected
        reply(id);
        return true;
      },
      close: async () => undefined,
    });
    const loop = new LoadLoop({ plan, thread: 0, connections: [0, 1], open, clock });
    await loop.open();
    const intervals: ThreadInterval[] = [];
    let final: ThreadFinal | null = null;
    loop.start(0, { interval: (iv) => intervals.push(encodeInterval(iv)), done: (f) => (final = f) });
    await vi.advanceTimersByTimeAsync(1000);
    expect(final).not.toBeNull();
    await loop.close();
    const c = sumCounters(intervals.map((iv) => iv.counters));
    expect([c.sent, c.completed, c.timeouts, c.errors]).toEqual([40, 39, 1, 0]);
    expect([c.late, c.duplicates]).toEqual([2, 1]);
    expect(c.unexpected).toBe(4);
    expect(c.unexpectedByKind).toEqual({ unsentId: 3, badFrame: 1 });
  });
});

describe('LoadLoop coordinated omission, in every pacing', () => {
  /**
   * 1,000 req/s over 10 TCP connections (each every 10 ms, one request in flight) for 5 s on a
   * simulated event loop (loop turns of 0.05 ms, timers 0.02 ms past their time). The server answers in 0.1 ms but stalls from 2 s
   * to 2.5 s: what reaches it then is answered at the stall's end. The 500 requests scheduled in the
   * stall each carry reply − scheduled time, spread evenly over 0..500 ms, so the 50th worst of the
   * 5,000 (p99) is ~450 ms; the uncorrected service time of all but the 10 held requests stays small.
   */
  async function stalledRun(pacing: 'spin' | 'timer') {
    const sim = new SimLoop(0.05, 0.02);
    const plan = resolveRunOptions({ port: 7878, connections: 10, threads: 1, rate: 1000, duration: '5s', warmup: '0', pacing }).plan;
    const start = 10; // the loop starts 10 ms after it is told to (as the runner's shared start)
    const [stallFrom, stallTo] = [start + 2000, start + 2500];
    const open: DriverFactory = async (sink) => ({
      requestBytes: 76,
      peer: null,
      send(id) {
        const arrived = sim.now;
        const answered = (arrived >= stallFrom && arrived < stallTo ? stallTo : arrived) + 0.1;
        sim.event(answered, () => sink.reply(id, sim.now, 76, null));
        return true;
      },
      close: async () => undefined,
    });
    const loop = new LoadLoop({ plan, thread: 0, connections: [0, 10], open, clock: sim.clock, timers: sim });
    await loop.open();
    const intervals: ThreadInterval[] = [];
    let final: ThreadFinal | null = null;
    loop.start(start, { interval: (iv) => intervals.push(encodeInterval(iv)), done: (f) => (final = f) });
    sim.run(start + 5000 + 1500);
    expect(final).not.toBeNull();
    await loop.close();
    const f = final as unknown as ThreadFinal;
    const latency = mergeEncoded(intervals.map((iv) => iv.histogram));
    const uncorrected = mergeEncoded([f.uncorrected!]);
    const slip = mergeEncoded([f.slip!]);
    const c = sumCounters(intervals.map((iv) => iv.counters));
    const out = {
      counts: [c.sent, c.completed, c.timeouts, c.errors],
      p50: latency.getValueAtPercentile(50),
      p99: latency.getValueAtPercentile(99),
      uncorrectedP99: uncorrected.getValueAtPercentile(99),
      uncorrectedMax: uncorrected.maxValue,
      slipP50: slip.getValueAtPercentile(50),
      slipMax: slip.maxValue,
      soonCalls: sim.soonCalls,
    };
    for (const h of [latency, uncorrected, slip]) h.destroy();
    return out;
  }

  it.each(['spin', 'timer'] as const)('--pacing %s: a 500 ms stall in 5 s at 1,000 req/s puts the corrected p99 near 450 ms', async (pacing) => {
    const r = await stalledRun(pacing);
    expect(r.counts).toEqual([5000, 5000, 0, 0]);
    // The 50th worst: scheduled ~50 ms into the stall, answered at its end (plus the ≤ 5 ms it takes
    // each connection to send its ~50 owed requests one reply at a time).
    expect(r.p99).toBeGreaterThanOrEqual(449_000);
    expect(r.p99).toBeLessThanOrEqual(456_000);
    // Uncorrected: only the 10 requests held through the stall (one per connection) are long.
    expect(r.uncorrectedMax).toBeGreaterThanOrEqual(490_000);
    expect(r.uncorrectedP99).toBeLessThan(1000);
    // The stalled sends left late, at the stall's end: slip carries the stall too.
    expect(r.slipMax).toBeGreaterThanOrEqual(490_000);
  });

  it('spin sends on the loop turn after its time; timer up to a ms late, and that slip shows in the corrected median', async () => {
    const spin = await stalledRun('spin');
    const timer = await stalledRun('timer');
    // Spin: sends 1 ms apart; each leaves a hair after its time, so the next is under 1 ms away:
    // loop turns of 0.05 ms until it is due.
    expect(spin.slipP50).toBeLessThanOrEqual(50);
    expect(spin.soonCalls).toBeGreaterThan(5000);
    expect(timer.soonCalls).toBeLessThan(100);
    // Timer: under 1 ms to wait rounds up to a 1 ms timer, so each send leaves 0.02 ms later than the
    // one before until several are due at one wake. Latency = slip + the 0.1 ms service (the median
    // of the two may sit one 0.02 ms step apart: the 10 requests held in the stall left on time).
    expect(timer.slipP50).toBeGreaterThan(spin.slipP50 + 100);
    expect(timer.p50).toBeGreaterThan(spin.p50 + 100);
    expect(timer.p50 - timer.slipP50).toBeGreaterThanOrEqual(99);
    expect(timer.p50 - timer.slipP50).toBeLessThanOrEqual(121);
  });
});
