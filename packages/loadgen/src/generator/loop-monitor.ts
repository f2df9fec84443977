/**
 * The generator thread watching itself: event-loop delay (`perf_hooks.monitorEventLoopDelay`) and
 * event-loop utilization over the measured window and drain, so a report can say whether the
 * generator, not the target, was the bottleneck (see report/self-check.ts). Event-loop utilization
 * counts a pacer's busy wait as busy; the pacer measures that wait (open-loop.ts) and
 * {@link threadLoad} takes it out, so `utilization` is the share of the time spent on work.
 */
import { monitorEventLoopDelay, performance, type EventLoopUtilization, type IntervalHistogram } from 'node:perf_hooks';

/** Sampling period of the event-loop delay monitor, ms; each sample is period + delay, so it is subtracted. */
export const LOOP_DELAY_RESOLUTION_MS = 10;

/** How a thread spent its time, shares 0..1 of the time watched. */
export interface ThreadLoad {
  /** Work: sending, receiving, recording (event-loop busy time less the pacer's busy wait). */
  utilization: number;
  /** The pacer busy-waiting for send times: CPU spent, no work done (0 unless `--pacing spin`). */
  pacerWaiting: number;
  /** Event-loop utilization as Node measures it: `utilization + pacerWaiting`. */
  eventLoopUtilization: number;
}

/** What the monitor saw: delay percentiles in ms (resolution subtracted), and the thread's load. */
export interface LoopHealth extends ThreadLoad {
  loopDelayMs: { p50: number; p99: number; max: number };
}

/**
 * Splits event-loop busy time into work and the pacer's waiting.
 * @param activeMs event-loop busy time, ms (`eventLoopUtilization().active`)
 * @param idleMs event-loop idle time, ms (waiting in the kernel for I/O or a timer)
 * @param waitingMs the pacer's busy wait within `activeMs`, ms (clamped to 0..activeMs)
 */
export function threadLoad(activeMs: number, idleMs: number, waitingMs: number): ThreadLoad {
  const total = activeMs + idleMs;
  if (!(total > 0)) return { utilization: 0, pacerWaiting: 0, eventLoopUtilization: 0 };
  const active = Math.max(0, activeMs);
  const waiting = Math.min(Math.max(0, waitingMs), active);
  return { utilization: (active - waiting) / total, pacerWaiting: waiting / total, eventLoopUtilization: active / total };
}

/** A delay sample of the monitor (ns, period included) as delay alone, ms; 0 for no sample. */
export function delayMs(ns: number): number {
  return Number.isFinite(ns) && ns > 0 ? Math.max(0, ns / 1e6 - LOOP_DELAY_RESOLUTION_MS) : 0;
}

/** Event-loop delay and utilization of this thread between {@link start} and {@link stop}. */
export class LoopMonitor {
  readonly #delay: IntervalHistogram = monitorEventLoopDelay({ resolution: LOOP_DELAY_RESOLUTION_MS });
  #elu: EventLoopUtilization = performance.eventLoopUtilization();

  /** Starts watching (again: utilization counts from here). */
  start(): void {
    this.#delay.enable();
    this.#elu = performance.eventLoopUtilization();
  }

  /**
   * Stops watching and returns what it saw since {@link start}.
   * @param pacerWaitingMs the pacer's busy wait over the same time, ms (see {@link threadLoad})
   */
  stop(pacerWaitingMs = 0): LoopHealth {
    const d = this.#delay;
    const elu = performance.eventLoopUtilization(this.#elu);
    const health = { loopDelayMs: { p50: delayMs(d.percentile(50)), p99: delayMs(d.percentile(99)), max: delayMs(d.max) }, ...threadLoad(elu.active, elu.idle, pacerWaitingMs) };
    d.disable();
    return health;
  }

  /** Stops the sampling timer without reading it (abort). Idempotent. */
  close(): void {
    this.#delay.disable();
  }
}
