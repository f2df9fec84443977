/**
 * The requests one connection has in flight, in a fixed ring of slots indexed by `id & mask`. Ids
 * are per-connection sequence numbers 1, 2, 3, … (over UDP, loss, reorder and duplicates are computed
 * from them) that wrap from 2^32 − 1 back to 1 (the client's `nextRequestId`, which the raw-tcp driver uses too);
 * 0 is never used, as it means "push" on the wire.
 *
 *          tail                              next
 *           │                                 │
 *           ▼                                 ▼
 *   ┌─────┬─────┬─────┬─────┬─────┬─────┬─────┬─────┐
 *   │DONE │LIVE │DONE │LIVE │LOST │LIVE │WARM │FREE │   slot = id & mask (capacity a power of two)
 *   └─────┴─────┴─────┴─────┴─────┴─────┴─────┴─────┘
 *           └────────── may be in flight ─────┘
 *
 * `push` claims the slot of `next`, unless that slot still holds a request in flight (the ring is
 * full: the caller waits). Ids go out in order, so the ids ever sent are 1 … next − 1 until the
 * sequence first wraps, and every id but 0 after that: one comparison tells a late reply (sent, its
 * slot since reused) from one to an id never sent, with no record per id. A reply settles its slot wherever it is; `tail` then moves past settled
 * slots to the oldest request still in flight, which is where the timeout sweep ({@link expire})
 * and a lost connection ({@link loseAll}) start. Per slot:
 *
 *   ids[]     request id held by the slot
 *   sched[]   scheduled send time (open loop) or actual send time (closed loop), ms
 *   sentAt[]  actual send time, ms
 *   state[]   FREE | WARM (in flight, warm-up) | LIVE (in flight, measured) | DONE (answered) | LOST (timed out or closed)
 *
 * Nothing here allocates after construction.
 */
import { nextRequestId } from '@sockbench/client';

/** Slot never used. */
export const FREE = 0;
/** In flight, sent during the warm-up (never recorded). */
export const WARM = 1;
/** In flight, sent in the measured window. */
export const LIVE = 2;
/** Answered. */
export const DONE = 3;
/** Given up: timed out, or its connection closed. */
export const LOST = 4;
/** {@link InflightRing.settle}'s answer for a reply whose slot holds another id (an old, late reply). */
export const STALE = 5;
/** {@link InflightRing.settle}'s answer for an id this ring never gave out (a reply never asked for). */
export const UNSENT = 6;

/** One of {@link FREE}, {@link WARM}, {@link LIVE}, {@link DONE}, {@link LOST}. */
export type SlotState = typeof FREE | typeof WARM | typeof LIVE | typeof DONE | typeof LOST;



/** Smallest and largest ring capacities, slots. */
const MIN_CAPACITY = 16;
const MAX_CAPACITY = 1 << 20;

/** A ring capacity holding at least `want` slots: a power of two in 16..2^20. */
export function ringCapacity(want: number): number {
  let cap = MIN_CAPACITY;
  while (cap < want && cap < MAX_CAPACITY) cap <<= 1;
  return cap;
}

/** The in-flight requests of one connection (see the drawing above). */
export class InflightRing {
  /** Request id per slot. */
  readonly ids: Uint32Array;
  /** Scheduled send time per slot, ms. */
  readonly sched: Float64Array;
  /** Actual send time per slot, ms. */
  readonly sentAt: Float64Array;
  /** {@link SlotState} per slot. */
  readonly state: Uint8Array;
  /** capacity − 1: slot = id & mask. */
  readonly mask: number;
  /** Id the next request gets. */
  next = 1;
  /** Oldest id that may still be in flight. */
  tail = 1;
  /** Requests in flight (WARM or LIVE). */
  inflight = 0;
  /** The id sequence has wrapped from 2^32 − 1 back to 1: every id but 0 has been sent. */
  wrapped = false;

  /** @param capacity slots, a power of two (see {@link ringCapacity}) */
  constructor(capacity: number) {
    if (capacity < 1 || (capacity & (capacity - 1)) !== 0) throw new RangeError(`ring capacity must be a power of two, got ${capacity}`);
    this.ids = new Uint32Array(capacity);
    this.sched = new Float64Array(capacity);
    this.sentAt = new Float64Array(capacity);
    this.state = new Uint8Array(capacity);
    this.mask = capacity - 1;
  }

  /**
   * Puts the next request in flight, scheduled at `schedAt` and sent at `sentAt` (ms), LIVE when
   * `measured`, else WARM. Returns its id, or 0 when the ring is full (the slot of the next id still
   * holds a request in flight).
   */
  push(schedAt: number, sentAt: number, measured: boolean): number {
    const id = this.next;
    const slot = id & this.mask;
    const st = this.state[slot]!;
    if (st === WARM || st === LIVE) return 0;
    this.ids[slot] = id;
    this.sched[slot] = schedAt;
    this.sentAt[slot] = sentAt;
    this.state[slot] = measured ? LIVE : WARM;
    const next = nextRequestId(id);
    if (next < id) this.wrapped = true;
    this.next = next;
    this.inflight++;
    return id;
  }

  /**
   * A reply to `id` arrived. Returns the slot's state before it: WARM or LIVE (now DONE, one fewer in
   * flight: its times stay in `sched[id & mask]` and `sentAt[id & mask]` until the next push), DONE (a
   * duplicate), LOST (late, after a timeout), {@link STALE} when the slot holds another id (late by a
   * whole ring), or {@link UNSENT} when `id` was never sent (0, or past the last id sent).
   */
  settle(id: number): SlotState | typeof STALE | typeof UNSENT {
    const slot = id & this.mask;
    if (this.ids[slot] !== id || id === 0) return this.wasSent(id) ? STALE : UNSENT;
    const st = this.state[slot]! as SlotState;
    if (st === WARM || st === LIVE) {
      this.state[slot] = DONE;
      this.inflight--;
      this.#advanceTail();
    }
    return st;
  }

  /** True when request `id` has been sent from this ring (see the drawing: ids go out in order). */
  wasSent(id: number): boolean {
    return id !== 0 && (this.wrapped || id < this.next);
  }

  /** Moves `tail` past settled slots to the oldest request in flight (or to `next`). */
  #advanceTail(): void {
    while (this.tail !== this.next) {
      const st = this.state[this.tail & this.mask]!;
      if (st === WARM || st === LIVE) return;
      this.tail = nextRequestId(this.tail);
    }
  }

  /**
   * Timeout sweep: from the tail, marks LOST every request in flight sent at or before `deadline`
   * (ms), stopping at the first one sent after it (sends are in id order). Returns how many LIVE
   * requests it gave up (the caller counts them as timeouts); `inflight` says how many slots it freed.
   */
  expire(deadline: number): number {
    let live = 0;
    while (this.tail !== this.next) {
      const slot = this.tail & this.mask;
      const st = this.state[slot]!;
      if (st === WARM || st === LIVE) {
        if (this.sentAt[slot]! > deadline) break;
        if (st === LIVE) live++;
        this.state[slot] = LOST;
        this.inflight--;
      }
      this.tail = nextRequestId(this.tail);
    }
    return live;
  }

  /** The connection closed: every request in flight becomes LOST. Returns how many were LIVE. */
  loseAll(): number {
    let live = 0;
    for (let id = this.tail; id !== this.next; id = nextRequestId(id)) {
      const slot = id & this.mask;
      const st = this.state[slot];
      if (st === LIVE) live++;
      if (st === LIVE || st === WARM) {
        this.state[slot] = LOST;
        this.inflight--;
      }
    }
    this.tail = this.next;
    return live;
  }
}
