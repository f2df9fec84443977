/**
 * The sweep's text table (every step, then one knee line per transport) and its HTML page: latency
 * (p50 solid, p99 dashed) against achieved throughput for every transport on one chart, and loss
 * against the step's value (offered rate, connections, pipeline depth or size) on another, each axis
 * named with its unit; self-contained (inline SVG, no script, no network).
 */
import { COLORS, LONG_DASH, esc, frame, htmlPage, niceCeil, type Series } from '../report/html.js';
import { alignTable, formatBitRate, formatInt, formatPercent, formatUs } from '../report/format.js';
import { describePlan } from '../report/text.js';
import type { RunReport } from '../report/schema.js';
import type { Transport } from '../options.js';
import { formatStepValue, type SweepDimension } from './schedule.js';
import type { Knee, SweepResult, SweepStep } from './sweep.js';

/** The step table's column for a dimension's value, and its unit in chart labels. */
const DIMENSION_LABEL: Readonly<Record<SweepDimension, { column: string; axis: string }>> = {
  rate: { column: 'offered', axis: 'offered rate (req/s)' },
  connections: { column: 'connections', axis: 'connections (closed loop)' },
  pipeline: { column: 'pipeline', axis: 'pipeline (requests in flight per connection, closed loop)' },
  size: { column: 'size', axis: 'payload size (bytes)' },
};

function dimensionOf(sweep: SweepResult): SweepDimension {
  return sweep.schedule.dimension ?? 'rate';
}

/**
 * One line per knee: `tcp: knee 1,960 req/s (achieved 1,958 req/s, p50 …, p99 …, loss 0.00%): reason`;
 * the value in the sweep's dimension (`knee 16 connections (…)`), a size sweep's payload bit rate too.
 */
export function kneeLine(transport: string, k: Knee): string {
  const value = k.value ?? k.rate;
  if (value === null) return `${transport}: no knee: ${k.reason}`;
  const dimension = k.dimension ?? 'rate';
  const bits = dimension === 'size' && k.mbitPerSec !== null ? `, ${formatBitRate(k.mbitPerSec * 1e6)}` : '';
  const figures = `${formatStepValue(dimension, value)} (achieved ${formatInt(k.achieved!)} req/s${bits}, p50 ${formatUs(k.p50!)}, p99 ${formatUs(k.p99!)}, loss ${formatPercent(k.lossPercent!)})`;
  return k.found ? `${transport}: knee ${figures}: ${k.reason}` : `${transport}: no knee found; highest step that held ${figures}: ${k.reason}`;
}

/**
 * Every step as a row (its value, the offered rate in open loop, achieved rate, p50, p99, loss,
 * verdict, reason; a size sweep's payload bit rate too), then the knees.
 */
export function renderSweepTable(sweep: SweepResult): string {
  const dimension = dimensionOf(sweep);
  const offered = dimension !== 'rate' && sweep.steps.some((s) => s.rate !== null);
  const size = dimension === 'size';
  const rows: string[][] = [['transport', 'step', 'phase', DIMENSION_LABEL[dimension].column, ...(offered ? ['offered'] : []), 'achieved', ...(size ? ['payload'] : []), 'p50', 'p99', 'loss']];
  const tails: string[] = ['verdict'];
  for (const s of sweep.steps) {
    const r = s.run?.results;
    const value = s.value ?? s.rate!;
    rows.push([
      s.transport,
      String(s.step),
      s.phase,
      dimension === 'rate' ? `${formatInt(value)} req/s` : dimension === 'size' ? `${formatInt(value)} B` : formatInt(value),
      ...(offered ? [s.rate === null ? '-' : `${formatInt(s.rate)} req/s`] : []),
      r ? `${formatInt(r.requestsPerSec)} req/s` : '-',
      ...(size ? [r ? formatBitRate(r.mbitPerSec.payload * 1e6) : '-'] : []),
      r ? formatUs(r.latencyUs.p50) : '-',
      r ? formatUs(r.latencyUs.p99) : '-',
      r ? formatPercent(r.lossPercent) : '-',
    ]);
    tails.push(s.verdict === 'held' || s.reason.startsWith(s.verdict) ? (s.verdict === 'held' ? 'held' : s.reason) : `${s.verdict}: ${s.reason}`);
  }
  // The verdict and its reason go last, unpadded: a reason is a sentence, not a column.
  const table = alignTable(rows).split('\n').map((line, i) => `${line}  ${tails[i]}`).join('\n');
  const knees = Object.entries(sweep.knees).map(([t, k]) => kneeLine(t, k!));
  return `${table}\n${knees.join('\n')}`;
}

