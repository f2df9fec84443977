/**
 * The sweep's text table (every step, then one knee line per transport) and its HTML page: latency
 * (p50 solid, p99 dashed) against achieved throughput for every transport on one chart, and loss
 * against offered rate on another; self-contained (inline SVG, no script, no network).
 */
import { COLORS, LONG_DASH, esc, frame, htmlPage, niceCeil, type Series } from '../report/html.js';
import { alignTable, formatInt, formatPercent, formatUs } from '../report/format.js';
import { describePlan } from '../report/text.js';
import type { Transport } from '../options.js';
import type { Knee, SweepResult } from './sweep.js';

/** One line per knee: `tcp: knee 1,960 req/s (achieved 1,958 req/s, p50 …, p99 …, loss 0.00%): reason`. */
export function kneeLine(transport: string, k: Knee): string {
  if (k.rate === null) return `${transport}: no knee: ${k.reason}`;
  const figures = `${formatInt(k.rate)} req/s (achieved ${formatInt(k.achieved!)} req/s, p50 ${formatUs(k.p50!)}, p99 ${formatUs(k.p99!)}, loss ${formatPercent(k.lossPercent!)})`;
  return k.found ? `${transport}: knee ${figures}: ${k.reason}` : `${transport}: no knee found; highest step that held ${figures}: ${k.reason}`;
}

/** Every step as a row (offered and achieved rate, p50, p99, loss, verdict, reason), then the knees. */
export function renderSweepTable(sweep: SweepResult): string {
  const rows: string[][] = [['transport', 'step', 'phase', 'offered', 'achieved', 'p50', 'p99', 'loss']];
  const tails: string[] = ['verdict'];
  for (const s of sweep.steps) {
    const r = s.run?.results;
    rows.push([
      s.transport,
      String(s.step),
      s.phase,
      `${formatInt(s.rate)} req/s`,
      r ? `${formatInt(r.requestsPerSec)} req/s` : '-',
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

/** p50 and p99 (log scale, µs) against achieved req/s, one point per step, every transport. */
export function latencyVsThroughputChart(sweep: SweepResult): string {
  const groups = byTransport(sweep);
  const all = groups.flatMap(([, steps]) => steps.map((s) => s.run!.results));
  const maxX = niceCeil(Math.max(1, ...all.map((r) => r.requestsPerSec)));
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
    const sorted = [...steps].sort((a, b) => a.run!.results.requestsPerSec - b.run!.results.requestsPerSec);
    series.push({ name: `${transport} p50`, color, points: sorted.map((s) => [s.run!.results.requestsPerSec, s.run!.results.latencyUs.p50]) });
    series.push({ name: `${transport} p99`, color, dash: LONG_DASH, points: sorted.map((s) => [s.run!.results.requestsPerSec, s.run!.results.latencyUs.p99]) });
  });
  return frame('Latency against achieved throughput', linearTicks(maxX, (v) => formatInt(v)), yTicks, 'achieved throughput (completed req/s), one point per step', 'latency (log scale)', series, sx, sy);
}

/** Loss (percent, linear) against offered rate, one point per step, every transport. */
export function lossVsRateChart(sweep: SweepResult): string {
  const groups = byTransport(sweep);
  const all = groups.flatMap(([, steps]) => steps);
  const maxX = niceCeil(Math.max(1, ...all.map((s) => s.rate)));
  const maxY = niceCeil(Math.max(1, ...all.map((s) => s.run!.results.lossPercent)));
  const sx = (x: number): number => M.left + (x / maxX) * (W - M.left - M.right);
  const sy = (y: number): number => H - M.bottom - (y / maxY) * (H - M.top - M.bottom);
  const series: Series[] = groups.map(([transport, steps], i) => ({
    name: `${transport} loss`,
    color: COLORS[i % COLORS.length]!,
    points: [...steps].sort((a, b) => a.rate - b.rate).map((s) => [s.rate, s.run!.results.lossPercent] as [number, number]),
  }));
  return frame('Loss against offered rate', linearTicks(maxX, (v) => formatInt(v)), linearTicks(maxY, (v) => `${v.toFixed(maxY < 5 ? 1 : 0)}%`), 'offered rate (req/s), one point per step', 'loss (timeouts ÷ sent)', series, sx, sy);
}

/** The whole page: plan, knees, the two charts, the step table. */
export function renderSweepHtml(sweep: SweepResult, createdAt: string): string {
  const first = sweep.steps.find((s) => s.run !== null)?.run ?? null;
  const title = `sockbench-loadgen sweep: ${Object.keys(sweep.knees).join(' vs ')}`;
  const s = sweep.schedule;
  const plan = first ? `first step: ${describePlan(first.plan)}` : '';
  return htmlPage(
    title,
    'pre.knees { white-space: pre-wrap; }\n',
    `<p>${esc(`rate from ${formatInt(s.from)} req/s ×${s.factor} per step${s.to === null ? '' : ` up to ${formatInt(s.to)} req/s`}, bisected to ${formatPercent(100 * s.resolution)}, at most ${s.maxSteps} steps per transport; SLOs ${sweep.slo.join(', ')}`)}<br>${esc(plan)}<br>report ${esc(createdAt)}${sweep.interrupted ? ' (interrupted)' : ''}</p>
<h2>Knees</h2>
<pre class="knees">${esc(Object.entries(sweep.knees).map(([t, k]) => kneeLine(t, k!)).join('\n'))}</pre>
<h2>Latency against achieved throughput</h2>
${latencyVsThroughputChart(sweep)}
<h2>Loss against offered rate</h2>
${lossVsRateChart(sweep)}
<h2>Steps</h2>
<pre>${esc(renderSweepTable(sweep))}</pre>
`,
  );
}
