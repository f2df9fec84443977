import { describe, expect, it } from 'vitest';
import { DONE, InflightRing, LIVE, LOST, STALE, UNSENT, WARM, ringCapacity } from './inflight-ring.js';

describe('ringCapacity', () => {
  it('is the power of two at or above what is wanted, within 16..2^20', () => {
    expect([1, 16, 17, 32, 33, 1000].map(ringCapacity)).toEqual([16, 16, 32, 32, 64, 1024]);
    expect(ringCapacity(5_000_000)).toBe(1 << 20);
  });

  it('a ring refuses a capacity that is not a power of two', () => {
    expect(() => new InflightRing(24)).toThrow(new RangeError('ring capacity must be a power of two, got 24'));
  });
});

describe('InflightRing', () => {
  it('push hands out ids 1, 2, 3, … with their times and state; settle answers each once', () => {
    const r = new InflightRing(16);
    expect(r.push(10, 11, false)).toBe(1);
    expect(r.push(20, 25, true)).toBe(2);
    expect(r.inflight).toBe(2);
    expect([r.sched[2 & r.mask], r.sentAt[2 & r.mask]]).toEqual([20, 25]);
    expect(r.settle(2)).toBe(LIVE);
    expect(r.settle(2)).toBe(DONE); // a duplicate
    expect(r.settle(1)).toBe(WARM);
    expect(r.settle(3)).toBe(UNSENT); // never sent: past the last id handed out
    expect(r.inflight).toBe(0);
    expect(r.tail).toBe(3);
  });

  it('is full when the next slot still holds a request in flight', () => {
    const r = new InflightRing(16);
    for (let i = 1; i <= 16; i++) expect(r.push(0, 0, true)).toBe(i);
    expect(r.push(0, 0, true)).toBe(0);
    expect(r.next).toBe(17);
    expect(r.settle(1)).toBe(LIVE);
    expect(r.push(0, 0, true)).toBe(17); // slot 1 again
    expect(r.settle(1)).toBe(STALE); // the slot has moved on to id 17
  });

  it('the tail stops at the oldest request in flight, whatever order replies come in', () => {
    const r = new InflightRing(16);
    for (let i = 0; i < 5; i++) r.push(0, 0, true);
    r.settle(3);
    r.settle(2);
    expect(r.tail).toBe(1);
    r.settle(1);
    expect(r.tail).toBe(4);
    r.settle(5);
    expect(r.tail).toBe(4);
    r.settle(4);
    expect(r.tail).toBe(6);
  });

  it('expire gives up what was sent at or before the deadline, from the tail, and counts the LIVE ones', () => {
    const r = new InflightRing(16);
    r.push(0, 100, false); // 1 WARM
    r.push(0, 200, true); // 2 LIVE
    r.push(0, 300, true); // 3 LIVE, answered below
    r.push(0, 400, true); // 4 LIVE, newer than the deadline
    r.settle(3);
    expect(r.expire(300)).toBe(1);
    expect(r.inflight).toBe(1);
    expect(r.tail).toBe(4);
    expect(r.settle(1)).toBe(LOST);
    expect(r.settle(2)).toBe(LOST);
    expect(r.settle(4)).toBe(LIVE);
  });

  it('loseAll gives up everything in flight and counts the LIVE ones', () => {
    const r = new InflightRing(16);
    r.push(0, 0, false);
    r.push(0, 0, true);
    r.push(0, 0, true);
    r.settle(2);
    expect(r.loseAll()).toBe(1);
    expect(r.inflight).toBe(0);
    expect(r.tail).toBe(r.next);
    expect([r.settle(1), r.settle(2), r.settle(3)]).toEqual([LOST, DONE, LOST]);
  });

  it('tells an id never sent (0, or at or past next) from a late one whose slot has moved on', () => {
    const r = new InflightRing(16);
    for (let i = 1; i <= 20; i++) {
      r.push(0, 0, true);
      r.settle(i);
    }
    expect(r.next).toBe(21);
    expect(r.settle(4)).toBe(STALE); // sent, its slot now holds id 20
    expect(r.settle(20)).toBe(DONE);
    expect([r.settle(0), r.settle(21), r.settle(1000), r.settle(0xffff_ffff)]).toEqual([UNSENT, UNSENT, UNSENT, UNSENT]);
    expect(r.inflight).toBe(0);
    expect(r.tail).toBe(21);
  });

  it('after the id sequence wraps, every id but 0 has been sent: a reply to it is late, never unsent', () => {
    const r = new InflightRing(16);
    r.next = 0xffff_ffff;
    r.tail = 0xffff_ffff;
    expect(r.settle(0xffff_ffff)).toBe(UNSENT);
    expect(r.wrapped).toBe(false);
    expect([r.push(0, 0, true), r.push(0, 0, true)]).toEqual([0xffff_ffff, 1]);
    expect(r.wrapped).toBe(true);
    expect(r.settle(2)).toBe(STALE); // sent in the lap before: late, not unexpected
    expect(r.settle(0)).toBe(UNSENT);
    expect(r.settle(1)).toBe(LIVE);
  });

  it('keeps working across the u32 wrap, 2^32 − 1 then 1, never 0 (slot = id & mask)', () => {
    const r = new InflightRing(16);
    r.next = 0xffff_fffe;
    r.tail = 0xffff_fffe;
    expect([r.push(0, 0, true), r.push(0, 0, true), r.push(0, 0, true)]).toEqual([0xffff_fffe, 0xffff_ffff, 1]);
    expect(r.settle(0xffff_fffe)).toBe(LIVE);
    expect(r.settle(0xffff_ffff)).toBe(LIVE);
    expect(r.tail).toBe(1);
    expect(r.expire(0)).toBe(1);
    expect(r.tail).toBe(2);
  });
});
