/**
 * One process's budget of bytes held in incomplete TCP frames (`--max-buffered-bytes`) and the frame
 * deadline (`--frame-timeout`), shared by every connection of the process (issue 11: 400 parked
 * 1 MiB frames grew a server by 411 MiB until the idle timeout).
 *
 * Accounting: a frame is charged its whole size (12 + length) when its header arrives, not the bytes
 * that have arrived so far. Counting only what is buffered would deadlock: fifty connections each
 * halfway through a 100 KiB frame fill a 1 MiB budget, every one of them is paused, none can
 * finish, and honest senders of large frames starve until the deadline. A reservation made at the
 * header always lets its frame complete, so the budget frees as frames complete, in FIFO order of
 * the waiters. The decoder allocates only the bytes that arrive (FrameDecoder copies each chunk's
 * part), so reservations bound the memory from above:
 *
 *   bytes = Σ whole size of every admitted incomplete frame           ≤ limit
 *         + Σ bytes a waiting connection's decoder holds of its frame   ≤ one socket read (64 KiB) each
 *
 * A waiting connection's socket is paused; Node may still have read one more chunk into the
 * socket's own buffer (its readable high-water mark, one read), which no one decodes until it resumes.
 *
 * Only frames that span chunks are charged: a frame that lies wholly inside one chunk is decoded as a
 * view of it and never reaches this file, so the hot path pays one comparison per chunk (connection.ts).
 *
 * Deadline: one timer per process, not one per frame. Every frame has the same deadline
 * (`frameTimeoutMs` after the chunk carrying its header arrived), so frames ordered by their header's
 * arrival are also ordered by deadline; a `Set` keeps that order (insertion order), adding and
 * removing in O(1) as frames begin and complete. The one timer is armed for the oldest frame; when
 * it fires it expires every frame that is due and re-arms for the next (Node's own timer lists work
 * the same way). A frame that completes is only removed from the set: the timer is never cleared or
 * re-armed on the path of a frame, and it finds the next oldest when it fires.
 *
 *   open (by header arrival):   [c7: 100 KiB, t=10] [c2: 1 MiB, t=12] [c9: 64 KiB, t=15] …   ← timer at 10 + T
 *   waiters (FIFO):             [c9] [c4] …   granted in order while the head fits
 */
import { performance } from 'node:perf_hooks';
import type { BufferedStats } from '@sockbench/protocol';

/** What the budget tells one connection. */
export interface BudgetHolder {
  /** The budget now holds this connection's frame: read again. Must not call back into the budget. */
  granted(): void;
  /** Its frame has not completed within the deadline (counted in `frameTimeouts`): close the connection. */
  expired(): void;
}

/**
 * One connection's standing with the budget, one object per connection reused for every frame.
 * Read-only outside this file.
 */
export interface FrameSlot {
  readonly holder: BudgetHolder;
  /** Whole size of this connection's incomplete frame, bytes; 0 = none charged. */
  size: number;
  /** Bytes its decoder held when it began waiting, charged outside the reservations; 0 when not waiting. */
  held: number;
  /** True while its frame waits for the budget (charged `held`, not `size`). */
  waiting: boolean;
  /** When the chunk carrying its header arrived, ms (the budget's clock). */
  startedAt: number;
}

/** Timers of the budget's deadline (tests pass fakes). */
export interface BudgetTimers {
  /** A monotonic clock, ms. Default `performance.now()`. */
  now(): number;
  /** Calls `fn` once after `ms`; the handle goes to `clear`. Default an unref'd `setTimeout`. */
  set(fn: () => void, ms: number): unknown;
  /** Cancels a handle from `set`. */
  clear(handle: unknown): void;
}

