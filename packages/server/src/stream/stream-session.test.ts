import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { STREAM_STRAGGLER_MAX_MS, STREAM_STRAGGLER_QUIET_MS, type StreamReceiverReport, type StreamSenderReport } from '@sockbench/protocol';
import { StreamSession, type SessionPlan } from './stream-session.js';

const NO_UDP = { port: 1, out: () => undefined, close: () => undefined };

/** A session on a clock the test moves: the fake timers' own (µs). */
function session(plan: Partial<SessionPlan> = {}): StreamSession {
  const full: SessionPlan = { direction: 'up', transport: 'udp', size: 64, durationMs: 1000, bitrate: 1_000_000, ...plan };
  return new StreamSession(7, Buffer.alloc(8), {}, full, NO_UDP, () => Date.now() * 1000, () => undefined);
}

describe('StreamSession: the straggler wait (fake timers and clock)', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: 1_000_000 });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('a straggler that lands during the wait is counted, and the quiet period starts again from it (iperf3 #698)', async () => {
    const s = session();
    s.start();
    s.receive(0, 0, 64);
    let done: StreamReceiverReport | null = null;
    void s.report(2).then((r) => (done = r as StreamReceiverReport));
    await vi.advanceTimersByTimeAsync(STREAM_STRAGGLER_QUIET_MS - 50);
    expect(done).toBeNull();
    s.receive(1, 1, 64); // the straggler, 200 ms into the wait
    await vi.advanceTimersByTimeAsync(STREAM_STRAGGLER_QUIET_MS - 1);
    expect(done).toBeNull(); // 249 ms after the straggler: still waiting
    await vi.advanceTimersByTimeAsync(1);
    expect(done).toMatchObject({ role: 'receiver', messages: 2, lost: 0, waitedMs: 2 * STREAM_STRAGGLER_QUIET_MS - 50 });
    s.end('test');
  });

  it('the wait ends at STREAM_STRAGGLER_MAX_MS however often data comes', async () => {
    const s = session();
    s.start();
    let done: StreamReceiverReport | null = null;
    void s.report(undefined).then((r) => (done = r as StreamReceiverReport));
    for (let t = 0; t < STREAM_STRAGGLER_MAX_MS - 100; t += 100) {
      s.receive(t / 100, 0, 64);
      await vi.advanceTimersByTimeAsync(100);
    }
    expect(done).toBeNull();
    await vi.advanceTimersByTimeAsync(100);
    expect(done).toMatchObject({ waitedMs: STREAM_STRAGGLER_MAX_MS });
    s.end('test');
  });
});

describe('StreamSession: ends and reports', () => {
  it('a down session reported before its START gets a sender report of zeros (it said "receiver")', async () => {
    const s = session({ direction: 'down' });
    const r = (await s.report(undefined)) as StreamSenderReport;
    expect(r).toEqual({ role: 'sender', session: 7, bytes: 0, messages: 0, bitsPerSec: 0, durationUs: 0 });
    s.end('test');
  });

  it('an ended session has no receiver: later data counts nothing', () => {
    const s = session({ transport: 'tcp' });
    s.start();
    expect(s.receive(0, 0, 64)).toBe(true);
    s.end('test');
    expect(s.receiver).toBeNull();
    expect(s.receive(1, 0, 64)).toBe(false);
  });
});
