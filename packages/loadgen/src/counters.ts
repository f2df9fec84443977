/**
 * Request counters, kept per connection state in each generator thread, summed per thread, per
 * interval and per report. Identity at the end of a run: `sent = completed + errors + timeouts`.
 */

/** Counts of one thread, interval or run. Bytes are whole frames (header included) or raw bytes. */
export interface Counters {
  /** Requests sent inside the measured window. */
  sent: number;
  /** Requests answered with their reply (their latency is in the histogram). */
  completed: number;
  /** Requests answered with ERROR, or lost with their connection; see `errorsByCode`. */
  errors: number;
  /** Requests with no reply within `--timeout` ms (UDP: lost), or still unanswered when the drain ended. */
  timeouts: number;
  /** `errors` by reason: a protocol error name (`BUSY`, …) or an OS code (`ECONNRESET`, `CONNECTION_CLOSED`). */
  errorsByCode: Record<string, number>;
  /** Bytes written for measured requests. */
  bytesSent: number;
  /** Bytes of measured replies. */
  bytesReceived: number;
  /** UDP: replies that arrived after a reply to a later request. */
  reordered: number;
  /** UDP: a second reply to a request already answered. */
  duplicates: number;
  /** UDP: replies that arrived after their request had been counted as lost. */
  late: number;
  /** Latencies past 60 s, recorded as 60 s (counted, not lost). */
  clamped: number;
  /** Connections (TCP) that closed during the run; their requests in flight count as errors. */
  connectionsLost: number;
}

/** A zeroed {@link Counters}. */
export function emptyCounters(): Counters {
  return { sent: 0, completed: 0, errors: 0, timeouts: 0, errorsByCode: {}, bytesSent: 0, bytesReceived: 0, reordered: 0, duplicates: 0, late: 0, clamped: 0, connectionsLost: 0 };
}

const NUMERIC_KEYS = ['sent', 'completed', 'errors', 'timeouts', 'bytesSent', 'bytesReceived', 'reordered', 'duplicates', 'late', 'clamped', 'connectionsLost'] as const;

/** Adds `b` into `a` (mutates and returns `a`). */
export function addCounters(a: Counters, b: Counters): Counters {
  for (const k of NUMERIC_KEYS) a[k] += b[k];
  for (const [code, n] of Object.entries(b.errorsByCode)) a.errorsByCode[code] = (a.errorsByCode[code] ?? 0) + n;
  return a;
}

/** Sum of any number of counters, as a new object. */
export function sumCounters(all: Iterable<Counters>): Counters {
  const out = emptyCounters();
  for (const c of all) addCounters(out, c);
  return out;
}

/** Counts one error of `code` (mutates). */
export function countError(c: Counters, code: string, n = 1): void {
  c.errors += n;
  c.errorsByCode[code] = (c.errorsByCode[code] ?? 0) + n;
}

/** The names of {@link Counters}' numeric fields (for validation and tables). */
export const COUNTER_FIELDS: readonly (typeof NUMERIC_KEYS)[number][] = NUMERIC_KEYS;
