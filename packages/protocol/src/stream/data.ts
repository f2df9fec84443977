/**
 * The binary stream messages (docs/protocol.md, "Stream"): STREAM_DATA and STREAM_BIND, whose header
 * id is the session. Sequences and timestamps are u64 on the wire, read and written as numbers
 * (exact below 2^53).
 *
 * ```
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +---------------------------------------------------------------+
 * |            frame header, 12 bytes: type 0x0E, id = session     |  0
 * +---------------------------------------------------------------+
 * |                     sequence (u64)                            | 12
 * +---------------------------------------------------------------+
 * |                     sentUs (u64, sender clock, µs)            | 20
 * +---------------------------------------------------------------+
 * |                     padding: size − 28 bytes                  | 28
 * ```
 */
import { Flags, HEADER_SIZE, MessageType } from '../constants.js';
import { BadPayloadError } from '../errors.js';
import { writeHeader } from '../frame.js';
import { STREAM_BIND_PAYLOAD_BYTES, STREAM_CHALLENGE_BYTES, STREAM_DATA_MAX_SIZE, STREAM_DATA_MIN_SIZE, STREAM_KEY_BYTES } from './constants.js';

const TWO_32 = 2 ** 32;

/** Writes u64 `value` (an integer in 0..2^53) big-endian at `offset`. */
export function writeU64(buf: Buffer, offset: number, value: number): void {
  buf.writeUInt32BE(Math.floor(value / TWO_32), offset);
  buf.writeUInt32BE(value % TWO_32, offset + 4);
}

/** Reads a u64 big-endian at `offset` as a number (exact below 2^53). */
export function readU64(buf: Uint8Array, offset: number): number {
  const b = Buffer.isBuffer(buf) ? buf : Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  return b.readUInt32BE(offset) * TWO_32 + b.readUInt32BE(offset + 4);
}

/**
 * A zero-filled STREAM_DATA frame of `size` bytes (header in place: flags 0, id = `session`), to be
 * stamped per message with {@link stampStreamData}.
 * @throws RangeError when `size` is outside 28..65507 or `session` is not a non-zero u32
 */
export function newStreamDataFrame(session: number, size: number): Buffer {
  if (!Number.isInteger(size) || size < STREAM_DATA_MIN_SIZE || size > STREAM_DATA_MAX_SIZE) {
    throw new RangeError(`STREAM_DATA size must be an integer in ${STREAM_DATA_MIN_SIZE}..${STREAM_DATA_MAX_SIZE}, got ${size}`);
  }
  if (!Number.isInteger(session) || session < 1 || session > 0xffff_ffff) throw new RangeError(`session must be a non-zero u32, got ${session}`);
  const buf = Buffer.alloc(size);
  writeHeader(buf, 0, MessageType.STREAM_DATA, Flags.NONE, session, size - HEADER_SIZE);
  return buf;
}

/** Writes `sequence` and `sentUs` (µs) into a frame from {@link newStreamDataFrame}; returns it. */
export function stampStreamData(frame: Buffer, sequence: number, sentUs: number): Buffer {
  writeU64(frame, HEADER_SIZE, sequence);
  writeU64(frame, HEADER_SIZE + 8, Math.max(0, Math.floor(sentUs)));
  return frame;
}

/** The fields of one STREAM_DATA payload. */
export interface StreamDataFields {
  /** 0 for the session's first message, +1 each next. */
  sequence: number;
  /** The sender's clock when it sent the message, µs. */
  sentUs: number;
}

/**
 * Reads a STREAM_DATA payload (the frame minus its 12-byte header).
 * @throws BadPayloadError when it is shorter than 16 bytes
 */
export function readStreamData(payload: Uint8Array, id = 0): StreamDataFields {
  if (payload.length < STREAM_DATA_MIN_SIZE - HEADER_SIZE) {
    throw new BadPayloadError(`STREAM_DATA payload of ${payload.length} bytes is shorter than ${STREAM_DATA_MIN_SIZE - HEADER_SIZE}`, id);
  }
  return { sequence: readU64(payload, 0), sentUs: readU64(payload, 8) };
}

/**
 * A STREAM_BIND datagram (28 bytes): header type 0x0F, flags 0, id = `session`, then the 8 key bytes
 * and 8 zero bytes.
 * @throws RangeError when `key` is not 8 bytes
 */
export function encodeStreamBind(session: number, key: Uint8Array): Buffer {
  if (key.length !== STREAM_KEY_BYTES) throw new RangeError(`a stream key is ${STREAM_KEY_BYTES} bytes, got ${key.length}`);
  const buf = Buffer.alloc(HEADER_SIZE + STREAM_BIND_PAYLOAD_BYTES);
  writeHeader(buf, 0, MessageType.STREAM_BIND, Flags.NONE, session, STREAM_BIND_PAYLOAD_BYTES);
  buf.set(key, HEADER_SIZE);
  return buf;
}

/**
 * The key of a STREAM_BIND payload.
 * @throws BadPayloadError when the payload is not 16 bytes
 */
export function decodeStreamBind(payload: Uint8Array, id = 0): Buffer {
  if (payload.length !== STREAM_BIND_PAYLOAD_BYTES) {
    throw new BadPayloadError(`STREAM_BIND payload must be ${STREAM_BIND_PAYLOAD_BYTES} bytes, got ${payload.length}`, id);
  }
  return Buffer.from(payload.subarray(0, STREAM_KEY_BYTES));
}

/** The STREAM_BIND reply datagram (28 bytes): RESPONSE flag, id = `session`, the 16-byte challenge. */
export function encodeStreamChallenge(session: number, challenge: Uint8Array): Buffer {
  if (challenge.length !== STREAM_CHALLENGE_BYTES) throw new RangeError(`a challenge is ${STREAM_CHALLENGE_BYTES} bytes, got ${challenge.length}`);
  const buf = Buffer.alloc(HEADER_SIZE + STREAM_CHALLENGE_BYTES);
  writeHeader(buf, 0, MessageType.STREAM_BIND, Flags.RESPONSE, session, STREAM_CHALLENGE_BYTES);
  buf.set(challenge, HEADER_SIZE);
  return buf;
}

/**
 * The challenge of a STREAM_BIND reply payload.
 * @throws BadPayloadError when the payload is not 16 bytes
 */
export function decodeStreamChallenge(payload: Uint8Array, id = 0): Buffer {
  if (payload.length !== STREAM_CHALLENGE_BYTES) {
    throw new BadPayloadError(`STREAM_BIND reply payload must be ${STREAM_CHALLENGE_BYTES} bytes, got ${payload.length}`, id);
  }
  return Buffer.from(payload);
}
