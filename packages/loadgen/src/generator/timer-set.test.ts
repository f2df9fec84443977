import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { TimerSet } from './timer-set.js';

beforeEach(() => {
  vi.useFakeTimers({ now: 0, toFake: ['setTimeout', 'clearTimeout', 'setImmediate', 'clearImmediate', 'Date'] });
});
afterEach(() => {
  vi.useRealTimers();
});

describe('TimerSet', () => {
  it('at() fires at a time on the injected clock, rounded up to whole ms', async () => {
    // The loop's clock runs 100 ms ahead of the timers' own.
    const timers = new TimerSet(() => Date.now() + 100);
    const fired: number[] = [];
    timers.at(112.5, () => fired.push(Date.now()));
    timers.at(50, () => fired.push(Date.now())); // already past: now
    await vi.advanceTimersByTimeAsync(20);
    expect(fired).toEqual([0, 13]);
    expect(timers.size).toBe(0);
  });

  it('clear() cancels every pending timeout and the pending immediate', async () => {
    const timers = new TimerSet(() => Date.now());
    const fired: string[] = [];
    timers.after(5, () => fired.push('after'));
    timers.at(10, () => fired.push('at'));
    timers.soon(() => fired.push('soon'));
    expect(timers.size).toBe(2);
    timers.clear();
    await vi.advanceTimersByTimeAsync(50);
    expect(fired).toEqual([]);
    expect(timers.size).toBe(0);
  });

  it('wake() fires after its delay each time it is set again, with the same or another delay; clear() cancels it', async () => {
    const timers = new TimerSet(() => Date.now());
    const fired: number[] = [];
    const delays = [3, 3, 2, 5];
    const tick = (): void => {
      fired.push(Date.now());
      const next = delays.shift();
      if (next !== undefined) timers.wake(next, tick);
    };
    timers.wake(4, tick);
    await vi.advanceTimersByTimeAsync(13);
    // 4, then +3 (the same timeout refreshed), +3, +2 (a new one): 4, 7, 10, 12; then 5 more is pending.
    expect(fired).toEqual([4, 7, 10, 12]);
    timers.clear();
    await vi.advanceTimersByTimeAsync(50);
    expect(fired).toEqual([4, 7, 10, 12]);
  });

  it('soon() runs on the next turn', async () => {
    const timers = new TimerSet(() => Date.now());
    const fired: number[] = [];
    timers.soon(() => {
      timers.ranSoon();
      fired.push(Date.now());
    });
    expect(fired).toEqual([]);
    await vi.advanceTimersByTimeAsync(0);
    expect(fired).toEqual([0]);
  });
});
