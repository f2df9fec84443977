/**
 * The two pacings of the open loop on a simulated event loop (test/fixtures/sim-loop.ts): a virtual
 * clock that moves only from event to event, a loop turn costing a fixed time, so which tick sends
 * what, the slip each send carries and the time a spinning pacer waits are exact.
 */
import { describe, expect, it } from 'vitest';
import { SimLoop } from '../../test/fixtures/sim-loop.js';
import { resolveRunOptions, type LoadPlan, type RunArgs } from '../options.js';
import { LoopConnection, type ConnectionEvents } from './loop-connection.js';
import { OpenLoop } from './open-loop.js';
import { SpinPacer, TimerPacer } from './pacing.js';
import { Phase, type ScheduleHost } from './schedule.js';

const events: ConnectionEvents = { onReply: () => undefined, onClosed: () => undefined, onDrained: () => undefined, onUnexpected: () => undefined };

function planOf(args: RunArgs): LoadPlan {
  return resolveRunOptions({ port: 7878, threads: 1, warmup: '0', transport: 'udp', ...args }).plan;
}

/**
 * An open loop over `plan` on `sim`, sending into `sent` as [connection, scheduled, sent at]; with
 * `replyAfterMs`, every request is answered that long after it left (an outside event).
 */
function loopOn(sim: SimLoop, plan: LoadPlan, replyAfterMs: number | null = null) {
  const sent: Array<[conn: number, sched: number, at: number]> = [];
  const conns: LoopConnection[] = [];
  for (let i = 0; i < plan.connections; i++) conns.push(new LoopConnection(events, i, 1024, Number.POSITIVE_INFINITY));
  let schedule: OpenLoop | null = null;
  const host: ScheduleHost = {
    conns,
    clock: sim.clock,
    timers: sim,
    phase: Phase.Measure,
    send(c, sched, at, measured) {
      const id = c.ring.push(sched, at, measured);
      if (id === 0) return false;
      sent.push([c.index, sched, at]);
      if (replyAfterMs !== null) {
        sim.event(at + replyAfterMs, () => {
          c.ring.settle(id);
          schedule!.replied(c, sim.now);
        });
      }
      return true;
    },
    quotaSpent: () => undefined,
    endSending: () => undefined,
  };
  schedule = new OpenLoop(host, plan);
  return { schedule, sent };
}

const slips = (sent: ReadonlyArray<[number, number, number]>): number[] => sent.map(([, sched, at]) => at - sched);

describe('spin pacing', () => {
  it('sleeps the whole ms on a timer, then goes round the loop until the send is due: slip under one turn', () => {
    // 400 req/s on one socket: due every 2.5 ms. A turn of the loop costs 0.375 ms here (a slow
    // loop, to make the slip visible): a 2 ms timer, then turns, the send on the first turn past due.
    const sim = new SimLoop(0.375);
    const { schedule, sent } = loopOn(sim, planOf({ connections: 1, rate: 400 }));
    schedule.start(0, 0, 15);
    schedule.begin();
    sim.run(20);
    expect(sent.map(([, sched, at]) => [sched, at])).toEqual([
      [0, 0], // begin() ticks at once
      [2.5, 2.75], // timer 0→2, turns at 2.375, 2.75
      [5, 5.125], // timer 2.75→4.75, turn at 5.125
      [7.5, 7.5], // timer 5.125→7.125, turn at 7.5
      [10, 10.25],
      [12.5, 12.625],
    ]);
    expect(Math.max(...slips(sent))).toBeLessThan(0.375);
    // The busy waits: 2→2.75, 4.75→5.125, 7.125→7.5, 9.5→10.25, 12.25→12.625, 14.625→15 (the window's end).
    expect(schedule.waitingMs).toBe(0.75 + 0.375 + 0.375 + 0.75 + 0.375 + 0.375);
    expect(sim.soonCalls).toBeGreaterThan(0);
  });

  it('sends each of four interleaved sockets at its own time, a quarter ms apart', () => {
    // 4,000 req/s over 4 sockets: each every 1 ms, socket i at +0.25·i; a turn costs 0.125 ms.
    const sim = new SimLoop(0.125);
    const { schedule, sent } = loopOn(sim, planOf({ connections: 4, rate: 4000 }));
    schedule.start(0, 0, 3);
    schedule.begin();
    sim.run(5);
    expect(sent.map(([conn, , at]) => [conn, at])).toEqual([
      [0, 0], [1, 0.25], [2, 0.5], [3, 0.75],
      [0, 1], [1, 1.25], [2, 1.5], [3, 1.75],
      [0, 2], [1, 2.25], [2, 2.5], [3, 2.75],
    ]);
    expect(slips(sent).every((s) => s === 0)).toBe(true);
  });

  it('waiting ends where work begins: a reply in a busy wait makes the rest of it work', () => {
    // 400 req/s on one socket, turns of 0.125 ms: each 2.5 ms period ends in a 0.5 ms spin (the 2 ms
    // timer, then turns at +0.125, +0.25, +0.375, +0.5). Each reply comes 2.1875 ms after its send,
    // inside the turn from +0.125 to +0.25 of the next spin: waiting until the reply, work from it to
    // the turn's end (0.0625 ms), waiting again for the last two turns.
    const withReplies = new SimLoop(0.125);
    const a = loopOn(withReplies, planOf({ connections: 1, rate: 400 }), 2.1875);
    const quiet = new SimLoop(0.125);
    const b = loopOn(quiet, planOf({ connections: 1, rate: 400 }));
    for (const [sim, { schedule }] of [[withReplies, a], [quiet, b]] as const) {
      schedule.start(0, 0, 100);
      schedule.beginMeasure();
      schedule.begin();
      sim.run(110);
    }
    expect(a.sent.map(([, , at]) => at)).toEqual(Array.from({ length: 40 }, (_, k) => 2.5 * k));
    expect(b.sent).toEqual(a.sent);
    // 40 periods (the last one spins up to the window's end at 100, where the schedule finishes).
    expect(b.schedule.waitingMs).toBe(40 * 0.5);
    expect(a.schedule.waitingMs).toBe(40 * (0.5 - 0.0625));
  });
});

