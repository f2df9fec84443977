/**
 * The requests in flight on one connection, by id: the id sequence, each request's send time and
 * timeout, and settling a request from the frame that answers it. Time comes from an injected clock
 * (ms, `performance.now()` by default), the same clock the channel stamps replies with, so a test can
 * pin a round-trip time exactly.
 */
import { performance } from 'node:perf_hooks';
import type { Frame } from '@sockbench/protocol';
import type { FrameChannel } from './channel.js';
import { TimeoutError, type ConnectionClosedError } from './errors.js';
import { checkReply } from './reply-check.js';
import { nextRequestId } from './request-ids.js';

/** A raw reply of {@link Client.request}. */
export interface Reply {
  /** The reply payload (may be a view into a received chunk). */
  payload: Buffer;
  /** Round-trip time from send to receive, ms (`performance.now()`, sub-µs resolution). */
  rttMs: number;
  /** The request id. */
  id: number;
}

/** A clock in ms; only differences between its readings are used. */
export type Clock = () => number;

/** What {@link PendingRequests.send} sends through: a {@link FrameChannel}, or anything with its `send`. */
export type RequestSender = Pick<FrameChannel, 'send'>;

interface Pending {
  type: number;
  sentAt: number;
  timeoutMs: number;
  resolve: (reply: Reply) => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout | undefined;
}

const performanceClock: Clock = () => performance.now();

/**
 * Pending requests of one connection. Ids follow {@link nextRequestId} (1, 2, …, 0xFFFFFFFF, 1); after
 * a wrap an id still pending is skipped rather than shadowed. Each request is settled exactly once: by
 * its reply ({@link settle}), its timeout, or {@link rejectAll}.
 */
export class PendingRequests {
  readonly #byId = new Map<number, Pending>();
  readonly #now: Clock;
  #lastId = 0;
  /** One timer callback for every request (the id travels as the timer's argument): no closure per request. */
  readonly #expire = (id: number): void => {
    const pending = this.#byId.get(id);
    if (pending === undefined) return;
    this.#byId.delete(id);
    pending.reject(new TimeoutError(pending.type, id, pending.timeoutMs));
  };

  /** @param now the send-time clock, ms; must be the clock that stamps the `receivedAtMs` given to {@link settle} */
  constructor(now: Clock = performanceClock) {
    this.#now = now;
  }

  /** Requests sent and not yet settled. */
  get size(): number {
    return this.#byId.size;
  }

  /** Continues the id sequence after `id` (the channel's HELLO took id 1), so ids never repeat within a wrap. */
  continueAfter(id: number): void {
    this.#lastId = id;
  }

  /**
   * Sends one request through `sender` with the next free id and resolves with its reply.
   * @param timeoutMs reject with {@link TimeoutError} after this many ms without a reply; 0 = never
   * @throws (rejects) whatever `sender.send` throws (RangeError: payload over 16 MiB); then nothing stays pending
   */
  send(sender: RequestSender, type: number, payload: Uint8Array | undefined, timeoutMs: number): Promise<Reply> {
    let id = nextRequestId(this.#lastId);
    while (this.#byId.has(id)) id = nextRequestId(id);
    this.#lastId = id;
    return new Promise<Reply>((resolve, reject) => {
      const pending: Pending = { type, sentAt: this.#now(), timeoutMs, resolve, reject, timer: undefined };
      // Sent before it is registered: a send that throws leaves no entry behind (replies come no sooner
      // than a later turn of the event loop, so none can miss it).
      sender.send(type, id, payload);
      if (timeoutMs > 0) pending.timer = setTimeout(this.#expire, timeoutMs, id);
      this.#byId.set(id, pending);
    });
  }

  /**
   * Settles the request `frame` answers (by `frame.id`): resolves with `rttMs = receivedAtMs − sent
   * time`, or rejects with the error {@link checkReply} finds (ERROR reply, wrong type, no RESPONSE flag).
   * @returns false when no request is waiting for `frame.id` (a push, a late or unknown reply)
   */
  settle(frame: Frame, receivedAtMs: number): boolean {
    const id = frame.id;
    const pending = this.#byId.get(id);
    if (pending === undefined) return false;
    this.#byId.delete(id);
    if (pending.timer !== undefined) clearTimeout(pending.timer);
    const err = checkReply(frame, pending.type);
    if (err === undefined) pending.resolve({ payload: frame.payload, rttMs: receivedAtMs - pending.sentAt, id });
    else pending.reject(err);
    return true;
  }

  /** Rejects every pending request with `err` at once and forgets them (the connection is gone). */
  rejectAll(err: ConnectionClosedError): void {
    for (const pending of this.#byId.values()) {
      if (pending.timer !== undefined) clearTimeout(pending.timer);
      pending.reject(err);
    }
    this.#byId.clear();
  }
}
