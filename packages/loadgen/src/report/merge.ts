/**
 * `merge`: reports taken with the same plan (on several generator machines, or several runs) added
 * into one. Histograms are added bucket by bucket (HdrHistogram's own `add`), so percentiles of the
 * merged report are exactly those of one histogram that had recorded every request.
 */
import { addCounters, emptyCounters } from '../counters.js';
import { PlanMismatchError, ReportFormatError } from '../errors.js';
import { encodeHistogram, mergeEncoded, summarize } from '../histogram.js';
import type { LoadPlan } from '../options.js';
import { deriveResults, REPORT_SCHEMA, REPORT_VERSION, type CpuUse, type IntervalReport, type Report, type RunReport } from './schema.js';
import { addIntervalParts } from './intervals.js';
import { judge } from './self-check.js';

/**
 * Plan fields that must match for reports to add up. `threads` is left out: it is how one machine
 * spreads its share of the load, not the load itself.
 */
export const MERGE_KEYS = ['host', 'port', 'transport', 'connections', 'op', 'size', 'iterations', 'durationMs', 'requests', 'warmupMs', 'pipeline', 'rate', 'pacing', 'timeoutMs'] as const satisfies readonly (keyof LoadPlan)[];

/** Every field of {@link MERGE_KEYS} where `a` and `b` differ, as `field: a vs b`. */
export function planDifferences(a: LoadPlan, b: LoadPlan): string[] {
  const out: string[] = [];
  for (const k of MERGE_KEYS) {
    if (a[k] !== b[k]) out.push(`${k}: ${String(a[k])} vs ${String(b[k])}`);
  }
  return out;
}

function mergeIntervals(runs: readonly RunReport[]): IntervalReport[] {
  const byIndex = new Map<number, IntervalReport[]>();
  for (const r of runs) for (const iv of r.intervals) byIndex.set(iv.index, [...(byIndex.get(iv.index) ?? []), iv]);
  return [...byIndex.entries()].sort(([a], [b]) => a - b).map(([index, ivs]) => addIntervalParts(index, ivs));
}

function mergeOptional(all: readonly (string | null)[]): string | null {
  const present = all.filter((x): x is string => x !== null);
  return present.length === 0 ? null : encodeHistogram(mergeEncoded(present));
}

/** Why a merged run has no server view. */
export const MERGED_SERVER_MISSING = "not added up by merge: each generator's STATS snapshots hold the whole server, the other generators' traffic included (see each input report)";

/** The generators' CPU added: time summed, cores summed, µs per request over every completed request. */
function mergeCpu(runs: readonly RunReport[], completed: number): CpuUse | null {
  if (runs.some((r) => r.generatorCpu === null)) return null;
  const all = runs.map((r) => r.generatorCpu!);
  const userUs = all.reduce((n, c) => n + c.userUs, 0);
  const systemUs = all.reduce((n, c) => n + c.systemUs, 0);
  return { userUs, systemUs, usPerRequest: completed > 0 ? (userUs + systemUs) / completed : null, cores: all.reduce((n, c) => n + c.cores, 0) };
}

/** The window fields of merged runs: one run keeps its own; several add their CPU and drop the rest. */
function mergeWindow(runs: readonly RunReport[], completed: number): Pick<RunReport, 'server' | 'serverMissing' | 'generatorCpu' | 'generatorHost'> {
  if (runs.length === 1) {
    const r = runs[0]!;
    return { server: r.server, ...(r.serverMissing !== undefined ? { serverMissing: r.serverMissing } : {}), generatorCpu: r.generatorCpu, generatorHost: r.generatorHost };
  }
  // Host-wide retransmissions of generators that may share a host cannot be added: left out.
  return { server: null, serverMissing: MERGED_SERVER_MISSING, generatorCpu: mergeCpu(runs, completed), generatorHost: null };
}

/**
 * Adds runs of the same plan into one run. Their server views are not added (each generator's
 * snapshots already hold every generator's traffic); their CPU is.
 * @throws PlanMismatchError listing every plan field that differs
 */