describe('timer pacing', () => {
  it('sleeps on a timer rounded up to whole ms, never a busy wait: slip is the rounding', () => {
    const sim = new SimLoop(0.375);
    const { schedule, sent } = loopOn(sim, planOf({ connections: 1, rate: 400, pacing: 'timer' }));
    schedule.start(0, 0, 15);
    schedule.begin();
    sim.run(20);
    expect(sent.map(([, sched, at]) => [sched, at])).toEqual([
      [0, 0],
      [2.5, 3], // 2.5 ms to wait: a 3 ms timer
      [5, 5], // 2 ms: a 2 ms timer, on time
      [7.5, 8],
      [10, 10],
      [12.5, 13],
    ]);
    expect(sim.soonCalls).toBe(0);
    expect(schedule.waitingMs).toBe(0);
  });

  it('wakes once a ms and sends everything due by then (wrk2-style slots): four sockets, one wake', () => {
    // As the spin test above: 4,000 req/s over 4 sockets, socket i due at +0.25·i of each ms.
    const sim = new SimLoop(0.125);
    const { schedule, sent } = loopOn(sim, planOf({ connections: 4, rate: 4000, pacing: 'timer' }));
    schedule.start(0, 0, 3);
    schedule.begin();
    sim.run(5);
    expect(sent.map(([conn, sched, at]) => [conn, sched, at])).toEqual([
      [0, 0, 0],
      // The wake at 1 finds the first sends of sockets 1..3 and socket 0's second due: they leave
      // in the order they were due.
      [1, 0.25, 1], [2, 0.5, 1], [3, 0.75, 1], [0, 1, 1],
      [1, 1.25, 2], [2, 1.5, 2], [3, 1.75, 2], [0, 2, 2],
      [1, 2.25, 3], [2, 2.5, 3], [3, 2.75, 3],
    ]);
    expect(slips(sent)).toEqual([0, 0.75, 0.5, 0.25, 0, 0.75, 0.5, 0.25, 0, 0.75, 0.5, 0.25]);
    expect(sim.soonCalls).toBe(0);
    expect(sim.timerCalls).toBe(4); // one wake a ms: at 1, 2, 3 and the one that finds the schedule over
  });
});

describe('Pacer.wake', () => {
  it('spin: a timer of the whole ms, a turn for less, a busy wait only for a time still ahead', () => {
    const sim = new SimLoop(0.5);
    const p = new SpinPacer(sim);
    const tick = (): void => undefined;
    expect([p.wake(tick, 12.7, 10), sim.timerCalls, sim.soonCalls]).toEqual([false, 1, 0]);
    expect([p.wake(tick, 10.7, 10), sim.soonCalls]).toEqual([true, 1]);
    expect([p.wake(tick, 10, 10), sim.soonCalls]).toEqual([false, 2]); // due now: no wait
  });

  it('timer: a timer rounded up for anything ahead, a turn only for what is due now', () => {
    const sim = new SimLoop(0.5);
    const p = new TimerPacer(sim);
    const tick = (): void => undefined;
    expect([p.wake(tick, 10.2, 10), p.wake(tick, 12.7, 10), sim.timerCalls, sim.soonCalls]).toEqual([false, false, 2, 0]);
    expect([p.wake(tick, 9, 10), sim.soonCalls]).toEqual([false, 1]);
  });
});
