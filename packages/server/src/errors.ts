/**
 * Local failures of the server package (not wire errors: those are the protocol package's
 * ProtocolError subclasses). Each has a stable string `code`, as undici's errors module does.
 * Option validation throws the built-in TypeError/RangeError (see options.ts), as piscina does.
 */

/** Base class: every error this package throws on its own carries a stable `code`. */
export class ServerError extends Error {
  /** Stable code, e.g. `ERR_SERVER_STATE`. */
  readonly code: string;

  constructor(code: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'ServerError';
    this.code = code;
  }
}

/** `listen()` called twice, or after `close()`. */
export class ServerStateError extends ServerError {
  constructor(message: string) {
    super('ERR_SERVER_STATE', message);
    this.name = 'ServerStateError';
  }
}

/** A listener could not bind (port in use, address not available, …); `cause` is the OS error. */
export class ListenError extends ServerError {
  constructor(what: string, address: string, cause: unknown) {
    const detail = cause instanceof Error ? cause.message : String(cause);
    super('ERR_LISTEN', `cannot listen for ${what} on ${address}: ${detail}`, { cause });
    this.name = 'ListenError';
  }
}
