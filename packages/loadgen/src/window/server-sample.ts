/**
 * One STATS snapshot as the window needs it: the fields of docs/protocol.md's "STATS schema", and
 * the added ones ("Added fields", "STATS query") read where present, so a snapshot of an older
 * server (without them) still yields what it has. Counts are cumulative since the server started.
 */
import { decodeStats } from '@sockbench/protocol';

/** One UDP peer's counters (the server's per-peer table). */
export interface PeerCounters {
  received: number;
  answered: number;
  dropped: Record<string, number>;
}

/** A STATS snapshot, cumulative. Fields an older server does not send are null. */
export interface ServerSample {
  /** Local time the reply arrived, ms (performance.now() of the main thread). */
  atMs: number;
  uptimeMs: number;
  frames: { in: number; out: number };
  errors: Record<string, number>;
  udp: {
    in: number;
    out: number;
    dropped: number;
    droppedByReason: Record<string, number> | null;
    kernelDrops: number | null;
    peerTable: { size: number; capacity: number; evicted: number } | null;
    /** Only the peers asked for that the server holds; null when the server sent no `peers` field. */
    peers: Record<string, PeerCounters> | null;
  };
  /** Per type name, each count of the cumulative service-time summary. */
  serviceCounts: Record<string, number>;
  /** Per type name, the cumulative service-time histogram (compressed base64); null when not sent. */
  serviceTimeHistograms: Record<string, string> | null;
  cpu: { userUs: number; systemUs: number } | null;
  /** null: the server's host has no /proc; undefined: an older server that sends no such field. */
  tcpRetransmits: number | null | undefined;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isCount(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v) && v >= 0;
}

/** A `{name: count}` object, or null when `v` is not one. */
function countMap(v: unknown): Record<string, number> | null {
  if (!isObject(v)) return null;
  const out: Record<string, number> = {};
  for (const [k, n] of Object.entries(v)) {
    if (!isCount(n)) return null;
    out[k] = n;
  }
  return out;
}

function peers(v: unknown): Record<string, PeerCounters> | null {
  if (!isObject(v)) return null;
  const out: Record<string, PeerCounters> = {};
  for (const [addr, p] of Object.entries(v)) {
    if (!isObject(p) || !isCount(p.received) || !isCount(p.answered)) continue;
    out[addr] = { received: p.received, answered: p.answered, dropped: countMap(p.dropped) ?? {} };
  }
  return out;
}

/**
 * Reads a STATS reply payload.
 * @param atMs local receive time, ms
 * @throws BadPayloadError (from @sockbench/protocol) when it is not a STATS snapshot
 */
export function readServerSample(payload: Uint8Array, atMs: number): ServerSample {
  const base = decodeStats(payload) as unknown as Record<string, unknown>;
  const udp = base.udp as Record<string, unknown>;
  const cpu = base.cpu;
  const serviceCounts: Record<string, number> = {};
  for (const [type, st] of Object.entries(base.serviceTimeUs as Record<string, unknown>)) {
    if (isObject(st) && isCount(st.count)) serviceCounts[type] = st.count;
  }
  const hist = base.serviceTimeHistograms;
  let histograms: Record<string, string> | null = null;
  if (isObject(hist)) {
    histograms = {};
    for (const [type, h] of Object.entries(hist)) if (typeof h === 'string') histograms[type] = h;
  }
  const table = udp.peerTable;
  const rt = base.tcpRetransmits;
  return {
    atMs,
    uptimeMs: base.uptimeMs as number,
    frames: base.frames as { in: number; out: number },
    errors: countMap(base.errors) ?? {},
    udp: {
      in: udp.in as number,
      out: udp.out as number,
      dropped: udp.dropped as number,
      droppedByReason: countMap(udp.droppedByReason),
      kernelDrops: isCount(udp.kernelDrops) ? udp.kernelDrops : null,
      peerTable: isObject(table) && isCount(table.size) && isCount(table.capacity) && isCount(table.evicted) ? { size: table.size, capacity: table.capacity, evicted: table.evicted } : null,
      peers: peers(udp.peers),
    },
    serviceCounts,
    serviceTimeHistograms: histograms,
    cpu: isObject(cpu) && isCount(cpu.userUs) && isCount(cpu.systemUs) ? { userUs: cpu.userUs, systemUs: cpu.systemUs } : null,
    tcpRetransmits: isCount(rt) ? rt : rt === null ? null : undefined,
  };
}
