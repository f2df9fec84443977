/** The human rendering of a STATS snapshot that the interactive `/stats` prints (`stats` prints JSON). */
import type { StatsSnapshot } from '@sockbench/protocol';

const int = (n: number): string => Math.round(n).toLocaleString('en-US');

/**
 * Renders `stats` as a few aligned lines: counters, then one row per message type of service time
 * (µs: count, p50, p99, p99.9, max). Fields the schema may add later are not shown here.
 */
export function formatStats(stats: StatsSnapshot): string {
  const errors = Object.entries(stats.errors)
    .filter(([, n]) => n > 0)
    .map(([name, n]) => `${name} ${int(n)}`);
  const lines = [
    `uptime ${(stats.uptimeMs / 1000).toFixed(1)} s, ${stats.processes} process${stats.processes === 1 ? '' : 'es'}`,
    `connections  ${int(stats.connections.current)} open, ${int(stats.connections.total)} total`,
    `frames       ${int(stats.frames.in)} in, ${int(stats.frames.out)} out`,
    `bytes        ${int(stats.bytes.in)} in, ${int(stats.bytes.out)} out`,
    `udp          ${int(stats.udp.in)} in, ${int(stats.udp.out)} out, ${int(stats.udp.dropped)} dropped`,
    `pool         ${int(stats.pool.threads)} threads, ${int(stats.pool.queued)} queued, ${int(stats.pool.completed)} completed`,
    `errors       ${errors.length === 0 ? 'none' : errors.join(', ')}`,
  ];
  const types = Object.entries(stats.serviceTimeUs);
  if (types.length > 0) {
    const cols = ['count', 'p50', 'p99', 'p99.9', 'max'];
    const rows = types.map(([name, s]) => [name, ...[s.count, s.p50, s.p99, s.p999, s.max].map(int)]);
    const nameWidth = Math.max(12, ...rows.map((r) => r[0]!.length));
    const width = Math.max(7, ...rows.flatMap((r) => r.slice(1).map((c) => c.length)));
    lines.push(`${'service µs'.padEnd(nameWidth)} ${cols.map((c) => c.padStart(width)).join(' ')}`);
    for (const r of rows) lines.push(`${r[0]!.padEnd(nameWidth)} ${r.slice(1).map((c) => c.padStart(width)).join(' ')}`);
  }
  return lines.join('\n');
}
