/**
 * The two pacers against a scripted host: a frozen clock moved by fake timers, sends recorded with
 * their scheduled and actual times, nothing on the wire.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { resolveRunOptions, type LoadPlan, type RunArgs } from '../options.js';
import { ClosedLoop } from './closed-loop.js';
import { LoopConnection, type ConnectionEvents } from './loop-connection.js';
import { OpenLoop } from './open-loop.js';
import { Phase, isDatagram, ringSlots, type ScheduleHost } from './schedule.js';
import { TimerSet } from './timer-set.js';

interface Sent {
  conn: number;
  id: number;
  sched: number;
  at: number;
  measured: boolean;
}

const events: ConnectionEvents = { onReply: () => undefined, onClosed: () => undefined, onDrained: () => undefined, onUnexpected: () => undefined };

function planOf(args: RunArgs): LoadPlan {
  return resolveRunOptions({ port: 7878, threads: 1, warmup: '0', ...args }).plan;
}

/** A host owning connections `[a, b)` of the plan, sending into `sent`. */
function hostOf(plan: LoadPlan, [a, b]: [number, number] = [0, plan.connections], quota = Number.POSITIVE_INFINITY) {
  const clock = (): number => Date.now();
  const sent: Sent[] = [];
  const conns: LoopConnection[] = [];
  for (let i = a; i < b; i++) conns.push(new LoopConnection(events, i, 64, quota));
  const host = {
    conns,
    clock,
    timers: new TimerSet(clock),
    phase: Phase.Measure as Phase,
    send(c: LoopConnection, sched: number, at: number, measured: boolean): boolean {
      const id = c.ring.push(sched, at, measured);
      if (id === 0) return false;
      if (measured) c.quota--;
      sent.push({ conn: c.index, id, sched, at, measured });
      return true;
    },
    quotaSpent: vi.fn(),
    endSending: vi.fn(),
  } satisfies ScheduleHost;
  return { host, sent, conns };
}

beforeEach(() => {
  vi.useFakeTimers({ now: 0, toFake: ['setTimeout', 'clearTimeout', 'setImmediate', 'clearImmediate', 'Date'] });
});
afterEach(() => {
  vi.useRealTimers();
});

describe('ringSlots', () => {
  it('starts at what the plan keeps in flight and one more; grows to twice that, two timeouts of a datagram socket’s rate, at least 16', () => {
    expect(ringSlots(planOf({ connections: 2, pipeline: 20 }))).toEqual({ initial: 21, most: 40 });
    expect(ringSlots(planOf({ connections: 2, pipeline: 1 }))).toEqual({ initial: 2, most: 16 });
    // A stream in open loop has one request in flight, whatever the rate.
    expect(ringSlots(planOf({ connections: 10, rate: 10_000, timeout: 1000 }))).toEqual({ initial: 2, most: 16 });
    expect(ringSlots(planOf({ connections: 10, rate: 10_000, transport: 'raw-tcp', size: 16, timeout: 1000 }))).toEqual({ initial: 2, most: 16 });
    // 10,000 req/s over 10 sockets: 1,000 req/s each; 2 × 1 s of timeout = 2,000, plus 2.
    expect(ringSlots(planOf({ connections: 10, rate: 10_000, transport: 'udp', timeout: 1000 }))).toEqual({ initial: 16, most: 2002 });
    expect(ringSlots(planOf({ connections: 1000, rate: 1000, transport: 'udp', timeout: 1000 }))).toEqual({ initial: 16, most: 16 });
    expect([isDatagram(planOf({ transport: 'udp' })), isDatagram(planOf({ transport: 'raw-udp', size: 16 })), isDatagram(planOf({}))]).toEqual([true, true, false]);
  });
});

describe('ClosedLoop', () => {
  it('tops every connection up to the pipeline at one clock reading; the send time is the scheduled time', () => {
    const { host, sent, conns } = hostOf(planOf({ connections: 2, pipeline: 3 }));
    vi.setSystemTime(7);
    host.phase = Phase.Warmup;
    const s = new ClosedLoop(host, 3);
    s.begin();
    expect(sent).toHaveLength(6);
    expect(sent.every((x) => x.sched === 7 && x.at === 7 && !x.measured)).toBe(true);
    expect(conns.map((c) => c.ring.inflight)).toEqual([3, 3]);
    // One reply frees one slot: exactly one request leaves, measured now.
    host.phase = Phase.Measure;
    vi.setSystemTime(9);
    conns[0]!.ring.settle(1);
    s.replied(conns[0]!);
    expect(sent.slice(6)).toEqual([{ conn: 0, id: 4, sched: 9, at: 9, measured: true }]);
  });

  it('sends nothing when blocked, dead, draining, or out of quota (and says the quota is spent)', () => {
    const { host, sent, conns } = hostOf(planOf({ connections: 3, pipeline: 2 }), [0, 3], 1);
    conns[0]!.blocked = true;
    conns[1]!.dead = true;
    const s = new ClosedLoop(host, 2);
    s.beginMeasure();
    expect(sent.map((x) => x.conn)).toEqual([2]); // one request: its quota
    expect(host.quotaSpent).toHaveBeenCalledTimes(1);
    host.phase = Phase.Drain;
    conns[0]!.blocked = false;
    s.drained(conns[0]!);
    expect(sent).toHaveLength(1);
  });
});

