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
 * The four arrays are views of one buffer, and a ring starts at the size its plan needs (one slot
 * over TCP open loop, the pipeline in closed loop, see schedule.ts' `ringSlots`) and doubles when a
 * push finds the next slot still in flight, up to its most: at 10,000 connections a ring sized for
 * the worst case cost more than the socket under it. Growing moves every used slot to `id & newMask`:
 * ids distinct modulo a capacity stay distinct modulo twice it, so `settle` answers every id as it
 * did before. (A ring that starts small reuses slots sooner, so a duplicate that comes back more
 * than a capacity later is counted late rather than duplicate: it comes from the same sequence of
 * ids either way.) Nothing is allocated but at a doubling.
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
const MIN_CAPACITY = 2;
const MAX_CAPACITY = 1 << 20;
/** Bytes per slot: sched and sentAt (f64), id (u32), state (u8). */
const SLOT_BYTES = 8 + 8 + 4 + 1;

/** A ring capacity holding at least `want` slots: a power of two in 2..2^20. */
export function ringCapacity(want: number): number {
  let cap = MIN_CAPACITY;
  while (cap < want && cap < MAX_CAPACITY) cap <<= 1;
  return cap;
}

/** The in-flight requests of one connection (see the drawing above). */
export class InflightRing {
  /** Request id per slot (replaced when the ring grows: read it after a push, not across one). */
  ids: Uint32Array;
  /** Scheduled send time per slot, ms (replaced when the ring grows). */
  sched: Float64Array;
  /** Actual send time per slot, ms (replaced when the ring grows). */
  sentAt: Float64Array;
  /** {@link SlotState} per slot (replaced when the ring grows). */
  state: Uint8Array;
  /** capacity − 1: slot = id & mask. */
  mask: number;
  /** The most slots this ring may grow to. */
  readonly maxCapacity: number;
  /** Id the next request gets. */
  next = 1;
  /** Oldest id that may still be in flight. */
  tail = 1;
  /** Requests in flight (WARM or LIVE). */
  inflight = 0;
  /** The id sequence has wrapped from 2^32 − 1 back to 1: every id but 0 has been sent. */
  wrapped = false;

  /**
   * @param maxCapacity the most slots, a power of two (see {@link ringCapacity})
   * @param capacity the slots it starts with, a power of two up to `maxCapacity` (default: all of them)
   * @throws RangeError when either is not a power of two, or `capacity` is over `maxCapacity`
   */
  constructor(maxCapacity: number, capacity = maxCapacity) {
    for (const [name, n] of [['maxCapacity', maxCapacity], ['capacity', capacity]] as const) {
      if (!Number.isInteger(n) || n < 1 || (n & (n - 1)) !== 0) throw new RangeError(`ring ${name} must be a power of two, got ${n}`);
    }
    if (capacity > maxCapacity) throw new RangeError(`ring capacity ${capacity} is over its maxCapacity ${maxCapacity}`);
    this.maxCapacity = maxCapacity;
    const buf = new ArrayBuffer(capacity * SLOT_BYTES);
    this.sched = new Float64Array(buf, 0, capacity);
    this.sentAt = new Float64Array(buf, 8 * capacity, capacity);
    this.ids = new Uint32Array(buf, 16 * capacity, capacity);
    this.state = new Uint8Array(buf, 20 * capacity, capacity);
    this.mask = capacity - 1;
  }

  /** Slots now. */
  get capacity(): number {
    return this.mask + 1;
  }

  /** Doubles the ring, each used slot moved to `id & newMask` (see the drawing's notes). */
  #grow(): void {
    const { ids, sched, sentAt, state } = this;
    const old = ids.length;
    const cap = 2 * old;
    const buf = new ArrayBuffer(cap * SLOT_BYTES);
    this.sched = new Float64Array(buf, 0, cap);
    this.sentAt = new Float64Array(buf, 8 * cap, cap);
    this.ids = new Uint32Array(buf, 16 * cap, cap);
    this.state = new Uint8Array(buf, 20 * cap, cap);
    this.mask = cap - 1;
    for (let s = 0; s < old; s++) {
      const id = ids[s]!;
      if (id === 0) continue; // never used
      const to = id & this.mask;
      this.ids[to] = id;
      this.sched[to] = sched[s]!;
      this.sentAt[to] = sentAt[s]!;
      this.state[to] = state[s]!;
    }
  }

  /**
   * Puts the next request in flight, scheduled at `schedAt` and sent at `sentAt` (ms), LIVE when
   * `measured`, else WARM. The ring doubles first when the slot of the next id still holds a request
   * in flight, as long as it is under its `maxCapacity`. Returns the id, or 0 when the ring is full
   * (at its most, and that slot in flight).
   */
  push(schedAt: number, sentAt: number, measured: boolean): number {
    const id = this.next;
    let slot = id & this.mask;
    let st = this.state[slot]!;
    if ((st === WARM || st === LIVE) && this.ids.length < this.maxCapacity) {
      this.#grow();
      slot = id & this.mask;
      st = this.state[slot]!;
    }
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
