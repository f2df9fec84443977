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
import type { Counters } from '../counters.js';
import type { LatencySummary } from '../histogram.js';
import type { LoadPlan } from '../options.js';
import type { SloResult } from '../slo/evaluate.js';
import type { REPORT_SCHEMA, REPORT_VERSION } from './report-version.js';

export { REPORT_SCHEMA, REPORT_VERSION, READABLE_VERSIONS } from './report-version.js';
export { deriveResults, repliesReceived, requestLayerBytes } from './derive-results.js';
export { V1_SERVER_MISSING } from './upgrade.js';
export { parseReport, validateReport } from './read-report.js';

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
  /**
   * UDP runs: SO_SNDBUF/SO_RCVBUF the kernel granted the generator's first socket, bytes (Linux:
   * twice what `plan.socket` asked for, capped by net.core.wmem_max/rmem_max; the OS default when
   * nothing was asked). Absent over TCP (Node cannot read them there) and in older reports (added
   * within version 2).
   */
  socketBuffers?: { sendBufferBytes: number; recvBufferBytes: number };
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
