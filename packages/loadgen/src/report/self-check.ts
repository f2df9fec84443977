/**
 * The generator's verdict on itself: did it keep its own plan, or was it the bottleneck? A load
 * generator that cannot keep up measures itself, not the server (wrk2's and sockperf's warning).
 */
import type { LoadPlan } from '../options.js';
import type { ThreadCheck } from './schema.js';

/** A thread doing work more than this share of the time is saturated (a pacer's busy wait is no work). */
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

/**
 * Decides whether the generator was the bottleneck and says so in one line. Busy is work only
 * (`utilization`: a spin pacer's waiting is taken out and named apart), so a thread past
 * {@link BUSY_LIMIT} is saturated in either loop, as is one whose event loop runs late.
 */
export function judge(input: JudgeInput): { generatorBound: boolean; verdict: string } {
  const busiest = input.threads.reduce<ThreadCheck | null>((a, t) => (a === null || t.utilization > a.utilization ? t : a), null);
  const worstDelay = input.threads.reduce((m, t) => Math.max(m, t.loopDelayMs.p99), 0);
  const mostWaiting = input.threads.reduce((m, t) => Math.max(m, t.pacerWaiting), 0);
  const busyPct = busiest ? Math.round(busiest.utilization * 100) : 0;
  const waitPct = Math.round(mostWaiting * 100);
  const waiting = waitPct > 0 ? ` (plus up to ${waitPct}% spin-waiting for send times, --pacing spin)` : '';
  const slip = input.sendSlipUs ? `, send slip p99 ${(input.sendSlipUs.p99 / 1000).toFixed(2)} ms` : '';
  const shortfall = input.intendedRate !== null && input.achievedRate < RATE_SHORTFALL * input.intendedRate;
  const busy = busiest !== null && busiest.utilization > BUSY_LIMIT;
  if (worstDelay > LOOP_DELAY_LIMIT_MS || busy) {
    const rate = shortfall ? `sent ${Math.round(input.achievedRate)} of ${Math.round(input.intendedRate!)} req/s intended; ` : '';
    return {
      generatorBound: true,
      verdict: `generator-bound: ${rate}thread ${busiest?.thread ?? '?'} busy ${busyPct}% of the time${waiting}, event-loop delay p99 ${worstDelay.toFixed(1)} ms${slip}; the numbers measure the generator, not the server (add --threads or generator machines)`,
    };
  }
  if (shortfall) {
    return {
      generatorBound: false,
      verdict: `target-bound: sent ${Math.round(input.achievedRate)} of ${Math.round(input.intendedRate!)} req/s intended while generator threads were at most ${busyPct}% busy${waiting} (sends waited on replies or TCP backpressure)`,
    };
  }
  const rate = input.intendedRate !== null ? `sent ${Math.round(input.achievedRate)} of ${Math.round(input.intendedRate)} req/s intended, ` : '';
  return {
    generatorBound: false,
    verdict: `generator kept up: ${rate}threads at most ${busyPct}% busy${waiting}, event-loop delay p99 ${worstDelay.toFixed(1)} ms${slip}`,
  };
}
