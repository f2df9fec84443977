/**
 * The counters one process keeps, and how snapshots of several processes add up to the STATS reply
 * (docs/protocol.md, "STATS schema"). Fields are plain numbers bumped in place on the hot path.
 */
import { errorCodeName, type BufferedStats, type ErrorCode, type StatsSnapshot } from '@sockbench/protocol';
import { ServiceTimes, summarizeServiceTimes, type EncodedServiceTimes } from './service-time.js';

/**
 * One process's numbers, as they travel over IPC to be summed: the STATS counters of
 * {@link ServerStatsSnapshot}, plus when the process started and its service-time histograms
 * (encoded) instead of their summaries.
 */
export type ProcessStats = Pick<ServerStatsSnapshot, 'connections' | 'frames' | 'bytes' | 'errors' | 'udp' | 'pool' | 'socketErrors' | 'backpressure' | 'buffered'> & {
  /** Date.now() when the process started, ms. */
  startedAt: number;
  serviceTimes: EncodedServiceTimes;
};

/** Backpressure numbers (an added STATS field). */
export interface Backpressure {
  /** Connections not being read right now. */
  paused: number;
  /** Reply bytes queued on sockets, bytes. */
  pendingWriteBytes: number;
  /** Request payload bytes waiting on the pool, bytes. */
  pendingWorkBytes: number;
  /** Room members closed because CHAT pushes queued past the slow-consumer limit (count). */
  slowConsumersClosed: number;
}

/** STATS reply with this server's added fields (protocol: "Fields may be added"). */
export interface ServerStatsSnapshot extends StatsSnapshot {
  /** Socket errors by OS code, e.g. ECONNRESET. */
  socketErrors: Record<string, number>;
  /** Connections paused for backpressure, bytes queued for writing and on the pool now, slow consumers closed so far. */
  backpressure: Backpressure;
  /** The budget of incomplete TCP frames: bytes charged, limit, connections waiting, frame timeouts (docs/protocol.md). */
  buffered: BufferedStats;
}

/** Live counters of one process. */
export class Counters {
  /** Date.now() when the process started, ms (STATS `uptimeMs` counts from the oldest process's). */
  readonly startedAt: number;
  connectionsCurrent = 0;
  connectionsTotal = 0;
  framesIn = 0;
  framesOut = 0;
  bytesIn = 0;
  bytesOut = 0;
  udpIn = 0;
  udpOut = 0;
  udpDropped = 0;
  slowConsumersClosed = 0;
  readonly errors: Record<string, number> = {};
  readonly socketErrors: Record<string, number> = {};
  readonly serviceTimes = new ServiceTimes();

  /** @param startedAt when the process started, ms since the epoch (tests pass a fixed one) */
  constructor(startedAt = Date.now()) {
    this.startedAt = startedAt;
  }

  /** Counts one ERROR sent (TCP) or one datagram dropped (UDP), under the code's name. */
  countError(code: ErrorCode): void {
    const name = errorCodeName(code);
    this.errors[name] = (this.errors[name] ?? 0) + 1;
  }

  /** Counts one socket error by its OS code (ECONNRESET, EPIPE, …). */
  countSocketError(code: string): void {
    this.socketErrors[code] = (this.socketErrors[code] ?? 0) + 1;
  }

  /**
   * These counters as {@link ProcessStats}. The pool's numbers, the live backpressure figures and
   * the frame budget's belong to the pool, the connections and the budget, so the caller passes them in.
   */
  snapshot(pool: ProcessStats['pool'], live: Omit<Backpressure, 'slowConsumersClosed'>, buffered: BufferedStats): ProcessStats {
    return {
      startedAt: this.startedAt,
      connections: { current: this.connectionsCurrent, total: this.connectionsTotal },
      frames: { in: this.framesIn, out: this.framesOut },
      bytes: { in: this.bytesIn, out: this.bytesOut },
      errors: { ...this.errors },
      udp: { in: this.udpIn, out: this.udpOut, dropped: this.udpDropped },
      pool,
      socketErrors: { ...this.socketErrors },
      backpressure: { ...live, slowConsumersClosed: this.slowConsumersClosed },
      buffered: { ...buffered },
      serviceTimes: this.serviceTimes.encode(),
    };
  }
}

/** Adds `b`'s numeric fields into a copy of `a` (records of counters). */
function addRecords(a: Record<string, number>, b: Record<string, number>): Record<string, number> {
  const out = { ...a };
  for (const [k, v] of Object.entries(b)) out[k] = (out[k] ?? 0) + v;
  return out;
}

/** Adds every count of `from` into the same field of `into` (both of one fixed shape). */
function addCounts<T extends { [K in keyof T]: number }>(into: T, from: T): void {
  for (const k of Object.keys(from) as (keyof T)[]) (into[k] as number) += from[k];
}

/**
 * Sums per-process stats into the STATS reply. `uptimeMs` is the oldest process's uptime (the
 * server has been up since its first process started); `processes` is the number of parts.
 */
export function mergeStats(parts: readonly ProcessStats[], now = Date.now()): ServerStatsSnapshot {
  const snap: ServerStatsSnapshot = {
    uptimeMs: 0,
    processes: parts.length,
    connections: { current: 0, total: 0 },
    frames: { in: 0, out: 0 },
    bytes: { in: 0, out: 0 },
    errors: {},
    udp: { in: 0, out: 0, dropped: 0 },
    pool: { threads: 0, queued: 0, completed: 0 },
    serviceTimeUs: summarizeServiceTimes(parts.map((p) => p.serviceTimes)),
    socketErrors: {},
    backpressure: { paused: 0, pendingWriteBytes: 0, pendingWorkBytes: 0, slowConsumersClosed: 0 },
    buffered: { bytes: 0, limit: 0, waiting: 0, frameTimeouts: 0 },
  };
  let oldest = now;
  for (const p of parts) {
    if (p.startedAt < oldest) oldest = p.startedAt;
    addCounts(snap.connections, p.connections);
    addCounts(snap.frames, p.frames);
    addCounts(snap.bytes, p.bytes);
    snap.errors = addRecords(snap.errors, p.errors);
    snap.udp.in += p.udp.in;
    snap.udp.out += p.udp.out;
    snap.udp.dropped += p.udp.dropped;
    addCounts(snap.pool, p.pool);
    snap.socketErrors = addRecords(snap.socketErrors, p.socketErrors);
    addCounts(snap.backpressure, p.backpressure);
    addCounts(snap.buffered, p.buffered);
  }
  snap.uptimeMs = now - oldest;
  return snap;
}
