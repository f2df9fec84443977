/**
 * The human table (stderr): one column per run, and with two runs or more a ratio column per run
 * against the first (`udp/tcp`). Latency rows are µs-based with units; throughput in req/s and MB/s.
 */
import { formatDuration } from '@sockbench/options';
import type { LatencySummary } from '../histogram.js';
import { UNEXPECTED_KINDS } from '../counters.js';
import type { LoadPlan } from '../options.js';
import { alignTable, formatCounts, formatInt, formatNum, formatPercent, formatUs } from './format.js';
import type { RunReport } from './schema.js';

/** One line describing a plan: target, op, load shape and time. */
export function describePlan(plan: LoadPlan): string {
  const op = plan.op === 'ping' ? 'ping' : plan.op === 'compute' ? `compute ${plan.iterations}× over ${plan.size} B` : `echo ${plan.size} B`;
  const loop = plan.rate !== null ? `open loop ${formatInt(plan.rate)} req/s` : `closed loop, pipeline ${plan.pipeline ?? 1}`;
  const span = plan.requests !== null ? `${formatInt(plan.requests)} requests` : formatDuration(plan.durationMs ?? 0);
  const warm = plan.warmupMs > 0 ? ` (+${formatDuration(plan.warmupMs)} warm-up)` : '';
  return `${plan.host}:${plan.port}  ${op}  ${plan.connections} connections × ${plan.threads} threads  ${loop}  ${span}${warm}`;
}

type Row = { label: string; value: (r: RunReport) => number; show: (n: number) => string; ratio: boolean };

const LATENCY_ROWS: readonly [string, keyof LatencySummary][] = [
  ['p50', 'p50'],
  ['p75', 'p75'],
  ['p90', 'p90'],
  ['p99', 'p99'],
  ['p99.9', 'p999'],
  ['p99.99', 'p9999'],
  ['max', 'max'],
  ['mean', 'mean'],
  ['stdev', 'stdev'],
];

function rows(runs: readonly RunReport[]): Row[] {
  const openLoop = runs.some((r) => r.results.uncorrectedUs !== null);
  const out: Row[] = [
    { label: 'requests/s', value: (r) => r.results.requestsPerSec, show: formatNum, ratio: true },
    { label: 'MB/s sent', value: (r) => r.results.mbPerSecSent, show: formatNum, ratio: true },
    { label: 'MB/s received', value: (r) => r.results.mbPerSecReceived, show: formatNum, ratio: true },
  ];
  const name = openLoop ? 'latency (corrected)' : 'latency';
  for (const [label, key] of LATENCY_ROWS) out.push({ label: `${name} ${label}`, value: (r) => r.results.latencyUs[key], show: formatUs, ratio: true });
  if (openLoop) {
    for (const [label, key] of [['p50', 'p50'], ['p99', 'p99'], ['max', 'max']] as const) {
      out.push({ label: `uncorrected ${label}`, value: (r) => r.results.uncorrectedUs?.[key] ?? Number.NaN, show: formatUs, ratio: true });
    }
  }
  out.push(
    { label: 'sent', value: (r) => r.counters.sent, show: formatInt, ratio: false },
    { label: 'completed', value: (r) => r.counters.completed, show: formatInt, ratio: false },
    { label: 'errors', value: (r) => r.counters.errors, show: formatInt, ratio: false },
    { label: 'timeouts (lost)', value: (r) => r.counters.timeouts, show: formatInt, ratio: false },
    { label: 'loss', value: (r) => r.results.lossPercent, show: formatPercent, ratio: false },
    { label: 'late (after timeout)', value: (r) => r.counters.late, show: formatInt, ratio: false },
    { label: 'reordered', value: (r) => r.counters.reordered, show: formatInt, ratio: false },
    { label: 'duplicates', value: (r) => r.counters.duplicates, show: formatInt, ratio: false },
    { label: 'unexpected replies', value: (r) => r.counters.unexpected, show: formatInt, ratio: false },
  );
  return out;
}

/**
 * Renders runs side by side. Lines: the plan, the table, errors by code, unexpected replies by kind,
 * and each run's self-check verdict.
 */
export function renderTable(runs: readonly RunReport[]): string {
  const first = runs[0];
  if (!first) return '';
  const header = ['', ...runs.map((r) => r.plan.transport)];
  const ratioCols = runs.slice(1).map((r) => `${r.plan.transport}/${first.plan.transport}`);
  header.push(...ratioCols);
  const body = rows(runs).map((row) => {
    const cells = [row.label, ...runs.map((r) => row.show(row.value(r)))];
    for (const r of runs.slice(1)) {
      const a = row.value(first);
      const b = row.value(r);
      cells.push(row.ratio && a > 0 && Number.isFinite(b) ? `${(b / a).toFixed(2)}×` : '');
    }
    return cells;
  });
  const merged = first.generators > 1 ? `  (${first.generators} reports merged: counts and histograms added, rates summed over the longest duration)` : '';
  // Runs of different plans (e.g. TCP closed loop beside UDP open loop, from `report a.json b.json`)
  // each get their own plan line, so no column is read under another column's plan.
  const plans = runs.map((r) => describePlan(r.plan));
  const planLines = plans.every((p) => p === plans[0]) ? [plans[0] + merged] : runs.map((r, i) => `${r.plan.transport}: ${plans[i]}`);
  const lines = [...planLines, '', alignTable([header, ...body])];
  for (const r of runs) {
    if (Object.keys(r.counters.errorsByCode).length > 0) lines.push(`${r.plan.transport} errors: ${formatCounts(r.counters.errorsByCode)}`);
    if (r.counters.unexpected > 0) lines.push(`${r.plan.transport} unexpected replies: ${formatCounts(r.counters.unexpectedByKind, UNEXPECTED_KINDS)}`);
    if (r.interrupted) lines.push(`${r.plan.transport}: interrupted after ${(r.durationMs / 1000).toFixed(1)} s of measuring (Ctrl-C)`);
    if (r.counters.clamped > 0) lines.push(`${r.plan.transport}: ${formatInt(r.counters.clamped)} latencies past 60 s recorded as 60 s`);
  }
  lines.push('');
  for (const r of runs) lines.push(`${r.plan.transport} self-check: ${r.selfCheck.verdict}`);
  return lines.join('\n');
}
