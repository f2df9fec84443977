/**
 * The stream report as one self-contained HTML page: receiver goodput per second of every run
 * (both transports, both directions) on one chart, jitter per second on a second, and the table.
 */
import { COLORS, LONG_DASH, esc, frame, htmlPage, niceCeil, type Series } from '../report/html.js';
import { formatBitRate } from '../report/format.js';
import type { StreamReport, StreamRunReport } from './stream-report.js';
import { renderStreamTable, runName } from './stream-text.js';

const W = 760;
const H = 340;
const M = { left: 72, right: 40, top: 20, bottom: 44 };

function chart(runs: readonly StreamRunReport[], title: string, yLabel: string, value: (iv: StreamRunReport['intervals'][number]) => number, fmt: (v: number) => string, name: (r: StreamRunReport) => string): string {
  // Each interval is drawn at its end (1 s, 2 s, …), as the request/response throughput chart does.
  const maxT = Math.max(1, ...runs.flatMap((r) => r.intervals.map((iv) => iv.index + 1)));
  const maxY = niceCeil(Math.max(1e-9, ...runs.flatMap((r) => r.intervals.map(value))));
  const sx = (x: number): number => M.left + (x / maxT) * (W - M.left - M.right);
  const sy = (y: number): number => H - M.bottom - (y / maxY) * (H - M.top - M.bottom);
  const step = Math.max(1, Math.ceil(maxT / 10));
  const xTicks: [number, string][] = [];
  for (let t = 0; t <= maxT; t += step) xTicks.push([t, `${t}s`]);
  const yTicks: [number, string][] = [0, 0.25, 0.5, 0.75, 1].map((f) => [f * maxY, fmt(f * maxY)]);
  const series: Series[] = runs.map((r, i) => ({
    name: name(r),
    color: COLORS[(r.plan.transport === 'tcp' ? 0 : 1) + 2 * Math.floor(i / 2)] ?? COLORS[i % COLORS.length]!,
    points: [[0, 0] as [number, number], ...r.intervals.map((iv): [number, number] => [iv.index + 1, value(iv)])],
    ...(r.plan.direction === 'down' ? { dash: LONG_DASH } : {}),
  }));
  return frame(title, xTicks, yTicks, 'time since the receiver started (s)', yLabel, series, sx, sy);
}

/** The whole page. */
export function renderStreamHtml(report: StreamReport): string {
  const runs = report.runs;
  const title = `sockbench-loadgen stream: ${runs.map(runName).join(' vs ')}`;
  return htmlPage(
    title,
    '',
    `<p>report ${esc(report.createdAt)}, ${esc(report.tool.name)} ${esc(report.tool.version)}, Node.js ${esc(report.tool.node)}; goodput at the payload layer, counted by the receiver; dashed: down (the server sent)</p>
<h2>Receiver goodput per second</h2>
${chart(runs, 'Receiver goodput per second', 'goodput', (iv) => iv.bitsPerSec, formatBitRate, (r) => `${runName(r)}: ${formatBitRate(r.stream.receiver.bitsPerSec)}`)}
<h2>Jitter (RFC 3550) at the end of each second</h2>
${chart(runs, 'Jitter', 'jitter (ms)', (iv) => iv.jitterMs, (v) => `${v.toFixed(3)} ms`, (r) => `${runName(r)}: ${r.stream.receiver.jitterMs.toFixed(3)} ms`)}
<h2>Summary</h2>
<pre>${esc(renderStreamTable(runs))}</pre>
`,
  );
}
