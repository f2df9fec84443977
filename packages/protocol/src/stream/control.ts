/**
 * The stream's control messages over TCP (docs/protocol.md, "Stream"): STREAM_OPEN, STREAM_ATTACH,
 * STREAM_VALIDATE, STREAM_START and the STREAM_REPORT request, each UTF-8 JSON. Decoders check types
 * and the protocol's ranges (not the server's caps, which are the server's decision) and throw
 * {@link BadPayloadError} with the reason docs/protocol.md gives.
 */
import { BadPayloadError } from '../errors.js';
import { encodeJson } from '../json-codec.js';
import {
  STREAM_CHALLENGE_BYTES,
  STREAM_DATA_MAX_SIZE,
  STREAM_DATA_MIN_SIZE,
  STREAM_DIRECTIONS,
  STREAM_KEY_BYTES,
  STREAM_TRANSPORTS,
  type StreamDirection,
  type StreamTransport,
} from './constants.js';
import { U32_MAX, choiceField, hexField, intField, strictObject } from './json-fields.js';

const MAX_SAFE = Number.MAX_SAFE_INTEGER;

/** STREAM_OPEN request. */
export interface StreamOpen {
  /** `up`: the client sends; `down`: the server sends. */
  direction: StreamDirection;
  /** `tcp` (a data connection) or `udp` (datagrams to the reply's `udpPort`). */
  transport: StreamTransport;
  /** Bytes of every STREAM_DATA frame, header included: 28..65507. */
  size: number;
  /** How long the sender sends, ms (≥ 1; the server caps it). */
  durationMs: number;
  /** The sender's rate over whole STREAM_DATA frames, bit/s; required for udp; absent: unpaced TCP. */
  bitrate?: number;
}

/** The fields of a STREAM_OPEN request, in docs order. */
export const STREAM_OPEN_FIELDS: readonly (keyof StreamOpen)[] = ['direction', 'transport', 'size', 'durationMs', 'bitrate'];

/** Encodes a STREAM_OPEN request. */
export function encodeStreamOpen(open: StreamOpen): Buffer {
  return encodeJson(open);
}

/**
 * Decodes a STREAM_OPEN request.
 * @throws BadPayloadError `STREAM_OPEN …` naming the field, `size <n> is outside 28..65507 bytes`, `bitrate is required for udp`
 */
export function decodeStreamOpen(bytes: Uint8Array, id = 0): StreamOpen {
  const what = 'STREAM_OPEN';
  const obj = strictObject(bytes, what, STREAM_OPEN_FIELDS, id);
  const direction = choiceField(obj, 'direction', what, id, STREAM_DIRECTIONS);
  const transport = choiceField(obj, 'transport', what, id, STREAM_TRANSPORTS);
  const size = intField(obj, 'size', what, id, 0, MAX_SAFE)!;
  if (size < STREAM_DATA_MIN_SIZE || size > STREAM_DATA_MAX_SIZE) {
    throw new BadPayloadError(`size ${size} is outside ${STREAM_DATA_MIN_SIZE}..${STREAM_DATA_MAX_SIZE} bytes`, id);
  }
  const durationMs = intField(obj, 'durationMs', what, id, 1, MAX_SAFE)!;
  const bitrate = intField(obj, 'bitrate', what, id, 1, MAX_SAFE, true);
  if (transport === 'udp' && bitrate === undefined) throw new BadPayloadError('bitrate is required for udp', id);
  const out: StreamOpen = { direction, transport, size, durationMs };
  if (bitrate !== undefined) out.bitrate = bitrate;
  return out;
}

/** STREAM_OPEN reply: the session as granted. */
export interface StreamOpened {
  /** Non-zero u32 unique in its process (top byte: the worker index, 24 random bits below); the id of every data frame. */
  session: number;
  /** 16 lowercase hex digits (8 bytes) that STREAM_ATTACH and STREAM_BIND carry. */
  key: string;
  /** The server process holding the session (WELCOME.worker). */
  worker: number;
  /** Where STREAM_DATA and STREAM_BIND datagrams go. */
  udpPort: number;
  /** STREAM_DATA frame bytes. */
  size: number;
  /** Sending time, ms. */
  durationMs: number;
  /** bit/s; null: unpaced TCP. */
  bitrate: number | null;
}

/** Encodes a STREAM_OPEN reply. */
export function encodeStreamOpened(opened: StreamOpened): Buffer {
  return encodeJson(opened);
}

