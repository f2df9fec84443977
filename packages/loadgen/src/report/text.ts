/**
 * The human table (stderr): one column per run, and with two runs or more a ratio column per run
 * against the first (`udp/tcp`). Latency rows are µs-based with units; throughput in req/s,
 * packets/s and bit/s (SI prefixes) at three layers. Below the client's round trip: the server's
 * service time over the same window, CPU on both ends, where UDP datagrams were lost, and TCP
 * retransmissions; then one line per run for each caveat of the server's view (or why it is missing).
 */
import { isIPv6 } from 'node:net';
import { formatDuration } from '@sockbench/options';
import type { LatencySummary } from '../histogram.js';
import { UNEXPECTED_KINDS } from '../counters.js';
import type { LoadPlan } from '../options.js';
import { alignTable, formatBitRate, formatCounts, formatInt, formatNum, formatPercent, formatUs } from './format.js';
import { requestLayerBytes, type RunReport, type ServerUdpView } from './schema.js';
import { DEFAULT_PERCENTILES, parsePercentiles, percentileLabel } from './percentiles.js';
import { decodeHistogram, type Histogram } from '../histogram.js';
import { failedSlos } from '../slo/evaluate.js';
import { formatFailed, sloCell } from '../slo/format.js';
import { opTypeName } from '../window/window-view.js';
import { describeSocket } from '../socket-plan.js';

/** One line describing a plan: target, op, load shape and time. */
export function describePlan(plan: LoadPlan): string {
  const op = plan.op === 'ping' ? 'ping' : plan.op === 'compute' ? `compute ${plan.iterations}× over ${plan.size} B` : `echo ${plan.size} B`;
  const loop = plan.rate !== null ? `open loop ${formatInt(plan.rate)} req/s, ${plan.pacing ?? 'spin'} pacing` : `closed loop, pipeline ${plan.pipeline ?? 1}`;
  const span = plan.requests !== null ? `${formatInt(plan.requests)} requests` : formatDuration(plan.durationMs ?? 0);
  const warm = plan.warmupMs > 0 ? ` (+${formatDuration(plan.warmupMs)} warm-up)` : '';
  return `${plan.host}:${plan.port}  ${op}  ${plan.connections} connections × ${plan.threads} threads  ${loop}  ${span}${warm}`;
}

type Row = { label: string; value: (r: RunReport) => number; show: (n: number) => string; ratio: boolean };

/** The latency rows after the percentiles: from the run's summary. */
const LATENCY_TAIL_ROWS: readonly [string, keyof LatencySummary][] = [
  ['max', 'max'],
  ['mean', 'mean'],
  ['stdev', 'stdev'],
];

/** How {@link renderTable} lays out its rows. */
export interface TableOptions {
  /**
   * The latency percentiles shown, each in (0, 100] (`--percentiles`); default
   * {@link DEFAULT_PERCENTILES}. Values come from each run's histogram, so a percentile the JSON
   * summary lacks (p95 of an older report, p99.5) is shown too.
   */
  percentiles?: readonly number[];
}

const NONE = Number.NaN;

/** The run's own op in the server's window (ECHO, PING, COMPUTE), or undefined. */
function serviceOf(r: RunReport): { p50: number; p99: number; p999: number } | undefined {
  return r.server?.serviceTimeUs[opTypeName(r.plan)];
}

function udpOf(r: RunReport): ServerUdpView | null {
  return r.server?.udp ?? null;
}

function sumValues(m: Record<string, number>): number {
  return Object.values(m).reduce((a, b) => a + b, 0);
}

/** A run's latency histogram, decoded once per table. */
function latencyHistograms(): (r: RunReport) => Histogram {
  const cache = new Map<RunReport, Histogram>();
  return (r) => {
    let h = cache.get(r);
    if (h === undefined) cache.set(r, (h = decodeHistogram(r.histograms.latency)));
    return h;
  };
}

