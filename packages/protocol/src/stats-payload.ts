/**
 * The STATS payloads (docs/protocol.md, "STATS schema" and "STATS query"): the reply snapshot with
 * its added fields, and the optional query. Decoders throw {@link BadPayloadError} naming what is wrong.
 */
import { BadPayloadError } from './errors.js';
import { decodeJsonObject, encodeJson, field } from './json-codec.js';

// ── STATS ─────────────────────────────────────────────────────────────────────────────────────

/** Service-time summary of one message type, microseconds (µs). */
export interface ServiceTimeSummary {
  count: number;
  p50: number;
  p99: number;
  p999: number;
  max: number;
}

/** CPU time, microseconds (µs): `process.cpuUsage()`'s shape, all threads of a process. */
export interface CpuTimes {
  userUs: number;
  systemUs: number;
}

/** Fill of the server's per-peer UDP table (docs/protocol.md, "STATS query"), summed over processes. */
export interface PeerTableStats {
  /** Entries held now. */
  size: number;
  /** Most entries held (`--udp-peer-table` × processes); 0 = the table is off. */
  capacity: number;
  /** Entries evicted (least recently seen) to make room, cumulative. */
  evicted: number;
}

/** One UDP peer's counters (cumulative since its table entry was created), datagrams. */
export interface PeerCounts {
  /** Datagrams received from the peer (served or dropped). */
  received: number;
  /** Replies sent to it. */
  answered: number;
  /** Dropped datagrams by error-code name, e.g. `{"UNSUPPORTED": 1}`; only non-zero reasons. */
  dropped: Record<string, number>;
}

/**
 * Added: a server's budget of bytes held in incomplete TCP frames (`--max-buffered-bytes`,
 * `--frame-timeout`), summed over processes.
 */
export interface BufferedStats {
  /** Bytes charged now: the whole size of every admitted incomplete frame, plus what waiting connections hold, bytes. */
  bytes: number;
  /** The budget, bytes. */
  limit: number;
  /** Connections not read because their next frame does not fit. */
  waiting: number;
  /** Connections closed because a frame did not complete within the frame timeout (cumulative). */
  frameTimeouts: number;
}

/** States of a server's chat bus (STATS `bus.state`; docs/protocol.md, "Chat across servers"). */
export const BUS_STATES = ['off', 'connecting', 'connected', 'down'] as const;
/** One of {@link BUS_STATES}. */
export type BusState = (typeof BUS_STATES)[number];

/**
 * Added: a server's chat bus between servers (`--redis`), counts cumulative and summed over processes.
 * `state` is the least healthy process's: `down`, then `connecting`, then `connected`; `off` without a bus.
 */
export interface BusStats {
  state: BusState;
  /** SAYs published and acknowledged by the bus. */
  published: number;
  /** Messages of other servers taken off the bus (once per process that took it). */
  received: number;
  /** Publishes sent that the bus did not acknowledge (error reply, or the connection closed first). */
  failed: number;
  /** SAYs not sent: the connection was not up, or the bound of publishes awaiting acknowledgement was full. */
  dropped: number;
  /** Messages on the bus channel that are not chat messages of this protocol (skipped). */
  invalid: number;
}

/** Added: UDP stream datagrams dropped unanswered, by reason (cumulative; docs/protocol.md, "Stream"). */
export interface StreamDatagramsDropped {
  /** No such session on the process that read it. */
  unknownSession: number;
  /** A session of that process that has ended. */
  closedSession: number;
  /** STREAM_DATA not of the session's size, or STREAM_BIND whose payload is not 16 bytes. */
  wrongSize: number;
  /** STREAM_BIND with a wrong key, for a session that is not down/UDP, or past its 8 challenges; STREAM_DATA for a session not up/UDP or not started. */
  refused: number;
}

/** Added: stream sessions, summed over processes. */
export interface StreamStats {
  /** Sessions open now. */
  sessions: number;
  /** Sessions opened, cumulative. */
  opened: number;
  /** STREAM_OPEN requests refused (BAD_PAYLOAD or BUSY), cumulative. */
  refused: number;
  /** TCP data connections attached now. */
  dataConnections: number;
  /** UDP stream datagrams dropped. */
  datagramsDropped: StreamDatagramsDropped;
}

/** Field names of {@link StreamDatagramsDropped}. */
export const STREAM_DROP_REASONS: readonly (keyof StreamDatagramsDropped)[] = ['unknownSession', 'closedSession', 'wrongSize', 'refused'];

/** The `udp` group of a STATS reply. Optional fields are the added ones: older servers omit them. */
export interface UdpStats {
  /** Datagrams received. */
  in: number;
  /** Datagrams sent. */
  out: number;
  /** Datagrams dropped (not answered). */
  dropped: number;
  /** Dropped datagrams by error-code name. */
  droppedByReason?: Record<string, number>;
  /** Kernel drops on sockets bound to the server's UDP port (/proc/net/udp{,6} `drops`); null where unknown. */
  kernelDrops?: number | null;
  /** Fill of the per-peer table. */
  peerTable?: PeerTableStats;
  /** Only when the query named peers: the named peers the table holds, by `"ip:port"` (`formatPeerAddress`). */
  peers?: Record<string, PeerCounts>;
}

