/**
 * When requests leave: the pacer of a load loop, chosen once per thread from the plan (wrk2 keeps the
 * same split: `usec_to_next_send` decides when, `response_complete` records). Closed loop
 * (closed-loop.ts) keeps `pipeline` requests in flight per connection; open loop (open-loop.ts) sends
 * on a fixed schedule and counts latency from it. The loop calls the schedule on its events; the
 * schedule sends through its {@link ScheduleHost}. Neither allocates per request.
 */
import type { LoadPlan } from '../options.js';
import type { LoopConnection } from './loop-connection.js';
import type { LoopTimers } from './timer-set.js';

/** Phases of a load loop, in order: nothing sent yet, warm-up (not recorded), measured, drain (no new sends), done. */
export const Phase = { Idle: 0, Warmup: 1, Measure: 2, Drain: 3, Done: 4 } as const;
/** One of {@link Phase}. */
export type Phase = (typeof Phase)[keyof typeof Phase];

/** What a schedule reads from and does through its loop. Times in ms on the loop's clock. */
export interface ScheduleHost {
  /** The connections this thread owns, in index order. */
  readonly conns: readonly LoopConnection[];
  /** The loop's monotonic clock, ms. */
  readonly clock: () => number;
  /** The loop's timers (cleared when it closes). */
  readonly timers: LoopTimers;
  /** Where the loop is: a schedule sends only in Warmup and Measure. */
  readonly phase: Phase;
  /**
   * Sends the next request of `c`, scheduled at `schedAt`, sent at `now`, recorded when `measured`.
   * False when its ring is full (it waits for a reply or a timeout).
   */
  send(c: LoopConnection, schedAt: number, now: number, measured: boolean): boolean;
  /** A connection's quota may be spent: ends sending when every live connection's is. */
  quotaSpent(): void;
  /** Nothing is left to send: start the drain. */
  endSending(): void;
}

/** A pacer: the loop's events, as they concern when the next request leaves. */
export interface Schedule {
  /**
   * Load starts at `startMs` and measures requests scheduled in `[measureStart, measureEnd)`
   * (measureEnd Infinity in requests mode): set each connection's first send time. Ending early
   * (Ctrl-C) needs no update here: the loop leaves Warmup/Measure, and nothing is sent after.
   */
  start(startMs: number, measureStart: number, measureEnd: number): void;
  /** Sending begins (warm-up, or measuring when there is none). */
  begin(): void;
  /** The measured window begins. */
  beginMeasure(): void;
  /** A reply to `c` arrived at `atMs` and freed a slot. */
  replied(c: LoopConnection, atMs: number): void;
  /** `c` can write again after backpressure. */
  drained(c: LoopConnection): void;
  /** The timeout sweep at `now` freed slots of `c`. */
  freed(c: LoopConnection, now: number): void;
  /** `c` closed (it is `dead` now; called once per connection): it never sends again. */
  closed(c: LoopConnection): void;
  /**
   * The measured window's end came at `now`. True: sending may stop now. False: requests scheduled
   * inside the window have not left yet (the loop ran late); they leave late, carrying their
   * scheduled time, and the schedule calls {@link ScheduleHost.endSending} once none is left.
   */
  windowEnded(now: number): boolean;
  /**
   * Time this pacer busy-waited for send times since the measured window began, ms: event-loop time
   * that was no work (open loop with spin pacing; 0 otherwise). The self-check takes it out of busy.
   */
  readonly waitingMs: number;
}

/** Ring slots of one connection: what it starts with and the most it may grow to (inflight-ring.ts). */
export interface RingSlots {
  /** Slots it starts with: what the plan keeps in flight, and one more. */
  initial: number;
  /** The most it grows to: at least twice what may be in flight, and 16. */
  most: number;
}

/**
 * Ring slots one connection needs, by its plan. Closed loop: the pipeline in flight, so it starts at
 * pipeline + 1 and may grow to 2 × pipeline. Open loop over a stream: one request in flight at a
 * time, so 2. Open loop over datagrams: requests leave whatever is in flight and the sweep frees
 * them only after the timeout, so up to what its rate sends in two timeouts; it starts at 16 (a
 * round trip's worth at any rate a socket sends on its own) and grows when the target falls behind.
 */
export function ringSlots(plan: LoadPlan): RingSlots {
  if (plan.rate === null) {
    const k = plan.pipeline ?? 1;
    return { initial: k + 1, most: Math.max(16, 2 * k) };
  }
  if (!isDatagram(plan)) return { initial: 2, most: 16 };
  const perConnRate = plan.rate / plan.connections;
  const most = Math.max(16, Math.ceil((2 * perConnRate * plan.timeoutMs) / 1000) + 2);
  return { initial: 16, most };
}

/** Whether a plan's transport is datagrams (udp, raw-udp). */
export function isDatagram(plan: LoadPlan): boolean {
  return plan.transport === 'udp' || plan.transport === 'raw-udp';
}
