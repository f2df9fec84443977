/**
 * Errors the codecs throw, in one place (undici's `lib/core/errors.js` layout): a base
 * {@link ProtocolError}, one subclass per failure the codecs detect, each with a stable string `code`
 * (`SOCKBENCH_<NAME>`, unique across the sockbench packages) and the wire `errorCode` an ERROR reply
 * to it carries. The other wire codes (UNAUTHORIZED, BUSY, NOT_IN_ROOM, …) are decisions of the server,
 * not codec failures, so no error class stands for them here.
 */
import { ErrorCode, errorCodeName } from './constants.js';

/** Stable codes of this package's errors (README, "Errors"). */
export const ProtocolErrorCodes = {
  BAD_FRAME: 'SOCKBENCH_BAD_FRAME',
  FRAME_TOO_LARGE: 'SOCKBENCH_FRAME_TOO_LARGE',
  BAD_PAYLOAD: 'SOCKBENCH_BAD_PAYLOAD',
} as const;

/** One of {@link ProtocolErrorCodes}' values. */
export type ProtocolErrorCode = (typeof ProtocolErrorCodes)[keyof typeof ProtocolErrorCodes];

/**
 * Base of every error of `@sockbench/protocol`: `code` is stable across versions, `message` is not;
 * `errorCode` is the {@link ErrorCode} an ERROR reply would carry, `id` the offending request's id
 * (0 when there is none, e.g. a bad header before the id was trusted, or a push).
 */
export class ProtocolError extends Error {
  /** Stable code: one of {@link ProtocolErrorCodes}. */
  readonly code: ProtocolErrorCode;
  /** The wire error code (docs/protocol.md, "Error codes"). */
  readonly errorCode: ErrorCode;
  /** Id of the request this error answers; 0 if none. */
  readonly id: number;

  constructor(code: ProtocolErrorCode, errorCode: ErrorCode, message: string, id = 0) {
    super(message);
    this.name = 'ProtocolError';
    this.code = code;
    this.errorCode = errorCode;
    this.id = id;
  }

  /** The wire code's name, e.g. `"BAD_PAYLOAD"`. */
  get codeName(): string {
    return errorCodeName(this.errorCode);
  }
}

/** Unknown version, reserved flag bits set, RESPONSE flag on a request, id 0 on a request, or a short datagram. Fatal. */
export class BadFrameError extends ProtocolError {
  constructor(message = 'bad frame', id = 0) {
    super(ProtocolErrorCodes.BAD_FRAME, ErrorCode.BAD_FRAME, message, id);
    this.name = 'BadFrameError';
  }
}

/** A header announced more payload bytes than the receiver's `maxPayload`. Fatal. */
export class FrameTooLargeError extends ProtocolError {
  constructor(message = 'frame too large', id = 0) {
    super(ProtocolErrorCodes.FRAME_TOO_LARGE, ErrorCode.FRAME_TOO_LARGE, message, id);
    this.name = 'FrameTooLargeError';
  }
}

/** The payload does not match its type (bad JSON, bad room name, iterations out of range, …). Not fatal. */
export class BadPayloadError extends ProtocolError {
  constructor(message = 'bad payload', id = 0) {
    super(ProtocolErrorCodes.BAD_PAYLOAD, ErrorCode.BAD_PAYLOAD, message, id);
    this.name = 'BadPayloadError';
  }
}
