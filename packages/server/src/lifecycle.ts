/**
 * The one small lifecycle every listener of the server shares (TCP listener, TCP connection, UDP
 * endpoint, raw echo, metrics HTTP), after undici's dispatcher base: `close()` returns a promise
 * that resolves once everything it owns is closed.
 */

/** Something that can be drained and closed. */
export interface Closable {
  /** Stops taking new work, finishes what was accepted, resolves when closed. Never rejects. */
  close(): Promise<void>;
}

/** A listener: binds with `listen()` (resolving with its bound address(es)), then `close()`. */
export interface Lifecycle<A> extends Closable {
  /** Binds; resolves with the bound address(es) (real ports when 0 was asked). @throws ListenError */
  listen(): Promise<A>;
}