function byTransport(sweep: SweepResult): [Transport, SweepResult['steps']][] {
  const out = new Map<Transport, SweepResult['steps']>();
  for (const s of sweep.steps) if (s.run !== null) out.set(s.transport, [...(out.get(s.transport) ?? []), s.run.interrupted ? [] : [s]].flat());
  return [...out.entries()];
}

function linearTicks(max: number, label: (v: number) => string): [number, string][] {
  const ticks: [number, string][] = [];
  for (let i = 0; i <= 5; i++) ticks.push([(max * i) / 5, label((max * i) / 5)]);
  return ticks;
}

const W = 760;
const H = 340;
const M = { left: 72, right: 40, top: 20, bottom: 44 };

/**
 * The x axis of a step's value: log scale (ticks 1, 2, 5 × 10^k) for a list dimension whose values
 * span 8× or more (connections 1..64, sizes 64..8192), else linear from 0 (whole-number ticks).
 */
function xAxis(values: readonly number[], log: boolean, label: (v: number) => string): { ticks: [number, string][]; sx: (x: number) => number; log: boolean } {
  const width = W - M.left - M.right;
  const top = Math.max(1, ...values);
  if (!log || top / Math.max(1, Math.min(...values)) < 8) {
    const max = niceCeil(top);
    const ticks = max <= 5 ? Array.from({ length: max + 1 }, (_, i): [number, string] => [i, label(i)]) : linearTicks(max, label);
    return { ticks, sx: (x) => M.left + (x / max) * width, log: false };
  }
  const lo = Math.floor(Math.log10(Math.max(1, Math.min(...values))));
  const hi = Math.max(lo + 1, Math.ceil(Math.log10(top)));
  const ticks: [number, string][] = [];
  for (let d = lo; d <= hi; d++) for (const m of hi - lo <= 3 ? [1, 2, 5] : [1]) if (m * Math.pow(10, d) <= Math.pow(10, hi)) ticks.push([m * Math.pow(10, d), label(m * Math.pow(10, d))]);
  return { ticks, sx: (x) => M.left + ((Math.log10(Math.max(x, 1)) - lo) / (hi - lo)) * width, log: true };
}

/**
 * p50 and p99 (log scale, µs) against achieved throughput, one point per step, every transport:
 * completed req/s, or for a size sweep payload bit/s (req/s falls as the size grows).
 */
export function latencyVsThroughputChart(sweep: SweepResult): string {
  const groups = byTransport(sweep);
  const bits = dimensionOf(sweep) === 'size';
  const xOf = (r: RunReport['results']): number => (bits ? r.mbitPerSec.payload * 1e6 : r.requestsPerSec);
  const all = groups.flatMap(([, steps]) => steps.map((s) => s.run!.results));
  const maxX = niceCeil(Math.max(1, ...all.map(xOf)));
  const lo = Math.max(1, Math.min(...all.map((r) => r.latencyUs.p50 || 1)));
  const hi = Math.max(lo * 10, ...all.map((r) => r.latencyUs.p99));
  const minDec = Math.floor(Math.log10(lo));
  const maxDec = Math.max(minDec + 1, Math.ceil(Math.log10(hi)));
  const sx = (x: number): number => M.left + (x / maxX) * (W - M.left - M.right);
  const sy = (y: number): number => H - M.bottom - ((Math.log10(Math.max(y, 1)) - minDec) / (maxDec - minDec)) * (H - M.top - M.bottom);
  const yTicks: [number, string][] = [];
  for (let d = minDec; d <= maxDec; d++) yTicks.push([Math.pow(10, d), formatUs(Math.pow(10, d))]);
  const series: Series[] = [];
  groups.forEach(([transport, steps], i) => {
    const color = COLORS[i % COLORS.length]!;
    const sorted = [...steps].sort((a, b) => xOf(a.run!.results) - xOf(b.run!.results));
    series.push({ name: `${transport} p50`, color, points: sorted.map((s) => [xOf(s.run!.results), s.run!.results.latencyUs.p50]) });
    series.push({ name: `${transport} p99`, color, dash: LONG_DASH, points: sorted.map((s) => [xOf(s.run!.results), s.run!.results.latencyUs.p99]) });
  });
  const xLabel = bits ? 'achieved payload throughput (bit/s), one point per step' : 'achieved throughput (completed req/s), one point per step';
  return frame('Latency against achieved throughput', linearTicks(maxX, (v) => (bits ? formatBitRate(v) : formatInt(v))), yTicks, xLabel, 'latency (log scale)', series, sx, sy);
}

