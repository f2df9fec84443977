/**
 * The sweep's step rule, pure over the outcomes so far: ramp the open-loop rate geometrically from
 * `from` (×`factor` a step, capped at `to`) while steps hold; at the first step that fails, bisect
 * between the highest step that held and the lowest that failed (geometric midpoint) until their
 * ratio is within `resolution`. A generator-bound step, a step that could not run, or the step cap
 * ends the transport without a knee: a knee is only ever reported between a step that held and one
 * that failed on the target's side.
 */

/** How the rate steps, req/s; `resolution` is a fraction (0.05 = 5 %). */
export interface SweepSchedule {
  /** First step's rate, req/s. */
  from: number;
  /** Ramp multiplier per step (> 1). */
  factor: number;
  /** Highest rate to try, req/s; null: no cap but `maxSteps`. */
  to: number | null;
  /** Bisection ends once lowest failed ÷ highest held ≤ 1 + resolution. */
  resolution: number;
  /** Steps per transport at most (ramp and bisection together). */
  maxSteps: number;
}

/**
 * A step's verdict: `held` (every SLO held, the run did not fail), `failed` (an SLO failed or the run
 * failed: the target did not carry the rate), `generator-bound` (the self-check says the generator
 * limited the step), `error` (the step could not run: unreachable, a generator thread died),
 * `interrupted` (Ctrl-C).
 */
export type StepVerdict = 'held' | 'failed' | 'generator-bound' | 'error' | 'interrupted';

/** One step already run. */
export interface StepOutcome {
  rate: number;
  verdict: StepVerdict;
  /** One line: what failed and its value, the self-check's verdict, or the error. */
  reason: string;
}

/** What to do next: run a step at `rate`, or stop (with the index of the knee step, or none). */
export type NextStep =
  | { kind: 'step'; rate: number; phase: 'ramp' | 'bisect' }
  | { kind: 'done'; found: boolean; knee: number | null; reason: string };

function fmt(rate: number): string {
  return `${Math.round(rate).toLocaleString('en-US')} req/s`;
}

/**
 * The next step after `outcomes` (in the order run). Rates are rounded to whole req/s; a bisection
 * whose rounded midpoint equals an end has reached the resolution rates can have.
 * `knee` indexes `outcomes`: the highest rate that held (also on `found: false`, when some step held,
 * as a lower bound).
 */
export function nextStep(s: SweepSchedule, outcomes: readonly StepOutcome[]): NextStep {
  if (outcomes.length === 0) return { kind: 'step', rate: Math.round(s.from), phase: 'ramp' };
  let good = -1;
  let bad = -1;
  outcomes.forEach((o, i) => {
    if (o.verdict === 'held' && (good < 0 || o.rate > outcomes[good]!.rate)) good = i;
    if (o.verdict === 'failed' && (bad < 0 || o.rate < outcomes[bad]!.rate)) bad = i;
  });
  const knee = good < 0 ? null : good;
  const last = outcomes[outcomes.length - 1]!;
  const at = fmt(last.rate);
  if (last.verdict === 'generator-bound') return { kind: 'done', found: false, knee, reason: `generator-bound at ${at}: ${last.reason.replace(/^generator-bound: /, '')}` };
  if (last.verdict === 'error') return { kind: 'done', found: false, knee, reason: `the step at ${at} could not run: ${last.reason}` };
  if (last.verdict === 'interrupted') return { kind: 'done', found: false, knee, reason: `interrupted at ${at}` };
  if (bad >= 0 && good < 0) return { kind: 'done', found: false, knee, reason: `the first step (${fmt(outcomes[bad]!.rate)}) already failed: ${outcomes[bad]!.reason}; start lower (--from)` };
  if (bad < 0) {
    const top = outcomes[good]!.rate;
    if (s.to !== null && top >= s.to) return { kind: 'done', found: false, knee, reason: `held up to --to ${fmt(s.to)}: the knee is higher` };
    if (outcomes.length >= s.maxSteps) return { kind: 'done', found: false, knee, reason: `--max-steps ${s.maxSteps} reached while still holding at ${fmt(top)}` };
    const next = Math.max(top + 1, Math.round(top * s.factor));
    return { kind: 'step', rate: s.to === null ? next : Math.min(next, s.to), phase: 'ramp' };
  }
  const lo = outcomes[good]!.rate;
  const hi = outcomes[bad]!.rate;
  const bracket = `between ${fmt(lo)} (held) and ${fmt(hi)} (failed: ${outcomes[bad]!.reason})`;
  const mid = Math.round(Math.sqrt(lo * hi));
  if (hi / lo <= 1 + s.resolution || mid <= lo || mid >= hi) return { kind: 'done', found: true, knee, reason: `knee ${bracket}` };
  if (outcomes.length >= s.maxSteps) return { kind: 'done', found: false, knee, reason: `--max-steps ${s.maxSteps} reached with the knee ${bracket}, wider than --resolution` };
  return { kind: 'step', rate: mid, phase: 'bisect' };
}
