/**
 * Typed codecs for every payload in docs/protocol.md ("Message types"). Decoders validate as the
 * page says and throw {@link BadPayloadError} (code BAD_PAYLOAD) with a message naming what is wrong.
 * Decoders take the request id so the error they throw answers the right request.
 */
import {
  COMPUTE_ITERATIONS_BYTES,
  DEFAULT_MAX_ITERATIONS,
  ErrorCode,
  MAX_ROOM_NAME_BYTES,
  MAX_SAY_TEXT_BYTES,
} from './constants.js';
import { BadPayloadError } from './errors.js';
import { decodeJsonObject, decodeUtf8, encodeJson, field } from './json-codec.js';

export { decodeUtf8 } from './json-codec.js';

const CONTROL = /\p{Cc}/u;

// ── HELLO ─────────────────────────────────────────────────────────────────────────────────────

/** HELLO request: UTF-8 JSON `{"client"?: string, "token"?: string}`. */
export interface Hello {
  /** Name shown as `from` in CHAT pushes. */
  client?: string;
  /** Shared secret, when the server was started with `--token`. */
  token?: string;
}

/** Encodes a HELLO payload. */
export function encodeHello(hello: Hello): Buffer {
  return encodeJson(hello);
}

/** Decodes a HELLO payload. @throws BadPayloadError on bad JSON or wrong field types */
export function decodeHello(bytes: Uint8Array, id = 0): Hello {
  const obj = decodeJsonObject(bytes, 'HELLO', id);
  const out: Hello = {};
  const client = field(obj, 'client', 'string', 'HELLO', id, true);
  const token = field(obj, 'token', 'string', 'HELLO', id, true);
  if (client !== undefined) out.client = client;
  if (token !== undefined) out.token = token;
  return out;
}

// ── WELCOME ───────────────────────────────────────────────────────────────────────────────────

/** WELCOME push (and HELLO reply): sent with id 0 as soon as a TCP connection is accepted. */
export interface Welcome {
  /** Greeting for humans. */
  message: string;
  /** `"sockbench/<version>"`. */
  server: string;
  /** 0-based index of the server process that owns the connection. */
  worker: number;
  /** Largest payload this server accepts, bytes. */
  maxPayload: number;
  /** Whether the server requires a token in HELLO. */
  auth: boolean;
}

/** Encodes a WELCOME payload. */
export function encodeWelcome(welcome: Welcome): Buffer {
  return encodeJson(welcome);
}

/** Decodes a WELCOME payload. @throws BadPayloadError */
export function decodeWelcome(bytes: Uint8Array, id = 0): Welcome {
  const obj = decodeJsonObject(bytes, 'WELCOME', id);
  return {
    message: field(obj, 'message', 'string', 'WELCOME', id, false)!,
    server: field(obj, 'server', 'string', 'WELCOME', id, false)!,
    worker: field(obj, 'worker', 'number', 'WELCOME', id, false)!,
    maxPayload: field(obj, 'maxPayload', 'number', 'WELCOME', id, false)!,
    auth: field(obj, 'auth', 'boolean', 'WELCOME', id, false)!,
  };
}

// ── COMPUTE ───────────────────────────────────────────────────────────────────────────────────

/** COMPUTE request: 4-byte `iterations` then the data bytes. */
export interface ComputeRequest {
  /** SHA-256 rounds, 1..the server's cap. */
  iterations: number;
  /** Bytes hashed by the first round (a view into the payload when decoded). */
  data: Buffer;
}

/** Limits applied by {@link decodeCompute}. */
export interface ComputeLimits {
  /** Server cap on iterations (default 100000). */
  maxIterations?: number;
  /** Fewest data bytes accepted (UDP requires 32: no amplification). Default 0. */
  minDataBytes?: number;
}

/** Encodes a COMPUTE payload. @throws RangeError when iterations is not a u32 */
export function encodeCompute(iterations: number, data: Uint8Array): Buffer {
  if (!Number.isInteger(iterations) || iterations < 0 || iterations > 0xffff_ffff) {
    throw new RangeError(`iterations must be an integer in 0..4294967295, got ${iterations}`);
  }
  const out = Buffer.allocUnsafe(COMPUTE_ITERATIONS_BYTES + data.length);
  out.writeUInt32BE(iterations, 0);
  out.set(data, COMPUTE_ITERATIONS_BYTES);
  return out;
}

/**
 * Decodes a COMPUTE payload.
 * @throws BadPayloadError when shorter than 4 bytes, iterations is 0 or over the cap, or the data is
 *   shorter than `minDataBytes`
 */
export function decodeCompute(payload: Buffer, id = 0, limits: ComputeLimits = {}): ComputeRequest {
  const cap = limits.maxIterations ?? DEFAULT_MAX_ITERATIONS;
  if (payload.length < COMPUTE_ITERATIONS_BYTES) {
    throw new BadPayloadError(`COMPUTE payload of ${payload.length} bytes is shorter than the 4-byte iterations field`, id);
  }
  const iterations = payload.readUInt32BE(0);
  if (iterations < 1 || iterations > cap) {
    throw new BadPayloadError(`COMPUTE iterations must be in 1..${cap}, got ${iterations}`, id);
  }
  const data = payload.subarray(COMPUTE_ITERATIONS_BYTES);
  const min = limits.minDataBytes ?? 0;
  if (data.length < min) {
    throw new BadPayloadError(`COMPUTE data of ${data.length} bytes is under the ${min} bytes required`, id);
  }
  return { iterations, data };
}

