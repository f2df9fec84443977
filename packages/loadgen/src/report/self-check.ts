/**
 * The generator's verdict on itself: did it keep its own plan, or was it the bottleneck? A load
 * generator that cannot keep up measures itself, not the server (wrk2's and sockperf's warning).
 */
import type { LoadPlan } from '../options.js';
import type { ThreadCheck } from './schema.js';

/** A thread busier than this share of the time is saturated. */
export const BUSY_LIMIT = 0.9;
/** Event-loop delay p99 past this, ms, delays sends and receipts by that much. */
export const LOOP_DELAY_LIMIT_MS = 20;
/** Open loop: sending less than this share of the intended rate is a shortfall. */
export const RATE_SHORTFALL = 0.95;

/** Inputs of {@link judge}. */
export interface JudgeInput {
  plan: LoadPlan;
  /** Plan rate times the number of merged generators, req/s (null in closed loop). */
  intendedRate: number | null;
  achievedRate: number;
  sendSlipUs: { p50: number; p99: number; max: number } | null;
  threads: readonly ThreadCheck[];
}

/** Decides whether the generator was the bottleneck and says so in one line. */
export function judge(input: JudgeInput): { generatorBound: boolean; verdict: string } {
  const busiest = input.threads.reduce<ThreadCheck | null>((a, t) => (a === null || t.utilization > a.utilization ? t : a), null);
  const worstDelay = input.threads.reduce((m, t) => Math.max(m, t.loopDelayMs.p99), 0);
  const busyPct = busiest ? Math.round(busiest.utilization * 100) : 0;
  const slip = input.sendSlipUs ? `, send slip p99 ${(input.sendSlipUs.p99 / 1000).toFixed(2)} ms` : '';
  const shortfall = input.intendedRate !== null && input.achievedRate < RATE_SHORTFALL * input.intendedRate;
  const busy = busiest !== null && busiest.utilization > BUSY_LIMIT;
  // Open loop threads spin (setImmediate) through sub-millisecond gaps between sends, so being busy
  // is normal there; what shows a generator falling behind is a late event loop or a rate shortfall
  // while busy. Closed loop threads only wait on I/O, so busy means saturated.
  const saturated = worstDelay > LOOP_DELAY_LIMIT_MS || (busy && (input.intendedRate === null || shortfall));
  if (saturated) {
    const rate = shortfall ? `sent ${Math.round(input.achievedRate)} of ${Math.round(input.intendedRate!)} req/s intended; ` : '';
    return {
      generatorBound: true,
      verdict: `generator-bound: ${rate}thread ${busiest?.thread ?? '?'} busy ${busyPct}% of the time, event-loop delay p99 ${worstDelay.toFixed(1)} ms${slip}; the numbers measure the generator, not the server (add --threads or generator machines)`,
    };
  }
  if (shortfall) {
    return {
      generatorBound: false,
      verdict: `target-bound: sent ${Math.round(input.achievedRate)} of ${Math.round(input.intendedRate!)} req/s intended while generator threads were at most ${busyPct}% busy (sends waited on replies or TCP backpressure)`,
    };
  }
  const rate = input.intendedRate !== null ? `sent ${Math.round(input.achievedRate)} of ${Math.round(input.intendedRate)} req/s intended, ` : '';
  return {
    generatorBound: false,
    verdict: `generator kept up: ${rate}threads at most ${busyPct}% busy, event-loop delay p99 ${worstDelay.toFixed(1)} ms${slip}`,
  };
}
