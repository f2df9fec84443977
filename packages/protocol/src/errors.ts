import { ErrorCode, errorCodeName } from './constants.js';

/**
 * An error that the protocol names: it carries the {@link ErrorCode} that an ERROR reply would
 * carry and the id of the offending request (0 when there is none, e.g. a bad header before the id
 * was trusted, or a push). One subclass per code, following undici's errors module.
 */
export class ProtocolError extends Error {
  /** The protocol error code (docs/protocol.md, "Error codes"). */
  readonly code: ErrorCode;
  /** Id of the request this error answers; 0 if none. */
  readonly id: number;

  constructor(code: ErrorCode, message: string, id = 0) {
    super(message);
    this.name = 'ProtocolError';
    this.code = code;
    this.id = id;
  }

  /** The code's name, e.g. `"BAD_PAYLOAD"`. */
  get codeName(): string {
    return errorCodeName(this.code);
  }
}

/** Unknown version, reserved flag bits set, RESPONSE flag on a request, or id 0 on a request. Fatal. */
export class BadFrameError extends ProtocolError {
  constructor(message = 'bad frame', id = 0) {
    super(ErrorCode.BAD_FRAME, message, id);
    this.name = 'BadFrameError';
  }
}

/** A header announced more payload bytes than the receiver's `maxPayload`. Fatal. */
export class FrameTooLargeError extends ProtocolError {
  constructor(message = 'frame too large', id = 0) {
    super(ErrorCode.FRAME_TOO_LARGE, message, id);
    this.name = 'FrameTooLargeError';
  }
}

/** A type not in the table, or one a client may not send. Not fatal. */
export class UnknownTypeError extends ProtocolError {
  constructor(message = 'unknown type', id = 0) {
    super(ErrorCode.UNKNOWN_TYPE, message, id);
    this.name = 'UnknownTypeError';
  }
}

/** The payload does not match its type. Not fatal. */
export class BadPayloadError extends ProtocolError {
  constructor(message = 'bad payload', id = 0) {
    super(ErrorCode.BAD_PAYLOAD, message, id);
    this.name = 'BadPayloadError';
  }
}

/** The server has a token and the first request was not a HELLO with it. Fatal. */
export class UnauthorizedError extends ProtocolError {
  constructor(message = 'unauthorized', id = 0) {
    super(ErrorCode.UNAUTHORIZED, message, id);
    this.name = 'UnauthorizedError';
  }
}

/** Pool queue full (not fatal) or connection limit reached (fatal, sent instead of WELCOME). */
export class BusyError extends ProtocolError {
  constructor(message = 'busy', id = 0) {
    super(ErrorCode.BUSY, message, id);
    this.name = 'BusyError';
  }
}

/** LEAVE or SAY for a room the connection has not joined. Not fatal. */
export class NotInRoomError extends ProtocolError {
  constructor(message = 'not in room', id = 0) {
    super(ErrorCode.NOT_IN_ROOM, message, id);
    this.name = 'NotInRoomError';
  }
}

/** The server is draining. Not fatal. */
export class ShuttingDownError extends ProtocolError {
  constructor(message = 'shutting down', id = 0) {
    super(ErrorCode.SHUTTING_DOWN, message, id);
    this.name = 'ShuttingDownError';
  }
}

/** A type that a transport does not carry (UDP serves PING, ECHO, COMPUTE only). Never sent in v1. */
export class UnsupportedError extends ProtocolError {
  constructor(message = 'unsupported', id = 0) {
    super(ErrorCode.UNSUPPORTED, message, id);
    this.name = 'UnsupportedError';
  }
}

const byCode: Record<ErrorCode, new (message?: string, id?: number) => ProtocolError> = {
  [ErrorCode.BAD_FRAME]: BadFrameError,
  [ErrorCode.FRAME_TOO_LARGE]: FrameTooLargeError,
  [ErrorCode.UNKNOWN_TYPE]: UnknownTypeError,
  [ErrorCode.BAD_PAYLOAD]: BadPayloadError,
  [ErrorCode.UNAUTHORIZED]: UnauthorizedError,
  [ErrorCode.BUSY]: BusyError,
  [ErrorCode.NOT_IN_ROOM]: NotInRoomError,
  [ErrorCode.SHUTTING_DOWN]: ShuttingDownError,
  [ErrorCode.UNSUPPORTED]: UnsupportedError,
};

/**
 * The typed error for `code` (e.g. a decoded ERROR reply); a code this version does not know gives a
 * plain {@link ProtocolError}.
 */
export function protocolErrorFor(code: number, message: string, id = 0): ProtocolError {
  const Ctor = byCode[code as ErrorCode];
  return Ctor ? new Ctor(message, id) : new ProtocolError(code as ErrorCode, message, id);
}
