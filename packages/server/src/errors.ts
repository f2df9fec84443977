/**
 * Local failures of the server package, in one place (undici's `lib/core/errors.js` layout): a base
 * {@link SockbenchServerError}, one subclass per failure, each with a stable string `code`
 * (`SOCKBENCH_<NAME>`, unique across the sockbench packages). Wire errors are not here: those are
 * ERROR replies, and the codecs' `ProtocolError`s of `@sockbench/protocol`. Option validation throws
 * the built-in TypeError/RangeError (see options.ts), as piscina does.
 */

/** Stable codes of this package's errors (README, "Errors"). */
export const SockbenchServerErrorCodes = {
  SERVER_STATE: 'SOCKBENCH_SERVER_STATE',
  LISTEN: 'SOCKBENCH_LISTEN',
} as const;

/** One of {@link SockbenchServerErrorCodes}' values. */
export type SockbenchServerErrorCode = (typeof SockbenchServerErrorCodes)[keyof typeof SockbenchServerErrorCodes];

/**
 * Base of every error `@sockbench/server` throws on its own: `code` is stable across versions,
 * `message` is not. (Named for the package: a "server error" elsewhere is an ERROR reply.)
 */
export class SockbenchServerError extends Error {
  /** Stable code: one of {@link SockbenchServerErrorCodes}. */
  readonly code: SockbenchServerErrorCode;

  constructor(code: SockbenchServerErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'SockbenchServerError';
    this.code = code;
  }
}

/** `listen()` called twice, or after `close()`. */
export class ServerStateError extends SockbenchServerError {
  constructor(message: string) {
    super(SockbenchServerErrorCodes.SERVER_STATE, message);
    this.name = 'ServerStateError';
  }
}

/**
 * A listener could not bind (port in use, address not available, …): `cause` is the OS error and
 * `osCode` its code (`'EADDRINUSE'`, `'EADDRNOTAVAIL'`, …), or undefined when it had none.
 */
export class ListenError extends SockbenchServerError {
  /** The OS error code of `cause`, e.g. `'EADDRINUSE'`. */
  readonly osCode: string | undefined;

  constructor(what: string, address: string, cause: unknown) {
    const detail = cause instanceof Error ? cause.message : String(cause);
    super(SockbenchServerErrorCodes.LISTEN, `cannot listen for ${what} on ${address}: ${detail}`, { cause });
    this.name = 'ListenError';
    const osCode = (cause as NodeJS.ErrnoException | undefined)?.code;
    this.osCode = typeof osCode === 'string' ? osCode : undefined;
  }
}
