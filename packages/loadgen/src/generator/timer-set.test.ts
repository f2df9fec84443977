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