const nodeTimers: BudgetTimers = {
  now: () => performance.now(),
  set: (fn, ms) => setTimeout(fn, ms).unref(),
  clear: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/** The budget of incomplete frames of one process, and their deadline; see the file comment. */
export class FrameBudget {
  /** The budget, bytes (`--max-buffered-bytes`). */
  readonly limit: number;
  readonly #timeoutMs: number;
  readonly #timers: BudgetTimers;
  /** Σ whole size of the admitted incomplete frames, bytes (≤ limit). */
  #reserved = 0;
  /** Σ `held` of the waiting slots, bytes. */
  #waiterHeld = 0;
  /** Slots waiting for budget, FIFO (a Set iterates in insertion order). */
  readonly #waiters = new Set<FrameSlot>();
  /** Slots with a frame under the deadline, oldest header first. */
  readonly #open = new Set<FrameSlot>();
  #timer: unknown = null;
  #frameTimeouts = 0;

  readonly #onTimer = (): void => {
    this.#timer = null;
    const now = this.#timers.now();
    const timeout = this.#timeoutMs;
    let expired = false;
    for (const slot of this.#open) {
      if (slot.startedAt + timeout > now) break;
      this.#open.delete(slot);
      // Still charged until the connection closes (its decoder holds the bytes), but no longer waiting:
      // the connection is ending and reads again only to see the peer's FIN.
      this.#waiters.delete(slot);
      this.#frameTimeouts++;
      expired = true;
      slot.holder.expired();
    }
    if (expired) this.#grant();
    this.#arm();
  };

  /**
   * @param limit the budget, bytes (`--max-buffered-bytes`)
   * @param timeoutMs the frame deadline, ms; 0 = none (`--frame-timeout`)
   * @param timers the clock and timer of the deadline (tests pass fakes)
   */
  constructor(limit: number, timeoutMs: number, timers: BudgetTimers = nodeTimers) {
    this.limit = limit;
    this.#timeoutMs = timeoutMs;
    this.#timers = timers;
  }

  /** Bytes charged now: admitted frames' whole sizes plus what waiting connections hold, bytes. */
  get bytes(): number {
    return this.#reserved + this.#waiterHeld;
  }

  /** Connections waiting for budget. */
  get waiting(): number {
    return this.#waiters.size;
  }

  /** Connections whose frame passed the deadline, so far. */
  get frameTimeouts(): number {
    return this.#frameTimeouts;
  }

  /** These numbers for STATS `buffered` (docs/protocol.md, added fields), this process's. */
  stats(): BufferedStats {
    return { bytes: this.bytes, limit: this.limit, waiting: this.waiting, frameTimeouts: this.#frameTimeouts };
  }

  /** A slot for one connection (nothing charged yet). */
  slot(holder: BudgetHolder): FrameSlot {
    return { holder, size: 0, held: 0, waiting: false, startedAt: 0 };
  }

  /**
   * A frame of `size` bytes (12 + length) began on `slot`, whose decoder now holds `held` bytes of it,
   * its header having arrived at `at` (ms, the budget's clock). Returns true when the budget holds it
   * (read on); false when it waits behind others or does not fit: stop reading until `granted()`.
   * The slot must have no frame charged ({@link end} the previous one first).
   */
  begin(slot: FrameSlot, size: number, held: number, at: number): boolean {
    slot.size = size;
    slot.startedAt = at;
    if (this.#timeoutMs > 0) {
      this.#open.add(slot);
      if (this.#timer === null) this.#arm();
    }
    if (this.#waiters.size === 0 && this.#reserved + size <= this.limit) {
      this.#reserved += size;
      return true;
    }
    slot.waiting = true;
    slot.held = held;
    this.#waiterHeld += held;
    this.#waiters.add(slot);
    return false;
  }

  /** The frame charged to `slot` completed, or its connection closed: frees its bytes and grants waiters in order. */
  end(slot: FrameSlot): void {
    if (slot.size === 0) return;
    this.#open.delete(slot);
    if (slot.waiting) {
      this.#waiters.delete(slot);
      this.#waiterHeld -= slot.held;
      slot.waiting = false;
      slot.held = 0;
    } else {
      this.#reserved -= slot.size;
    }
    slot.size = 0;
    this.#grant();
  }

  /** Stops the deadline timer (the listener closed). */
  close(): void {
    if (this.#timer !== null) this.#timers.clear(this.#timer);
    this.#timer = null;
  }

  /** Admits waiters in FIFO order while the oldest fits; a big one at the head holds back the rest (no starvation). */
  #grant(): void {
    for (const slot of this.#waiters) {
      if (this.#reserved + slot.size > this.limit) return;
      this.#waiters.delete(slot);
      this.#waiterHeld -= slot.held;
      slot.held = 0;
      slot.waiting = false;
      this.#reserved += slot.size;
      slot.holder.granted();
    }
  }

  /** Arms the timer for the oldest open frame, if any. */
  #arm(): void {
    const first = this.#open.values().next();
    if (first.done === true) return;
    const due = first.value.startedAt + this.#timeoutMs - this.#timers.now();
    // At least 1 ms: a timer that fires a fraction early re-arms instead of spinning.
    this.#timer = this.#timers.set(this.#onTimer, Math.max(1, Math.ceil(due)));
  }
}
