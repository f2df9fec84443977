/**
 * Typed values from raw replies: the COMPUTE digest and the STATS snapshot. A reply that does not hold
 * what its type promises is the server breaking the protocol: {@link UnexpectedFrameError}.
 */
import { COMPUTE_DIGEST_BYTES, MessageType, decodeStats, type StatsSnapshot } from '@sockbench/protocol';
import { UnexpectedFrameError } from './errors.js';
import type { Reply } from './pending-requests.js';

/**
 * The digest of a COMPUTE reply.
 * @throws UnexpectedFrameError when the payload is not `COMPUTE_DIGEST_BYTES` (32) bytes
 */
export function computeDigest(reply: Reply): Buffer {
  if (reply.payload.length !== COMPUTE_DIGEST_BYTES) {
    throw new UnexpectedFrameError(MessageType.COMPUTE, reply.id, `COMPUTE reply of ${reply.payload.length} bytes, expected ${COMPUTE_DIGEST_BYTES}`);
  }
  return reply.payload;
}

/**
 * The snapshot of a STATS reply (docs/protocol.md, "STATS schema").
 * @throws UnexpectedFrameError `bad STATS reply: …` (its `cause` the decode error) when the JSON is bad
 */
export function statsSnapshot(reply: Reply): StatsSnapshot {
  try {
    return decodeStats(reply.payload, reply.id);
  } catch (err) {
    throw new UnexpectedFrameError(MessageType.STATS, reply.id, `bad STATS reply: ${(err as Error).message}`, { cause: err });
  }
}