/** Loss (percent, linear) against the step's value (the offered rate, connections, pipeline or size), one point per step, every transport. */
export function lossVsStepChart(sweep: SweepResult): string {
  const dimension = dimensionOf(sweep);
  const groups = byTransport(sweep);
  const all = groups.flatMap(([, steps]) => steps);
  const valueOf = (s: SweepStep): number => s.value ?? s.rate!;
  const x = xAxis(all.map(valueOf), dimension !== 'rate', (v) => formatInt(v));
  const maxY = niceCeil(Math.max(1, ...all.map((s) => s.run!.results.lossPercent)));
  const sy = (y: number): number => H - M.bottom - (y / maxY) * (H - M.top - M.bottom);
  const series: Series[] = groups.map(([transport, steps], i) => ({
    name: `${transport} loss`,
    color: COLORS[i % COLORS.length]!,
    points: [...steps].sort((a, b) => valueOf(a) - valueOf(b)).map((s) => [valueOf(s), s.run!.results.lossPercent] as [number, number]),
  }));
  return frame(`Loss against ${DIMENSION_LABEL[dimension].column === 'offered' ? 'offered rate' : DIMENSION_LABEL[dimension].column}`, x.ticks, linearTicks(maxY, (v) => `${v.toFixed(maxY < 5 ? 1 : 0)}%`), `${DIMENSION_LABEL[dimension].axis}${x.log ? ', log scale' : ''}, one point per step`, 'loss (timeouts ÷ sent)', series, x.sx, sy);
}

/** The schedule in words: `rate from 1,000 req/s ×1.5 per step up to …` or `connections 1, 4, 16, 64`. */
export function describeSchedule(sweep: SweepResult): string {
  const s = sweep.schedule;
  const dimension = dimensionOf(sweep);
  const v = (x: number): string => formatStepValue(dimension, x);
  const name = dimension === 'rate' ? 'rate' : DIMENSION_LABEL[dimension].column;
  const unit = dimension === 'rate' ? ' req/s' : dimension === 'size' ? ' B' : '';
  const steps = s.list !== null && s.list !== undefined ? `${name} ${s.list.map(formatInt).join(', ')}${unit}` : `${name} from ${v(s.from)} ×${s.factor} per step${s.to === null ? '' : ` up to ${v(s.to)}`}`;
  const scaling = sweep.minScaling !== null && sweep.minScaling !== undefined ? `, each step's throughput growing by at least ${Math.round(100 * sweep.minScaling)}% of its growth in concurrency (--min-scaling)` : '';
  return `${steps}, bisected to ${formatPercent(100 * s.resolution)}, at most ${s.maxSteps} steps per transport; SLOs ${sweep.slo.join(', ')}${scaling}`;
}

/** The whole page: plan, knees, the two charts, the step table. */
export function renderSweepHtml(sweep: SweepResult, createdAt: string): string {
  const first = sweep.steps.find((s) => s.run !== null)?.run ?? null;
  const title = `sockbench-loadgen sweep: ${Object.keys(sweep.knees).join(' vs ')}`;
  const plan = first ? `first step: ${describePlan(first.plan)}` : '';
  const dimension = dimensionOf(sweep);
  const lossTitle = dimension === 'rate' ? 'Loss against offered rate' : `Loss against ${DIMENSION_LABEL[dimension].column}`;
  return htmlPage(
    title,
    'pre.knees { white-space: pre-wrap; }\n',
    `<p>${esc(describeSchedule(sweep))}<br>${esc(plan)}<br>report ${esc(createdAt)}${sweep.interrupted ? ' (interrupted)' : ''}</p>
<h2>Knees</h2>
<pre class="knees">${esc(Object.entries(sweep.knees).map(([t, k]) => kneeLine(t, k!)).join('\n'))}</pre>
<h2>Latency against achieved throughput</h2>
${latencyVsThroughputChart(sweep)}
<h2>${esc(lossTitle)}</h2>
${lossVsStepChart(sweep)}
<h2>Steps</h2>
<pre>${esc(renderSweepTable(sweep))}</pre>
`,
  );
}
