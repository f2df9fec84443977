/**
 * The HTML report: one self-contained file (inline CSS and SVG, no script, no network). Two charts,
 * every run on the same axes:
 *
 * - latency by percentile, drawn as HdrHistogram's plotter draws it: x is 1/(1−p) on a log scale
 *   (ticks 0 %, 90 %, 99 %, 99.9 %, …), y is latency (log scale); beside each run's round trip, the
 *   server's service time over the same window, dashed (short dashes; long ones: open loop's
 *   uncorrected service time);
 * - requests per second, one point per one-second interval.
 *
 * Then the side-by-side table and each run's self-check line.
 */
import { decodeHistogram, percentileCurve } from '../histogram.js';
import { failureReason } from './failure.js';
import { failedSlos } from '../slo/evaluate.js';
import { formatFailed } from '../slo/format.js';
import { formatInt, formatNum, formatUs } from './format.js';
import type { Report } from './schema.js';
import { describePlan, renderTable, type TableOptions } from './text.js';
import { opTypeName } from '../window/window-view.js';

export const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b'];
const W = 760;
const H = 340;
// Right margin leaves room for the last percentile label (99.9999%), centred on the plot's edge.
const M = { left: 72, right: 40, top: 20, bottom: 44 };

export function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** A round axis top at or above `v` (1, 2, 5 × 10^k). */
export function niceCeil(v: number): number {
  if (!(v > 0)) return 1;
  const e = Math.pow(10, Math.floor(Math.log10(v)));
  for (const m of [1, 2, 5, 10]) if (m * e >= v) return m * e;
  return 10 * e;
}

export interface Series {
  name: string;
  color: string;
  points: [number, number][];
  /**
   * SVG dash pattern, or none for a solid line: open loop's uncorrected service time beside the
   * corrected latency ({@link LONG_DASH}), the server's service time ({@link SHORT_DASH}).
   */
  dash?: string;
}

/** Dashes of the open loop's uncorrected curve. */
export const LONG_DASH = '6 4';
/** Dashes of the server's service-time curve. */
const SHORT_DASH = '4 3';

export function frame(title: string, xTicks: [number, string][], yTicks: [number, string][], xLabel: string, yLabel: string, series: Series[], sx: (x: number) => number, sy: (y: number) => number): string {
  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" role="img" aria-label="${esc(title)}">`);
  parts.push(`<rect x="0" y="0" width="${W}" height="${H}" fill="#fff"/>`);
  for (const [y, label] of yTicks) {
    const py = sy(y).toFixed(1);
    parts.push(`<line x1="${M.left}" x2="${W - M.right}" y1="${py}" y2="${py}" stroke="#e5e5e5"/>`);
    parts.push(`<text x="${M.left - 6}" y="${py}" text-anchor="end" dominant-baseline="middle" font-size="11">${esc(label)}</text>`);
  }
  for (const [x, label] of xTicks) {
    const px = sx(x).toFixed(1);
    parts.push(`<line x1="${px}" x2="${px}" y1="${M.top}" y2="${H - M.bottom}" stroke="#e5e5e5"/>`);
    parts.push(`<text x="${px}" y="${H - M.bottom + 16}" text-anchor="middle" font-size="11">${esc(label)}</text>`);
  }
  parts.push(`<rect x="${M.left}" y="${M.top}" width="${W - M.left - M.right}" height="${H - M.top - M.bottom}" fill="none" stroke="#999"/>`);
  parts.push(`<text x="${(M.left + W - M.right) / 2}" y="${H - 6}" text-anchor="middle" font-size="12">${esc(xLabel)}</text>`);
  parts.push(`<text x="14" y="${(M.top + H - M.bottom) / 2}" text-anchor="middle" font-size="12" transform="rotate(-90 14 ${(M.top + H - M.bottom) / 2})">${esc(yLabel)}</text>`);
  for (const s of series) {
    const pts = s.points.map(([x, y]) => `${sx(x).toFixed(1)},${sy(y).toFixed(1)}`).join(' ');
    const dash = s.dash ? ` stroke-dasharray="${s.dash}"` : '';
    parts.push(`<polyline fill="none" stroke="${s.color}" stroke-width="2"${dash} points="${pts}"><title>${esc(s.name)}</title></polyline>`);
  }
  // The legend is drawn over the curves on a translucent box, so no curve hides it or runs through its text.
  const legendWidth = 34 + 7.2 * Math.max(0, ...series.map((s) => s.name.length));
  parts.push(`<rect x="${M.left + 6}" y="${M.top + 4}" width="${legendWidth.toFixed(0)}" height="${series.length * 16 + 4}" fill="#fff" fill-opacity="0.85" stroke="#ddd"/>`);
  series.forEach((s, i) => {
    const dash = s.dash ? ` stroke-dasharray="${s.dash}"` : '';
    const lx = M.left + 12;
    const ly = M.top + 14 + i * 16;
    parts.push(`<line x1="${lx}" x2="${lx + 18}" y1="${ly}" y2="${ly}" stroke="${s.color}" stroke-width="3"${dash}/>`);
    parts.push(`<text x="${lx + 24}" y="${ly}" dominant-baseline="middle" font-size="12">${esc(s.name)}</text>`);
  });
  parts.push('</svg>');
  return parts.join('\n');
}

