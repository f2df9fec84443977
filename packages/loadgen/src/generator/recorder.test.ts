import { describe, expect, it } from 'vitest';
import { HIGHEST_US, createHistogram, decodeHistogram, encodeHistogram } from '../histogram.js';
import { OpenLoopRecorder, Recorder, createRecorder, encodeInterval } from './recorder.js';

describe('Recorder', () => {
  it('records reply − scheduled time in whole µs, runs of equal values the same as one by one', () => {
    const rec = new Recorder(3, () => 0);
    rec.begin(1000);
    const lat = [0.25, 0.25, 0.25, 1.5, 1.5, 0.25, 2, -0.1]; // ms; a negative reads as 0
    lat.forEach((ms) => rec.completed(1000 + ms, 1000, 1000, 76));
    const iv = rec.cut(2000);
    const want = createHistogram();
    for (const ms of lat) want.recordValue(Math.max(0, Math.round(ms * 1000)));
    expect(iv.histogram).toBe(encodeHistogram(want));
    expect(iv).toMatchObject({ thread: 3, index: 0, startMs: 0, endMs: 1000 });
    expect(iv.counters).toMatchObject({ completed: lat.length, bytesReceived: 76 * lat.length, clamped: 0 });
  });

  it('counts from the scheduled time, not the send time', () => {
    const rec = new Recorder(0, () => 0);
    rec.completed(11.9, 10, 11.5, 0); // values under 2048 µs are exact at 3 digits
    expect(decodeHistogram(rec.cut(100).histogram).maxValue).toBe(1900);
  });

  it('clamps past 60 s and counts it', () => {
    const rec = new Recorder(0, () => 0);
    rec.completed(61_000, 0, 0, 0);
    const iv = rec.cut(1);
    expect(iv.counters.clamped).toBe(1);
    expect(decodeHistogram(iv.histogram).totalCount).toBe(1);
    expect(decodeHistogram(iv.histogram).maxValue).toBeGreaterThanOrEqual(HIGHEST_US * 0.999);
  });

  it('cut starts a fresh interval where the last ended; last() ends one on the clock', () => {
    let now = 0;
    const rec = new Recorder(0, () => now);
    rec.begin(500);
    rec.sent(76, 0);
    rec.failed('BUSY');
    rec.failed('ECONNRESET', 2);
    rec.timedOut(3);
    const first = rec.cut(1500);
    expect(first.counters).toMatchObject({ sent: 1, bytesSent: 76, errors: 3, errorsByCode: { BUSY: 1, ECONNRESET: 2 }, timeouts: 3 });
    rec.completed(1600, 1599, 1599, 10);
    now = 1750;
    const last = rec.last();
    expect(last).toMatchObject({ index: 1, startMs: 1000, endMs: 1250 });
    expect(last.counters).toMatchObject({ sent: 0, completed: 1, errors: 0 });
    expect(rec.histograms()).toEqual({ uncorrected: null, slip: null });
  });
});

describe('Recorder.cutRaw (the thread hand-off)', () => {
  it('hands the interval off as counts that encode to what cut() would have sent', () => {
    const a = new Recorder(1, () => 0);
    const b = new Recorder(1, () => 0);
    for (const rec of [a, b]) {
      rec.begin(0);
      rec.sent(76, 0);
      [0.02, 0.02, 0.5, 3.25, 40, 0].forEach((ms) => rec.completed(100 + ms, 100, 100, 76));
    }
    const raw = a.cutRaw(1000);
    expect(raw.counts).toBeInstanceOf(Uint32Array);
    expect(encodeInterval(raw)).toEqual(b.cut(1000));
    // The next interval starts empty on both.
    expect(encodeInterval(a.cutRaw(2000))).toEqual(b.cut(2000));
    expect(decodeHistogram(encodeInterval(a.cutRaw(3000)).histogram).totalCount).toBe(0);
  });
});

describe('OpenLoopRecorder', () => {
  it('also keeps the uncorrected service time (reply − send) and the send slip (send − schedule)', () => {
    const rec = createRecorder(true, 0, () => 0);
    expect(rec).toBeInstanceOf(OpenLoopRecorder);
    rec.sent(76, 1.5); // left 1.5 ms behind schedule
    rec.completed(12, 10, 11.5, 76); // scheduled 10, sent 11.5, answered 12
    const iv = rec.cut(100);
    expect(decodeHistogram(iv.histogram).maxValue).toBe(2000);
    const { uncorrected, slip } = rec.histograms();
    expect(decodeHistogram(uncorrected!).maxValue).toBe(500);
    expect(decodeHistogram(slip!).maxValue).toBe(1500);
    expect(decodeHistogram(slip!).totalCount).toBe(1);
  });

  it('closed loop gets the plain recorder', () => {
    expect(createRecorder(false, 0, () => 0)).not.toBeInstanceOf(OpenLoopRecorder);
  });
});
