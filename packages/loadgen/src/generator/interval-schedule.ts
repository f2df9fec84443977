/**
 * The load loop's interval timers: one cut every `everyMs` from the start of the measured window
 * until its end.
 */
import type { LoopTimers } from './timer-set.js';

/**
 * Calls `cut(atMs)` at `startMs + n · everyMs` for n = 1, 2, … while that is before `endMs` (ms on
 * the timers' clock), stopping after a cut that returns false (the window ended early).
 */
export function scheduleIntervals(timers: LoopTimers, startMs: number, everyMs: number, endMs: number, cut: (atMs: number) => boolean, n = 1): void {
  const next = startMs + n * everyMs;
  if (next >= endMs) return;
  timers.at(next, () => {
    if (cut(next)) scheduleIntervals(timers, startMs, everyMs, endMs, cut, n + 1);
  });
}
