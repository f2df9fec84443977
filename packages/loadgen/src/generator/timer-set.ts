/**
 * The timers of one load loop, kept so that closing the loop cancels every one of them. Due times
 * are ms on the loop's clock (which may be a test's frozen clock); Node's timers wait real time.
 */

/**
 * The timers a load loop and its pacer use: {@link TimerSet} on Node's timers, or a test's simulated
 * event loop. `soon` is at most one pending callback, allocated once by the caller.
 */
export interface LoopTimers {
  /** Calls `fn` at `whenMs` on the loop's clock (now if that has passed; whole ms, rounded up). */
  at(whenMs: number, fn: () => void): void;
  /** Calls `fn` after `delayMs` (setTimeout semantics: at least 1 ms). */
  after(delayMs: number, fn: () => void): void;
  /**
   * The pacer's timer: calls `fn` after `delayMs` (setTimeout semantics: at least 1 ms). At most one
   * is pending, and it is set again only once it has run; {@link TimerSet} reuses one timeout for it
   * (nothing allocated per wake while the delay and `fn` stay the same).
   */
  wake(delayMs: number, fn: () => void): void;
  /** Calls `fn` on the next turn of the event loop (setImmediate). */
  soon(fn: () => void): void;
  /** The pending {@link soon} ran (its callback calls this first). */
  ranSoon(): void;
  /** Cancels everything pending. */
  clear(): void;
}

/** Pending timeouts that can be cleared together. */
export class TimerSet implements LoopTimers {
  readonly #clock: () => number;
  readonly #timers = new Set<NodeJS.Timeout>();
  #immediate: NodeJS.Immediate | null = null;
  /** The pacer's timeout, its delay (ms) and callback: refreshed when both are the same again. */
  #wake: NodeJS.Timeout | null = null;
  #wakeDelay = -1;
  #wakeFn: (() => void) | null = null;

  /** @param clock the loop's monotonic clock, ms */
  constructor(clock: () => number) {
    this.#clock = clock;
  }

  /** Calls `fn` at `whenMs` on the clock (now if that has passed; whole ms, rounded up). */
  at(whenMs: number, fn: () => void): void {
    this.after(Math.max(0, Math.ceil(whenMs - this.#clock())), fn);
  }

  /** Calls `fn` after `delayMs` (setTimeout semantics: at least 1 ms). */
  after(delayMs: number, fn: () => void): void {
    const t = setTimeout(() => {
      this.#timers.delete(t);
      fn();
    }, delayMs);
    this.#timers.add(t);
  }

  /** See {@link LoopTimers.wake}: `refresh()` of the last one when delay and `fn` are the same, else a new one. */
  wake(delayMs: number, fn: () => void): void {
    if (this.#wake !== null && delayMs === this.#wakeDelay && fn === this.#wakeFn) {
      this.#wake.refresh();
      return;
    }
    if (this.#wake !== null) clearTimeout(this.#wake);
    this.#wake = setTimeout(fn, delayMs);
    this.#wakeDelay = delayMs;
    this.#wakeFn = fn;
  }

  /**
   * Calls `fn` on the next turn of the event loop (setImmediate): for what is due within the next
   * millisecond, which setTimeout cannot wait for. At most one is pending; `fn` must be allocated
   * once by the caller (no closure per call).
   */
  soon(fn: () => void): void {
    this.#immediate = setImmediate(fn);
  }

  /** The pending {@link soon} ran (its callback calls this first). */
  ranSoon(): void {
    this.#immediate = null;
  }

  /** Cancels everything pending. */
  clear(): void {
    for (const t of this.#timers) clearTimeout(t);
    this.#timers.clear();
    if (this.#immediate !== null) clearImmediate(this.#immediate);
    this.#immediate = null;
    if (this.#wake !== null) clearTimeout(this.#wake);
    this.#wake = null;
    this.#wakeFn = null;
  }

  /** Timeouts pending (for tests). */
  get size(): number {
    return this.#timers.size;
  }
}
