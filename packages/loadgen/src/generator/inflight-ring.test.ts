import { describe, expect, it } from 'vitest';
import { DONE, FREE, InflightRing, LIVE, LOST, STALE, UNSENT, WARM, ringCapacity } from './inflight-ring.js';

describe('ringCapacity', () => {
  it('is the power of two at or above what is wanted, within 2..2^20', () => {
    expect([1, 2, 3, 16, 17, 32, 33, 1000].map(ringCapacity)).toEqual([2, 2, 4, 16, 32, 32, 64, 1024]);
    expect(ringCapacity(5_000_000)).toBe(1 << 20);
  });

  it('a ring refuses a capacity that is not a power of two, or one over its most', () => {
    expect(() => new InflightRing(24)).toThrow(new RangeError('ring maxCapacity must be a power of two, got 24'));
    expect(() => new InflightRing(16, 3)).toThrow(new RangeError('ring capacity must be a power of two, got 3'));
    expect(() => new InflightRing(16, 0)).toThrow(new RangeError('ring capacity must be a power of two, got 0'));
    expect(() => new InflightRing(4, 8)).toThrow(new RangeError('ring capacity 8 is over its maxCapacity 4'));
  });
});

describe('InflightRing growth', () => {
  it('starts small and doubles only when the next slot is still in flight, up to its most', () => {
    const r = new InflightRing(8, 2);
    expect(r.capacity).toBe(2);
    // One in flight at a time (TCP open loop): ids 1, 2, 3, … take slots 1, 0, 1, … and it never grows.
    for (let id = 1; id <= 5; id++) {
      expect(r.push(id * 10, id * 10 + 1, true)).toBe(id);
      expect(r.settle(id)).toBe(LIVE);
    }
    expect(r.capacity).toBe(2);
    // Ids 6 and 7 in flight fill both slots (6 & 1 = 0, 7 & 1 = 1); id 8's slot (0) holds 6: 2 → 4.
    expect([r.push(60, 61, true), r.push(70, 71, true)]).toEqual([6, 7]);
    expect(r.capacity).toBe(2);
    expect(r.push(80, 81, false)).toBe(8);
    expect(r.capacity).toBe(4);
    // 6 and 7 (all the old slots held) moved to 6 & 3 = 2 and 7 & 3 = 3 with their times; 8 took 0.
    expect([...r.ids]).toEqual([8, 0, 6, 7]);
    expect([...r.sched]).toEqual([80, 0, 60, 70]);
    expect([...r.sentAt]).toEqual([81, 0, 61, 71]);
    expect([...r.state]).toEqual([WARM, FREE, LIVE, LIVE]);
    // 9 takes slot 1 (never used); 10's slot (2) holds 6 in flight: 4 → 8, the most.
    expect(r.push(90, 91, true)).toBe(9);
    expect(r.push(100, 101, true)).toBe(10);
    expect(r.capacity).toBe(8);
    expect([...r.ids]).toEqual([8, 9, 10, 0, 0, 0, 6, 7]);
    expect(r.inflight).toBe(5);
    // At its most: 11 … 13 fill slots 3 … 5, then 14's slot (6) holds 6 in flight: full, no growth.
    for (let id = 11; id <= 13; id++) expect(r.push(0, 0, true)).toBe(id);
    expect(r.push(0, 0, true)).toBe(0);
    expect(r.capacity).toBe(8);
    expect(r.inflight).toBe(8);
  });

  it('answers every id after growing as before: in flight, answered, late, never sent', () => {
    const r = new InflightRing(16, 4);
    // Ids 1..4 fill the 4 slots; 5's slot (1) holds 1 in flight, so the ring grows to 8 before 5.
    for (let id = 1; id <= 6; id++) r.push(id, id, true);
    expect(r.capacity).toBe(8);
    r.settle(2);
    for (let id = 7; id <= 10; id++) r.push(id, id, true); // 9's slot (1) holds 1, in flight: 8 → 16
    expect(r.capacity).toBe(16);
    expect(r.tail).toBe(1);
    expect([r.settle(1), r.settle(2), r.settle(10), r.settle(11), r.settle(0)]).toEqual([LIVE, DONE, LIVE, UNSENT, UNSENT]);
    expect(r.expire(8)).toBe(6); // 3 … 8, sent at or before 8 (1 and 2 answered, 9 and 10 newer)
    expect([r.settle(3), r.settle(9)]).toEqual([LOST, LIVE]);
    expect(r.inflight).toBe(0);
    expect(r.tail).toBe(11);
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