/**
 * Latency by percentile on HdrHistogram's log axis: x = log10(1/(1−p)). The y axis is logarithmic
 * too (decades of µs), unlike the plotter's linear one: a 100 µs median and a 50 ms tail then both
 * stay readable, and transports whose medians differ by 3× do not collapse onto the floor.
 */
export function latencyChart(report: Report): string {
  const curves = report.runs.map((r) => ({ run: r, points: percentileCurve(decodeHistogram(r.histograms.latency)) }));
  const service = report.runs.map((r) => {
    const op = opTypeName(r.plan);
    const text = r.server?.serviceTimeHistograms[op];
    const st = r.server?.serviceTimeUs[op];
    return text === undefined || st === undefined ? null : { st, points: percentileCurve(decodeHistogram(text)) };
  });
  const serviceMins = service.flatMap((s) => (s === null || s.points.length === 0 ? [] : [s.points[0]!.valueUs || 1]));
  const maxCount = Math.max(1, ...report.runs.map((r) => r.results.latencyUs.count));
  // The axis ends at the resolution the data supports (1/count), at least 99.9 %.
  const maxX = Math.max(3, Math.ceil(Math.log10(maxCount)));
  const toX = (p: number): number => (p >= 100 ? maxX : Math.min(maxX, Math.log10(100 / (100 - p))));
  const lo = Math.max(1, Math.min(...report.runs.map((r) => r.results.latencyUs.min || 1), ...serviceMins));
  const hi = Math.max(lo * 10, ...report.runs.map((r) => r.results.latencyUs.max), ...service.map((sv) => sv?.st.max ?? 0));
  const minDec = Math.floor(Math.log10(lo));
  const maxDec = Math.max(minDec + 1, Math.ceil(Math.log10(hi)));
  const sx = (x: number): number => M.left + (x / maxX) * (W - M.left - M.right);
  const sy = (y: number): number => H - M.bottom - ((Math.log10(Math.max(y, 1)) - minDec) / (maxDec - minDec)) * (H - M.top - M.bottom);
  const xTicks: [number, string][] = [];
  for (let k = 0; k <= maxX; k++) xTicks.push([k, k === 0 ? '0%' : `${(100 - 100 / Math.pow(10, k)).toFixed(Math.max(0, k - 2))}%`]);
  const yTicks: [number, string][] = [];
  for (let d = minDec; d <= maxDec; d++) yTicks.push([Math.pow(10, d), formatUs(Math.pow(10, d))]);
  const series: Series[] = [];
  curves.forEach(({ run, points }, i) => {
    const color = COLORS[i % COLORS.length]!;
    const l = run.results.latencyUs;
    series.push({
      name: `${run.plan.transport}${run.results.uncorrectedUs ? ' (corrected)' : ''}: p50 ${formatUs(l.p50)}, p99 ${formatUs(l.p99)}, max ${formatUs(l.max)}`,
      color,
      points: points.map((p) => [toX(p.percentile), p.valueUs]),
    });
    const u = run.results.uncorrectedUs;
    if (u !== null && run.histograms.uncorrected !== null) {
      series.push({
        name: `${run.plan.transport} uncorrected: p50 ${formatUs(u.p50)}, p99 ${formatUs(u.p99)}, max ${formatUs(u.max)}`,
        color,
        dash: LONG_DASH,
        points: percentileCurve(decodeHistogram(run.histograms.uncorrected)).map((p) => [toX(p.percentile), p.valueUs]),
      });
    }
    const sv = service[i];
    if (sv) {
      series.push({
        name: `${run.plan.transport} server service time: p50 ${formatUs(sv.st.p50)}, p99 ${formatUs(sv.st.p99)}, max ${formatUs(sv.st.max)}`,
        color,
        dash: SHORT_DASH,
        points: sv.points.map((p) => [toX(p.percentile), p.valueUs]),
      });
    }
  });
  return frame('Latency by percentile', xTicks, yTicks, 'percentile (log scale of 1/(1−p), as HdrHistogram plots it)', 'latency (log scale)', series, sx, sy);
}