/** STATS reply: a snapshot of the whole server, summed over all processes (docs/protocol.md). */
export interface StatsSnapshot {
  uptimeMs: number;
  processes: number;
  connections: { current: number; total: number };
  frames: { in: number; out: number };
  bytes: { in: number; out: number };
  /** Count per error-code name, e.g. `{"BAD_PAYLOAD": 3}`. */
  errors: Record<string, number>;
  udp: UdpStats;
  pool: { threads: number; queued: number; completed: number };
  /** Per message-type name, e.g. `{"ECHO": {...}}`. */
  serviceTimeUs: Record<string, ServiceTimeSummary>;
  /** Added: CPU time of every server process, cumulative, µs. */
  cpu?: CpuTimes;
  /** Added: the host's TCP RetransSegs (/proc/net/snmp, host-wide, cumulative); null where unknown. */
  tcpRetransmits?: number | null;
  /** Added: the budget of incomplete TCP frames. */
  buffered?: BufferedStats;
  /** Added: the chat bus between servers. */
  bus?: BusStats;
  /** Added: stream sessions (docs/protocol.md, "Stream"). */
  stream?: StreamStats;
  /**
   * Only when the query asked `histograms: true`: per message-type name, the cumulative service-time
   * histogram as HdrHistogram compressed base64 (V2; 1 µs .. 60 s, 3 significant digits).
   */
  serviceTimeHistograms?: Record<string, string>;
}

/** Encodes a STATS reply payload. */
export function encodeStats(stats: StatsSnapshot): Buffer {
  return encodeJson(stats);
}

const STATS_GROUPS: Record<string, readonly string[]> = {
  connections: ['current', 'total'],
  frames: ['in', 'out'],
  bytes: ['in', 'out'],
  udp: ['in', 'out', 'dropped'],
  pool: ['threads', 'queued', 'completed'],
};

function group(obj: Record<string, unknown>, key: string, what: string, id: number): Record<string, unknown> {
  const g = obj[key];
  if (typeof g !== 'object' || g === null || Array.isArray(g)) throw new BadPayloadError(`${what}.${key} must be an object`, id);
  return g as Record<string, unknown>;
}

function countRecord(obj: Record<string, unknown>, key: string, what: string, id: number): void {
  const g = group(obj, key, what, id);
  for (const k of Object.keys(g)) field(g, k, 'number', `${what}.${key}`, id, false);
}

function numberOrNull(obj: Record<string, unknown>, key: string, what: string, id: number): void {
  const v = obj[key];
  if (v !== undefined && v !== null && typeof v !== 'number') throw new BadPayloadError(`${what}.${key} must be a number or null`, id);
}

/**
 * Decodes a STATS reply payload, checking the schema's fields and, when present, the added ones
 * (`cpu`, `tcpRetransmits`, `buffered`, `bus`, `stream`, `udp.droppedByReason`, `udp.kernelDrops`, `udp.peerTable`,
 * `udp.peers`, `serviceTimeHistograms`); a reply from an older server without them decodes too.
 * @throws BadPayloadError
 */
