/*
 * Frame header, 12 bytes, all integers unsigned big-endian (docs/protocol.md, "Frame"):
 *
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |                     length (payload bytes)                    |  0
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |  version = 1  |     type      |  flags (bit 0 = RESPONSE)     |  4
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |                  id (0 = push, else request id)               |  8
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |                  payload (length bytes) ...                     12
 */
import { Flags, HEADER_SIZE, MAX_ID, MAX_PAYLOAD_LIMIT, PROTOCOL_VERSION } from './constants.js';
import { BadFrameError, FrameTooLargeError } from './errors.js';

/**
 * One decoded frame. `type` is a plain number so that types this version does not know still reach
 * dispatch (which answers UNKNOWN_TYPE). `payload` may be a view into the chunk it was decoded from.
 */
export interface Frame {
  /** Message type (byte 5). */
  type: number;
  /** Flags (bytes 6..7); see {@link Flags}. */
  flags: number;
  /** Request id (bytes 8..11); 0 for pushes. */
  id: number;
  /** The `length` payload bytes. */
  payload: Buffer;
}

/** Which side of the conversation a receiver is on, which decides the header checks. */
export type FrameRole = 'requests' | 'replies';

/** Header limits shared by the stream decoder and the datagram decoder. */
export interface HeaderLimits {
  /** Largest payload accepted, bytes (server default 1 MiB, never above 16 MiB). */
  maxPayload: number;
  /**
   * `'requests'` (a server): RESPONSE flag and id 0 are BAD_FRAME.
   * `'replies'` (a client): replies and pushes are both fine; only version, length and reserved bits count.
   */
  expect: FrameRole;
}

const EMPTY = Buffer.alloc(0);

/** A shared zero-length payload; never write into it. */
export const EMPTY_PAYLOAD: Buffer = EMPTY;

/**
 * Writes a 12-byte header into `target` at `offset`. Hot path: nothing is checked; `length` and
 * `id` must be u32, `type` a u8 and `flags` a u16 (higher bits are dropped), and the 12 bytes must
 * fit in `target`.
 * @param length payload bytes that will follow the header
 */
export function writeHeader(
  target: Uint8Array,
  offset: number,
  type: number,
  flags: number,
  id: number,
  length: number,
): void {
  // Byte stores instead of writeUInt32BE: Uint8Array stores keep the low 8 bits, and skipping
  // Buffer's range checks makes this about twice as fast (it runs once per frame).
  target[offset] = length >>> 24;
  target[offset + 1] = length >>> 16;
  target[offset + 2] = length >>> 8;
  target[offset + 3] = length;
  target[offset + 4] = PROTOCOL_VERSION;
  target[offset + 5] = type;
  target[offset + 6] = flags >>> 8;
  target[offset + 7] = flags;
  target[offset + 8] = id >>> 24;
  target[offset + 9] = id >>> 16;
  target[offset + 10] = id >>> 8;
  target[offset + 11] = id;
}

/**
 * Encodes one frame into a new buffer of `12 + payload.length` bytes (the payload is copied).
 * @param flags defaults to 0; pass {@link Flags.RESPONSE} for a reply
 * @throws RangeError when the payload is over 16 MiB or `id` is not a u32
 */
export function encodeFrame(type: number, id: number, payload: Uint8Array = EMPTY, flags: number = Flags.NONE): Buffer {
  if (payload.length > MAX_PAYLOAD_LIMIT) {
    throw new RangeError(`payload of ${payload.length} bytes is over the protocol limit of ${MAX_PAYLOAD_LIMIT} bytes`);
  }
  validateId(id);
  const out = Buffer.allocUnsafe(HEADER_SIZE + payload.length);
  writeHeader(out, 0, type, flags, id, payload.length);
  out.set(payload, HEADER_SIZE);
  return out;
}

/**
 * Runs every header check on the 12 bytes at `buf[offset]`, in the order PROTOCOL.md fixes:
 * version, length (over `maxPayload`), flags, id. Returns the payload length.
 * @throws BadFrameError or FrameTooLargeError, carrying the header's id
 */
export function checkHeader(buf: Buffer, offset: number, limits: HeaderLimits): number {
  const id = readU32(buf, offset + 8);
  const version = buf[offset + 4];
  if (version !== PROTOCOL_VERSION) {
    throw new BadFrameError(`unknown protocol version ${String(version)}`, id);
  }
  const length = readU32(buf, offset);
  if (length > limits.maxPayload) {
    throw new FrameTooLargeError(`payload of ${length} bytes is over the limit of ${limits.maxPayload} bytes`, id);
  }
  const flags = (buf[offset + 6]! << 8) | buf[offset + 7]!;
  if ((flags & Flags.RESERVED_MASK) !== 0) {
    throw new BadFrameError(`reserved flag bits set (flags 0x${flags.toString(16).padStart(4, '0')})`, id);
  }
  if (limits.expect === 'requests') {
    if ((flags & Flags.RESPONSE) !== 0) throw new BadFrameError('RESPONSE flag set on a request', id);
    if (id === 0) throw new BadFrameError('request id 0 is reserved for pushes', id);
  }
  return length;
}

/**
 * Validates a frame id (a u32; 0 is a push).
 * @throws RangeError naming the value when `id` is not an integer in 0..{@link MAX_ID}
 */
export function validateId(id: number): number {
  if (!Number.isInteger(id) || id < 0 || id > MAX_ID) {
    throw new RangeError(`id must be an integer in 0..${MAX_ID}, got ${id}`);
  }
  return id;
}

/**
 * The big-endian u32 at `buf[offset]`; the caller has checked that 4 bytes are there. (Buffer's
 * readUInt32BE checks bounds again on every call; this runs several times per frame.)
 */
export function readU32(buf: Uint8Array, offset: number): number {
  return ((buf[offset]! << 24) | (buf[offset + 1]! << 16) | (buf[offset + 2]! << 8) | buf[offset + 3]!) >>> 0;
}

/**
 * Validates a `maxPayload` option.
 * @throws RangeError naming the option, its value and the allowed range
 */
export function validateMaxPayload(maxPayload: number, option = 'maxPayload'): number {
  if (!Number.isInteger(maxPayload) || maxPayload < 0 || maxPayload > MAX_PAYLOAD_LIMIT) {
    throw new RangeError(`${option} must be an integer in 0..${MAX_PAYLOAD_LIMIT} bytes, got ${maxPayload}`);
  }
  return maxPayload;
}
