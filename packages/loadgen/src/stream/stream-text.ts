/**
 * The stream report as text: the live line of each second (stderr), and the table of every run side
 * by side (a column per transport and direction, with a ratio column against the first run when there
 * are two), the wire estimates, socket notes and SLO verdicts.
 */
import type { LiveInterval } from '@sockbench/client';
import { alignTable, formatBitRate, formatInt, formatNum, formatPercent, formatUs } from '../report/format.js';
import { describeSocket } from '../socket-plan.js';
import { failedSlos } from '../slo/evaluate.js';
import { formatFailed, sloCell } from '../slo/format.js';
import type { StreamRunReport } from './stream-report.js';

/** `tcp up` / `udp down`: a run's name in tables, lines and charts. */
export function runName(r: Pick<StreamRunReport, 'plan'>): string {
  return `${r.plan.transport} ${r.plan.direction}`;
}

/** One live line: `tcp up  3s  sent 150 Mbit/s  13,393 msg/s` or, down, what arrived with loss so far and jitter. */
export function liveLine(transport: string, iv: LiveInterval): string {
  const head = `${transport} ${iv.direction}`.padEnd(9);
  const at = `${iv.index + 1}s`.padStart(4);
  // Both rates over the part of the second the duration covers (the last second may be partial).
  if (iv.direction === 'up') return `${head}${at}  sent ${formatBitRate(iv.bitsPerSec).padStart(12)}  ${formatInt(iv.messagesPerSec).padStart(9)} msg/s`;
  return `${head}${at}  received ${formatBitRate(iv.bitsPerSec).padStart(12)}  ${formatInt(iv.messagesPerSec).padStart(9)} msg/s  lost so far ${formatInt(iv.lost ?? 0)}  jitter ${(iv.jitterMs ?? 0).toFixed(3)} ms`;
}

function describePlan(r: StreamRunReport): string {
  const p = r.plan;
  const rate = p.bitrate === null ? 'unpaced (as fast as TCP takes)' : `${formatBitRate(p.bitrate)} offered per session`;
  return `stream ${p.host}:${p.port}, ${formatInt(p.size)}-byte messages, ${rate}, ${(p.durationMs / 1000).toFixed(p.durationMs % 1000 === 0 ? 0 : 1)} s, ${p.parallel} session${p.parallel === 1 ? '' : 's'} per direction${p.bidir ? ', both directions at once (--bidir)' : ''}`;
}

function ratio(a: number, b: number): string {
  return b === 0 ? '-' : `${(a / b).toFixed(2)}×`;
}

/** The table of runs, their notes and SLO lines. */
export function renderStreamTable(runs: readonly StreamRunReport[]): string {
  const withRatio = runs.length === 2;
  const header = ['', ...runs.map(runName), ...(withRatio ? [`${runName(runs[1]!)} / ${runName(runs[0]!)}`] : [])];
  const row = (label: string, cell: (r: StreamRunReport) => string, value?: (r: StreamRunReport) => number): string[] => [
    label,
    ...runs.map(cell),
    ...(withRatio ? [value ? ratio(value(runs[1]!), value(runs[0]!)) : ''] : []),
  ];
  const rx = (r: StreamRunReport): StreamRunReport['stream']['receiver'] => r.stream.receiver;
  const tx = (r: StreamRunReport): StreamRunReport['stream']['sender'] => r.stream.sender;
  const dv = (r: StreamRunReport, k: 'p50' | 'p99'): string => (rx(r).delayVariationUs === null ? '-' : formatUs(rx(r).delayVariationUs![k]));
  const body = [
    row('sender goodput', (r) => formatBitRate(tx(r).bitsPerSec), (r) => tx(r).bitsPerSec),
    row('  wire estimate', (r) => formatBitRate(tx(r).wireBitsPerSec)),
    row('receiver goodput', (r) => formatBitRate(rx(r).bitsPerSec), (r) => rx(r).bitsPerSec),
    row('  wire estimate', (r) => formatBitRate(rx(r).wireBitsPerSec)),
    row('messages sent', (r) => formatInt(tx(r).messages)),
    row('messages received', (r) => formatInt(rx(r).messages)),
    row('messages/s received', (r) => formatNum(rx(r).messagesPerSec), (r) => rx(r).messagesPerSec),
    row('lost', (r) => `${formatInt(rx(r).lost)} (${formatPercent(rx(r).lossPercent)})`),
    row('out of order (not lost)', (r) => formatInt(rx(r).outOfOrder)),
    row('duplicates', (r) => formatInt(rx(r).duplicates)),
    row('jitter (RFC 3550)', (r) => `${rx(r).jitterMs.toFixed(3)} ms`),
    row('|D| p50', (r) => dv(r, 'p50')),
    row('|D| p99', (r) => dv(r, 'p99')),
    row('waited for stragglers', (r) => `${formatInt(rx(r).waitedMs)} ms`),
  ];
  const sloExprs = [...new Set(runs.flatMap((r) => r.slo.map((s) => s.expr)))];
  for (const expr of sloExprs) body.push(row(`SLO ${expr}`, (r) => { const s = r.slo.find((x) => x.expr === expr); return s ? sloCell(s) : '-'; }));
  const plans = runs.map(describePlan);
  const lines = [...(plans.every((p) => p === plans[0]) ? [plans[0]!] : runs.map((r, i) => `${runName(r)}: ${plans[i]!}`)), '', alignTable([header, ...body])];
  lines.push('goodput: payload layer (whole messages, receiver counted at the receiver); ' + [...new Set(runs.map((r) => `${r.plan.transport} ${r.wire.note}`))].join('; '));
  lines.push('receiver: up = the server counted, down = this side counted (the same accounting, @sockbench/protocol StreamReceiver)');
  for (const r of runs) {
    const socket = describeSocket(r.plan.socket, r.socketBuffers);
    if (socket !== null) lines.push(`${runName(r)} socket: ${socket}`);
    if (r.interrupted) lines.push(`${runName(r)}: interrupted (Ctrl-C)`);
  }
  for (const r of runs) {
    const missed = failedSlos(r.slo);
    if (missed.length > 0) lines.push(`${runName(r)} SLOs failed: ${formatFailed(missed)}`);
  }
  return lines.join('\n');
}
