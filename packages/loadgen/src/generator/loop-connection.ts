/**
 * One connection as the load loop holds it: its driver, its in-flight ring, and where it stands in
 * its schedule. It is the driver's {@link ReplySink} and hands every event to the loop unchanged.
 */
import type { UnexpectedKind } from '../counters.js';
import type { Driver, DriverFactory, ReplySink } from './drivers.js';
import { InflightRing } from './inflight-ring.js';

/** What a connection reports to its loop (the loop's handlers, called once per event). */
export interface ConnectionEvents {
  onReply(c: LoopConnection, id: number, atMs: number, bytes: number, error: string | null): void;
  onClosed(c: LoopConnection, code: string): void;
  onDrained(c: LoopConnection): void;
  onUnexpected(c: LoopConnection, kind: UnexpectedKind): void;
}

/** One connection (or UDP socket) of a load loop. */
export class LoopConnection implements ReplySink {
  /** Its driver, once opened. */
  driver: Driver | null = null;
  /** Its requests in flight. */
  readonly ring: InflightRing;
  /** Global index of this connection in the plan (0..connections−1): its place in the open-loop schedule. */
  readonly index: number;
  /** Highest id answered so far (datagram reorder detection). */
  highest = 0;
  /** Measured requests left to send (requests mode), else Infinity. */
  quota: number;
  /** Open loop: next scheduled send time, ms. */
  due = 0;
  /** The driver said "backpressure": no sends until it drains. */
  blocked = false;
  /** Closed: never sends again. */
  dead = false;
  /** Open loop: past the end of its schedule (or its quota). */
  finished = false;
  /** Open loop: its place in the schedule's heap by due time (due-heap.ts), −1 while out of it. */
  heapIndex = -1;
  readonly #events: ConnectionEvents;

  /**
   * @param capacity the most ring slots (a power of two)
   * @param quota measured requests it may send (Infinity: unbounded)
   * @param initialCapacity ring slots it starts with (a power of two up to `capacity`; default all)
   */
  constructor(events: ConnectionEvents, index: number, capacity: number, quota: number, initialCapacity = capacity) {
    this.#events = events;
    this.index = index;
    this.ring = new InflightRing(capacity, initialCapacity);
    this.quota = quota;
  }

  /** See {@link ReplySink.reply}. */
  reply(id: number, atMs: number, bytes: number, error: string | null): void {
    this.#events.onReply(this, id, atMs, bytes, error);
  }

  /** See {@link ReplySink.closed}. */
  closed(code: string): void {
    this.#events.onClosed(this, code);
  }

  /** See {@link ReplySink.unexpected}. */
  unexpected(kind: UnexpectedKind): void {
    this.#events.onUnexpected(this, kind);
  }

  /** See {@link ReplySink.drained}. */
  drained(): void {
    this.blocked = false;
    this.#events.onDrained(this);
  }
}

/** Connects opened at a time: enough to overlap the handshakes, few enough not to flood the target's accept queue. */
export const CONNECT_BATCH = 64;

/**
 * Opens a driver for every connection, {@link CONNECT_BATCH} at a time, in order.
 * @throws whatever `open` rejects with (TargetUnreachable, UsageError); the rest are not opened
 */
export async function openConnections(conns: readonly LoopConnection[], open: DriverFactory): Promise<void> {
  for (let i = 0; i < conns.length; i += CONNECT_BATCH) {
    await Promise.all(
      conns.slice(i, i + CONNECT_BATCH).map(async (c) => {
        c.driver = await open(c);
      }),
    );
  }
}
