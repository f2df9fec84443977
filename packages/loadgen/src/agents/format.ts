/** The controller's per-agent table and its warnings (stderr). */
import { formatInt } from '../report/format.js';
import { CLOCK_BOUND_MS, type DistributedRun } from './controller.js';

function signed(ms: number): string {
  return `${ms >= 0 ? '+' : ''}${ms.toFixed(3)}`;
}

/**
 * One row per agent that reported (name, host, clock offset against Redis and the round trip it
 * came from, ms; start of measuring on Redis's clock; connections, sent, completed, req/s), a total
 * row.
 */
export function renderAgents(d: DistributedRun): string {
  const head = ['agent', 'host', 'offset ms', 'rtt ms', 'start (Redis clock)', 'conns', 'sent', 'completed', 'req/s'];
  const rows = d.agents.map((a) => [a.name, a.host, signed(a.offsetMs), a.rttMs.toFixed(3), a.startedAt.slice(11), String(a.connections), formatInt(a.counters.sent), formatInt(a.counters.completed), formatInt(a.requestsPerSec)]);
  if (d.run !== null) {
    const c = d.run.counters;
    rows.push(['total', '', '', '', `spread ${d.startSpreadMs} ms`, String(d.agents.reduce((n, a) => n + a.connections, 0)), formatInt(c.sent), formatInt(c.completed), formatInt(d.run.results.requestsPerSec)]);
  }
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]): string => cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ').trimEnd();
  // Failures are the command's last lines (cli.ts), not repeated here.
  return [line(head), ...rows.map(line)].join('\n');
}

/** Warnings past {@link CLOCK_BOUND_MS}: an agent's clock offset, its start uncertainty, the start spread. */
export function clockWarnings(d: DistributedRun): string[] {
  const out: string[] = [];
  for (const a of d.agents) {
    if (Math.abs(a.offsetMs) > CLOCK_BOUND_MS) out.push(`agent ${a.name}'s clock is ${signed(a.offsetMs)} ms off Redis's (bound ${CLOCK_BOUND_MS} ms): its start was corrected, but run NTP/chrony on it`);
    if (a.rttMs / 2 > CLOCK_BOUND_MS) out.push(`agent ${a.name}'s offset is only known to ±${(a.rttMs / 2).toFixed(1)} ms (TIME round trip ${a.rttMs.toFixed(1)} ms; bound ${CLOCK_BOUND_MS} ms)`);
  }
  if (d.startSpreadMs > CLOCK_BOUND_MS) out.push(`the agents started ${d.startSpreadMs} ms apart on Redis's clock (bound ${CLOCK_BOUND_MS} ms): intervals are aligned by index, so each second mixes slightly different times`);
  return out;
}
