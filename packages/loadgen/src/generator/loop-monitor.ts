/**
 * The generator thread watching itself: event-loop delay (`perf_hooks.monitorEventLoopDelay`) and
 * event-loop utilization over the measured window and drain, so a report can say whether the
 * generator, not the target, was the bottleneck (see report/self-check.ts).
 */
import { monitorEventLoopDelay, performance, type EventLoopUtilization, type IntervalHistogram } from 'node:perf_hooks';

/** Sampling period of the event-loop delay monitor, ms; each sample is period + delay, so it is subtracted. */
export const LOOP_DELAY_RESOLUTION_MS = 10;

/** What the monitor saw: delay percentiles in ms (resolution subtracted), utilization 0..1. */
export interface LoopHealth {
  loopDelayMs: { p50: number; p99: number; max: number };
  utilization: number;
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

  /** Stops watching and returns what it saw since {@link start}. */
  stop(): LoopHealth {
    const d = this.#delay;
    const elu = performance.eventLoopUtilization(this.#elu);
    const health = { loopDelayMs: { p50: delayMs(d.percentile(50)), p99: delayMs(d.percentile(99)), max: delayMs(d.max) }, utilization: elu.utilization };
    d.disable();
    return health;
  }

  /** Stops the sampling timer without reading it (abort). Idempotent. */
  close(): void {
    this.#delay.disable();
  }
}
