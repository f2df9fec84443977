import { describe, expect, it } from 'vitest';
import { STREAM_DUPLICATE_WINDOW, STREAM_MAX_INTERVALS, STREAM_MAX_SEQUENCE_JUMP } from './constants.js';
import { StreamReceiver, type DelayVariationRecorder } from './receiver.js';

/** A recorder that keeps every |D| it is given, in order. */
function keeper(): DelayVariationRecorder & { values: number[] } {
  const values: number[] = [];
  return { values, recordValue: (v) => values.push(v), encode: () => `n=${values.length}` };
}

/** A receiver whose clock starts at 0 µs; each arrival gives its own time. */
const receiver = (firstSequence?: number, recorder?: DelayVariationRecorder): StreamReceiver =>
  new StreamReceiver({ clock: () => 0, ...(recorder === undefined ? {} : { recorder }), ...(firstSequence === undefined ? {} : { firstSequence }) });

/** Feeds sequences that each arrive 1000 µs after they were sent, 1 ms apart, 100 bytes each. */
function feed(r: StreamReceiver, seqs: number[]): string[] {
  return seqs.map((s, i) => r.receive(s, i * 1000, 100, i * 1000 + 1000));
}

describe('StreamReceiver: loss, reorder, duplicates (hand-worked)', () => {
  it('in order, nothing lost', () => {
    const r = receiver();
    expect(feed(r, [0, 1, 2, 3])).toEqual(['in-order', 'in-order', 'in-order', 'in-order']);
    expect(r.counts()).toMatchObject({ messages: 4, bytes: 400, lost: 0, outOfOrder: 0, duplicates: 0, lossPercent: 0 });
  });

  it('reorder is not loss: 0 1 3 2 4 has one out of order and nothing lost', () => {
    const r = receiver();
    expect(feed(r, [0, 1, 3, 2, 4])).toEqual(['in-order', 'in-order', 'in-order', 'out-of-order', 'in-order']);
    expect(r.counts()).toMatchObject({ messages: 5, lost: 0, outOfOrder: 1, duplicates: 0 });
  });

  it('a late arrival fills its gap: 0 1 3 4 has one lost, then 2 arrives and none is', () => {
    const r = receiver();
    feed(r, [0, 1, 3, 4]);
    expect(r.counts()).toMatchObject({ messages: 4, lost: 1, lossPercent: 20, outOfOrder: 0 });
    r.receive(2, 0, 100, 9000);
    expect(r.counts()).toMatchObject({ messages: 5, lost: 0, lossPercent: 0, outOfOrder: 1 });
  });

  it('a duplicate is not a new message: 0 1 1 2 counts 3 messages, 300 bytes, 1 duplicate', () => {
    const r = receiver();
    expect(feed(r, [0, 1, 1, 2])).toEqual(['in-order', 'in-order', 'duplicate', 'in-order']);
    expect(r.counts()).toMatchObject({ messages: 3, bytes: 300, duplicates: 1, lost: 0, outOfOrder: 0 });
  });

  it('a duplicate of a late message is a duplicate, not a second fill: 0 2 1 1', () => {
    const r = receiver();
    expect(feed(r, [0, 2, 1, 1])).toEqual(['in-order', 'in-order', 'out-of-order', 'duplicate']);
    expect(r.counts()).toMatchObject({ messages: 3, lost: 0, outOfOrder: 1, duplicates: 1 });
  });

  it('a loss at the end shows only with the sender\'s count: 0 1 2 of 5 sent is 2 lost, 40 %', () => {
    const r = receiver();
    feed(r, [0, 1, 2]);
    expect(r.counts().lost).toBe(0);
    expect(r.counts(5)).toMatchObject({ lost: 2, lossPercent: 40 });
    // A smaller `sent` than what arrived never makes loss negative.
    expect(r.counts(1).lost).toBe(0);
  });

  it('a first message after a gap counts the gap: 3 alone is 3 lost', () => {
    const r = receiver();
    feed(r, [3]);
    expect(r.counts()).toMatchObject({ messages: 1, lost: 3, lossPercent: 75 });
  });

  it('sequences past 2^32 (no 32-bit wrap): 2^32−2 .. 2^32+2 with 2^32+1 missing', () => {
    const base = 2 ** 32 - 2;
    const r = receiver(base);
    feed(r, [base, base + 1, base + 2, base + 4]);
    expect(r.counts()).toMatchObject({ messages: 4, lost: 1, outOfOrder: 0, duplicates: 0 });
    r.receive(base + 3, 0, 100, 10_000);
    expect(r.counts()).toMatchObject({ messages: 5, lost: 0, outOfOrder: 1 });
    expect(r.receive(base - 1, 0, 100, 11_000)).toBe('ignored');
  });

  it('the duplicate window moves with the highest sequence, and older arrivals are taken as late', () => {
    const r = receiver();
    r.receive(0, 0, 100, 1);
    r.receive(STREAM_DUPLICATE_WINDOW + 10, 0, 100, 2);
    // 0 is beyond the window now: not recognised as a duplicate, counted as late.
    expect(r.receive(0, 0, 100, 3)).toBe('out-of-order');
    // Inside the window the bitmap was cleared as the highest advanced: 20 is new, then a duplicate.
    expect(r.receive(20, 0, 100, 4)).toBe('out-of-order');
    expect(r.receive(20, 0, 100, 5)).toBe('duplicate');
    expect(r.receive(STREAM_DUPLICATE_WINDOW + 10, 0, 100, 6)).toBe('duplicate');
  });
});

