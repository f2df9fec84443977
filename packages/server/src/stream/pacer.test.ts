import { describe, expect, it } from 'vitest';
import { Pacer } from './pacer.js';

describe('Pacer: the down sender\'s schedule', () => {
  it('1 Mbit/s of 1250-byte messages: one per 10 ms, 100 in 1 s, the first at the start', () => {
    const p = new Pacer(1_000_000, 1000, 1250, 1_000_000);
    expect(p.total).toBe(100);
    expect(p.due(1_000_000, 0)).toBe(1);
    expect(p.due(1_000_000 + 9_999, 1)).toBe(0);
    expect(p.due(1_000_000 + 10_000, 1)).toBe(1);
    expect(p.nextDueUs(5)).toBe(1_000_000 + 50_000);
    // A timer 35 ms late releases what is due, capped at 10 ms worth (one message here).
    expect(p.due(1_000_000 + 45_000, 2)).toBe(1);
  });

  it('the burst cap is 10 ms at the bitrate: 100 Mbit/s of 1250 bytes is 100 per call at most', () => {
    const p = new Pacer(0, 1000, 1250, 100_000_000);
    expect(p.total).toBe(10_000);
    expect(p.due(500_000, 0)).toBe(100);
    expect(p.due(500_000, 4990)).toBe(11);
  });

  it('stops by itself: nothing after the duration, nothing past the total', () => {
    const p = new Pacer(0, 100, 1250, 1_000_000);
    expect(p.total).toBe(10);
    expect(p.due(95_000, 9)).toBe(1);
    expect(p.done(95_000, 10)).toBe(true);
    expect(p.due(95_000, 10)).toBe(0);
    expect(p.due(100_000, 3)).toBe(0);
    expect(p.done(100_000, 3)).toBe(true);
  });

  it('a duration shorter than one gap still sends one message', () => {
    const p = new Pacer(0, 1, 1250, 1000);
    expect(p.total).toBe(1);
    expect(p.due(0, 0)).toBe(1);
    expect(p.due(0, 1)).toBe(0);
  });

  it('unpaced (TCP without a bitrate): everything due until the end', () => {
    const p = new Pacer(0, 50, 1400, null);
    expect(p.due(10, 1_000_000)).toBe(Number.POSITIVE_INFINITY);
    expect(p.due(50_000, 0)).toBe(0);
    expect(p.total).toBe(Number.POSITIVE_INFINITY);
  });
});
