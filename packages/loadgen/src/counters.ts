/**
 * Request counters, kept per connection state in each generator thread, summed per thread, per
 * interval and per report. Identity at the end of a run: `sent = completed + errors + timeouts`.
 * Unexpected replies stand outside it: they answer no request.
 */

/**
 * Kinds of {@link Counters.unexpected}, a protocol error of the target:
 * - `unsentId`: a reply whose id was never sent on that connection or socket (over UDP id 0 too, as
 *   the server never pushes there; raw-tcp: echoed bytes beyond every request sent);
 * - `badFrame`: bytes that are no frame: unknown version, reserved flag bits, a datagram shorter than
 *   the 12-byte header or not the size its header says (raw-udp: under the 4-byte id). TCP closes;
 * - `frameTooLarge`: a header announcing a payload over the 1 MiB the generator accepts. TCP closes.
 */
export const UNEXPECTED_KINDS = ['unsentId', 'badFrame', 'frameTooLarge'] as const;

/** One of {@link UNEXPECTED_KINDS}. */
export type UnexpectedKind = (typeof UNEXPECTED_KINDS)[number];

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
  /**
   * Replies to a request sent on that connection that had already timed out (UDP: was counted as
   * lost), or that came so late that its ring slot holds a newer request (a duplicate that late is
   * counted here too: the ring no longer knows).
   */
  late: number;
  /** Replies never asked for, and bytes that decode as no frame: a protocol error, see `unexpectedByKind`. Added within version 1. */
  unexpected: number;
  /** `unexpected` by {@link UnexpectedKind}; only kinds seen are present. Added within version 1. */
  unexpectedByKind: Record<string, number>;
  /** Latencies past 60 s, recorded as 60 s (counted, not lost). */
  clamped: number;
  /** Connections (TCP) that closed during the run; their requests in flight count as errors. */
  connectionsLost: number;
}

/** A zeroed {@link Counters}. */
export function emptyCounters(): Counters {
  return { sent: 0, completed: 0, errors: 0, timeouts: 0, errorsByCode: {}, bytesSent: 0, bytesReceived: 0, reordered: 0, duplicates: 0, late: 0, unexpected: 0, unexpectedByKind: {}, clamped: 0, connectionsLost: 0 };
}

const NUMERIC_KEYS = ['sent', 'completed', 'errors', 'timeouts', 'bytesSent', 'bytesReceived', 'reordered', 'duplicates', 'late', 'unexpected', 'clamped', 'connectionsLost'] as const;

function addRecord(a: Record<string, number>, b: Record<string, number>): void {
  for (const [k, n] of Object.entries(b)) a[k] = (a[k] ?? 0) + n;
}

/** Adds `b` into `a` (mutates and returns `a`). */
export function addCounters(a: Counters, b: Counters): Counters {
  for (const k of NUMERIC_KEYS) a[k] += b[k];
  addRecord(a.errorsByCode, b.errorsByCode);
  addRecord(a.unexpectedByKind, b.unexpectedByKind);
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

/** Counts one unexpected reply of `kind` (mutates). */
export function countUnexpected(c: Counters, kind: UnexpectedKind): void {
  c.unexpected++;
  c.unexpectedByKind[kind] = (c.unexpectedByKind[kind] ?? 0) + 1;
}

/** The names of {@link Counters}' numeric fields (for validation and tables). */
export const COUNTER_FIELDS: readonly (typeof NUMERIC_KEYS)[number][] = NUMERIC_KEYS;