function rows(runs: readonly RunReport[], percentiles: readonly number[]): Row[] {
  const latencyOf = latencyHistograms();
  const openLoop = runs.some((r) => r.results.uncorrectedUs !== null);
  const count = (n: number): string => (Number.isFinite(n) ? formatInt(n) : '-');
  const us = (n: number): string => (Number.isFinite(n) ? `${formatNum(n)} µs` : '-');
  const num = (n: number): string => (Number.isFinite(n) ? formatNum(n) : '-');
  const out: Row[] = [
    { label: 'requests/s', value: (r) => r.results.requestsPerSec, show: formatNum, ratio: true },
    { label: 'packets/s sent', value: (r) => r.results.packetsPerSec.sent, show: formatNum, ratio: true },
    { label: 'packets/s received', value: (r) => r.results.packetsPerSec.received, show: formatNum, ratio: true },
    { label: 'bit/s payload', value: (r) => r.results.mbitPerSec.payload * 1e6, show: formatBitRate, ratio: true },
    { label: 'bit/s frame (+12 B header)', value: (r) => r.results.mbitPerSec.frame * 1e6, show: formatBitRate, ratio: true },
    { label: 'bit/s on the wire (estimate)', value: (r) => r.results.mbitPerSec.wire * 1e6, show: formatBitRate, ratio: true },
  ];
  const name = openLoop ? 'latency (corrected)' : 'latency';
  for (const p of percentiles) {
    out.push({ label: `${name} ${percentileLabel(p)}`, value: (r) => { const h = latencyOf(r); return h.totalCount === 0 ? 0 : h.getValueAtPercentile(p); }, show: formatUs, ratio: true });
  }
  for (const [label, key] of LATENCY_TAIL_ROWS) out.push({ label: `${name} ${label}`, value: (r) => r.results.latencyUs[key], show: formatUs, ratio: true });
  if (openLoop) {
    for (const [label, key] of [['p50', 'p50'], ['p99', 'p99'], ['max', 'max']] as const) {
      out.push({ label: `uncorrected ${label}`, value: (r) => r.results.uncorrectedUs?.[key] ?? Number.NaN, show: formatUs, ratio: true });
    }
  }
  for (const [label, key] of [['p50', 'p50'], ['p99', 'p99'], ['p99.9', 'p999']] as const) {
    out.push({ label: `server service time ${label}`, value: (r) => serviceOf(r)?.[key] ?? NONE, show: formatUs, ratio: true });
  }
  out.push(
    { label: 'server CPU per request', value: (r) => r.server?.cpu?.usPerRequest ?? NONE, show: us, ratio: true },
    { label: 'server CPU cores', value: (r) => r.server?.cpu?.cores ?? NONE, show: num, ratio: true },
    { label: 'generator CPU per request', value: (r) => r.generatorCpu?.usPerRequest ?? NONE, show: us, ratio: true },
    { label: 'generator CPU cores', value: (r) => r.generatorCpu?.cores ?? NONE, show: num, ratio: true },
    { label: 'sent', value: (r) => r.counters.sent, show: formatInt, ratio: false },
    { label: 'completed', value: (r) => r.counters.completed, show: formatInt, ratio: false },
    { label: 'errors', value: (r) => r.counters.errors, show: formatInt, ratio: false },
    { label: 'timeouts (lost)', value: (r) => r.counters.timeouts, show: formatInt, ratio: false },
    { label: 'loss', value: (r) => r.results.lossPercent, show: formatPercent, ratio: false },
  );
  if (runs.some((r) => udpOf(r) !== null)) {
    out.push(
      { label: 'lost on the way to the server', value: (r) => udpOf(r)?.lostToServer ?? NONE, show: count, ratio: false },
      { label: 'dropped at the server', value: (r) => { const u = udpOf(r); return u ? sumValues(u.droppedAtServer) : NONE; }, show: count, ratio: false },
      { label: 'kernel drops, server port', value: (r) => udpOf(r)?.kernelDrops ?? NONE, show: count, ratio: false },
      { label: 'lost on the way back', value: (r) => udpOf(r)?.lostFromServer ?? NONE, show: count, ratio: false },
    );
  }
  out.push(
    { label: 'late (after timeout)', value: (r) => r.counters.late, show: formatInt, ratio: false },
    { label: 'reordered', value: (r) => r.counters.reordered, show: formatInt, ratio: false },
    { label: 'duplicates', value: (r) => r.counters.duplicates, show: formatInt, ratio: false },
    { label: 'unexpected replies', value: (r) => r.counters.unexpected, show: formatInt, ratio: false },
    { label: 'TCP retransmits, server host', value: (r) => r.server?.tcpRetransmits ?? NONE, show: count, ratio: false },
    { label: 'TCP retransmits, generator host', value: (r) => r.generatorHost?.tcpRetransmits ?? NONE, show: count, ratio: false },
  );
  return out;
}

/** What the wire estimate adds per request, and what "host-wide" means: the notes under the table. */
function layerNotes(runs: readonly RunReport[]): string[] {
  const parts = [...new Set(runs.map((r) => {
    const b = requestLayerBytes(r.plan);
    const datagram = r.plan.transport === 'udp' || r.plan.transport === 'raw-udp';
    const ip = isIPv6(r.plan.host) ? 'IPv6' : 'IPv4';
    return `${r.plan.transport} +${b.wire - b.frame} B ${datagram ? 'UDP' : 'TCP'}/${ip}${datagram ? '' : ' (one frame per segment assumed)'}`;
  }))];
  return [`bit/s: the measured requests, generator → server; wire estimate per request: ${parts.join(', ')}`, 'TCP retransmits: host-wide (every TCP connection of that host, not only this run\'s)'];
}

