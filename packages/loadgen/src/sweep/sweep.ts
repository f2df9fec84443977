/**
 * Running a sweep: for each transport in turn, steps chosen by {@link nextStep} until it stops,
 * each step one open-loop run judged by its SLOs and the generator's self-check ({@link judgeStep}).
 * The runs themselves come from the caller (`runStep`), so the CLI runs real plans and the tests can
 * feed synthetic reports through the same rule.
 */
import { LoadgenError } from '../errors.js';
import type { Transport } from '../options.js';
import { failureReason } from '../report/failure.js';
import type { RunReport } from '../report/schema.js';
import { failedSlos } from '../slo/evaluate.js';
import { formatFailed } from '../slo/format.js';
import { nextStep, type StepOutcome, type StepVerdict, type SweepSchedule } from './schedule.js';

/** One step as the sweep's JSON keeps it (`sweep.steps[]`). */
export interface SweepStep {
  transport: Transport;
  /** Step number within its transport, from 1. */
  step: number;
  phase: 'ramp' | 'bisect';
  /** Offered (intended) rate, req/s. */
  rate: number;
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
  /** Offered rate of the knee step, req/s. */
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

/** The knee record from the steps of one transport and the rule's last answer. */
export function kneeOf(steps: readonly SweepStep[], found: boolean, knee: number | null, reason: string): Knee {
  const run = knee === null ? null : steps[knee]!.run;
  if (run === null) return { found: false, rate: null, achieved: null, p50: null, p99: null, lossPercent: null, mbitPerSec: null, reason };
  return {
    found,
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
  /** Runs one step and evaluates its SLOs; a thrown LoadgenError becomes an `error` step. */
  runStep(transport: Transport, rate: number, step: number, phase: 'ramp' | 'bisect'): Promise<RunReport>;
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
  const result: SweepResult = { schedule: input.schedule, slo: input.slo, knees: {}, steps: [], interrupted: false };
  for (const transport of input.transports) {
    if (result.interrupted || input.stopped?.()) {
      result.interrupted = true;
      result.knees[transport] = kneeOf([], false, null, 'not run: interrupted');
      continue;
    }
    const steps: SweepStep[] = [];
    for (;;) {
      const outcomes: StepOutcome[] = steps.map((s) => ({ rate: s.rate, verdict: s.verdict, reason: s.reason }));
      let next = nextStep(input.schedule, outcomes);
      if (next.kind === 'step' && input.stopped?.()) next = { kind: 'done', found: false, knee: kneeIndex(outcomes), reason: 'interrupted' };
      if (next.kind === 'done') {
        result.knees[transport] = kneeOf(steps, next.found, next.knee, next.reason);
        break;
      }
      let step: SweepStep;
      try {
        const run = await input.runStep(transport, next.rate, steps.length + 1, next.phase);
        step = { transport, step: steps.length + 1, phase: next.phase, rate: next.rate, ...judgeStep(run), run };
      } catch (err) {
        if (!(err instanceof LoadgenError)) throw err;
        step = { transport, step: steps.length + 1, phase: next.phase, rate: next.rate, verdict: 'error', reason: err.message, run: null };
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
    if (o.verdict === 'held' && (best === null || o.rate > outcomes[best]!.rate)) best = i;
  });
  return best;
}
