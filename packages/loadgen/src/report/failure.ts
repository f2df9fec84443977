/**
 * When a run fails (the CLI exits 1; its reports are still written) and the one line that says why:
 * the completed share, then every cause that is not zero (timeouts with their loss, errors by code,
 * lost connections, unexpected replies by kind), so a run that failed never reads as a clean one.
 */
import { UNEXPECTED_KINDS } from '../counters.js';
import { formatCounts, formatInt, formatPercent } from './format.js';
import type { RunReport } from './schema.js';

/**
 * True when a run failed: an error, a lost connection, an unexpected reply (a protocol error of the
 * target), or no completed request at all. Timeouts alone do not fail a run (UDP loses datagrams).
 */
export function runFailed(run: RunReport): boolean {
  const c = run.counters;
  return c.errors > 0 || c.connectionsLost > 0 || c.unexpected > 0 || c.completed === 0;
}

/** `n thing(s)`, the count with thousands separators. */
function count(n: number, one: string, many: string): string {
  return `${formatInt(n)} ${n === 1 ? one : many}`;
}

/**
 * The line naming why `run` failed, e.g. `0 of 24 requests completed, 24 timeouts (100.00% loss)` or
 * `196 of 200 requests completed, 4 errors (FRAME_TOO_LARGE 4), 2 lost connections, 2 unexpected
 * replies (frameTooLarge 2)`; null when it did not fail.
 */
export function failureReason(run: RunReport): string | null {
  if (!runFailed(run)) return null;
  const c = run.counters;
  const parts = [`${formatInt(c.completed)} of ${count(c.sent, 'request', 'requests')} completed`];
  if (c.timeouts > 0) parts.push(`${count(c.timeouts, 'timeout', 'timeouts')} (${formatPercent(run.results.lossPercent)} loss)`);
  if (c.errors > 0) parts.push(`${count(c.errors, 'error', 'errors')} (${formatCounts(c.errorsByCode)})`);
  if (c.connectionsLost > 0) parts.push(count(c.connectionsLost, 'lost connection', 'lost connections'));
  if (c.unexpected > 0) parts.push(`${count(c.unexpected, 'unexpected reply', 'unexpected replies')} (${formatCounts(c.unexpectedByKind, UNEXPECTED_KINDS)})`);
  return parts.join(', ');
}