describe('StreamReceiver: RFC 3550 A.8 jitter and the |D| distribution', () => {
  it('J += (|D| − J)/16 over transits 1000, 1100, 900 µs: 6.25 then 18.359375 µs; |D| = 100, 200', () => {
    const rec = keeper();
    const r = receiver(undefined, rec);
    r.receive(0, 0, 100, 1000);
    r.receive(1, 1000, 100, 2100);
    expect(r.counts().jitterMs).toBeCloseTo(0.00625, 12);
    r.receive(2, 2000, 100, 2900);
    expect(r.counts().jitterMs).toBeCloseTo(0.018359375, 12);
    expect(rec.values).toEqual([100, 200]);
    expect(r.counts().delayVariation).toBe('n=2');
  });

  it('jitter follows arrival order, and a duplicate adds no |D|', () => {
    const rec = keeper();
    const r = receiver(undefined, rec);
    r.receive(0, 0, 100, 500); // transit 500
    r.receive(2, 2000, 100, 2600); // transit 600: |D| 100
    r.receive(1, 1000, 100, 2700); // late, transit 1700: |D| 1100
    r.receive(1, 1000, 100, 2800); // duplicate: nothing
    expect(rec.values).toEqual([100, 1100]);
    const j1 = 100 / 16;
    expect(r.counts().jitterMs).toBeCloseTo((j1 + (1100 - j1) / 16) / 1000, 12);
  });

  it('a constant transit gives zero jitter, and one message none at all', () => {
    const one = receiver();
    one.receive(0, 0, 100, 7);
    expect(one.counts()).toMatchObject({ jitterMs: 0, delayVariation: '' });
    const r = receiver();
    feed(r, [0, 1, 2, 3]);
    expect(r.counts().jitterMs).toBe(0);
  });
});

describe('StreamReceiver: per-second intervals and goodput', () => {
  it('arrivals at 0.5 s, 1.2 s, 1.9 s and 3.1 s give four intervals, the empty one carrying the jitter', () => {
    const r = receiver();
    r.receive(0, 0, 1000, 500_000);
    r.receive(1, 700_000, 1000, 1_200_000 + 16); // |D| = 16: J = 1 µs
    r.receive(2, 1_400_000, 1000, 1_900_000 + 16);
    r.receive(3, 2_600_000, 1000, 3_100_000 + 16);
    const c = r.counts();
    expect(c.intervals).toEqual([
      { startMs: 0, bytes: 1000, messages: 1, bitsPerSec: 8000, jitterMs: 0 },
      { startMs: 1000, bytes: 2000, messages: 2, bitsPerSec: 16_000, jitterMs: (1 - 1 / 16) / 1000 }, // |D| 16, then 0
      { startMs: 2000, bytes: 0, messages: 0, bitsPerSec: 0, jitterMs: c.intervals[1]!.jitterMs },
      // The last interval's goodput over its real length: 3.0 s to the last arrival, 100,016 µs.
      { startMs: 3000, bytes: 1000, messages: 1, bitsPerSec: (8 * 1000 * 1e6) / 100_016, jitterMs: ((1 - 1 / 16) * (15 / 16)) / 1000 },
    ]);
    expect(c.intervals[1]!.jitterMs).toBeCloseTo((1 + (0 - 1) / 16) / 1000, 12);
    // Goodput: 4000 bytes from the start (0) to the last arrival (3.100016 s).
    expect(c.durationUs).toBe(3_100_016);
    expect(c.bitsPerSec).toBeCloseTo((8 * 4000 * 1e6) / 3_100_016, 6);
  });

  it('the clock is read once, at the start: durations count from it', () => {
    let now = 5_000_000;
    const r = new StreamReceiver({ clock: () => now });
    now = 6_000_000;
    r.receive(0, 0, 125, undefined);
    expect(r.originUs).toBe(5_000_000);
    expect(r.counts()).toMatchObject({ durationUs: 1_000_000, bitsPerSec: 1000 });
    expect(r.counts().intervals.map((i) => i.startMs)).toEqual([0, 1000]);
  });
});

