/**
 * The JSON report, schema `sockbench.loadgen.report` version 1. A report holds one run per transport
 * (`run` writes one, `compare` several). Each run keeps its plan, raw counters, the derived results,
 * the generator's self-check, one entry per second, and its histograms in HdrHistogram's compressed
 * base64 form, so reports from several machines add up exactly (`merge`).
 *
 * Units: µs for latencies, ms for times, bytes, req/s, MB/s (10^6 bytes per second).
 *
 * Fields added within version 1 are optional on reading: a report written before them reads as if
 * they were zero (counters `unexpected`, `unexpectedByKind`), so old reports still render and merge.
 */
import { COUNTER_FIELDS, type Counters } from '../counters.js';
import { ReportFormatError } from '../errors.js';
import { decodeHistogram, summarize, type LatencySummary } from '../histogram.js';
import { OPS, TRANSPORTS, type LoadPlan } from '../options.js';

/** Value of the `schema` field. */
export const REPORT_SCHEMA = 'sockbench.loadgen.report';
/** Value of the `version` field this code writes and reads. */
export const REPORT_VERSION = 1;

/** Event-loop delay and busy share of one generator thread over the measured window. */
export interface ThreadCheck {
  /** Generator thread index (with several generators merged: `generator:thread`). */
  thread: string;
  /** Event-loop delay percentiles, ms (perf_hooks.monitorEventLoopDelay, 10 ms resolution). */
  loopDelayMs: { p50: number; p99: number; max: number };
  /** Event-loop utilization, 0..1 (share of the time the thread was busy). */
  utilization: number;
}

/** How far the generator kept its own plan. */
export interface SelfCheck {
  /** Open loop: intended rate, req/s (null in closed loop). */
  intendedRate: number | null;
  /** Requests sent per second of the measured window. */
  achievedRate: number;
  /** Open loop: how late sends left against their schedule, µs (null in closed loop). */
  sendSlipUs: { p50: number; p99: number; max: number } | null;
  threads: ThreadCheck[];
  /** True when the generator, not the target, limited the run. */
  generatorBound: boolean;
  /** One line saying whether the generator kept up, and why not. */
  verdict: string;
}

/** Results derived from counters and histograms (recomputed by `merge`). */
export interface RunResults {
  requestsPerSec: number;
  /** Bytes sent / received per second, MB/s (10^6 B/s). */
  mbPerSecSent: number;
  mbPerSecReceived: number;
  /** Timeouts as a share of sent, percent (UDP: loss). */
  lossPercent: number;
  /** Latency, µs. Open loop: from the scheduled send time (coordinated omission corrected). */
  latencyUs: LatencySummary;
  /** Open loop only: latency from the actual send time (uncorrected service time), µs. */
  uncorrectedUs: LatencySummary | null;
}

/** One second of one run (all threads added). `startMs`/`endMs` count from the start of measuring. */
export interface IntervalReport {
  index: number;
  startMs: number;
  endMs: number;
  counters: Counters;
  requestsPerSec: number;
  latencyUs: { p50: number; p99: number; max: number };
  /** Latencies completed in this second, compressed HdrHistogram (µs). */
  histogram: string;
}

/** One run: one plan against one transport. */
export interface RunReport {
  plan: LoadPlan;
  /** How many generator processes' reports were merged into this one (1 for a plain run). */
  generators: number;
  /** Present and true when the run was ended early (Ctrl-C); `durationMs` is then the time measured. */
  interrupted?: boolean;
  /** Wall-clock start of measuring, ISO 8601. */
  startedAt: string;
  /** Measured window, ms (with several generators: the longest). */
  durationMs: number;
  counters: Counters;
  results: RunResults;
  selfCheck: SelfCheck;
  intervals: IntervalReport[];
  histograms: {
    /** Latency (open loop: corrected), compressed HdrHistogram, µs. */
    latency: string;
    /** Open loop: uncorrected service time; null in closed loop. */
    uncorrected: string | null;
    /** Open loop: send slip behind schedule; null in closed loop. */
    slip: string | null;
  };
}

/** The whole report file. */
export interface Report {
  schema: typeof REPORT_SCHEMA;
  version: typeof REPORT_VERSION;
  /** ISO 8601. */
  createdAt: string;
  tool: { name: string; version: string; node: string };
  runs: RunReport[];
}

/** Computes {@link RunResults} from counters, the duration and the compressed histograms. */
export function deriveResults(counters: Counters, durationMs: number, latency: string, uncorrected: string | null): RunResults {
  const seconds = durationMs / 1000;
  const perSec = (n: number): number => (seconds > 0 ? n / seconds : 0);
  return {
    requestsPerSec: perSec(counters.completed),
    mbPerSecSent: perSec(counters.bytesSent) / 1e6,
    mbPerSecReceived: perSec(counters.bytesReceived) / 1e6,
    lossPercent: counters.sent > 0 ? (100 * counters.timeouts) / counters.sent : 0,
    latencyUs: summarize(decodeHistogram(latency)),
    uncorrectedUs: uncorrected === null ? null : summarize(decodeHistogram(uncorrected)),
  };
}

