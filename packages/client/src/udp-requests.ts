/**
 * What a request must be to go over UDP, checked before anything is sent: a type UDP carries (PING,
 * ECHO, COMPUTE: the protocol's `UDP_TYPES`), a frame that fits one datagram, and COMPUTE data no
 * shorter than its 32-byte digest (the server never sends more than it received: no amplification).
 */
import { COMPUTE_DIGEST_BYTES, HEADER_SIZE, MAX_UDP_DATAGRAM, UDP_TYPES, messageTypeName } from '@sockbench/protocol';
import { UnsupportedOnUdpError } from './errors.js';

/**
 * Why a request of `type` with `payloadBytes` of payload cannot go over UDP.
 * @returns undefined when it can; {@link UnsupportedOnUdpError} for a type UDP does not carry;
 *   RangeError when the frame (12-byte header + payload) is over {@link MAX_UDP_DATAGRAM}
 */
export function udpRequestError(type: number, payloadBytes: number): UnsupportedOnUdpError | RangeError | undefined {
  if (!UDP_TYPES.has(type)) return new UnsupportedOnUdpError(type);
  const size = HEADER_SIZE + payloadBytes;
  if (size > MAX_UDP_DATAGRAM) {
    return new RangeError(`a ${messageTypeName(type)} frame of ${size} bytes does not fit one UDP datagram (max ${MAX_UDP_DATAGRAM} bytes)`);
  }
  return undefined;
}

/**
 * Checks COMPUTE data for UDP, where the reply (the 32-byte digest) may not exceed the request.
 * @throws RangeError when `dataBytes` is under `COMPUTE_DIGEST_BYTES` (32)
 */
export function assertUdpComputeData(dataBytes: number): void {
  if (dataBytes < COMPUTE_DIGEST_BYTES) {
    throw new RangeError(
      `over UDP, COMPUTE data must be at least ${COMPUTE_DIGEST_BYTES} bytes (the reply may not exceed the request), got ${dataBytes}`,
    );
  }
}