describe('OpenLoop', () => {
  it('connection i of C starts at i/C of the period, in every thread: thread 1 owning connections 2, 3 of 4', () => {
    const plan = planOf({ connections: 4, rate: 200 }); // each connection every 20 ms
    const { host, conns } = hostOf(plan, [2, 4]);
    const s = new OpenLoop(host, plan);
    expect(s.periodMs).toBe(20);
    s.start(1000, 1000, Number.POSITIVE_INFINITY);
    expect(conns.map((c) => c.due)).toEqual([1010, 1015]);
  });

  it('sends each request at its scheduled time, the connections interleaved evenly', async () => {
    const plan = planOf({ connections: 4, rate: 200, transport: 'udp' });
    const { host, sent } = hostOf(plan);
    const s = new OpenLoop(host, plan);
    s.start(0, 0, Number.POSITIVE_INFINITY);
    s.begin();
    await vi.advanceTimersByTimeAsync(39);
    expect(sent.map((x) => [x.conn, x.sched, x.at])).toEqual([
      [0, 0, 0], [1, 5, 5], [2, 10, 10], [3, 15, 15],
      [0, 20, 20], [1, 25, 25], [2, 30, 30], [3, 35, 35],
    ]);
  });

  it('over TCP one request in flight: those due meanwhile leave late, at the reply, each with its own scheduled time', async () => {
    const plan = planOf({ connections: 1, rate: 100 }); // every 10 ms
    const { host, sent, conns } = hostOf(plan);
    const c = conns[0]!;
    const s = new OpenLoop(host, plan);
    s.start(0, 0, Number.POSITIVE_INFINITY);
    s.begin();
    await vi.advanceTimersByTimeAsync(35); // request 1 (due 0) unanswered: 10, 20, 30 are due
    expect(sent.map((x) => x.id)).toEqual([1]);
    c.ring.settle(1);
    s.replied(c, Date.now());
    expect(sent.map((x) => [x.id, x.sched, x.at])).toEqual([[1, 0, 0], [2, 10, 35]]);
    c.ring.settle(2);
    s.replied(c, Date.now());
    expect(sent.at(-1)).toEqual({ conn: 0, id: 3, sched: 20, at: 35, measured: true });
  });

  it('a stall over the window end: over UDP every request scheduled inside the window leaves late, then sending may stop', () => {
    const plan = planOf({ connections: 1, rate: 100, transport: 'udp' }); // due 0, 10, 20, 30; window [0, 40)
    const { host, sent } = hostOf(plan);
    const s = new OpenLoop(host, plan);
    s.start(0, 0, 40);
    s.begin();
    vi.setSystemTime(45); // the loop was blocked from 0 to 45: no tick ran
    expect(s.windowEnded(45)).toBe(true);
    expect(sent.map((x) => [x.id, x.sched, x.at])).toEqual([[1, 0, 0], [2, 10, 45], [3, 20, 45], [4, 30, 45]]);
  });

  it('the window timer run before the clock reaches the window end: a connection it sent on takes its new place in the due order', async () => {
    const plan = planOf({ connections: 2, rate: 100, transport: 'udp' }); // period 20 ms: A due 0, 20, 40; B due 10, 30
    const { host, sent } = hostOf(plan);
    const s = new OpenLoop(host, plan);
    s.start(0, 0, 45);
    vi.setSystemTime(5); // the loop was blocked before its first tick, and the window's timer runs early, at 5
    expect(s.windowEnded(5)).toBe(false); // A's 0 leaves now (due next at 20, after B's 10); B owes 10 and 30
    await vi.advanceTimersByTimeAsync(40);
    // B's 10 leaves at 10, not at A's 20 (where a stale place would put the next wake).
    expect(sent.map((x) => [x.conn, x.sched, x.at])).toEqual([[0, 0, 5], [1, 10, 10], [0, 20, 20], [1, 30, 30], [0, 40, 40]]);
  });

  it('a stall over the window end: over TCP the owed requests leave one per reply, then the schedule ends sending', async () => {
    const plan = planOf({ connections: 1, rate: 100 }); // one in flight; due 0, 10, 20, 30; window [0, 40)
    const { host, sent, conns } = hostOf(plan);
    const c = conns[0]!;
    const s = new OpenLoop(host, plan);
    s.start(0, 0, 40);
    s.begin();
    vi.setSystemTime(45);
    expect(s.windowEnded(45)).toBe(false); // request 1 is in flight; 10, 20, 30 are owed
    for (const id of [1, 2, 3, 4]) {
      c.ring.settle(id);
      s.replied(c, Date.now());
      await vi.advanceTimersByTimeAsync(1);
    }
    expect(sent.map((x) => [x.id, x.sched])).toEqual([[1, 0], [2, 10], [3, 20], [4, 30]]);
    expect(host.endSending).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(20); // the next tick finds nothing owed
    expect(host.endSending).toHaveBeenCalledTimes(1);
    expect(sent).toHaveLength(4);
  });

  it('a connection waiting for its reply leaves the schedule and comes back with it; the others keep their times', async () => {
    const plan = planOf({ connections: 2, rate: 200 }); // each every 10 ms: connection 0 at 0, 10, …; 1 at 5, 15, …
    const { host, sent, conns } = hostOf(plan);
    const [c0, c1] = [conns[0]!, conns[1]!];
    const s = new OpenLoop(host, plan);
    const answer = (c: LoopConnection, id: number): void => {
      c.ring.settle(id);
      s.replied(c, Date.now());
    };
    s.start(0, 0, Number.POSITIVE_INFINITY);
    s.begin();
    await vi.advanceTimersByTimeAsync(6);
    answer(c1, 1);
    await vi.advanceTimersByTimeAsync(10); // 16: connection 0 was due at 10 with request 1 unanswered
    answer(c1, 2);
    await vi.advanceTimersByTimeAsync(6); // 22: its reply lets the one due at 10 leave, late
    answer(c0, 1);
    await vi.advanceTimersByTimeAsync(1); // 23: and the one due at 20; its next (30) is ahead again
    answer(c0, 2);
    await vi.advanceTimersByTimeAsync(1);
    answer(c0, 3);
    await vi.advanceTimersByTimeAsync(2);
    answer(c1, 3);
    await vi.advanceTimersByTimeAsync(10); // 36
    expect(sent.map((x) => [x.conn, x.id, x.sched, x.at])).toEqual([
      [0, 1, 0, 0], [1, 1, 5, 5], [1, 2, 15, 15], [0, 2, 10, 22], [0, 3, 20, 23], [1, 3, 25, 25], [0, 4, 30, 30], [1, 4, 35, 35],
    ]);
  });

  it('a connection under backpressure sends nothing; its drain brings it back, the requests due meanwhile leaving late', async () => {
    const plan = planOf({ connections: 1, rate: 100 }); // every 10 ms
    const { host, sent, conns } = hostOf(plan);
    const c = conns[0]!;
    const s = new OpenLoop(host, plan);
    s.start(0, 0, Number.POSITIVE_INFINITY);
    s.begin();
    await vi.advanceTimersByTimeAsync(1);
    c.ring.settle(1);
    c.blocked = true; // as when the driver's send said so
    s.replied(c, Date.now());
    await vi.advanceTimersByTimeAsync(24); // 25: due at 10 and 20, blocked
    expect(sent).toHaveLength(1);
    c.blocked = false;
    s.drained(c);
    // Every connection waits for an event, so the loop looks again each ms: the look at 26 sends the
    // one due at 10 (the drain at 25 found that look pending).
    await vi.advanceTimersByTimeAsync(1);
    expect(sent.map((x) => [x.id, x.sched, x.at])).toEqual([[1, 0, 0], [2, 10, 26]]);
    c.ring.settle(2);
    s.replied(c, Date.now());
    await vi.advanceTimersByTimeAsync(3); // 29: nothing more due before 30
    expect(sent.map((x) => [x.id, x.sched, x.at])).toEqual([[1, 0, 0], [2, 10, 26], [3, 20, 26]]);
  });

  it('a closed connection leaves the schedule; once the last one has, the next tick ends sending, once', async () => {
    const plan = planOf({ connections: 2, rate: 200, transport: 'udp' }); // 0 at 0, 10, …; 1 at 5, 15, …
    const { host, sent, conns } = hostOf(plan);
    const s = new OpenLoop(host, plan);
    s.start(0, 0, Number.POSITIVE_INFINITY);
    s.begin();
    await vi.advanceTimersByTimeAsync(6);
    conns[0]!.dead = true;
    s.closed(conns[0]!);
    await vi.advanceTimersByTimeAsync(10); // 16: only connection 1 sent, at 15
    conns[1]!.dead = true;
    s.closed(conns[1]!);
    expect(host.endSending).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(20);
    expect(host.endSending).toHaveBeenCalledTimes(1);
    expect(sent.map((x) => [x.conn, x.sched])).toEqual([[0, 0], [1, 5], [1, 15]]);
  });

  it('due times decide what is measured; the schedule ends at measureEnd and then says so once', async () => {
    const plan = planOf({ connections: 2, rate: 200, transport: 'udp' }); // each every 10 ms, the second at +5
    const { host, sent } = hostOf(plan);
    host.phase = Phase.Warmup;
    const s = new OpenLoop(host, plan);
    s.start(0, 10, 30);
    s.begin();
    await vi.advanceTimersByTimeAsync(10);
    host.phase = Phase.Measure;
    await vi.advanceTimersByTimeAsync(40);
    expect(sent.map((x) => [x.sched, x.measured])).toEqual([
      [0, false], [5, false], [10, true], [15, true], [20, true], [25, true],
    ]);
    expect(host.endSending).toHaveBeenCalledTimes(1);
  });
});
