/** How an SLO verdict reads in the table and on the CLI's last lines: the measured value in the table's own units. */
import { formatBitRate, formatInt, formatPercent, formatUs } from '../report/format.js';
import type { SloResult } from './evaluate.js';
import { parseSlo, type Slo } from './parse.js';

function reparse(expr: string): Slo | null {
  try {
    return parseSlo(expr);
  } catch {
    // A hand-edited report may hold an expression this version does not parse: shown as stored.
    return null;
  }
}

/**
 * The measured value of a verdict as the table shows that quantity: `31 µs`, `1.23 ms`, `0.40%`,
 * `0`, `512 Mbit/s`; `-` when nothing was measured.
 */
export function formatSloValue(result: SloResult): string {
  if (result.value === null) return '-';
  const slo = reparse(result.expr);
  if (slo === null) return `${result.value} ${result.unit}`.trim();
  const base = result.value * slo.scale;
  switch (slo.metric) {
    case 'percentile':
    case 'jitter':
      return formatUs(base);
    case 'loss':
    case 'rate':
      return formatPercent(base);
    case 'errors':
      return formatInt(base);
    case 'throughput':
      return formatBitRate(base);
  }
}

/** One table cell: `held 31 µs` or `FAILED 1.23 ms`. */
export function sloCell(result: SloResult): string {
  return `${result.held ? 'held' : 'FAILED'} ${formatSloValue(result)}`;
}

/** The failed SLOs of one run as a list: `p50<1us (31 µs), loss<1% (2.00%)`. */
export function formatFailed(results: readonly SloResult[]): string {
  return results.map((r) => `${r.expr} (${formatSloValue(r)})`).join(', ');
}
