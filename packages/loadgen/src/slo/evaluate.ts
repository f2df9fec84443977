/**
 * Judging a run against parsed SLOs ({@link ./parse.ts}): the measured value of each, in the
 * expression's unit, and whether it held. Pure over a {@link RunReport}, so `run`, `compare`, `sweep`
 * (per step) and a saved report all judge the same way.
 */
import { UsageError } from '../errors.js';
import { decodeHistogram, type Histogram } from '../histogram.js';
import type { LoadPlan } from '../options.js';
import type { RunReport } from '../report/schema.js';
import type { Slo, SloOperator } from './parse.js';

/** One SLO's verdict on one run, as the JSON report keeps it in `runs[i].slo[]`. */
export interface SloResult {
  /** The expression as given (trimmed), e.g. `p99<5ms`. */
  expr: string;
  /**
   * The measured value in the expression's unit (`unit`): ms for `p99<5ms`, percent for `loss<1%`,
   * Mbit/s for `throughput>=500Mbit/s`, requests for `errors==0`. Null when there was nothing to
   * measure (a percentile with no completed request, a loss with nothing sent): the SLO then fails.
   */
  value: number | null;
  /** The threshold, in the same unit. */
  threshold: number;
  /** The expression's unit as written (`ms`, `%`, `Mbit/s`; `''` for errors). */
  unit: string;
  held: boolean;
}

/** Why `rate` cannot judge a closed-loop run: it has no intended rate. */
function closedLoopRate(slo: Slo): UsageError {
  return new UsageError(`--slo ${JSON.stringify(slo.expr)}: rate (completed ÷ intended req/s) applies to open loop only (--rate); this run is closed loop`);
}

/**
 * Refuses SLOs that cannot judge a plan, before it runs: `rate` on a closed-loop plan.
 * @throws UsageError naming the expression
 */
export function checkSlosApply(slos: readonly Slo[], plan: LoadPlan): void {
  for (const slo of slos) {
    if (slo.metric === 'rate' && plan.rate === null) throw closedLoopRate(slo);
    if (slo.metric === 'jitter') throw new UsageError(`--slo ${JSON.stringify(slo.expr)}: jitter is measured by stream runs (sockbench-loadgen stream, compare --mode stream); a request/response run has latency percentiles instead`);
  }
}

function compare(a: number, op: SloOperator, b: number): boolean {
  switch (op) {
    case '<':
      return a < b;
    case '<=':
      return a <= b;
    case '>':
      return a > b;
    case '>=':
      return a >= b;
    case '==':
      return a === b;
  }
}

/**
 * The measured value of `slo` on `run`, in base units (µs, percent, requests, bit/s), or null when
 * there is nothing to measure. Latency percentiles come from the run's latency histogram (open loop:
 * corrected for coordinated omission), exactly as HdrHistogram reports them; `rate` divides completed
 * requests per second by the intended rate (`selfCheck.intendedRate`, which counts every merged
 * generator); `throughput` is the payload layer (`results.mbitPerSec.payload`).
 * @param latency the run's decoded latency histogram, when the caller has it already
 * @throws UsageError for `rate` on a closed-loop run
 */
export function measureSlo(slo: Slo, run: RunReport, latency?: Histogram): number | null {
  switch (slo.metric) {
    case 'percentile': {
      const h = latency ?? decodeHistogram(run.histograms.latency);
      return h.totalCount === 0 ? null : h.getValueAtPercentile(slo.percentile!);
    }
    case 'loss':
      return run.counters.sent === 0 ? null : run.results.lossPercent;
    case 'errors':
      return run.counters.errors;
    case 'rate': {
      const intended = run.selfCheck.intendedRate ?? run.plan.rate;
      if (intended === null) throw closedLoopRate(slo);
      return (100 * run.results.requestsPerSec) / intended;
    }
    case 'throughput':
      return run.results.mbitPerSec.payload * 1e6;
    case 'jitter':
      throw new UsageError(`--slo ${JSON.stringify(slo.expr)}: jitter is measured by stream runs only`);
  }
}

/**
 * Judges every SLO on one run. The comparison is made in the expression's unit (the measured value
 * divided by the unit's scale), so `p99<=1.1ms` holds at exactly 1,100 µs.
 * @throws UsageError for `rate` on a closed-loop run (see {@link checkSlosApply})
 */
export function evaluateSlos(slos: readonly Slo[], run: RunReport): SloResult[] {
  const latency = slos.some((s) => s.metric === 'percentile') ? decodeHistogram(run.histograms.latency) : undefined;
  return slos.map((slo) => {
    const base = measureSlo(slo, run, latency);
    const value = base === null ? null : base / slo.scale;
    return { expr: slo.expr, value, threshold: slo.threshold, unit: slo.unit, held: value !== null && compare(value, slo.op, slo.threshold) };
  });
}

/** The SLOs of `results` that failed. */
export function failedSlos(results: readonly SloResult[] | undefined): SloResult[] {
  return (results ?? []).filter((r) => !r.held);
}
