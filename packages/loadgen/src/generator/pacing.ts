/**
 * How an open loop waits for its next send time (`--pacing`). Node's timers wait whole milliseconds,
 * so a send due in less than a millisecond either leaves late or the thread does not sleep:
 *
 *   spin   sleep on a timer for the whole milliseconds, then go round the event loop (setImmediate)
 *          until the send is due. Slip: one loop turn (µs) while the loop is free. Cost: the thread
 *          never sleeps once sends are under 1 ms apart (~1,000 req/s per thread and up): a core each.
 *   timer  sleep on a timer until the send is due, rounded up to whole ms, then send everything due
 *          (wrk2's `usec_to_next_send` → `aeCreateTimeEvent(round(µs/1000 + 0.5) ms)`). Slip: up to
 *          ~1 ms plus the timer's own lateness. Cost: one wake per ms at most.
 *
 * Slip lands in the corrected latency either way (it counts from the scheduled time, as it must), so
 * timer pacing adds up to ~1 ms to latencies that are in truth sub-millisecond: spin is the default,
 * for a generator on a machine of its own; timer is for a generator sharing a host with its target.
 * Both wait through the event loop, never blocking it, so replies are stamped when they arrive.
 */
import type { LoopTimers } from './timer-set.js';

/** The pacing modes of `--pacing`. */
export const PACINGS = ['spin', 'timer'] as const;
/** One of {@link PACINGS}. */
export type Pacing = (typeof PACINGS)[number];
/** The default pacing: precise, for a generator on a machine of its own. */
export const DEFAULT_PACING: Pacing = 'spin';

/** Arranges an open loop's next tick. */
export interface Pacer {
  /**
   * Calls `tick` at `whenMs` on the loop's clock (`nowMs` is now), or as soon after as this pacing can.
   * @returns true when the thread busy-waits until then (the wait costs CPU), false when it sleeps
   *   or the tick is due now
   */
  wake(tick: () => void, whenMs: number, nowMs: number): boolean;
}

/** {@link Pacing} `spin`: whole ms on a timer, the rest round the event loop. */
export class SpinPacer implements Pacer {
  readonly #timers: LoopTimers;

  constructor(timers: LoopTimers) {
    this.#timers = timers;
  }

  wake(tick: () => void, whenMs: number, nowMs: number): boolean {
    const delay = whenMs - nowMs;
    // setTimeout cannot wait less than 1 ms; a sooner send goes on the next turn of the loop.
    if (delay < 1) {
      this.#timers.soon(tick);
      return delay > 0;
    }
    this.#timers.wake(Math.floor(delay), tick);
    return false;
  }
}

/** {@link Pacing} `timer`: one timer to the due time, rounded up to whole ms; never a busy wait. */
export class TimerPacer implements Pacer {
  readonly #timers: LoopTimers;

  constructor(timers: LoopTimers) {
    this.#timers = timers;
  }

  wake(tick: () => void, whenMs: number, nowMs: number): boolean {
    const delay = whenMs - nowMs;
    if (delay <= 0) this.#timers.soon(tick); // due already: run it, nothing to wait for
    else this.#timers.wake(Math.ceil(delay), tick);
    return false;
  }
}

/** The pacer of a mode. */
export function createPacer(pacing: Pacing, timers: LoopTimers): Pacer {
  return pacing === 'timer' ? new TimerPacer(timers) : new SpinPacer(timers);
}