/** Decodes a STREAM_OPEN reply. @throws BadPayloadError */
export function decodeStreamOpened(bytes: Uint8Array, id = 0): StreamOpened {
  const what = 'STREAM_OPEN reply';
  const obj = strictObject(bytes, what, ['session', 'key', 'worker', 'udpPort', 'size', 'durationMs', 'bitrate'], id);
  const bitrate = obj.bitrate === null ? null : intField(obj, 'bitrate', what, id, 1, MAX_SAFE)!;
  return {
    session: intField(obj, 'session', what, id, 1, U32_MAX)!,
    key: hexField(obj, 'key', what, id, STREAM_KEY_BYTES).toString('hex'),
    worker: intField(obj, 'worker', what, id, 0, MAX_SAFE)!,
    udpPort: intField(obj, 'udpPort', what, id, 0, 65535)!,
    size: intField(obj, 'size', what, id, STREAM_DATA_MIN_SIZE, STREAM_DATA_MAX_SIZE)!,
    durationMs: intField(obj, 'durationMs', what, id, 1, MAX_SAFE)!,
    bitrate,
  };
}

/** STREAM_ATTACH request: the first request of a TCP data connection. */
export interface StreamAttach {
  session: number;
  /** The session's key, 16 lowercase hex digits. */
  key: string;
}

/** Encodes a STREAM_ATTACH request. */
export function encodeStreamAttach(attach: StreamAttach): Buffer {
  return encodeJson(attach);
}

/** Decodes a STREAM_ATTACH request. @throws BadPayloadError */
export function decodeStreamAttach(bytes: Uint8Array, id = 0): StreamAttach {
  const what = 'STREAM_ATTACH';
  const obj = strictObject(bytes, what, ['session', 'key'], id);
  return { session: intField(obj, 'session', what, id, 1, U32_MAX)!, key: hexField(obj, 'key', what, id, STREAM_KEY_BYTES).toString('hex') };
}

/** STREAM_VALIDATE request: the challenge a STREAM_BIND reply carried, returned over control. */
export interface StreamValidate {
  session: number;
  /** 32 lowercase hex digits. */
  challenge: string;
}

/** Encodes a STREAM_VALIDATE request. */
export function encodeStreamValidate(v: StreamValidate): Buffer {
  return encodeJson(v);
}

/** Decodes a STREAM_VALIDATE request. @throws BadPayloadError */
export function decodeStreamValidate(bytes: Uint8Array, id = 0): StreamValidate {
  const what = 'STREAM_VALIDATE';
  const obj = strictObject(bytes, what, ['session', 'challenge'], id);
  return {
    session: intField(obj, 'session', what, id, 1, U32_MAX)!,
    challenge: hexField(obj, 'challenge', what, id, STREAM_CHALLENGE_BYTES).toString('hex'),
  };
}

/** STREAM_VALIDATE reply: the address now validated, `ip:port` (IPv6 `[addr]:port`). */
export interface StreamValidated {
  address: string;
}

/** Encodes a STREAM_VALIDATE reply. */
export function encodeStreamValidated(v: StreamValidated): Buffer {
  return encodeJson(v);
}

/** Decodes a STREAM_VALIDATE reply. @throws BadPayloadError */
export function decodeStreamValidated(bytes: Uint8Array, id = 0): StreamValidated {
  const obj = strictObject(bytes, 'STREAM_VALIDATE reply', ['address'], id);
  if (typeof obj.address !== 'string') throw new BadPayloadError('STREAM_VALIDATE reply.address must be a string', id);
  return { address: obj.address };
}

/** STREAM_START request and reply: `{"session": int}`. */
export interface StreamSessionRef {
  session: number;
}

/** Encodes a STREAM_START request or reply. */
export function encodeStreamStart(ref: StreamSessionRef): Buffer {
  return encodeJson({ session: ref.session });
}

/** Decodes a STREAM_START request or reply. @throws BadPayloadError */
export function decodeStreamStart(bytes: Uint8Array, id = 0): StreamSessionRef {
  const obj = strictObject(bytes, 'STREAM_START', ['session'], id);
  return { session: intField(obj, 'session', 'STREAM_START', id, 1, U32_MAX)! };
}

/** STREAM_REPORT request. */
export interface StreamReportRequest {
  session: number;
  /** Messages the client sent (up): lets the receiver see a loss at the very end. */
  sent?: number;
}

/** Encodes a STREAM_REPORT request. */
export function encodeStreamReportRequest(r: StreamReportRequest): Buffer {
  return encodeJson(r);
}

/** Decodes a STREAM_REPORT request. @throws BadPayloadError */
export function decodeStreamReportRequest(bytes: Uint8Array, id = 0): StreamReportRequest {
  const what = 'STREAM_REPORT';
  const obj = strictObject(bytes, what, ['session', 'sent'], id);
  const out: StreamReportRequest = { session: intField(obj, 'session', what, id, 1, U32_MAX)! };
  const sent = intField(obj, 'sent', what, id, 0, MAX_SAFE, true);
  if (sent !== undefined) out.sent = sent;
  return out;
}
