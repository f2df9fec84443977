import { DEFAULT_MAX_PAYLOAD, HEADER_SIZE } from './constants.js';
import { BadFrameError } from './errors.js';
import { checkHeader, type Frame, type FrameRole } from './frame.js';

/** Options of {@link decodeDatagram}. */
export interface DatagramOptions {
  /** Largest payload accepted, bytes. Default 1 MiB. */
  maxPayload?: number;
  /** `'requests'` on a server (default), `'replies'` on a client. */
  expect?: FrameRole;
}

/**
 * Decodes one UDP datagram, which must hold exactly one frame: its size must equal
 * `12 + length` (docs/protocol.md, "Frame"). The payload is a view into `datagram`.
 * @throws BadFrameError (short datagram, size mismatch, bad header) or FrameTooLargeError
 */
export function decodeDatagram(datagram: Buffer, options: DatagramOptions = {}): Frame {
  if (datagram.length < HEADER_SIZE) {
    throw new BadFrameError(`datagram of ${datagram.length} bytes is shorter than the ${HEADER_SIZE}-byte header`);
  }
  const length = checkHeader(datagram, 0, {
    maxPayload: options.maxPayload ?? DEFAULT_MAX_PAYLOAD,
    expect: options.expect ?? 'requests',
  });
  const id = datagram.readUInt32BE(8);
  if (datagram.length !== HEADER_SIZE + length) {
    throw new BadFrameError(
      `datagram of ${datagram.length} bytes does not match its header (12 + ${length} bytes)`,
      id,
    );
  }
  return {
    type: datagram[5]!,
    flags: datagram.readUInt16BE(6),
    id,
    payload: datagram.subarray(HEADER_SIZE),
  };
}
