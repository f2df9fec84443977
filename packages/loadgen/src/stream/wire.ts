/**
 * The wire estimate beside a stream's goodput: bytes an Ethernet link carries per message, for a
 * 1500-byte MTU. Ethernet adds 38 B per frame on the line (14 header + 4 FCS + 8 preamble/SFD + 12
 * inter-frame gap), so a rate here compares with a link's line rate (what a 100 Mbit/s port carries).
 *
 * - UDP: one datagram per message: + 8 B UDP + 20 B IPv4 (40 B IPv6) + 38 B; a message over
 *   1472 B (IPv4; 1452 B IPv6) is IP-fragmented, each fragment adding its IP header (IPv6: + 8 B
 *   fragment header) and 38 B.
 * - TCP: the message bytes are a byte stream cut into 1448 B segments (IPv4 with the timestamp
 *   option; 1428 B IPv6), each + 52 B TCP/IPv4 (72 B IPv6) + 38 B; ACKs in the other direction are
 *   left out.
 */
import { isIP } from 'node:net';
import type { StreamPlan } from './stream-options.js';

/** Ethernet's per-frame cost on the line, bytes. */
export const ETHERNET_LINE_BYTES = 38;
/** The MTU the estimate assumes, bytes. */
export const MTU = 1500;

function ipv6(plan: Pick<StreamPlan, 'host' | 'socket'>): boolean {
  return plan.socket.family === 6 || isIP(plan.host) === 6;
}

/** Bytes on the wire per message of `plan.size` (may be fractional for TCP: segments are shared). */
export function wireBytesPerMessage(plan: Pick<StreamPlan, 'host' | 'socket' | 'transport' | 'size'>): number {
  const v6 = ipv6(plan);
  if (plan.transport === 'tcp') {
    const header = v6 ? 72 : 52;
    const mss = MTU - header;
    return plan.size * (1 + (header + ETHERNET_LINE_BYTES) / mss);
  }
  const ip = v6 ? 40 : 20;
  const udpPayload = plan.size + 8;
  const first = MTU - ip;
  if (udpPayload <= first) return udpPayload + ip + ETHERNET_LINE_BYTES;
  // Fragments carry multiples of 8 bytes, each with its own IP header (and IPv6's fragment header).
  const perFragment = Math.floor((MTU - ip - (v6 ? 8 : 0)) / 8) * 8;
  const fragments = Math.ceil(udpPayload / perFragment);
  return udpPayload + fragments * (ip + (v6 ? 8 : 0) + ETHERNET_LINE_BYTES);
}

/** How the estimate counts, one line for the report. */
export function wireNote(plan: Pick<StreamPlan, 'host' | 'socket' | 'transport'>): string {
  const v6 = ipv6(plan);
  return plan.transport === 'tcp'
    ? `wire: ${v6 ? 1428 : 1448} B segments + ${v6 ? 72 : 52} B TCP/${v6 ? 'IPv6' : 'IPv4'} + 38 B Ethernet (header, FCS, preamble, gap) each, MTU 1500, ACKs left out`
    : `wire: + 8 B UDP + ${v6 ? 40 : 20} B ${v6 ? 'IPv6' : 'IPv4'} + 38 B Ethernet (header, FCS, preamble, gap) per datagram, MTU 1500 (fragments add theirs)`;
}
