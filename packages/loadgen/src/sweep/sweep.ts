/**
 * Running a sweep: for each transport in turn, steps chosen by {@link nextStep} until it stops,
 * each step one run judged by its SLOs and the generator's self-check ({@link judgeStep}) and, for
 * the closed-loop concurrency dimensions, by how its throughput scaled ({@link judgeScaling}).
 * The runs themselves come from the caller (`runStep`), so the CLI runs real plans and the tests can
 * feed synthetic reports through the same rule.
 */
import { LoadgenError, TargetUnreachable } from '../errors.js';
import type { Transport } from '../options.js';
import { failureReason } from '../report/failure.js';
import type { RunReport } from '../report/schema.js';
import { failedSlos } from '../slo/evaluate.js';
import { formatFailed } from '../slo/format.js';
import { formatStepValue, nextStep, type StepOutcome, type StepVerdict, type SweepDimension, type SweepSchedule } from './schedule.js';

/** One step as the sweep's JSON keeps it (`sweep.steps[]`). */
export interface SweepStep {
  transport: Transport;
  /** Step number within its transport, from 1. */
  step: number;
  phase: 'ramp' | 'bisect';
  /** What the sweep steps (absent in reports written before the other dimensions: `rate`). */
  dimension: SweepDimension;
  /** The step's value in `dimension`: req/s, connections, requests in flight per connection, or bytes. */
  value: number;
  /** Offered (intended) rate, req/s; null for a closed-loop step. */
  rate: number | null;
  verdict: StepVerdict;
  reason: string;
  /** The step's whole run report (histograms included), with its `slo[]`; null when it could not run. */
  run: RunReport | null;
}

/**
 * The knee of one transport (`sweep.knees.{TRANSPORT}`): the highest step that held. With
 * `found: false` the figures are still the highest step that held (a lower bound), or null when
 * none held; `reason` says why the sweep stopped either way. Units: req/s, latencies µs, percent.
 */
export interface Knee {
  found: boolean;
  /** What the sweep stepped. */
  dimension: SweepDimension;
  /** The knee step's value in `dimension` (req/s, connections, pipeline depth, bytes); null when none held. */
  value: number | null;
  /** Offered rate of the knee step, req/s; null when none held or in closed loop. */
  rate: number | null;
  /** Completed requests per second at that step. */
  achieved: number | null;
  p50: number | null;
  p99: number | null;
  lossPercent: number | null;
  /** Payload throughput at that step, Mbit/s (10^6 bit/s). */
  mbitPerSec: number | null;
  reason: string;
}

/** The sweep's part of the JSON report (`sweep`). */
export interface SweepResult {
  schedule: SweepSchedule;
  /** The SLO expressions every step was judged by. */
  slo: string[];
  /**
   * Closed-loop concurrency sweeps (connections, pipeline): the least share of a step's growth in
   * concurrency its throughput must grow by over the highest step that held (0.5); null otherwise.
   */
  minScaling: number | null;
  knees: Partial<Record<Transport, Knee>>;
  steps: SweepStep[];
  /** True when Ctrl-C ended the sweep. */
  interrupted: boolean;
}

/**
 * A finished step's verdict: `interrupted` when the run was ended early; `generator-bound` when the
 * self-check says so (checked first: then the SLOs measured the generator, not the target);
 * `failed` when an SLO failed or the run failed; else `held`. `run.slo` must already be evaluated.
 */
export function judgeStep(run: RunReport): { verdict: StepVerdict; reason: string } {
  if (run.interrupted === true) return { verdict: 'interrupted', reason: 'interrupted' };
  if (run.selfCheck.generatorBound) return { verdict: 'generator-bound', reason: run.selfCheck.verdict };
  const missed = failedSlos(run.slo ?? []);
  const why = failureReason(run);
  if (missed.length > 0) return { verdict: 'failed', reason: formatFailed(missed) };
  if (why !== null) return { verdict: 'failed', reason: why };
  return { verdict: 'held', reason: 'every SLO held' };
}

/**
 * Closed-loop concurrency: a step whose SLOs held still fails when its throughput grew by less than
 * `minScaling` of its growth in concurrency over `below` (the highest step that held under it):
 * with 0.5, twice the connections must give at least 1.5 times the completed req/s. Null: it held.
 */
export function judgeScaling(dimension: SweepDimension, value: number, run: RunReport, below: SweepStep | undefined, minScaling: number): string | null {
  if (below?.run == null || minScaling <= 0) return null;
  const was = below.run.results.requestsPerSec;
  const now = run.results.requestsPerSec;
  const grew = value / below.value - 1;
  const gained = was > 0 ? now / was - 1 : Infinity;
  if (gained >= minScaling * grew) return null;
  const pct = (x: number): string => `${Math.round(100 * x)}%`;
  return `throughput ${gained < 0 ? `fell ${pct(-gained)}` : `grew ${pct(gained)}`} for ${pct(grew)} more than ${formatStepValue(dimension, below.value)} (--min-scaling ${pct(minScaling)}: at least ${pct(minScaling * grew)})`;
}