/** Requests per second, one point per interval, every run on the same axes. */
export function throughputChart(report: Report): string {
  const maxT = Math.max(1, ...report.runs.flatMap((r) => r.intervals.map((iv) => iv.endMs / 1000)));
  const maxY = niceCeil(Math.max(1, ...report.runs.flatMap((r) => r.intervals.map((iv) => iv.requestsPerSec))));
  const sx = (x: number): number => M.left + (x / maxT) * (W - M.left - M.right);
  const sy = (y: number): number => H - M.bottom - (y / maxY) * (H - M.top - M.bottom);
  const step = Math.max(1, Math.ceil(maxT / 10));
  const xTicks: [number, string][] = [];
  for (let t = 0; t <= maxT; t += step) xTicks.push([t, `${t}s`]);
  const yTicks: [number, string][] = [0, 0.25, 0.5, 0.75, 1].map((f) => [f * maxY, formatInt(f * maxY)]);
  const series: Series[] = report.runs.map((r, i) => ({
    name: `${r.plan.transport}: ${formatNum(r.results.requestsPerSec)} req/s`,
    color: COLORS[i % COLORS.length]!,
    points: r.intervals.map((iv) => [iv.endMs / 1000, iv.requestsPerSec]),
  }));
  return frame('Requests per second', xTicks, yTicks, 'time since measuring started', 'requests/s', series, sx, sy);
}

/** One plan line when every run shares the plan, else one per run, named by transport (as the table does). */
function planLines(report: Report): string[] {
  const plans = report.runs.map((r) => describePlan(r.plan));
  return plans.every((p) => p === plans[0]) ? [plans[0]!] : report.runs.map((r, i) => `${r.plan.transport}: ${plans[i]!}`);
}

/** One paragraph per failed run and per run with failed SLOs saying why (as the CLI's last lines do), or nothing. */
function failures(report: Report): string {
  const lines = report.runs.flatMap((r) => {
    const why = failureReason(r);
    const failed = failedSlos(r.slo);
    return [...(why === null ? [] : [`${r.plan.transport} run failed: ${why}`]), ...(failed.length > 0 ? [`${r.plan.transport} SLOs failed: ${formatFailed(failed)}`] : [])];
  });
  return lines.map((l) => `<p><strong>${esc(l)}</strong></p>\n`).join('');
}

/** The whole HTML document; `table` lays out its summary table as the text table's (`--percentiles`). */
export function renderHtml(report: Report, table: TableOptions = {}): string {
  const title = `sockbench-loadgen: ${report.runs.map((r) => r.plan.transport).join(' vs ')}`;
  return htmlPage(
    title,
    '',
    `<p>${planLines(report).map(esc).join('<br>')}<br>report ${esc(report.createdAt)}, ${esc(report.tool.name)} ${esc(report.tool.version)}, Node.js ${esc(report.tool.node)}</p>
<h2>Latency by percentile</h2>
${latencyChart(report)}
<h2>Requests per second</h2>
${throughputChart(report)}
<h2>Summary</h2>
<pre>${esc(renderTable(report.runs, table))}</pre>
${failures(report)}
`,
  );
}

/**
 * A self-contained page (no network): the shared head and style, `title` as its heading, then
 * `body` (HTML). `css` adds rules for one page's own elements.
 */
export function htmlPage(title: string, css: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>${esc(title)}</title>
<style>
body { font: 14px/1.4 system-ui, sans-serif; margin: 24px; color: #222; max-width: 980px; }
pre { background: #f6f6f6; padding: 12px; overflow-x: auto; font-size: 12px; }
h2 { margin-top: 28px; font-size: 16px; }
${css}</style>
</head>
<body>
<h1>${esc(title)}</h1>
${body}</body>
</html>
`;
}