/** The lines under the table about each run's server view. */
function serverLines(r: RunReport): string[] {
  const t = r.plan.transport;
  if (r.server === null) return [`${t}: no server view: ${r.serverMissing ?? 'unknown reason'}`];
  const lines: string[] = [];
  const u = r.server.udp;
  if (u !== null) {
    const dropped = Object.entries(u.droppedAtServer);
    if (dropped.length > 0) lines.push(`${t} dropped at the server: ${dropped.map(([c, n]) => `${c} ${formatInt(n)}`).join(', ')}`);
    lines.push(`${t} server UDP counts: ${u.source === 'peers' ? "this generator's own sockets (the server's per-peer counters)" : "the server's totals"}, received ${formatInt(u.received)}, answered ${formatInt(u.answered)}`);
  }
  for (const note of r.server.notes) lines.push(`${t} server view: ${note}`);
  return lines;
}

/** One row per SLO expression any run was judged by (in the order given): `held 31 µs` / `FAILED 1.23 ms`. */
function sloRows(runs: readonly RunReport[]): string[][] {
  const exprs = [...new Set(runs.flatMap((r) => (r.slo ?? []).map((v) => v.expr)))];
  return exprs.map((expr) => {
    const cells = [`SLO ${expr}`];
    for (const r of runs) {
      const v = r.slo?.find((x) => x.expr === expr);
      cells.push(v === undefined ? '-' : sloCell(v));
    }
    for (let i = 1; i < runs.length; i++) cells.push('');
    return cells;
  });
}

/** One line per run judged by SLOs: `tcp SLOs: all 2 held` or `tcp SLOs: 1 of 2 failed: p50<1us (31 µs)`. */
export function sloSummary(r: RunReport): string | null {
  const all = r.slo ?? [];
  if (all.length === 0) return null;
  const failed = failedSlos(all);
  const t = r.plan.transport;
  return failed.length === 0 ? `${t} SLOs: all ${all.length} held` : `${t} SLOs: ${failed.length} of ${all.length} failed: ${formatFailed(failed)}`;
}

/**
 * Renders runs side by side. Lines: the plan, the table (latency rows per `options.percentiles`, one
 * row per SLO at the end), errors by code, unexpected replies by kind, each run's self-check verdict,
 * and each run's SLO summary.
 * @throws UsageError when `options.percentiles` is not a valid list (see {@link parsePercentiles})
 */
export function renderTable(runs: readonly RunReport[], options: TableOptions = {}): string {
  const first = runs[0];
  if (!first) return '';
  const header = ['', ...runs.map((r) => r.plan.transport)];
  const ratioCols = runs.slice(1).map((r) => `${r.plan.transport}/${first.plan.transport}`);
  header.push(...ratioCols);
  const percentiles = options.percentiles ?? parsePercentiles(DEFAULT_PERCENTILES);
  const body = rows(runs, percentiles).map((row) => {
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
  const lines = [...planLines, '', alignTable([header, ...body, ...sloRows(runs)])];
  for (const r of runs) {
    if (Object.keys(r.counters.errorsByCode).length > 0) lines.push(`${r.plan.transport} errors: ${formatCounts(r.counters.errorsByCode)}`);
    if (r.counters.unexpected > 0) lines.push(`${r.plan.transport} unexpected replies: ${formatCounts(r.counters.unexpectedByKind, UNEXPECTED_KINDS)}`);
    if (r.interrupted) lines.push(`${r.plan.transport}: interrupted after ${(r.durationMs / 1000).toFixed(1)} s of measuring (Ctrl-C)`);
    if (r.counters.clamped > 0) lines.push(`${r.plan.transport}: ${formatInt(r.counters.clamped)} latencies past 60 s recorded as 60 s`);
    const socket = describeSocket(r.plan.socket, r.socketBuffers);
    if (socket !== null) lines.push(`${r.plan.transport} socket: ${socket}`);
  }
  lines.push(...layerNotes(runs));
  for (const r of runs) lines.push(...serverLines(r));
  lines.push('');
  for (const r of runs) lines.push(`${r.plan.transport} self-check: ${r.selfCheck.verdict}`);
  for (const r of runs) {
    const line = sloSummary(r);
    if (line !== null) lines.push(line);
  }
  return lines.join('\n');
}
