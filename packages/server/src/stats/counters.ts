/**
 * The counters one process keeps, and how snapshots of several processes add up to the STATS reply
 * (docs/protocol.md, "STATS schema"). Fields are plain numbers bumped in place on the hot path.
 */
import { ErrorCode, errorCodeName, type BufferedStats, type BusState, type BusStats, type CpuTimes, type PeerCounts, type PeerTableStats, type StatsSnapshot, type StreamStats } from '@sockbench/protocol';
import { ServiceTimes, encodeMergedServiceTimes, mergeServiceTimes, summarizeMerged, type EncodedServiceTimes } from './service-time.js';

/** Highest {@link ErrorCode} value: UDP drops are counted in an array indexed by code. */
const MAX_CODE = Math.max(...Object.values(ErrorCode).filter((v): v is number => typeof v === 'number'));

/**
 * One process's numbers, as they travel over IPC to be summed: the STATS counters of
 * {@link ServerStatsSnapshot}, plus when the process started and its service-time histograms
 * (encoded) instead of their summaries.
 */
export type ProcessStats = Pick<ServerStatsSnapshot, 'connections' | 'frames' | 'bytes' | 'errors' | 'pool' | 'socketErrors' | 'backpressure' | 'buffered' | 'bus' | 'stream'> & {
  /** Date.now() when the process started, ms. */
  startedAt: number;
  serviceTimes: EncodedServiceTimes;
  /** `process.cpuUsage()` of the process (every thread), µs. */
  cpu: CpuTimes;
  udp: ProcessUdpStats;
};

/** One process's UDP numbers; `peers` only for the peers a STATS query named (and the table holds). */
export interface ProcessUdpStats {
  in: number;
  out: number;
  dropped: number;
  droppedByReason: Record<string, number>;
  peerTable: PeerTableStats;
  peers?: Record<string, PeerCounts>;
}

/** The UDP endpoint's part of a snapshot (its peer table); a process without one passes {@link NO_PEER_TABLE}. */
export interface UdpPeerView {
  peerTable: PeerTableStats;
  /** Entries of the named peers this process holds. */
  peers(addresses: readonly string[]): Record<string, PeerCounts>;
}

/** What a process without a UDP endpoint (not listening yet) reports. */
export const NO_PEER_TABLE: UdpPeerView = { peerTable: { size: 0, capacity: 0, evicted: 0 }, peers: () => ({}) };

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
  cpu: CpuTimes;
  tcpRetransmits: number | null;
  udp: Required<Omit<StatsSnapshot['udp'], 'peers'>> & Pick<StatsSnapshot['udp'], 'peers'>;
  /** Connections paused for backpressure, bytes queued for writing and on the pool now, slow consumers closed so far. */
  backpressure: Backpressure;
  /** The budget of incomplete TCP frames: bytes charged, limit, connections waiting, frame timeouts (docs/protocol.md). */
  buffered: BufferedStats;
  /** The chat bus between servers: state and counts (docs/protocol.md). */
  bus: BusStats;
  /** Stream sessions: open, opened, refused, data connections, UDP stream datagrams dropped (docs/protocol.md). */
  stream: StreamStats;
}