// ── JOIN / LEAVE ──────────────────────────────────────────────────────────────────────────────

/**
 * Checks a room name: 1..64 bytes of UTF-8 with no code point of Unicode category Cc.
 * @throws BadPayloadError
 */
export function validateRoomName(name: string, id = 0): string {
  const bytes = Buffer.byteLength(name, 'utf8');
  if (bytes < 1 || bytes > MAX_ROOM_NAME_BYTES) {
    throw new BadPayloadError(`room name must be 1..${MAX_ROOM_NAME_BYTES} bytes of UTF-8, got ${bytes}`, id);
  }
  if (CONTROL.test(name)) throw new BadPayloadError('room name must not contain control characters', id);
  return name;
}

/** Encodes a JOIN or LEAVE payload (the room name). @throws BadPayloadError on an invalid name */
export function encodeRoom(name: string): Buffer {
  return Buffer.from(validateRoomName(name), 'utf8');
}

/** Decodes a JOIN or LEAVE payload. @throws BadPayloadError */
export function decodeRoom(payload: Uint8Array, id = 0): string {
  if (payload.length < 1 || payload.length > MAX_ROOM_NAME_BYTES) {
    throw new BadPayloadError(`room name must be 1..${MAX_ROOM_NAME_BYTES} bytes of UTF-8, got ${payload.length}`, id);
  }
  return validateRoomName(decodeUtf8(payload, 'room name', id), id);
}

// ── SAY ───────────────────────────────────────────────────────────────────────────────────────

/** SAY request: 1-byte room-name length, room name, UTF-8 text. */
export interface Say {
  room: string;
  /** At most 4096 bytes of UTF-8. */
  text: string;
}

/** Encodes a SAY payload. @throws BadPayloadError on an invalid room name or text over 4096 bytes */
export function encodeSay(room: string, text: string): Buffer {
  const roomBytes = encodeRoom(room);
  const textBytes = Buffer.from(text, 'utf8');
  if (textBytes.length > MAX_SAY_TEXT_BYTES) {
    throw new BadPayloadError(`SAY text must be at most ${MAX_SAY_TEXT_BYTES} bytes, got ${textBytes.length}`);
  }
  const out = Buffer.allocUnsafe(1 + roomBytes.length + textBytes.length);
  out[0] = roomBytes.length;
  roomBytes.copy(out, 1);
  textBytes.copy(out, 1 + roomBytes.length);
  return out;
}

/** Decodes a SAY payload. @throws BadPayloadError */
export function decodeSay(payload: Buffer, id = 0): Say {
  if (payload.length < 1) throw new BadPayloadError('SAY payload is empty', id);
  const n = payload[0]!;
  if (payload.length < 1 + n) {
    throw new BadPayloadError(`SAY room-name length ${n} runs past the ${payload.length}-byte payload`, id);
  }
  const room = decodeRoom(payload.subarray(1, 1 + n), id);
  const textBytes = payload.subarray(1 + n);
  if (textBytes.length > MAX_SAY_TEXT_BYTES) {
    throw new BadPayloadError(`SAY text must be at most ${MAX_SAY_TEXT_BYTES} bytes, got ${textBytes.length}`, id);
  }
  return { room, text: decodeUtf8(textBytes, 'SAY text', id) };
}

// ── CHAT ──────────────────────────────────────────────────────────────────────────────────────

/** CHAT push: id 0, UTF-8 JSON. */
export interface Chat {
  room: string;
  /** The sender's HELLO `client` name, else `ip:port`. */
  from: string;
  text: string;
}

/** Encodes a CHAT payload. */
export function encodeChat(chat: Chat): Buffer {
  return encodeJson({ room: chat.room, from: chat.from, text: chat.text });
}

/** Decodes a CHAT payload. @throws BadPayloadError */
export function decodeChat(bytes: Uint8Array, id = 0): Chat {
  const obj = decodeJsonObject(bytes, 'CHAT', id);
  return {
    room: field(obj, 'room', 'string', 'CHAT', id, false)!,
    from: field(obj, 'from', 'string', 'CHAT', id, false)!,
    text: field(obj, 'text', 'string', 'CHAT', id, false)!,
  };
}

// ── ERROR ─────────────────────────────────────────────────────────────────────────────────────

/** ERROR payload: 2-byte code then a UTF-8 message. */
export interface ErrorPayload {
  code: ErrorCode;
  message: string;
}

/** Encodes an ERROR payload. */
export function encodeError(code: ErrorCode, message: string): Buffer {
  const text = Buffer.from(message, 'utf8');
  const out = Buffer.allocUnsafe(2 + text.length);
  out.writeUInt16BE(code, 0);
  text.copy(out, 2);
  return out;
}

/** Decodes an ERROR payload (an invalid UTF-8 message is replaced, not refused). @throws BadPayloadError under 2 bytes */
export function decodeError(payload: Buffer, id = 0): ErrorPayload {
  if (payload.length < 2) throw new BadPayloadError(`ERROR payload of ${payload.length} bytes is under 2 bytes`, id);
  return { code: payload.readUInt16BE(0) as ErrorCode, message: payload.toString('utf8', 2) };
}