/** Where a report came from, for error messages. */
function fail(source: string, path: string, want: string): never {
  throw new ReportFormatError(`${source}: ${path} must be ${want}`);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function num(o: Record<string, unknown>, key: string, source: string, path: string, nullable = false): void {
  const v = o[key];
  if (nullable && v === null) return;
  if (typeof v !== 'number' || !Number.isFinite(v)) fail(source, `${path}.${key}`, nullable ? 'a number or null' : 'a number');
}

function str(o: Record<string, unknown>, key: string, source: string, path: string, nullable = false): void {
  const v = o[key];
  if (nullable && v === null) return;
  if (typeof v !== 'string') fail(source, `${path}.${key}`, nullable ? 'a string or null' : 'a string');
}

/** Counter fields added within version 1, with the value a report written before them means. */
const ADDED_COUNTERS = { unexpected: () => 0, unexpectedByKind: () => ({}) } as const;

function checkCounts(v: Record<string, unknown>, key: string, source: string, path: string): void {
  const o = v[key];
  if (!isObject(o)) fail(source, `${path}.${key}`, 'an object');
  for (const [k, n] of Object.entries(o)) {
    if (typeof n !== 'number') fail(source, `${path}.${key}.${k}`, 'a number');
  }
}

function checkCounters(v: unknown, source: string, path: string): void {
  if (!isObject(v)) fail(source, path, 'an object');
  for (const [k, zero] of Object.entries(ADDED_COUNTERS)) if (!(k in v)) v[k] = zero();
  for (const k of COUNTER_FIELDS) num(v, k, source, path);
  checkCounts(v, 'errorsByCode', source, path);
  checkCounts(v, 'unexpectedByKind', source, path);
}

function checkPlan(v: unknown, source: string, path: string): void {
  if (!isObject(v)) fail(source, path, 'an object');
  str(v, 'host', source, path);
  for (const k of ['port', 'connections', 'threads', 'size', 'iterations', 'warmupMs', 'timeoutMs']) num(v, k, source, path);
  for (const k of ['durationMs', 'requests', 'pipeline', 'rate']) num(v, k, source, path, true);
  if (!(TRANSPORTS as readonly unknown[]).includes(v.transport)) fail(source, `${path}.transport`, `one of ${TRANSPORTS.join(', ')}`);
  if (!(OPS as readonly unknown[]).includes(v.op)) fail(source, `${path}.op`, `one of ${OPS.join(', ')}`);
}

function checkRun(v: unknown, source: string, path: string): void {
  if (!isObject(v)) fail(source, path, 'an object');
  checkPlan(v.plan, source, `${path}.plan`);
  num(v, 'generators', source, path);
  num(v, 'durationMs', source, path);
  str(v, 'startedAt', source, path);
  checkCounters(v.counters, source, `${path}.counters`);
  if (!isObject(v.results)) fail(source, `${path}.results`, 'an object');
  if (!isObject(v.selfCheck)) fail(source, `${path}.selfCheck`, 'an object');
  if (!Array.isArray(v.selfCheck.threads)) fail(source, `${path}.selfCheck.threads`, 'an array');
  if (!Array.isArray(v.intervals)) fail(source, `${path}.intervals`, 'an array');
  v.intervals.forEach((iv: unknown, i: number) => {
    const p = `${path}.intervals[${i}]`;
    if (!isObject(iv)) fail(source, p, 'an object');
    for (const k of ['index', 'startMs', 'endMs']) num(iv, k, source, p);
    checkCounters(iv.counters, source, `${p}.counters`);
    str(iv, 'histogram', source, p);
  });
  if (!isObject(v.histograms)) fail(source, `${path}.histograms`, 'an object');
  str(v.histograms, 'latency', source, `${path}.histograms`);
  str(v.histograms, 'uncorrected', source, `${path}.histograms`, true);
  str(v.histograms, 'slip', source, `${path}.histograms`, true);
  try {
    decodeHistogram(v.histograms.latency as string);
  } catch {
    fail(source, `${path}.histograms.latency`, 'a compressed base64 HdrHistogram');
  }
}

/**
 * Checks that `value` is a report this version reads (schema, version, every field the code uses);
 * counter fields added within version 1 that it lacks are filled in as zero (in place).
 * @param source a name for messages (a file name)
 * @throws ReportFormatError naming the source and the first bad field
 */
export function validateReport(value: unknown, source = 'report'): Report {
  if (!isObject(value)) fail(source, 'the report', 'a JSON object');
  if (value.schema !== REPORT_SCHEMA) fail(source, 'schema', `"${REPORT_SCHEMA}"`);
  if (value.version !== REPORT_VERSION) {
    throw new ReportFormatError(`${source}: report version ${String(value.version)} is not supported (this tool reads version ${REPORT_VERSION})`);
  }
  str(value, 'createdAt', source, 'report');
  if (!isObject(value.tool)) fail(source, 'tool', 'an object');
  if (!Array.isArray(value.runs) || value.runs.length === 0) fail(source, 'runs', 'a non-empty array');
  value.runs.forEach((r: unknown, i: number) => checkRun(r, source, `runs[${i}]`));
  return value as unknown as Report;
}

/**
 * Parses report text (JSON) and validates it.
 * @throws ReportFormatError when it is not JSON or not a report
 */
export function parseReport(text: string, source = 'report'): Report {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new ReportFormatError(`${source}: not JSON (${(err as Error).message})`);
  }
  return validateReport(value, source);
}