describe('StreamReceiver: refused sequences (a jump no real sender makes)', () => {
  it('a sequence above 2^53 − 1 is refused and counts nothing: 0 then 2^64 − 1 leaves lost at 0', () => {
    const r = receiver();
    r.receive(0, 0, 100, 1);
    expect(r.receive(2 ** 64 - 1, 0, 100, 2)).toBe('refused');
    expect(r.receive(Number.MAX_SAFE_INTEGER + 1, 0, 100, 3)).toBe('refused');
    expect(r.counts()).toMatchObject({ messages: 1, bytes: 100, lost: 0, outOfOrder: 0, duplicates: 0 });
  });

  it('a jump of STREAM_MAX_SEQUENCE_JUMP above the highest is counted, one more is refused', () => {
    const r = receiver();
    expect(r.receive(STREAM_MAX_SEQUENCE_JUMP, 0, 100, 1)).toBe('refused'); // the first: at most JUMP − 1
    expect(r.receive(STREAM_MAX_SEQUENCE_JUMP - 1, 0, 100, 2)).toBe('in-order');
    const highest = STREAM_MAX_SEQUENCE_JUMP - 1;
    expect(r.receive(highest + STREAM_MAX_SEQUENCE_JUMP + 1, 0, 100, 3)).toBe('refused');
    expect(r.receive(highest + STREAM_MAX_SEQUENCE_JUMP, 0, 100, 4)).toBe('in-order');
    expect(r.counts()).toMatchObject({ messages: 2, lost: 2 * STREAM_MAX_SEQUENCE_JUMP - 2 });
  });
});

describe('StreamReceiver: the duplicate window\'s edges and its bitmap', () => {
  it('an arrival older than the window marks nothing: the sequence sharing its bit is still new', () => {
    const W = STREAM_DUPLICATE_WINDOW;
    const r = receiver();
    r.receive(0, 0, 100, 1);
    r.receive(W + 10, 0, 100, 2);
    expect(r.receive(9, 0, 100, 3)).toBe('out-of-order'); // W + 1 behind: too old, its bit is W + 9's
    expect(r.receive(W + 9, 0, 100, 4)).toBe('out-of-order'); // new, not a duplicate
  });

  it('highest − rel = W − 1 is still told a duplicate; W is taken as late', () => {
    const W = STREAM_DUPLICATE_WINDOW;
    const r = receiver();
    r.receive(0, 0, 100, 1);
    r.receive(1, 0, 100, 2);
    r.receive(W, 0, 100, 3); // highest W: 1 is W − 1 behind, 0 is W behind
    expect(r.receive(1, 0, 100, 4)).toBe('duplicate');
    expect(r.receive(0, 0, 100, 5)).toBe('out-of-order');
  });

  /** A tiny PRNG (mulberry32), so the sequence is the same on every run. */
  function prng(seed: number): () => number {
    let a = seed >>> 0;
    return () => {
      a = (a + 0x6d2b79f5) >>> 0;
      let t = a;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
    };
  }

  it('agrees with a set of every sequence seen, over jumps of every size and repeats near the window\'s edge', () => {
    const W = STREAM_DUPLICATE_WINDOW;
    const rand = prng(14);
    const r = receiver();
    const seen = new Set<number>();
    let highest = -1;
    const jumps = [1, 2, 7, 8, 9, 63, 64, 65, 1000, W - 9, W - 1, W, W + 3, 3 * W + 5];
    for (let i = 0; i < 4000; i++) {
      let seq: number;
      const pick = rand();
      if (pick < 0.4 || highest < 0) seq = highest + jumps[Math.floor(rand() * jumps.length)]!;
      else if (pick < 0.7) seq = Math.max(0, highest - Math.floor(rand() * 40)); // recent: often a duplicate
      else seq = Math.max(0, highest - W + Math.floor(rand() * 16) - 8); // around the window's far edge
      const expected = seq > highest ? 'in-order' : highest - seq >= W ? 'out-of-order' : seen.has(seq) ? 'duplicate' : 'out-of-order';
      expect(r.receive(seq, 0, 1, i), `arrival ${i}: ${seq} with highest ${highest}`).toBe(expected);
      if (expected !== 'duplicate') seen.add(seq);
      highest = Math.max(highest, seq);
    }
  });
});

describe('StreamReceiver: the interval limit', () => {
  it('an arrival after the 3600th second counts in the totals and in no interval (it piled into the last once)', () => {
    const r = receiver();
    r.receive(0, 0, 100, 3_599_500_000);
    r.receive(1, 0, 100, 3_600_500_000);
    const c = r.counts();
    expect(c.intervals).toHaveLength(STREAM_MAX_INTERVALS);
    expect(c.intervals.at(-1)).toMatchObject({ startMs: 3_599_000, messages: 1, bytes: 100 });
    expect(c).toMatchObject({ messages: 2, bytes: 200 });
  });
});
