import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ErrorCode, STREAM_CLOSED_MEMORY, STREAM_REPORT_GRACE_MS, STREAM_START_TIMEOUT_MS, decodeStreamOpened, type StreamOpen } from '@sockbench/protocol';
import { StreamSessions, isRefusal, type StreamAnswer } from './registry.js';

const UP_UDP: StreamOpen = { direction: 'up', transport: 'udp', size: 100, durationMs: 5000, bitrate: 1000 };
const owner = {};

function registry(maxStreams = 4, workerIndex = 0): StreamSessions {
  return new StreamSessions({ maxStreams, maxBitrate: 1e6, maxDurationMs: 60_000, workerIndex, udp: () => Promise.resolve({ port: 7878, out: () => undefined, close: () => undefined }) });
}
async function opened(r: StreamSessions, req: StreamOpen = UP_UDP): Promise<number> {
  const a = r.open(owner, req);
  if (isRefusal(a)) throw new Error(a.reason);
  return decodeStreamOpened(await a).session;
}
const reason = (a: StreamAnswer): string => (isRefusal(a) ? a.reason : 'accepted');

describe('StreamSessions: session timers (fake clock)', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('a session not started within 10 s ends, and is "closed" after', async () => {
    const r = registry();
    const id = await opened(r);
    vi.advanceTimersByTime(STREAM_START_TIMEOUT_MS - 1);
    expect(r.stats().sessions).toBe(1);
    vi.advanceTimersByTime(1);
    expect(r.stats().sessions).toBe(0);
    expect(reason(r.start(owner, { session: id }))).toBe(`stream session ${id} is closed`);
  });

  it('a started session with no report ends durationMs + 10 s after its start', async () => {
    const r = registry();
    const id = await opened(r);
    vi.advanceTimersByTime(3000);
    expect(reason(r.start(owner, { session: id }))).toBe('accepted');
    vi.advanceTimersByTime(UP_UDP.durationMs + STREAM_REPORT_GRACE_MS - 1);
    expect(r.stats().sessions).toBe(1);
    vi.advanceTimersByTime(1);
    expect(r.stats().sessions).toBe(0);
  });
});

describe('StreamSessions: ids, caps, memory', () => {
  it('ids carry the worker index in the top byte', async () => {
    const r = registry(4, 3);
    const id = await opened(r);
    expect(id >>> 24).toBe(3);
    expect(id & 0xff_ffff).toBeGreaterThan(0);
    expect(reason(r.start(owner, { session: 0x0200_0001 }))).toBe('stream session 33554433 is held by worker 2; this connection is on worker 3');
    r.closeAll();
  });

  it('the cap counts open sessions; closing frees a slot; the last 1024 ended ids are remembered', async () => {
    const r = registry(1);
    const first = await opened(r);
    const busy = r.open(owner, UP_UDP);
    expect(isRefusal(busy) && busy.refused).toBe(ErrorCode.BUSY);
    r.closeOwnedBy(owner);
    expect(r.stats()).toMatchObject({ sessions: 0, opened: 1, refused: 1 });
    for (let i = 0; i < STREAM_CLOSED_MEMORY; i++) {
      await opened(r);
      r.closeAll();
    }
    // `first` was the oldest of 1025 ended sessions: forgotten, so unknown again.
    expect(reason(r.start(owner, { session: first }))).toBe(`unknown stream session ${first}`);
    expect(r.stats().opened).toBe(STREAM_CLOSED_MEMORY + 1);
  });

  it('another owner is refused; closeOwnedBy ends only the owner\'s sessions', async () => {
    const r = registry();
    const mine = await opened(r);
    const other = {};
    const a = r.open(other, UP_UDP);
    if (isRefusal(a)) throw new Error(a.reason);
    const theirs = decodeStreamOpened(await a).session;
    expect(reason(r.start(other, { session: mine }))).toBe(`stream session ${mine} belongs to another control connection`);
    r.closeOwnedBy(other);
    expect(r.stats().sessions).toBe(1);
    expect(reason(r.start(owner, { session: theirs }))).toBe(`stream session ${theirs} is closed`);
    r.closeAll();
  });
});