export function decodeStats(bytes: Uint8Array, id = 0): StatsSnapshot {
  const obj = decodeJsonObject(bytes, 'STATS', id);
  field(obj, 'uptimeMs', 'number', 'STATS', id, false);
  field(obj, 'processes', 'number', 'STATS', id, false);
  for (const [name, keys] of Object.entries(STATS_GROUPS)) {
    const g = group(obj, name, 'STATS', id);
    for (const k of keys) field(g, k, 'number', `STATS.${name}`, id, false);
  }
  group(obj, 'errors', 'STATS', id);
  group(obj, 'serviceTimeUs', 'STATS', id);
  if (obj.cpu !== undefined) {
    const cpu = group(obj, 'cpu', 'STATS', id);
    field(cpu, 'userUs', 'number', 'STATS.cpu', id, false);
    field(cpu, 'systemUs', 'number', 'STATS.cpu', id, false);
  }
  numberOrNull(obj, 'tcpRetransmits', 'STATS', id);
  if (obj.buffered !== undefined) {
    const b = group(obj, 'buffered', 'STATS', id);
    for (const k of ['bytes', 'limit', 'waiting', 'frameTimeouts']) field(b, k, 'number', 'STATS.buffered', id, false);
  }
  if (obj.bus !== undefined) {
    const b = group(obj, 'bus', 'STATS', id);
    if (!(BUS_STATES as readonly unknown[]).includes(b.state)) throw new BadPayloadError(`STATS.bus.state must be one of ${BUS_STATES.join(', ')}`, id);
    for (const k of ['published', 'received', 'failed', 'dropped', 'invalid']) field(b, k, 'number', 'STATS.bus', id, false);
  }
  if (obj.stream !== undefined) {
    const st = group(obj, 'stream', 'STATS', id);
    for (const k of ['sessions', 'opened', 'refused', 'dataConnections']) field(st, k, 'number', 'STATS.stream', id, false);
    const d = group(st, 'datagramsDropped', 'STATS.stream', id);
    for (const k of STREAM_DROP_REASONS) field(d, k, 'number', 'STATS.stream.datagramsDropped', id, false);
  }
  if (obj.serviceTimeHistograms !== undefined) {
    const h = group(obj, 'serviceTimeHistograms', 'STATS', id);
    for (const k of Object.keys(h)) field(h, k, 'string', 'STATS.serviceTimeHistograms', id, false);
  }
  const udp = obj.udp as Record<string, unknown>;
  if (udp.droppedByReason !== undefined) countRecord(udp, 'droppedByReason', 'STATS.udp', id);
  numberOrNull(udp, 'kernelDrops', 'STATS.udp', id);
  if (udp.peerTable !== undefined) {
    const t = group(udp, 'peerTable', 'STATS.udp', id);
    for (const k of ['size', 'capacity', 'evicted']) field(t, k, 'number', 'STATS.udp.peerTable', id, false);
  }
  if (udp.peers !== undefined) {
    const peers = group(udp, 'peers', 'STATS.udp', id);
    for (const addr of Object.keys(peers)) {
      const what = `STATS.udp.peers[${JSON.stringify(addr)}]`;
      const p = group(peers, addr, 'STATS.udp.peers', id);
      field(p, 'received', 'number', what, id, false);
      field(p, 'answered', 'number', what, id, false);
      countRecord(p, 'dropped', what, id);
    }
  }
  return obj as unknown as StatsSnapshot;
}

// ── STATS query ───────────────────────────────────────────────────────────────────────────────

/** Most peer addresses one STATS query may name. */
export const MAX_STATS_QUERY_PEERS = 64;

/** STATS request payload (docs/protocol.md, "STATS query"); `{}` is the plain STATS. */
export interface StatsQuery {
  /** `true` adds `serviceTimeHistograms` to the reply. */
  histograms?: boolean;
  /** At most 64 UDP peer addresses, `"ip:port"` / `"[v6]:port"` (`formatPeerAddress`); the reply adds `udp.peers`. */
  peers?: string[];
}

/** The fields a STATS query may carry (docs/protocol.md's "STATS query" table). */
export const STATS_QUERY_FIELDS: readonly (keyof StatsQuery)[] = ['histograms', 'peers'];
const QUERY_FIELDS: ReadonlySet<string> = new Set(STATS_QUERY_FIELDS);

/**
 * Encodes a STATS request payload. A query asking nothing (`{}`, no fields set) encodes as the
 * empty payload, which every version-1 server accepts (older ones refuse any other).
 * @throws RangeError when `peers` names more than 64 addresses
 */
export function encodeStatsQuery(query: StatsQuery = {}): Buffer {
  const out: StatsQuery = {};
  if (query.histograms !== undefined) out.histograms = query.histograms;
  if (query.peers !== undefined) {
    if (query.peers.length > MAX_STATS_QUERY_PEERS) {
      throw new RangeError(`a STATS query names at most ${MAX_STATS_QUERY_PEERS} peers, got ${query.peers.length}`);
    }
    out.peers = [...query.peers];
  }
  return Object.keys(out).length === 0 ? Buffer.alloc(0) : encodeJson(out);
}

/**
 * Decodes a STATS request payload; an empty payload is `{}`. A peer string that is no
 * `ip:port` is accepted (no table entry matches it, so the reply leaves it out).
 * @throws BadPayloadError when it is not UTF-8 JSON, not an object, has an unknown field, a field
 *   of the wrong type, or more than 64 peers
 */
export function decodeStatsQuery(bytes: Uint8Array, id = 0): StatsQuery {
  if (bytes.length === 0) return {};
  const obj = decodeJsonObject(bytes, 'STATS query', id);
  for (const key of Object.keys(obj)) {
    if (!QUERY_FIELDS.has(key)) throw new BadPayloadError(`STATS query has an unknown field ${JSON.stringify(key)}`, id);
  }
  const out: StatsQuery = {};
  const histograms = field(obj, 'histograms', 'boolean', 'STATS query', id, true);
  if (histograms !== undefined) out.histograms = histograms;
  const peers = obj.peers;
  if (peers !== undefined) {
    if (!Array.isArray(peers) || !peers.every((p) => typeof p === 'string')) {
      throw new BadPayloadError('STATS query.peers must be an array of strings', id);
    }
    if (peers.length > MAX_STATS_QUERY_PEERS) {
      throw new BadPayloadError(`STATS query.peers must name at most ${MAX_STATS_QUERY_PEERS} addresses, got ${peers.length}`, id);
    }
    out.peers = peers as string[];
  }
  return out;
}
