import { describe, expect, it } from 'vitest';
import { SlotPacer } from './slot-pacer.js';

describe('SlotPacer', () => {
  // 1000-byte messages at 800 kbit/s: one every 10 ms (10,000 µs); 100 ms holds slots 0..9.
  const paced = (): SlotPacer => new SlotPacer({ size: 1000, bitrate: 800_000, durationMs: 100, startUs: 5_000 });

  it('gives message k the slot start + k × 8·size/bitrate, and a total that covers the duration', () => {
    const p = paced();
    expect(p.total).toBe(10);
    expect([0, 1, 9].map((k) => p.slotUs(k))).toEqual([5_000, 15_000, 95_000]);
  });

  it('each wake sends the messages whose slots have passed; a late wake catches up', () => {
    const p = paced();
    expect(p.due(5_000)).toBe(1);
    p.took(1);
    expect(p.due(14_999)).toBe(0);
    expect(p.waitUs(14_999)).toBe(1);
    expect(p.due(45_000)).toBe(4); // slots 1..4
    p.took(4);
    expect(p.waitUs(45_000)).toBe(10_000);
  });

  it('stops at the total; a wake after the end still sends the slots inside the duration, none after', () => {
    const p = paced();
    expect(p.due(1_000_000)).toBe(10);
    p.took(10);
    expect(p.ended(1_000_000)).toBe(true);
    expect(p.due(2_000_000)).toBe(0);
    const q = paced();
    q.took(10);
    expect(q.ended(50_000)).toBe(true);
    expect(q.waitUs(50_000)).toBeNull();
  });

  it('bounds a catch-up burst by maxBurst', () => {
    const p = new SlotPacer({ size: 100, bitrate: 8_000_000, durationMs: 1000, startUs: 0, maxBurst: 16 });
    expect(p.due(500_000)).toBe(16);
  });

  it('unpaced: always maxBurst until the duration ends', () => {
    const p = new SlotPacer({ size: 100, bitrate: null, durationMs: 10, startUs: 0, maxBurst: 8 });
    expect(p.total).toBe(Number.POSITIVE_INFINITY);
    expect(p.due(9_999)).toBe(8);
    expect(p.waitUs(0)).toBe(0);
    expect(p.due(10_000)).toBe(0);
  });
});
