/**
 * The sweep's step rule, pure over the outcomes so far: ramp the dimension's value (the open-loop
 * rate, the connections, the pipeline depth or the size) geometrically from `from` (×`factor` a
 * step, capped at `to`) or through a given list while steps hold; at the first step that fails, bisect
 * between the highest step that held and the lowest that failed (geometric midpoint) until their
 * ratio is within `resolution`. A generator-bound step, a step that could not run, or the step cap
 * ends the transport without a knee: a knee is only ever reported between a step that held and one
 * that failed on the target's side.
 */

/**
 * What a sweep steps, one per sweep: the open-loop `rate` (req/s, `--from/--factor/--to`), or in
 * closed loop the `connections` (`--connections-list`) or the `pipeline` depth per connection
 * (`--pipeline-list`), or the payload `size` (bytes, `--sizes`; open loop with `--rate`, else
 * closed). Every value is a whole number.
 */
export const SWEEP_DIMENSIONS = ['rate', 'connections', 'pipeline', 'size'] as const;
/** One of {@link SWEEP_DIMENSIONS}. */
export type SweepDimension = (typeof SWEEP_DIMENSIONS)[number];

/** The flag that gives each dimension's steps. */
export const DIMENSION_FLAGS: Readonly<Record<SweepDimension, string>> = { rate: '--from', connections: '--connections-list', pipeline: '--pipeline-list', size: '--sizes' };

/**
 * How the steps go: the dimension's values ramp from `from` ×`factor` a step (capped at `to`), or
 * through `list` in order, then bisect. Units: the dimension's (req/s, connections, requests in
 * flight per connection, bytes); `resolution` is a fraction (0.05 = 5 %).
 */
export interface SweepSchedule {
  /** What is stepped (absent in reports written before the other dimensions: `rate`). */
  dimension: SweepDimension;
  /** First step's value. */
  from: number;
  /** Ramp multiplier per step (> 1); null when `list` gives the steps. */
  factor: number | null;
  /** Highest value to try; null: no cap but `maxSteps`. */
  to: number | null;
  /** The ramp's values, increasing (`--connections-list 1,4,16,64`); null for a `from`/`factor`/`to` ramp. */
  list: number[] | null;
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
  /** The step's value in the sweep's dimension. */
  value: number;
  verdict: StepVerdict;
  /** One line: what failed and its value, the self-check's verdict, or the error. */
  reason: string;
}

/** What to do next: run a step at `value`, or stop (with the index of the knee step, or none). */
export type NextStep =
  | { kind: 'step'; value: number; phase: 'ramp' | 'bisect' }
  | { kind: 'done'; found: boolean; knee: number | null; reason: string };

/**
 * A dimension's value as the lines say it: `1,000 req/s`, `16 connections`, `pipeline 8`, `1,400 B`.
 */
export function formatStepValue(dimension: SweepDimension, value: number): string {
  const n = Math.round(value).toLocaleString('en-US');
  switch (dimension) {
    case 'rate':
      return `${n} req/s`;
    case 'connections':
      return `${n} connection${value === 1 ? '' : 's'}`;
    case 'pipeline':
      return `pipeline ${n}`;
    case 'size':
      return `${n} B`;
  }
}

/**
 * The next step after `outcomes` (in the order run). Values are rounded to whole numbers; a
 * bisection whose rounded midpoint equals an end has reached the resolution the values can have.
 * `knee` indexes `outcomes`: the highest value that held (also on `found: false`, when some step
 * held, as a lower bound).
 */
export function nextStep(s: SweepSchedule, outcomes: readonly StepOutcome[]): NextStep {
  const fmt = (v: number): string => formatStepValue(s.dimension, v);
  const first = s.list !== null ? s.list[0]! : Math.round(s.from);
  if (outcomes.length === 0) return { kind: 'step', value: first, phase: 'ramp' };
  let good = -1;
  let bad = -1;
  outcomes.forEach((o, i) => {
    if (o.verdict === 'held' && (good < 0 || o.value > outcomes[good]!.value)) good = i;
    if (o.verdict === 'failed' && (bad < 0 || o.value < outcomes[bad]!.value)) bad = i;
  });
  const knee = good < 0 ? null : good;
  const last = outcomes[outcomes.length - 1]!;
  const at = fmt(last.value);
  if (last.verdict === 'generator-bound') return { kind: 'done', found: false, knee, reason: `generator-bound at ${at}: ${last.reason.replace(/^generator-bound: /, '')}` };
  if (last.verdict === 'error') return { kind: 'done', found: false, knee, reason: `the step at ${at} could not run: ${last.reason}` };
  if (last.verdict === 'interrupted') return { kind: 'done', found: false, knee, reason: `interrupted at ${at}` };
  const flag = DIMENSION_FLAGS[s.dimension];
  if (bad >= 0 && good < 0) return { kind: 'done', found: false, knee, reason: `the first step (${fmt(outcomes[bad]!.value)}) already failed: ${outcomes[bad]!.reason}; start lower (${flag})` };
  if (bad < 0) {
    const top = outcomes[good]!.value;
    const end = s.list !== null ? s.list[s.list.length - 1]! : s.to;
    if (end !== null && top >= end) {
      const where = s.dimension === 'rate' ? `--to ${fmt(end)}` : `${fmt(end)}, the end of ${flag}`;
      return { kind: 'done', found: false, knee, reason: `held up to ${where}: the knee is higher` };
    }
    if (outcomes.length >= s.maxSteps) return { kind: 'done', found: false, knee, reason: `--max-steps ${s.maxSteps} reached while still holding at ${fmt(top)}` };
    if (s.list !== null) return { kind: 'step', value: s.list.find((v) => v > top)!, phase: 'ramp' };
    const next = Math.max(top + 1, Math.round(top * s.factor!));
    return { kind: 'step', value: end === null ? next : Math.min(next, end), phase: 'ramp' };
  }
  const lo = outcomes[good]!.value;
  const hi = outcomes[bad]!.value;
  const bracket = `between ${fmt(lo)} (held) and ${fmt(hi)} (failed: ${outcomes[bad]!.reason})`;
  const mid = Math.round(Math.sqrt(lo * hi));
  if (hi / lo <= 1 + s.resolution || mid <= lo || mid >= hi) return { kind: 'done', found: true, knee, reason: `knee ${bracket}` };
  if (outcomes.length >= s.maxSteps) return { kind: 'done', found: false, knee, reason: `--max-steps ${s.maxSteps} reached with the knee ${bracket}, wider than --resolution` };
  return { kind: 'step', value: mid, phase: 'bisect' };
}