/**
 * A step that could not run: `error` (the transport stops), except in a size sweep over UDP where
 * the target answered smaller steps and now not even the reachability probe, which carries the
 * step's payload: that size does not get through (a path that loses fragmented datagrams), a
 * `failed` step at 100 % loss, not an unreachable target.
 */
export function judgeError(dimension: SweepDimension, transport: Transport, err: LoadgenError, anyHeld: boolean): { verdict: StepVerdict; reason: string } {
  const udp = transport === 'udp' || transport === 'raw-udp';
  if (dimension === 'size' && udp && anyHeld && err instanceof TargetUnreachable && err.osCode === 'ETIMEDOUT') {
    return { verdict: 'failed', reason: `no reply at all, loss 100% (${err.message})` };
  }
  return { verdict: 'error', reason: err.message };
}

/** The knee record from the steps of one transport and the rule's last answer. */
export function kneeOf(dimension: SweepDimension, steps: readonly SweepStep[], found: boolean, knee: number | null, reason: string): Knee {
  const run = knee === null ? null : steps[knee]!.run;
  if (run === null) return { found: false, dimension, value: null, rate: null, achieved: null, p50: null, p99: null, lossPercent: null, mbitPerSec: null, reason };
  return {
    found,
    dimension,
    value: steps[knee!]!.value,
    rate: steps[knee!]!.rate,
    achieved: run.results.requestsPerSec,
    p50: run.results.latencyUs.p50,
    p99: run.results.latencyUs.p99,
    lossPercent: run.results.lossPercent,
    mbitPerSec: run.results.mbitPerSec.payload,
    reason,
  };
}

/** What {@link runSweep} needs. */
export interface SweepInput {
  transports: readonly Transport[];
  schedule: SweepSchedule;
  slo: string[];
  /** See {@link SweepResult.minScaling}; null or absent: no scaling rule. */
  minScaling?: number | null;
  /** The offered rate of every step of a `size` sweep in open loop, req/s (for a step that could not run). */
  fixedRate?: number | null;
  /** Runs one step at `value` (in the schedule's dimension) and evaluates its SLOs; a thrown LoadgenError becomes an `error` step. */
  runStep(transport: Transport, value: number, step: number, phase: 'ramp' | 'bisect'): Promise<RunReport>;
  /** After each step (progress). */
  onStep?(step: SweepStep): void;
  /** True once the sweep should stop (Ctrl-C): no further step starts. */
  stopped?(): boolean;
}

/**
 * Runs every transport's steps in turn and returns the steps and knees. A transport whose step
 * errored stops; the next transport still runs. Ctrl-C (`stopped()`) stops after the current step.
 * @throws only what `runStep` throws that is not a LoadgenError (a bug)
 */
export async function runSweep(input: SweepInput): Promise<SweepResult> {
  const dimension = input.schedule.dimension;
  const minScaling = input.minScaling ?? null;
  const result: SweepResult = { schedule: input.schedule, slo: input.slo, minScaling, knees: {}, steps: [], interrupted: false };
  for (const transport of input.transports) {
    if (result.interrupted || input.stopped?.()) {
      result.interrupted = true;
      result.knees[transport] = kneeOf(dimension, [], false, null, 'not run: interrupted');
      continue;
    }
    const steps: SweepStep[] = [];
    for (;;) {
      const outcomes: StepOutcome[] = steps.map((s) => ({ value: s.value, verdict: s.verdict, reason: s.reason }));
      let next = nextStep(input.schedule, outcomes);
      if (next.kind === 'step' && input.stopped?.()) next = { kind: 'done', found: false, knee: kneeIndex(outcomes), reason: 'interrupted' };
      if (next.kind === 'done') {
        result.knees[transport] = kneeOf(dimension, steps, next.found, next.knee, next.reason);
        break;
      }
      const value = next.value;
      const head = { transport, step: steps.length + 1, phase: next.phase, dimension, value };
      let step: SweepStep;
      try {
        const run = await input.runStep(transport, value, steps.length + 1, next.phase);
        let judged = judgeStep(run);
        if (judged.verdict === 'held' && minScaling !== null) {
          const below = steps.filter((s) => s.verdict === 'held' && s.value < value).sort((a, b) => b.value - a.value)[0];
          const why = judgeScaling(dimension, value, run, below, minScaling);
          if (why !== null) judged = { verdict: 'failed', reason: why };
        }
        step = { ...head, rate: run.plan.rate, ...judged, run };
      } catch (err) {
        if (!(err instanceof LoadgenError)) throw err;
        const anyHeld = steps.some((x) => x.verdict === 'held');
        step = { ...head, rate: dimension === 'rate' ? value : (input.fixedRate ?? null), ...judgeError(dimension, transport, err, anyHeld), run: null };
      }
      steps.push(step);
      result.steps.push(step);
      input.onStep?.(step);
    }
    if (steps.some((s) => s.verdict === 'interrupted') || input.stopped?.()) result.interrupted = true;
  }
  return result;
}

/** Index of the highest held outcome, or null. */
function kneeIndex(outcomes: readonly StepOutcome[]): number | null {
  let best: number | null = null;
  outcomes.forEach((o, i) => {
    if (o.verdict === 'held' && (best === null || o.value > outcomes[best]!.value)) best = i;
  });
  return best;
}
