import { HEADER_SIZE, readStreamData } from '@sockbench/protocol';
import { describe, expect, it } from 'vitest';
import type { DataPath } from './data-paths.js';
import { SENDER_TURN_BYTES, sendStream, type SenderTimers } from './stream-sender.js';

/** A clock and timers the test moves by hand. */
function fakeTime(): { now: { us: number }; timers: SenderTimers; advanceTo(us: number): void } {
  const now = { us: 0 };
  let pending: { at: number; fn: () => void; live: boolean }[] = [];
  return {
    now,
    timers: {
      after(ms, fn) {
        const t = { at: now.us + Math.max(ms, 0) * 1000, fn, live: true };
        pending.push(t);
        return () => {
          t.live = false;
        };
      },
    },
    advanceTo(us) {
      for (;;) {
        pending = pending.filter((t) => t.live);
        const next = pending.filter((t) => t.at <= us).sort((a, b) => a.at - b.at)[0];
        if (next === undefined) break;
        next.live = false;
        now.us = Math.max(now.us, next.at);
        next.fn();
      }
      now.us = us;
    },
  };
}

/**
 * A clock and timers like libuv's: a timer is armed from the loop's cached time (`loopUs`, which may
 * lag the clock), a 0 ms wait takes one turn of `turnUs`; counts every wake it arms.
 */
function fakeLoop(startUs: number, loopUs: number, turnUs = 5): { now: { us: number }; timers: SenderTimers; armed: number[]; run(maxFires: number): void } {
  const now = { us: startUs };
  let loop = loopUs;
  const armed: number[] = [];
  let pending: { at: number; fn: () => void; live: boolean }[] = [];
  return {
    now,
    armed,
    timers: {
      after(ms, fn) {
        armed.push(ms);
        const t = { at: ms <= 0 ? now.us + turnUs : loop + ms * 1000, fn, live: true };
        pending.push(t);
        return () => {
          t.live = false;
        };
      },
    },
    run(maxFires) {
      for (let fired = 0; fired < maxFires; fired++) {
        pending = pending.filter((t) => t.live);
        const next = pending.sort((a, b) => a.at - b.at)[0];
        if (next === undefined) return;
        next.live = false;
        now.us = Math.max(now.us, next.at);
        loop = now.us;
        next.fn();
      }
      throw new Error(`more than ${maxFires} timers fired`);
    },
  };
}

function capturingPath(accept: (n: number) => boolean = () => true): { path: DataPath; frames: Buffer[]; drain: () => void; finished: number } {
  const frames: Buffer[] = [];
  let drainCb = (): void => undefined;
  const out = {
    frames,
    finished: 0,
    drain: () => drainCb(),
    path: {
      transport: 'tcp',
      strays: 0,
      buffers: null,
      send: (f: Buffer) => {
        frames.push(Buffer.from(f));
        return accept(frames.length);
      },
      onDrain: (cb: () => void) => {
        drainCb = cb;
      },
      onData: () => undefined,
      finish: () => {
        out.finished++;
      },
      close: async () => undefined,
    } satisfies DataPath,
  };
  return out;
}

