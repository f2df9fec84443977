import { describe, expect, it } from 'vitest';
import { FrameBudget, type BudgetTimers, type FrameSlot } from './frame-budget.js';

/** A clock that moves only when told, and the timers set on it (fired in order of due time). */
class FakeTimers implements BudgetTimers {
  t = 0;
  readonly armed: { fn: () => void; at: number }[] = [];
  /** Every delay ever passed to `set`, ms. */
  readonly delays: number[] = [];

  now(): number {
    return this.t;
  }

  set(fn: () => void, ms: number): unknown {
    const h = { fn, at: this.t + ms };
    this.armed.push(h);
    this.delays.push(ms);
    return h;
  }

  clear(handle: unknown): void {
    const i = this.armed.indexOf(handle as { fn: () => void; at: number });
    if (i >= 0) this.armed.splice(i, 1);
  }

  /** Moves the clock to `t` ms, firing every timer due by then. */
  to(t: number): void {
    for (;;) {
      this.armed.sort((a, b) => a.at - b.at);
      const next = this.armed[0];
      if (next === undefined || next.at > t) break;
      this.armed.shift();
      this.t = next.at;
      next.fn();
    }
    this.t = t;
  }
}

/** A slot that records what the budget told it. */
function holder(budget: FrameBudget, name: string, log: string[]): FrameSlot {
  return budget.slot({ granted: () => log.push(`granted ${name}`), expired: () => log.push(`expired ${name}`) });
}

describe('FrameBudget: reservations', () => {
  it('admits frames while their whole sizes fit, queues the rest in order, grants them as frames complete', () => {
    const timers = new FakeTimers();
    const budget = new FrameBudget(1000, 0, timers);
    const log: string[] = [];
    const [a, b, c, d] = ['a', 'b', 'c', 'd'].map((n) => holder(budget, n, log)) as [FrameSlot, FrameSlot, FrameSlot, FrameSlot];
    expect(budget.begin(a, 400, 50, 0)).toBe(true);
    expect(budget.begin(b, 500, 60, 0)).toBe(true);
    expect(budget.begin(c, 300, 70, 0)).toBe(false); // 900 + 300 > 1000
    expect(budget.begin(d, 50, 12, 0)).toBe(false); // would fit, but c waits first
    // Admitted frames count whole; waiters count what they hold.
    expect(budget.stats()).toEqual({ bytes: 900 + 70 + 12, limit: 1000, waiting: 2, frameTimeouts: 0 });
    budget.end(b);
    expect(log).toEqual(['granted c', 'granted d']);
    expect(budget.stats()).toEqual({ bytes: 400 + 300 + 50, limit: 1000, waiting: 0, frameTimeouts: 0 });
    for (const s of [a, c, d]) budget.end(s);
    expect(budget.bytes).toBe(0);
    expect(timers.delays).toEqual([]); // no deadline: no timer at all
  });

  it('lets a big waiter at the head hold back smaller ones behind it (FIFO, no starvation)', () => {
    const budget = new FrameBudget(1000, 0, new FakeTimers());
    const log: string[] = [];
    const [a, big, small] = ['a', 'big', 'small'].map((n) => holder(budget, n, log)) as [FrameSlot, FrameSlot, FrameSlot];
    budget.begin(a, 600, 12, 0);
    expect(budget.begin(big, 900, 12, 0)).toBe(false);
    expect(budget.begin(small, 150, 12, 0)).toBe(false); // 600 + 150 would fit: it waits behind big
    expect(log).toEqual([]);
    budget.end(a);
    expect(log).toEqual(['granted big']); // 900 + 150 do not fit together
    expect(budget.stats()).toEqual({ bytes: 900 + 12, limit: 1000, waiting: 1, frameTimeouts: 0 });
    budget.end(big);
    expect(log).toEqual(['granted big', 'granted small']);
    expect(budget.bytes).toBe(150);
  });

  it('frees a waiter that closes without being granted, and end() with nothing charged does nothing', () => {
    const budget = new FrameBudget(100, 0, new FakeTimers());
    const log: string[] = [];
    const [a, b] = ['a', 'b'].map((n) => holder(budget, n, log)) as [FrameSlot, FrameSlot];
    budget.begin(a, 100, 100, 0);
    budget.begin(b, 80, 40, 0);
    budget.end(b);
    expect(budget.stats()).toEqual({ bytes: 100, limit: 100, waiting: 0, frameTimeouts: 0 });
    budget.end(b);
    expect(budget.bytes).toBe(100);
    budget.end(a);
    expect(budget.bytes).toBe(0);
    expect(log).toEqual([]);
  });
});