export function mergeRuns(runs: readonly RunReport[], labels: readonly string[] = runs.map((_, i) => `#${i + 1}`), whole?: LoadPlan): RunReport {
  const first = runs[0];
  if (!first) throw new ReportFormatError('nothing to merge');
  if (whole !== undefined) return mergeShares(runs, labels, whole);
  runs.forEach((r, i) => {
    const diff = planDifferences(first.plan, r.plan);
    if (diff.length > 0) throw new PlanMismatchError(`${labels[0]} and ${labels[i]}`, diff);
  });
  const counters = runs.reduce((acc, r) => addCounters(acc, r.counters), emptyCounters());
  const durationMs = Math.max(...runs.map((r) => r.durationMs));
  const latency = encodeHistogram(mergeEncoded(runs.map((r) => r.histograms.latency)));
  const uncorrected = mergeOptional(runs.map((r) => r.histograms.uncorrected));
  const slip = mergeOptional(runs.map((r) => r.histograms.slip));
  const generators = runs.reduce((n, r) => n + r.generators, 0);
  const threads = runs.flatMap((r, i) => r.selfCheck.threads.map((t) => ({ ...t, thread: runs.length > 1 ? `${i + 1}:${t.thread}` : t.thread })));
  const intendedRate = first.plan.rate === null ? null : first.plan.rate * generators;
  const achievedRate = durationMs > 0 ? (counters.sent * 1000) / durationMs : 0;
  const slipSummary = slip === null ? null : summarize(mergeEncoded([slip]));
  const sendSlipUs = slipSummary ? { p50: slipSummary.p50, p99: slipSummary.p99, max: slipSummary.max } : null;
  return {
    plan: { ...first.plan, threads: runs.reduce((n, r) => n + r.plan.threads, 0) },
    generators,
    ...(runs.some((r) => r.interrupted === true) ? { interrupted: true } : {}),
    startedAt: runs.map((r) => r.startedAt).sort()[0]!,
    durationMs,
    counters,
    results: deriveResults(first.plan, counters, durationMs, latency, uncorrected),
    selfCheck: { intendedRate, achievedRate, sendSlipUs, threads, ...judge({ plan: first.plan, intendedRate, achievedRate, sendSlipUs, threads }) },
    intervals: mergeIntervals(runs),
    histograms: { latency, uncorrected, slip },
    ...mergeWindow(runs, counters.completed),
  };
}

/** Plan fields that differ between the shares of one split plan (agents/split.ts). */
const SHARE_KEYS = new Set<keyof LoadPlan>(['connections', 'rate', 'requests']);

/**
 * Adds the runs of one plan split over several generators (agents/split.ts: connections, open-loop
 * rate and a request count divided; everything else the same): the merged run is that of `whole`,
 * with the threads added and the intended rate `whole.rate`. The runs may be fewer than the shares
 * (a generator failed): the plan's connections, rate and requests are then those of the runs given.
 * @throws PlanMismatchError when a run's plan differs from `whole` in anything but its share
 */
function mergeShares(runs: readonly RunReport[], labels: readonly string[], whole: LoadPlan): RunReport {
  runs.forEach((r, i) => {
    const diff = MERGE_KEYS.filter((k) => !SHARE_KEYS.has(k) && r.plan[k] !== whole[k]).map((k) => `${k}: ${String(whole[k])} vs ${String(r.plan[k])}`);
    if (diff.length > 0) throw new PlanMismatchError(`the plan and ${labels[i]}`, diff);
  });
  const sum = mergeRuns(runs.map((r) => ({ ...r, plan: { ...whole, threads: r.plan.threads }, generators: 1 })), labels);
  // With a share missing, the plan is what the runs given carried, not what was asked for.
  const connections = runs.reduce((n, r) => n + r.plan.connections, 0);
  const complete = connections === whole.connections;
  const added = (k: 'rate' | 'requests'): number | null => (whole[k] === null ? null : complete ? whole[k] : runs.reduce((n, r) => n + (r.plan[k] ?? 0), 0));
  const plan: LoadPlan = { ...whole, connections, rate: added('rate'), requests: added('requests'), threads: sum.plan.threads };
  const intendedRate = plan.rate;
  const { sendSlipUs, threads, achievedRate } = sum.selfCheck;
  return {
    ...sum,
    plan,
    results: deriveResults(plan, sum.counters, sum.durationMs, sum.histograms.latency, sum.histograms.uncorrected),
    selfCheck: { intendedRate, achievedRate, sendSlipUs, threads, ...judge({ plan, intendedRate, achievedRate, sendSlipUs, threads }) },
  };
}

/**
 * Adds reports into one. Each must hold the same transports in the same order (one run each for
 * `run`, one per transport for `compare`) with the same plans.
 * @param labels names for messages (file names)
 * @throws PlanMismatchError saying what differs
 */
export function mergeReports(reports: readonly Report[], labels: readonly string[] = reports.map((_, i) => `report ${i + 1}`)): Report {
  const first = reports[0];
  if (!first) throw new ReportFormatError('nothing to merge');
  const transports = (r: Report): string => r.runs.map((run) => run.plan.transport).join(',');
  reports.forEach((r, i) => {
    if (transports(r) !== transports(first)) {
      throw new PlanMismatchError(`${labels[0]} and ${labels[i]}`, [`transports: ${transports(first)} vs ${transports(r)}`]);
    }
  });
  return {
    schema: REPORT_SCHEMA,
    version: REPORT_VERSION,
    createdAt: new Date().toISOString(),
    tool: first.tool,
    runs: first.runs.map((_, j) => mergeRuns(reports.map((r) => r.runs[j]!), labels)),
  };
}