describe('sendStream', () => {
  it('sends message k at its slot with sequence k and sentUs = the send time, and stops at the total', async () => {
    const t = fakeTime();
    const cap = capturingPath();
    // 100-byte frames at 80 kbit/s: one every 10 ms; 50 ms: 5 messages.
    const s = sendStream(cap.path, { session: 9, size: 100, bitrate: 80_000, durationMs: 50, clock: () => t.now.us, timers: t.timers });
    t.advanceTo(100_000);
    const counts = await s.done;
    expect(counts.messages).toBe(5);
    expect(counts.bytes).toBe(500);
    const fields = cap.frames.map((f) => readStreamData(f.subarray(HEADER_SIZE)));
    expect(fields).toEqual([0, 1, 2, 3, 4].map((k) => ({ sequence: k, sentUs: k * 10_000 })));
    expect(cap.frames.every((f) => f.length === 100 && f.readUInt32BE(8) === 9)).toBe(true);
    expect(counts.intervals).toEqual([{ startMs: 0, bytes: 500, messages: 5 }]);
    expect(cap.finished).toBe(1);
  });

  it('unpaced: sends until backpressure, resumes on drain, and the duration ends it even while blocked', async () => {
    const t = fakeTime();
    const cap = capturingPath((n) => n % 3 !== 0); // every third send reports a full buffer
    const s = sendStream(cap.path, { session: 1, size: 64, bitrate: null, durationMs: 20, clock: () => t.now.us, timers: t.timers });
    expect(cap.frames).toHaveLength(3);
    cap.drain();
    expect(cap.frames).toHaveLength(6);
    t.advanceTo(20_000);
    const counts = await s.done;
    expect(counts.messages).toBe(6);
    cap.drain(); // after the end: nothing more
    expect(cap.frames).toHaveLength(6);
  });

  it(`unpaced: drains within one turn carry it on up to ${SENDER_TURN_BYTES} bytes, then the next burst waits for the next turn`, async () => {
    const t = fakeTime();
    const cap = capturingPath((n) => n % 16 !== 0); // 16 KiB of 1 KiB frames fill the buffer
    const s = sendStream(cap.path, { session: 1, size: 1024, bitrate: null, durationMs: 20, clock: () => t.now.us, timers: t.timers });
    expect(cap.frames).toHaveLength(16);
    const perTurn = SENDER_TURN_BYTES / 1024;
    for (let i = 0; i < perTurn / 16 + 8; i++) cap.drain(); // the kernel takes every write whole, on the same tick
    expect(cap.frames).toHaveLength(perTurn);
    t.advanceTo(0); // the loop's next turn
    expect(cap.frames).toHaveLength(perTurn + 16);
    for (let i = 0; i < perTurn / 16 + 8; i++) cap.drain();
    expect(cap.frames).toHaveLength(2 * perTurn);
    t.advanceTo(20_000); // the third turn's burst, then the duration ends it while held
    expect((await s.done).messages).toBe(2 * perTurn + 16);
  });

  it('paced at 75 µs slots (150 Mbit/s of 1,400-byte frames): it sleeps at least 1 ms between wakes, and sends every slot', async () => {
    const t = fakeLoop(0, 0);
    const cap = capturingPath();
    const s = sendStream(cap.path, { session: 1, size: 1400, bitrate: 150_000_000, durationMs: 100, clock: () => t.now.us, timers: t.timers });
    t.run(10_000);
    const counts = await s.done;
    // 8 × 1400 / 150e6 s = 74.67 µs a slot: 1,340 slots in 100 ms.
    expect(counts.messages).toBe(1340);
    // The first wake at the start, then one wake a millisecond (timer slots), the deadline: not one per slot.
    const wakes = t.armed.length;
    expect(wakes).toBeLessThanOrEqual(100 + 3);
    expect(t.armed.slice(0, -1).every((ms) => ms >= 1)).toBe(true);
  });

  it('a deadline timer that fires before the duration is over on the clock is armed again for the rest', async () => {
    // The loop's cached time lags the clock by 5 ms at the start: the 50 ms timer fires at 45 ms of the sender's clock.
    const t = fakeLoop(5_000, 0);
    const cap = capturingPath();
    // 100-byte frames at 100 kbit/s: one every 8 ms; 50 ms: 7 slots, the last at 48 ms.
    const s = sendStream(cap.path, { session: 1, size: 100, bitrate: 100_000, durationMs: 50, clock: () => t.now.us, timers: t.timers });
    t.run(1000);
    const counts = await s.done;
    expect(counts.messages).toBe(7);
    expect(cap.frames.map((f) => readStreamData(f.subarray(HEADER_SIZE)).sequence)).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(cap.finished).toBe(1);
  });

  it('its durationUs runs from its start to the end of its duration, even when backpressure held it from the first ms', async () => {
    const t = fakeTime();
    const cap = capturingPath((n) => n < 3); // the third send fills the buffer; no drain ever comes
    const s = sendStream(cap.path, { session: 1, size: 1000, bitrate: null, durationMs: 2000, clock: () => t.now.us, timers: t.timers });
    t.advanceTo(500_000);
    expect(s.counts().durationUs).toBe(500_000); // while it runs: up to now
    t.advanceTo(3_000_000);
    const counts = await s.done;
    // 3 messages in 2 s (iperf3's sender: bytes over the test's time), not 3 messages over 0 µs.
    expect([counts.messages, counts.durationUs, counts.bitsPerSec]).toEqual([3, 2_000_000, 12_000]);
  });

  it('a paced schedule sent whole counts the whole duration; a stop (Ctrl-C) counts up to the stop', async () => {
    const t = fakeTime();
    // One 100-byte frame every 10 ms for 50 ms: the last at 40 ms.
    const whole = sendStream(capturingPath().path, { session: 1, size: 100, bitrate: 80_000, durationMs: 50, clock: () => t.now.us, timers: t.timers });
    t.advanceTo(45_000);
    expect(await whole.done).toMatchObject({ messages: 5, durationUs: 50_000, bitsPerSec: 80_000 });
    const stopped = sendStream(capturingPath().path, { session: 2, size: 100, bitrate: 80_000, durationMs: 1000, clock: () => t.now.us, timers: t.timers });
    t.advanceTo(345_000); // 300 ms after its start at 45 ms: the slots at 0, 10, …, 300 ms
    stopped.stop();
    t.advanceTo(900_000);
    expect(await stopped.done).toMatchObject({ messages: 31, durationUs: 300_000 });
  });
});
