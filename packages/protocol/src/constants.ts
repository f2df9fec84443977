/**
 * Numbers and enums of the sockbench wire protocol, version 1 (docs/protocol.md).
 * Every other module of the protocol package derives its checks from these.
 */

/** Size of every frame header, bytes. */
export const HEADER_SIZE = 12;

/** The only protocol version this package speaks. */
export const PROTOCOL_VERSION = 1;

/** Default maximum payload a receiver accepts: 1 MiB (bytes). */
export const DEFAULT_MAX_PAYLOAD = 1024 * 1024;

/** No receiver may be configured to accept payloads above 16 MiB (bytes). */
export const MAX_PAYLOAD_LIMIT = 16 * 1024 * 1024;

/** Largest request id (ids are u32; 0 is reserved for pushes). */
export const MAX_ID = 0xffff_ffff;

/** Default port of the framed protocol, TCP and UDP alike (the server's default, the client's target). */
export const DEFAULT_PORT = 7878;

/**
 * Largest UDP payload over IPv4, bytes: 65535 − 20 (IP header) − 8 (UDP header). One datagram carries
 * one frame, so a UDP frame (12-byte header + payload) is at most this long.
 */
export const MAX_UDP_DATAGRAM = 65_507;

/** Default time a client allows to connect and receive the WELCOME (and a HELLO reply), ms. */
export const DEFAULT_CONNECT_TIMEOUT_MS = 5000;

/** Frame flags (16 bits). Bit 0 marks a reply; bits 1..15 are reserved and must be 0. */
export const Flags = {
  NONE: 0,
  RESPONSE: 0x0001,
  RESERVED_MASK: 0xfffe,
} as const;

/** Message types (byte 5 of the header). */
export enum MessageType {
  HELLO = 0x01,
  WELCOME = 0x02,
  PING = 0x03,
  ECHO = 0x04,
  COMPUTE = 0x05,
  JOIN = 0x06,
  LEAVE = 0x07,
  SAY = 0x08,
  CHAT = 0x09,
  STATS = 0x0a,
  BYE = 0x0b,
  STREAM_OPEN = 0x0c,
  STREAM_ATTACH = 0x0d,
  STREAM_DATA = 0x0e,
  STREAM_BIND = 0x0f,
  STREAM_VALIDATE = 0x10,
  STREAM_START = 0x11,
  STREAM_REPORT = 0x12,
  ERROR = 0x7f,
}

/** Error codes carried in the first two bytes of an ERROR payload. */
export enum ErrorCode {
  BAD_FRAME = 1,
  FRAME_TOO_LARGE = 2,
  UNKNOWN_TYPE = 3,
  BAD_PAYLOAD = 4,
  UNAUTHORIZED = 5,
  BUSY = 6,
  NOT_IN_ROOM = 7,
  SHUTTING_DOWN = 8,
  UNSUPPORTED = 9,
}

/**
 * Codes after which a TCP connection is closed (the ERROR is sent first).
 * BUSY is fatal only when the connection limit is reached (sent instead of WELCOME); a full pool
 * queue is not, so BUSY is left out here and the server decides per case.
 */
export const FATAL_ERROR_CODES: ReadonlySet<ErrorCode> = new Set([
  ErrorCode.BAD_FRAME,
  ErrorCode.FRAME_TOO_LARGE,
  ErrorCode.UNAUTHORIZED,
]);

/** True when `code` always ends a TCP connection (see {@link FATAL_ERROR_CODES}). */
export function isFatalError(code: ErrorCode): boolean {
  return FATAL_ERROR_CODES.has(code);
}

/** Types served over UDP; every other type is UNSUPPORTED there (dropped and counted). */
export const UDP_TYPES: ReadonlySet<MessageType> = new Set([
  MessageType.PING,
  MessageType.ECHO,
  MessageType.COMPUTE,
]);

/** Room names are 1..64 bytes of UTF-8. */
export const MAX_ROOM_NAME_BYTES = 64;

/** SAY text is at most 4096 bytes of UTF-8. */
export const MAX_SAY_TEXT_BYTES = 4096;

/** COMPUTE replies carry a 32-byte SHA-256 digest. */
export const COMPUTE_DIGEST_BYTES = 32;

/** Size of the `iterations` field that opens a COMPUTE payload, bytes. */
export const COMPUTE_ITERATIONS_BYTES = 4;

/** Default server cap on COMPUTE iterations. */
export const DEFAULT_MAX_ITERATIONS = 100_000;

/** Name of a message type as written in docs/protocol.md (`0x7F` → `"ERROR"`), or `"UNKNOWN"`. */
export function messageTypeName(type: number): string {
  return MessageType[type] ?? 'UNKNOWN';
}

/** Name of an error code as written in docs/protocol.md (`4` → `"BAD_PAYLOAD"`), or `"UNKNOWN"`. */
export function errorCodeName(code: number): string {
  return ErrorCode[code] ?? 'UNKNOWN';
}
