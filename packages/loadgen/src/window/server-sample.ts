/**
 * One STATS snapshot as the window needs it: docs/protocol.md's "STATS schema" and its added fields
 * ("Added fields", "STATS query"), each null where an older server does not send it, so a snapshot
 * of such a server still yields what it has. Counts are cumulative since the server started.
 */
import { decodeStats, type PeerCounts } from '@sockbench/protocol';

export type { PeerCounts } from '@sockbench/protocol';

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
    peers: Record<string, PeerCounts> | null;
  };
  /** Per type name, the count of the cumulative service-time summary. */
  serviceCounts: Record<string, number>;
  /** Per type name, the cumulative service-time histogram (compressed base64); null when not sent. */
  serviceTimeHistograms: Record<string, string> | null;
  cpu: { userUs: number; systemUs: number } | null;
  /** null: the server's host has no /proc; undefined: an older server that sends no such field. */
  tcpRetransmits: number | null | undefined;
}

/**
 * Reads a STATS reply payload.
 * @param atMs local receive time, ms
 * @throws BadPayloadError (from @sockbench/protocol) when it is not a STATS snapshot
 */
export function readServerSample(payload: Uint8Array, atMs: number): ServerSample {
  const s = decodeStats(payload);
  const serviceCounts: Record<string, number> = {};
  for (const [type, st] of Object.entries(s.serviceTimeUs)) serviceCounts[type] = st.count;
  return {
    atMs,
    uptimeMs: s.uptimeMs,
    frames: s.frames,
    errors: s.errors,
    udp: {
      in: s.udp.in,
      out: s.udp.out,
      dropped: s.udp.dropped,
      droppedByReason: s.udp.droppedByReason ?? null,
      kernelDrops: s.udp.kernelDrops ?? null,
      peerTable: s.udp.peerTable ?? null,
      peers: s.udp.peers ?? null,
    },
    serviceCounts,
    serviceTimeHistograms: s.serviceTimeHistograms ?? null,
    cpu: s.cpu ?? null,
    tcpRetransmits: s.tcpRetransmits,
  };
}
