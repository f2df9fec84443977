/**
 * The load loop's options and the callbacks it reports through (load-loop.ts' {@link LoadLoop}).
 */
import type { LoadPlan } from '../options.js';
import type { DriverFactory } from './drivers.js';
import type { ThreadFinal } from './messages.js';
import type { RawInterval } from './recorder.js';
import type { LoopTimers } from './timer-set.js';

/** Callbacks the loop reports through. */
export interface LoopHooks {
  /** Every interval, its histogram as counts (recorder.ts' `encodeInterval` makes the compressed form). */
  interval(iv: RawInterval): void;
  done(final: ThreadFinal): void;
}

/** Options of load-loop.ts' `LoadLoop`. */
export interface LoadLoopOptions {
  plan: LoadPlan;
  /** This thread's index. */
  thread: number;
  /** Global indices `[start, end)` of the connections this thread owns. */
  connections: [number, number];
  /** Opens one connection. */
  open: DriverFactory;
  /** Monotonic clock, ms (default performance.now). Driver receive times must use the same clock. */
  clock?: () => number;
  /** Interval length, ms (default 1000). */
  intervalMs?: number;
  /** The loop's timers (default: Node's, on `clock`); a test passes a simulated event loop. */
  timers?: LoopTimers;
}