/** A process without stream sessions. */
export const NO_STREAMS: StreamStats = { sessions: 0, opened: 0, refused: 0, dataConnections: 0, datagramsDropped: { unknownSession: 0, closedSession: 0, wrongSize: 0, refused: 0 } };

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
  /** UDP drops by {@link ErrorCode}, indexed by code (no lookup by name per datagram). */
  readonly udpDroppedByCode: number[] = new Array<number>(MAX_CODE + 1).fill(0);
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

  /** Counts one dropped datagram: `udp.dropped`, `udp.droppedByReason` and `errors`, under `code`. */
  countUdpDrop(code: ErrorCode): void {
    this.udpDropped++;
    this.udpDroppedByCode[code]!++;
    this.countError(code);
  }

  /**
   * These counters as {@link ProcessStats}. The pool's numbers, the live backpressure figures and
   * the frame budget's and the peer table belong to the pool, the connections, the budget and the UDP
   * endpoint, so the caller passes them in; `peers` are the addresses a STATS query named (none: no `udp.peers`);
   * `bus` is the chat bus's (`state: 'off'` without one).
   */
  snapshot(
    pool: ProcessStats['pool'],
    live: Omit<Backpressure, 'slowConsumersClosed'>,
    buffered: BufferedStats,
    udpPeers: UdpPeerView = NO_PEER_TABLE,
    peers?: readonly string[],
    bus: BusStats = { state: 'off', published: 0, received: 0, failed: 0, dropped: 0, invalid: 0 },
    stream: StreamStats = NO_STREAMS,
  ): ProcessStats {
    const droppedByReason: Record<string, number> = {};
    this.udpDroppedByCode.forEach((n, code) => {
      if (n > 0) droppedByReason[errorCodeName(code)] = n;
    });
    const udp: ProcessUdpStats = { in: this.udpIn, out: this.udpOut, dropped: this.udpDropped, droppedByReason, peerTable: { ...udpPeers.peerTable } };
    if (peers !== undefined) udp.peers = udpPeers.peers(peers);
    const cpu = process.cpuUsage();
    return {
      startedAt: this.startedAt,
      connections: { current: this.connectionsCurrent, total: this.connectionsTotal },
      frames: { in: this.framesIn, out: this.framesOut },
      bytes: { in: this.bytesIn, out: this.bytesOut },
      errors: { ...this.errors },
      udp,
      cpu: { userUs: cpu.user, systemUs: cpu.system },
      pool,
      socketErrors: { ...this.socketErrors },
      backpressure: { ...live, slowConsumersClosed: this.slowConsumersClosed },
      buffered: { ...buffered },
      bus: { ...bus },
      stream: { ...stream, datagramsDropped: { ...stream.datagramsDropped } },
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

/** How unhealthy each bus state is: the merged state is the worst process's. */
const BUS_SEVERITY: Record<BusState, number> = { off: 0, connected: 1, connecting: 2, down: 3 };

/** What {@link mergeStats} adds beyond the sum of the parts. */
export interface MergeExtras {
  /** Add `serviceTimeHistograms` (the merged histograms, encoded). */
  histograms?: boolean;
  /** Add `udp.peers` (the parts' entries summed per address); the parts carry only the named peers. */
  peers?: boolean;
  /** CPU of processes that send no part (the cluster primary), added to `cpu`, µs. */
  extraCpu?: CpuTimes;
  /** Host-wide values read once per STATS by the answering process, not summed. */
  tcpRetransmits?: number | null;
  kernelDrops?: number | null;
}

function addPeers(into: Record<string, PeerCounts>, from: Record<string, PeerCounts>): void {
  for (const [addr, p] of Object.entries(from)) {
    const q = into[addr];
    if (q === undefined) into[addr] = { received: p.received, answered: p.answered, dropped: { ...p.dropped } };
    else {
      q.received += p.received;
      q.answered += p.answered;
      q.dropped = addRecords(q.dropped, p.dropped);
    }
  }
}

/**
 * Sums per-process stats into the STATS reply. `uptimeMs` is the oldest process's uptime (the
 * server has been up since its first process started); `processes` is the number of parts; the
 * service-time histograms are merged (HdrHistogram `add`, exact); `udp.peers` entries of one
 * address are summed; `bus.state` is the least healthy process's (down, connecting, connected, off);
 * `tcpRetransmits` and `udp.kernelDrops` are host-wide, so taken from `extras`
 * (null when not given), never summed.
 */
export function mergeStats(parts: readonly ProcessStats[], now = Date.now(), extras: MergeExtras = {}): ServerStatsSnapshot {
  const histograms = mergeServiceTimes(parts.map((p) => p.serviceTimes));
  const snap: ServerStatsSnapshot = {
    uptimeMs: 0,
    processes: parts.length,
    connections: { current: 0, total: 0 },
    frames: { in: 0, out: 0 },
    bytes: { in: 0, out: 0 },
    errors: {},
    udp: { in: 0, out: 0, dropped: 0, droppedByReason: {}, kernelDrops: extras.kernelDrops ?? null, peerTable: { size: 0, capacity: 0, evicted: 0 } },
    pool: { threads: 0, queued: 0, completed: 0 },
    serviceTimeUs: summarizeMerged(histograms),
    socketErrors: {},
    backpressure: { paused: 0, pendingWriteBytes: 0, pendingWorkBytes: 0, slowConsumersClosed: 0 },
    buffered: { bytes: 0, limit: 0, waiting: 0, frameTimeouts: 0 },
    bus: { state: 'off', published: 0, received: 0, failed: 0, dropped: 0, invalid: 0 },
    stream: { ...NO_STREAMS, datagramsDropped: { ...NO_STREAMS.datagramsDropped } },
    cpu: { userUs: extras.extraCpu?.userUs ?? 0, systemUs: extras.extraCpu?.systemUs ?? 0 },
    tcpRetransmits: extras.tcpRetransmits ?? null,
  };
  // With one part its encoded histograms are already the answer: no decode and re-encode.
  if (extras.histograms === true) snap.serviceTimeHistograms = parts.length === 1 ? { ...parts[0]!.serviceTimes } : encodeMergedServiceTimes(histograms);
  for (const h of histograms.values()) h.destroy();
  const peers: Record<string, PeerCounts> = {};
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
    snap.udp.droppedByReason = addRecords(snap.udp.droppedByReason, p.udp.droppedByReason);
    addCounts(snap.udp.peerTable, p.udp.peerTable);
    if (p.udp.peers !== undefined) addPeers(peers, p.udp.peers);
    addCounts(snap.pool, p.pool);
    snap.socketErrors = addRecords(snap.socketErrors, p.socketErrors);
    addCounts(snap.backpressure, p.backpressure);
    addCounts(snap.buffered, p.buffered);
    const { state, ...busCounts } = p.bus;
    if (BUS_SEVERITY[state] > BUS_SEVERITY[snap.bus.state]) snap.bus.state = state;
    addCounts(snap.bus as Omit<BusStats, 'state'>, busCounts);
    addCounts(snap.cpu, p.cpu);
    // A worker of an older build sends no `stream`.
    if (p.stream !== undefined) {
      const { datagramsDropped, ...streamCounts } = p.stream;
      addCounts(snap.stream as Omit<StreamStats, 'datagramsDropped'>, streamCounts);
      addCounts(snap.stream.datagramsDropped, datagramsDropped);
    }
  }
  if (extras.peers === true) snap.udp.peers = peers;
  snap.uptimeMs = now - oldest;
  return snap;
}
