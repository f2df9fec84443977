/**
 * Every error the client library and its CLI throw or reject with, in one place (undici's
 * `lib/core/errors.js` layout): a base {@link ClientError} with a stable string `code`
 * (`SOCKBENCH_<NAME>`, unique across the sockbench packages), one subclass per failure. An OS error
 * stays apart as `osCode` and `cause`; a wire error code is `errorCode`. Arguments that are wrong
 * before anything is sent throw the standard `TypeError` / `RangeError` instead.
 */
import { ErrorCode, errorCodeName, messageTypeName } from '@sockbench/protocol';

/** Stable codes of this package's errors (README, "Errors"). */
export const ClientErrorCodes = {
  CONNECT: 'SOCKBENCH_CONNECT',
  ERROR_REPLY: 'SOCKBENCH_ERROR_REPLY',
  TIMEOUT: 'SOCKBENCH_TIMEOUT',
  CONNECTION_CLOSED: 'SOCKBENCH_CONNECTION_CLOSED',
  UNSUPPORTED_ON_UDP: 'SOCKBENCH_UNSUPPORTED_ON_UDP',
  UNEXPECTED_FRAME: 'SOCKBENCH_UNEXPECTED_FRAME',
  USAGE: 'SOCKBENCH_CLIENT_USAGE',
  STREAM_UNSUPPORTED: 'SOCKBENCH_STREAM_UNSUPPORTED',
  STREAM: 'SOCKBENCH_STREAM',
} as const;

/** One of {@link ClientErrorCodes}' values. */
export type ClientErrorCode = (typeof ClientErrorCodes)[keyof typeof ClientErrorCodes];

/** Base of every error of `@sockbench/client`; `code` is stable across versions, `message` is not. */
export class ClientError extends Error {
  /** Stable code: one of {@link ClientErrorCodes}. */
  readonly code: ClientErrorCode;

  constructor(code: ClientErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ClientError';
    this.code = code;
  }
}

/**
 * The connection could not be made: refused, unreachable, timed out, or closed before the WELCOME.
 * `osCode` is the OS error code (`'ECONNREFUSED'`, `'ETIMEDOUT'`, `'ENOTFOUND'`, `'ECONNRESET'` when
 * closed before the WELCOME, `'EPROTO'` for a malformed frame then), `cause` the error behind it if
 * any; the CLI exits 3 on it.
 */
export class ConnectError extends ClientError {
  /** The OS error code, e.g. `'ECONNREFUSED'`. */
  readonly osCode: string;
  readonly host: string;
  readonly port: number;

  constructor(host: string, port: number, osCode: string, detail?: string, options?: { cause?: unknown }) {
    super(ClientErrorCodes.CONNECT, `cannot connect to ${formatHostPort(host, port)}: ${osCode}${detail ? ` (${detail})` : ''}`, options);
    this.name = 'ConnectError';
    this.osCode = osCode;
    this.host = host;
    this.port = port;
  }
}

/**
 * The server answered with an ERROR frame (docs/protocol.md, "Error codes"): `errorCode` is the
 * protocol code, `message` the server's text. Also emitted as an `error` event for an ERROR push (id 0).
 */
export class ErrorReply extends ClientError {
  /** The protocol error code of the ERROR reply. */
  readonly errorCode: ErrorCode;
  /** Id of the request it answers; 0 for a push. */
  readonly id: number;

  constructor(errorCode: ErrorCode, message: string, id = 0) {
    super(ClientErrorCodes.ERROR_REPLY, message);
    this.name = 'ErrorReply';
    this.errorCode = errorCode;
    this.id = id;
  }

  /** The code's name as the protocol writes it, e.g. `"NOT_IN_ROOM"`. */
  get codeName(): string {
    return errorCodeName(this.errorCode);
  }
}

/** No reply within the request's timeout (ms). Over UDP this is how a lost datagram shows. */
export class TimeoutError extends ClientError {
  /** The timeout that elapsed, ms. */
  readonly timeoutMs: number;
  /** Message type of the request. */
  readonly type: number;
  /** Id of the request. */
  readonly id: number;

  constructor(type: number, id: number, timeoutMs: number) {
    super(ClientErrorCodes.TIMEOUT, `${messageTypeName(type)} (id ${id}) got no reply within ${timeoutMs} ms`);
    this.name = 'TimeoutError';
    this.timeoutMs = timeoutMs;
    this.type = type;
    this.id = id;
  }
}

/**
 * The connection closed before the reply came: by `close()`, by the server (FIN or reset), or on a
 * malformed frame from the server. `cause` holds the underlying error, if any.
 */
export class ConnectionClosedError extends ClientError {
  constructor(message = 'connection closed', options?: { cause?: unknown }) {
    super(ClientErrorCodes.CONNECTION_CLOSED, message, options);
    this.name = 'ConnectionClosedError';
  }
}

/**
 * A request type that UDP does not carry (only PING, ECHO and COMPUTE do): rejected locally, nothing
 * sent. Carries the protocol's `ErrorCode.UNSUPPORTED`, the reason the server would drop it.
 */
export class UnsupportedOnUdpError extends ClientError {
  readonly errorCode = ErrorCode.UNSUPPORTED;
  /** The type that was refused. */
  readonly type: number;

  constructor(type: number) {
    super(
      ClientErrorCodes.UNSUPPORTED_ON_UDP,
      `${messageTypeName(type)} is not served over UDP (only PING, ECHO and COMPUTE are): UNSUPPORTED, nothing sent`,
    );
    this.name = 'UnsupportedOnUdpError';
    this.type = type;
  }
}

/**
 * A frame from the server that breaks the protocol's promises without closing the connection: a reply
 * whose id has no request pending (late, duplicate or unknown), a reply of the wrong type, or a payload
 * that does not decode. Emitted as an `error` event, or rejects the request it answers.
 */
export class UnexpectedFrameError extends ClientError {
  /** Type of the offending frame. */
  readonly type: number;
  /** Id of the offending frame. */
  readonly id: number;

  constructor(type: number, id: number, message: string, options?: { cause?: unknown }) {
    super(ClientErrorCodes.UNEXPECTED_FRAME, message, options);
    this.name = 'UnexpectedFrameError';
    this.type = type;
    this.id = id;
  }
}

/**
 * The server predates stream mode: it answered STREAM_OPEN with ERROR UNKNOWN_TYPE (docs/protocol.md,
 * "Error codes": a type not in its table). `address` is its `host:port`.
 */
export class StreamUnsupportedError extends ClientError {
  readonly address: string;

  constructor(address: string, detail: string) {
    super(ClientErrorCodes.STREAM_UNSUPPORTED, `${address} does not serve stream mode: it answered STREAM_OPEN with UNKNOWN_TYPE (${detail}); it predates streams, upgrade the server`);
    this.name = 'StreamUnsupportedError';
    this.address = address;
  }
}

/**
 * A stream session failed after it opened: a data connection that could not attach or closed
 * early, a UDP address the server would not validate (no challenge came back), a report that does
 * not decode. `cause` holds the error behind it.
 */
export class StreamError extends ClientError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(ClientErrorCodes.STREAM, message, options);
    this.name = 'StreamError';
  }
}

/** A command-line mistake of `sockbench-client` found after parsing (the CLI exits 2). */
export class UsageError extends ClientError {
  constructor(message: string) {
    super(ClientErrorCodes.USAGE, message);
    this.name = 'UsageError';
  }
}

/** `host:port`, with brackets around an IPv6 literal (`[::1]:7000`). */
export function formatHostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}
