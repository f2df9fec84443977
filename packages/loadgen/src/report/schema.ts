/**
 * The JSON report, schema `sockbench.loadgen.report` version 2. A report holds one run per transport
 * (`run` writes one, `compare` several). Each run keeps its plan, raw counters, the derived results,
 * the generator's self-check, one entry per second, its histograms in HdrHistogram's compressed
 * base64 form, so reports from several machines add up exactly (`merge`), and (version 2) the
 * server's view of the measured window, the generator's CPU and its host's TCP retransmissions.
 * Version 1 reports are still read: {@link parseReport} upgrades them (no server view).
 *
 * Units: µs for latencies and CPU time, ms for times, bytes, req/s, packets/s, Mbit/s (10^6 bit/s),
 * MB/s (10^6 bytes per second, JSON only).
 *
 * Fields added within a version are optional on reading: a report written before them reads as if
 * they were zero (counters `unexpected`, `unexpectedByKind`; a thread's `pacerWaiting`), or what
 * the code then did (`plan.pacing`: `spin` in open loop), so old reports still render and merge.
 */
import type { AgentRun } from '../agents/protocol.js';
import { isIPv6 } from 'node:net';
import { ErrorCode, HEADER_SIZE } from '@sockbench/protocol';
import { COUNTER_FIELDS, type Counters } from '../counters.js';
import { ReportFormatError } from '../errors.js';
import { decodeHistogram, summarize, type LatencySummary } from '../histogram.js';
import { PACINGS } from '../generator/pacing.js';
import { OPS, TRANSPORTS, type LoadPlan } from '../options.js';
import type { SloResult } from '../slo/evaluate.js';

/** Value of the `schema` field. */
export const REPORT_SCHEMA = 'sockbench.loadgen.report';
/** Value of the `version` field this code writes. */
export const REPORT_VERSION = 2;
/** Versions this code reads (older ones are upgraded on read). */
export const READABLE_VERSIONS: readonly number[] = [1, 2];