describe('FrameBudget: the frame deadline', () => {
  it('runs one timer for every frame: armed for the oldest, re-armed for the next when it fires', () => {
    const timers = new FakeTimers();
    const budget = new FrameBudget(10_000, 200, timers);
    const log: string[] = [];
    const [a, b, c] = ['a', 'b', 'c'].map((n) => holder(budget, n, log)) as [FrameSlot, FrameSlot, FrameSlot];
    budget.begin(a, 100, 12, 0);
    timers.to(50);
    budget.begin(b, 100, 12, 50);
    timers.to(120);
    budget.begin(c, 100, 12, 120);
    expect(timers.delays).toEqual([200]); // one timer for three frames
    timers.to(200);
    expect(log).toEqual(['expired a']);
    expect(timers.delays).toEqual([200, 50]); // re-armed for b, due at 250
    budget.end(b); // b completes: nothing is cleared or armed now
    expect(timers.delays).toEqual([200, 50]);
    timers.to(250);
    expect(log).toEqual(['expired a']); // b is gone; the timer re-arms for c (due at 320)
    expect(timers.delays).toEqual([200, 50, 70]);
    timers.to(1000);
    expect(log).toEqual(['expired a', 'expired c']);
    expect(budget.frameTimeouts).toBe(2);
    // Expired frames stay charged until their connections close (their decoders still hold the bytes).
    expect(budget.bytes).toBe(200);
    budget.end(a);
    budget.end(c);
    expect(budget.bytes).toBe(0);
    expect(timers.armed).toEqual([]);
  });

  it('expires waiters too: an expired waiter leaves the queue, and the next one is granted', () => {
    const timers = new FakeTimers();
    const budget = new FrameBudget(1000, 200, timers);
    const log: string[] = [];
    const [a, b, c] = ['a', 'b', 'c'].map((n) => holder(budget, n, log)) as [FrameSlot, FrameSlot, FrameSlot];
    budget.begin(a, 500, 12, 0);
    budget.begin(b, 900, 30, 0); // waits for a, which never completes: b cannot proceed
    timers.to(100);
    budget.begin(c, 400, 20, 100); // would fit, waits behind b
    expect(budget.waiting).toBe(2);
    timers.to(200);
    // a and b (same deadline) expire; c, no longer behind b, fits beside a's charge.
    expect(log).toEqual(['expired a', 'expired b', 'granted c']);
    expect(budget.stats()).toEqual({ bytes: 500 + 30 + 400, limit: 1000, waiting: 0, frameTimeouts: 2 });
    budget.end(b);
    expect(budget.bytes).toBe(900);
    budget.end(c); // completed before its deadline: never expired
    timers.to(1000);
    expect(log).toEqual(['expired a', 'expired b', 'granted c']);
  });

  it('close() cancels the timer', () => {
    const timers = new FakeTimers();
    const budget = new FrameBudget(1000, 200, timers);
    const log: string[] = [];
    budget.begin(holder(budget, 'a', log), 100, 12, 0);
    expect(timers.armed).toHaveLength(1);
    budget.close();
    expect(timers.armed).toHaveLength(0);
    timers.to(1000);
    expect(log).toEqual([]);
  });
});
