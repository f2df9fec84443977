/**
 * Reply modes of the raw echo port. A mode turns what arrived into what goes back: per datagram for
 * UDP, and per TCP connection through a stateful replier (a stream may split or join messages).
 *
 * - `echo`: every byte back unchanged (RFC 862, the classic echo service).
 * - `sockperf`: what `sockperf server` does, so the sockperf client can measure this server. sockperf
 *   messages open with a 14-byte header, big-endian:
 *
 *     0               8        10              14
 *     +---------------+--------+---------------+---------------
 *     | sequence (8)  |flags(2)|  length (4)   | payload …
 *     +---------------+--------+---------------+---------------
 *     flags bit 0 = CLIENT (set by the client), bit 1 = PONG_REQUEST (the client wants this one back);
 *     length = the whole message, header included (so at least 14).
 *
 *   The sockperf client ignores a reply that still has CLIENT set, and under load (`--reply-every N`)
 *   only some messages ask for a reply. So this mode sends back exactly the messages with
 *   PONG_REQUEST set, with CLIENT cleared, and drops the others, as sockperf's own server does.
 */

/** Turns bytes received on one TCP connection into bytes to send back (null: nothing to send). */
export type StreamReplier = (chunk: Buffer) => Buffer | null;

/** A raw echo reply mode. */
export interface RawMode {
  readonly name: RawModeName;
  /** The reply to one datagram, or null to send none. May modify and return `datagram`. */
  datagramReply(datagram: Buffer): Buffer | null;
  /** A replier for one new TCP connection. */
  createStreamReplier(): StreamReplier;
}

/** Names accepted by `--raw-mode`. */
export const RAW_MODE_NAMES = ['echo', 'sockperf'] as const;
/** A `--raw-mode` value. */
export type RawModeName = (typeof RAW_MODE_NAMES)[number];

const echo: RawMode = {
  name: 'echo',
  datagramReply: (d) => d,
  createStreamReplier: () => (chunk) => chunk,
};

/** sockperf's header size, bytes. */
export const SOCKPERF_HEADER_BYTES = 14;
const CLIENT = 0x01;
const PONG_REQUEST = 0x02;

/** Clears CLIENT in the message at `off` when it asks for a reply; returns whether it does. */
function answerInPlace(buf: Buffer, off: number): boolean {
  const flagsLow = buf[off + 9]!;
  if ((flagsLow & PONG_REQUEST) === 0) return false;
  buf[off + 9] = flagsLow & ~CLIENT;
  return true;
}

const sockperf: RawMode = {
  name: 'sockperf',
  datagramReply(d) {
    if (d.length < SOCKPERF_HEADER_BYTES) return null;
    return answerInPlace(d, 0) ? d : null;
  },
  createStreamReplier() {
    let pending: Buffer | null = null;
    return (chunk) => {
      const buf = pending === null ? chunk : Buffer.concat([pending, chunk]);
      pending = null;
      const replies: Buffer[] = [];
      let off = 0;
      while (buf.length - off >= SOCKPERF_HEADER_BYTES) {
        // A length under the header size cannot frame anything: treat it as a header-only message
        // rather than loop forever on a zero-length message.
        const len = Math.max(buf.readUInt32BE(off + 10), SOCKPERF_HEADER_BYTES);
        if (buf.length - off < len) break;
        if (answerInPlace(buf, off)) replies.push(buf.subarray(off, off + len));
        off += len;
      }
      if (off < buf.length) pending = Buffer.from(buf.subarray(off));
      if (replies.length === 0) return null;
      return replies.length === 1 ? replies[0]! : Buffer.concat(replies);
    };
  },
};

/** The mode called `name`. */
export function rawMode(name: RawModeName): RawMode {
  return name === 'sockperf' ? sockperf : echo;
}