/** Event-loop delay and how one generator thread spent the measured window (and drain). */
export interface ThreadCheck {
  /** Generator thread index (with several generators merged: `generator:thread`). */
  thread: string;
  /** Event-loop delay percentiles, ms (perf_hooks.monitorEventLoopDelay, 10 ms resolution). */
  loopDelayMs: { p50: number; p99: number; max: number };
  /**
   * Share of the time doing work (sending, receiving, recording), 0..1: event-loop utilization less
   * the pacer's busy wait. Reports written before `pacerWaiting` existed hold the event-loop
   * utilization here, spin included.
   */
  utilization: number;
  /** Share of the time the pacer busy-waited for send times (`--pacing spin`), 0..1; added within version 2 (reads as 0 when absent). */
  pacerWaiting: number;
  /** Event-loop utilization as Node measures it (`utilization + pacerWaiting`), 0..1; added within version 2 (reads as `utilization` when absent). */
  eventLoopUtilization: number;
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

/** Throughput of the measured requests at three layers, Mbit/s (10^6 bit/s). */
export interface LayerRates {
  /** The frames' payloads (raw: the messages). */
  payload: number;
  /** Whole frames: payload + the 12-byte header (raw: same as payload). */
  frame: number;
  /**
   * Estimate on the wire: frame + 28 B (UDP/IPv4; 48 B over IPv6) or 40 B (TCP/IPv4; 60 B over IPv6)
   * per request. For TCP this assumes one frame per segment (pipelined frames share segments, so it
   * overestimates) and leaves out ACKs; Ethernet framing is left out for both.
   */
  wire: number;
}

/** Results derived from counters and histograms (recomputed by `merge`). */
export interface RunResults {
  /** Completed requests per second of the measured window. */
  requestsPerSec: number;
  /**
   * Requests (generator → server): measured requests sent per second × their bytes × 8, at each
   * layer. ECHO replies carry the same bytes back; see `packetsPerSec.received` for the replies' rate.
   */
  mbitPerSec: LayerRates;
  /**
   * `sent`: measured requests sent per second; `received`: replies received per second (completed,
   * error replies, late and duplicate replies). One request or reply is one datagram over UDP and one
   * frame over TCP (a segment when one frame goes per segment).
   */
  packetsPerSec: { sent: number; received: number };
  /** Bytes sent / received per second, MB/s (10^6 B/s); kept in the JSON, not in the table. */
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

/** Service time of one message type on the server over the window, µs (HdrHistogram percentiles). */
export interface ServiceTimeWindow {
  count: number;
  p50: number;
  p99: number;
  p999: number;
  max: number;
}

/** CPU used over the window: µs of user + system time per completed request, and cores busy. */
export interface CpuUse {
  /** CPU time (user + system) over the window, µs. */
  userUs: number;
  systemUs: number;
  /** (user + system) / requests, µs; null when no request was served. */
  usPerRequest: number | null;
  /** (user + system) / window length: 1.0 = one core busy all the time. */
  cores: number;
}

/**
 * Where the datagrams of a UDP run went, from the server's counters. Unlike the rest of the view,
 * these count from a baseline snapshot taken before the load started (nothing in flight, so every
 * count is exact) to after the drain: with a warm-up they include it.
 */
export interface ServerUdpView {
  /**
   * `peers`: the server's per-peer counters of this generator's own sockets; `totals`: the server's
   * whole UDP traffic (the generator's addresses were not found: NAT, a proxy, an older server).
   */
  source: 'peers' | 'totals';
  /** Datagrams the server received (from this generator with `peers`). */
  received: number;
  /** Replies the server sent. */
  answered: number;
  /**
   * Requests the generator sent − datagrams the server received: lost on the way to the server,
   * including those the server's kernel dropped (see `kernelDrops`).
   */
  lostToServer: number;
  /** Datagrams the server received and dropped, by error-code name. */
  droppedAtServer: Record<string, number>;
  /** Drops by the kernel on the server's UDP socket(s), all peers of that port; null where unknown. */
  kernelDrops: number | null;
  /** Replies the server sent − replies the generator received: lost on the way back. */
  lostFromServer: number;
}

/** The server's view of one run's measured window: the difference of two STATS snapshots. */
export interface ServerView {
  /** `host:port` the STATS snapshots came from. */
  address: string;
  /** Time between the two snapshots on the server's clock (its uptime), ms. */
  windowMs: number;
  /** Per message-type name (ECHO, COMPUTE, …): the window's service time; `{}` when not available. */
  serviceTimeUs: Record<string, ServiceTimeWindow>;
  /** The window's service-time histograms by type name, compressed HdrHistogram, µs. */
  serviceTimeHistograms: Record<string, string>;
  /** UDP runs: where the datagrams went; null over TCP. */
  udp: ServerUdpView | null;
  /** Every server process (pool threads included) over the window; null from an older server. */
  cpu: CpuUse | null;
  /** RetransSegs delta of the server's host (host-wide, all its TCP); null where not known. */
  tcpRetransmits: number | null;
  /** Caveats, one line each: a fallback to totals, other clients' traffic seen, fields missing. */
  notes: string[];
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
  /** The server's view of the measured window (STATS before and after), or null: see `serverMissing`. */
  server: ServerView | null;
  /** Present when `server` is null: why (raw target, STATS refused or timed out, merged report, …). */
  serverMissing?: string;
  /** The generator process (every thread) over the window; null in upgraded version 1 reports. */
  generatorCpu: CpuUse | null;
  /** The generator's host over the window: RetransSegs delta (host-wide); null where not known. */
  generatorHost: { tcpRetransmits: number | null } | null;
  /**
   * The `--slo` verdicts, in the order given (`[]` when none was asked); absent in reports written
   * before SLOs existed and in merged runs (added within version 2).
   */
  slo?: SloResult[];
  /**
   * A run split over agents (`--agents`): each agent's part, its clock offset against Redis and its
   * start on Redis's clock (added within version 2; absent otherwise).
   */
  agents?: AgentRun[];
  /** Agents of that run that gave no report, and why (absent when every one reported). */
  agentsFailed?: { name: string; reason: string }[];
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

/** Bytes of one request at each layer: payload, frame (+12 B header; raw: none), wire estimate. */
export function requestLayerBytes(plan: LoadPlan): LayerRates {
  const payload = plan.op === 'ping' ? 0 : plan.op === 'compute' ? 4 + plan.size : plan.size;
  const frame = plan.transport.startsWith('raw-') ? payload : payload + HEADER_SIZE;
  const v6 = isIPv6(plan.host);
  const datagram = plan.transport === 'udp' || plan.transport === 'raw-udp';
  const perPacket = datagram ? (v6 ? 48 : 28) : v6 ? 60 : 40;
  return { payload, frame, wire: frame + perPacket };
}

/** Error codes that are replies from the target (an ERROR frame, or a reply that did not match). */
function replyErrors(counters: Counters): number {
  let n = 0;
  for (const [code, count] of Object.entries(counters.errorsByCode)) {
    if (code === 'BAD_REPLY' || code in ErrorCode) n += count;
  }
  return n;
}

/** Replies that came back in the window: completed, error replies, late and duplicate replies. */
export function repliesReceived(counters: Counters): number {
  return counters.completed + replyErrors(counters) + counters.late + counters.duplicates;
}

/**
 * Computes {@link RunResults} from counters, the duration and the compressed histograms.
 * Bit rates: `packetsPerSec.sent × bytes × 8 / 10^6`, so with every request completed
 * `mbitPerSec.payload = requestsPerSec × payload bytes × 8 / 10^6` exactly.
 */
export function deriveResults(plan: LoadPlan, counters: Counters, durationMs: number, latency: string, uncorrected: string | null): RunResults {
  const seconds = durationMs / 1000;
  const perSec = (n: number): number => (seconds > 0 ? n / seconds : 0);
  const sentPerSec = perSec(counters.sent);
  const bytes = requestLayerBytes(plan);
  const mbit = (b: number): number => (sentPerSec * b * 8) / 1e6;
  return {
    requestsPerSec: perSec(counters.completed),
    mbitPerSec: { payload: mbit(bytes.payload), frame: mbit(bytes.frame), wire: mbit(bytes.wire) },
    packetsPerSec: { sent: sentPerSec, received: perSec(repliesReceived(counters)) },
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
  // Before --pacing existed every open loop spun.
  if (!('pacing' in v)) v.pacing = typeof v.rate === 'number' ? 'spin' : null;
  if (v.pacing !== null && !(PACINGS as readonly unknown[]).includes(v.pacing)) fail(source, `${path}.pacing`, `one of ${PACINGS.join(', ')}, or null`);
  str(v, 'host', source, path);
  for (const k of ['port', 'connections', 'threads', 'size', 'iterations', 'warmupMs', 'timeoutMs']) num(v, k, source, path);
  for (const k of ['durationMs', 'requests', 'pipeline', 'rate']) num(v, k, source, path, true);
  if (!(TRANSPORTS as readonly unknown[]).includes(v.transport)) fail(source, `${path}.transport`, `one of ${TRANSPORTS.join(', ')}`);
  if (!(OPS as readonly unknown[]).includes(v.op)) fail(source, `${path}.op`, `one of ${OPS.join(', ')}`);
}

function checkThread(v: unknown, source: string, path: string): void {
  if (!isObject(v)) fail(source, path, 'an object');
  num(v, 'utilization', source, path);
  if (!('pacerWaiting' in v)) v.pacerWaiting = 0;
  if (!('eventLoopUtilization' in v)) v.eventLoopUtilization = v.utilization;
  num(v, 'pacerWaiting', source, path);
  num(v, 'eventLoopUtilization', source, path);
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
  v.selfCheck.threads.forEach((t: unknown, i: number) => checkThread(t, source, `${path}.selfCheck.threads[${i}]`));
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
  if (v.slo !== undefined) checkSlo(v.slo, source, `${path}.slo`);
}

/** `slo[]`: `{expr, value, threshold, unit, held}` each (added within version 2, so optional). */
function checkSlo(v: unknown, source: string, path: string): void {
  if (!Array.isArray(v)) fail(source, path, 'an array');
  v.forEach((r: unknown, i: number) => {
    const p = `${path}[${i}]`;
    if (!isObject(r)) fail(source, p, 'an object');
    str(r, 'expr', source, p);
    str(r, 'unit', source, p);
    num(r, 'value', source, p, true);
    num(r, 'threshold', source, p);
    if (typeof r.held !== 'boolean') fail(source, `${p}.held`, 'true or false');
  });
}

function checkCpu(v: unknown, source: string, path: string): void {
  if (v === null) return;
  if (!isObject(v)) fail(source, path, 'an object or null');
  for (const k of ['userUs', 'systemUs', 'cores']) num(v, k, source, path);
  num(v, 'usPerRequest', source, path, true);
}

/** The version 2 fields of a run: the server's view, the generator's CPU and host. */
function checkWindowFields(v: Record<string, unknown>, source: string, path: string): void {
  const server = v.server;
  if (server === null) str(v, 'serverMissing', source, path);
  else {
    const p = `${path}.server`;
    if (!isObject(server)) fail(source, p, 'an object or null');
    str(server, 'address', source, p);
    num(server, 'windowMs', source, p);
    num(server, 'tcpRetransmits', source, p, true);
    if (!isObject(server.serviceTimeUs)) fail(source, `${p}.serviceTimeUs`, 'an object');
    for (const [type, st] of Object.entries(server.serviceTimeUs)) {
      if (!isObject(st)) fail(source, `${p}.serviceTimeUs.${type}`, 'an object');
      for (const k of ['count', 'p50', 'p99', 'p999', 'max']) num(st, k, source, `${p}.serviceTimeUs.${type}`);
    }
    if (!isObject(server.serviceTimeHistograms)) fail(source, `${p}.serviceTimeHistograms`, 'an object');
    for (const type of Object.keys(server.serviceTimeHistograms)) str(server.serviceTimeHistograms, type, source, `${p}.serviceTimeHistograms`);
    if (server.udp !== null) {
      const u = server.udp;
      if (!isObject(u)) fail(source, `${p}.udp`, 'an object or null');
      if (u.source !== 'peers' && u.source !== 'totals') fail(source, `${p}.udp.source`, '"peers" or "totals"');
      for (const k of ['received', 'answered', 'lostToServer', 'lostFromServer']) num(u, k, source, `${p}.udp`);
      num(u, 'kernelDrops', source, `${p}.udp`, true);
      if (!isObject(u.droppedAtServer)) fail(source, `${p}.udp.droppedAtServer`, 'an object');
    }
    checkCpu(server.cpu, source, `${p}.cpu`);
    if (!Array.isArray(server.notes) || !server.notes.every((n) => typeof n === 'string')) fail(source, `${p}.notes`, 'an array of strings');
  }
  checkCpu(v.generatorCpu, source, `${path}.generatorCpu`);
  if (v.generatorHost !== null) {
    if (!isObject(v.generatorHost)) fail(source, `${path}.generatorHost`, 'an object or null');
    num(v.generatorHost, 'tcpRetransmits', source, `${path}.generatorHost`, true);
  }
}

/** Why an upgraded version 1 run has no server view. */
export const V1_SERVER_MISSING = 'report version 1: written before the server view existed';

/** A version 1 run as version 2: results recomputed from its counters and histograms, no server view. */
function upgradeV1Run(run: RunReport): RunReport {
  return {
    ...run,
    results: deriveResults(run.plan, run.counters, run.durationMs, run.histograms.latency, run.histograms.uncorrected),
    server: null,
    serverMissing: V1_SERVER_MISSING,
    generatorCpu: null,
    generatorHost: null,
  };
}

/**
 * Checks that `value` is a report this version reads (schema, version, every field the code uses);
 * counter fields added within version 1 that it lacks are filled in as zero (in place), and a
 * version 1 report comes back upgraded to version 2 (results recomputed, `server: null`).
 * @param source a name for messages (a file name)
 * @throws ReportFormatError naming the source and the first bad field
 */
export function validateReport(value: unknown, source = 'report'): Report {
  if (!isObject(value)) fail(source, 'the report', 'a JSON object');
  if (value.schema !== REPORT_SCHEMA) fail(source, 'schema', `"${REPORT_SCHEMA}"`);
  if (typeof value.version !== 'number' || !READABLE_VERSIONS.includes(value.version)) {
    throw new ReportFormatError(`${source}: report version ${String(value.version)} is not supported (this tool reads versions ${READABLE_VERSIONS.join(', ')})`);
  }
  str(value, 'createdAt', source, 'report');
  if (!isObject(value.tool)) fail(source, 'tool', 'an object');
  if (!Array.isArray(value.runs) || value.runs.length === 0) fail(source, 'runs', 'a non-empty array');
  const version = value.version;
  value.runs.forEach((r: unknown, i: number) => {
    checkRun(r, source, `runs[${i}]`);
    if (version >= 2) checkWindowFields(r as Record<string, unknown>, source, `runs[${i}]`);
  });
  if (version === REPORT_VERSION) return value as unknown as Report;
  const old = value as unknown as Omit<Report, 'version'>;
  return { ...old, version: REPORT_VERSION, runs: old.runs.map(upgradeV1Run) };
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
