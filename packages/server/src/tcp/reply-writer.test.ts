import type { Socket } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { EMPTY_PAYLOAD, ErrorCode, Flags, HEADER_SIZE, MessageType, decodeError } from '@sockbench/protocol';
import { Counters } from '../stats/counters.js';
import { summarizeServiceTimes } from '../stats/service-time.js';
import { socketPair, waitFor, type Peer } from '../../test/helpers.js';
import { CLOSE_LINGER_MS, COPY_LIMIT, ReplyWriter, WRITE_HIGH_WATER_MARK } from './reply-writer.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  vi.useRealTimers();
  for (const c of cleanups.splice(0)) await c();
});

/** A writer on a real connection, with a clock the test sets (`clock.now`, ms). */
async function setup(): Promise<{ w: ReplyWriter; socket: Socket; peer: Peer; counters: Counters; clock: { now: number } }> {
  const pair = await socketPair();
  cleanups.push(pair.close);
  const counters = new Counters();
  const clock = { now: 100 };
  const w = new ReplyWriter(pair.socket, counters, () => clock.now);
  return { w, socket: pair.socket, peer: pair.peer, counters, clock };
}

const times = (c: Counters): Record<string, { count: number; max: number }> =>
  Object.fromEntries(Object.entries(summarizeServiceTimes([c.serviceTimes.encode()])).map(([k, v]) => [k, { count: v.count, max: v.max }]));

const nextTick = (): Promise<void> => new Promise((resolve) => process.nextTick(resolve));

describe('ReplyWriter: batching and service time', () => {
  it('replies made while a chunk is decoded leave together after it, timed from the chunk stamp to that flush', async () => {
    const { w, socket, peer, counters, clock } = await setup();
    const t0 = w.beginChunk();
    expect(t0).toBe(100);
    for (let id = 1; id <= 16; id++) w.reply(MessageType.PING, id, EMPTY_PAYLOAD, t0);
    expect(socket.bytesWritten).toBe(0);
    expect(w.pendingWriteBytes).toBe(16 * HEADER_SIZE);
    clock.now = 100.5;
    w.endChunk();
    expect(socket.bytesWritten).toBe(16 * HEADER_SIZE);
    expect(times(counters)).toEqual({ PING: { count: 16, max: 500 } });
    expect([counters.framesOut, counters.bytesOut]).toEqual([16, 16 * HEADER_SIZE]);
    await peer.until(() => peer.frames.length === 16);
    expect(peer.frames.map((f) => [f.id, f.flags])).toEqual(Array.from({ length: 16 }, (_, i) => [i + 1, Flags.RESPONSE]));
    // Nothing left for the tick: no frame twice.
    await nextTick();
    expect(socket.bytesWritten).toBe(16 * HEADER_SIZE);
  });

  it('a reply outside a chunk (pool work) leaves on the next tick and is timed to that flush', async () => {
    const { w, socket, counters, clock } = await setup();
    w.reply(MessageType.ECHO, 7, Buffer.from('hi'), 98);
    expect(socket.bytesWritten).toBe(0);
    clock.now = 99.75;
    await nextTick();
    expect(socket.bytesWritten).toBe(HEADER_SIZE + 2);
    expect(times(counters)).toEqual({ ECHO: { count: 1, max: 1750 } });
  });

  it(`a reply over COPY_LIMIT (${COPY_LIMIT} B) flushes the batch first, goes out at once and is timed at once`, async () => {
    const { w, socket, peer, counters, clock } = await setup();
    w.reply(MessageType.PING, 1, EMPTY_PAYLOAD, 100);
    const big = Buffer.alloc(COPY_LIMIT + 1, 7);
    clock.now = 101;
    w.reply(MessageType.ECHO, 2, big, 100);
    // Before any tick: both written, both recorded.
    expect(socket.bytesWritten).toBe(2 * HEADER_SIZE + big.length);
    expect(times(counters)).toEqual({ ECHO: { count: 1, max: 1000 }, PING: { count: 1, max: 1000 } });
    await peer.until(() => peer.frames.length === 2);
    expect(peer.frames.map((f) => f.id)).toEqual([1, 2]);
    expect(peer.frames[1]!.payload.equals(big)).toBe(true);
  });

  it('errors and pushes are counted and written but not timed; an ERROR to id 0 has no RESPONSE flag', async () => {
    const { w, peer, counters } = await setup();
    w.error(ErrorCode.BUSY, 0, 'full');
    w.error(ErrorCode.NOT_IN_ROOM, 5, 'not in room "x"');
    w.push(MessageType.CHAT, Buffer.from('c'));
    w.writeAlone(MessageType.WELCOME, 0, Buffer.from('{}'));
    expect(counters.errors).toEqual({ BUSY: 1, NOT_IN_ROOM: 1 });
    await peer.until(() => peer.frames.length === 4);
    // WELCOME went out at once, the batch on the tick after.
    expect(peer.frames.map((f) => [f.type, f.id, f.flags])).toEqual([
      [MessageType.WELCOME, 0, Flags.NONE],
      [MessageType.ERROR, 0, Flags.NONE],
      [MessageType.ERROR, 5, Flags.RESPONSE],
      [MessageType.CHAT, 0, Flags.NONE],
    ]);
    expect(decodeError(peer.frames[2]!.payload)).toEqual({ code: ErrorCode.NOT_IN_ROOM, message: 'not in room "x"' });
    expect(counters.framesOut).toBe(4);
    expect(times(counters)).toEqual({});
  });
});

describe('ReplyWriter: backpressure', () => {
  it('stops reading while more than WRITE_HIGH_WATER_MARK bytes wait to be written; drain resumes it', async () => {
    const { w, socket, peer } = await setup();
    peer.socket.pause(); // the peer stops reading: the kernel buffers fill, then ours
    const mib = Buffer.alloc(1024 * 1024, 1);
    for (let id = 1; id <= 256 && !w.paused; id++) w.reply(MessageType.ECHO, id, mib, 0);
    expect(w.paused).toBe(true);
    expect(socket.isPaused()).toBe(true);
    expect(w.pendingWriteBytes).toBeGreaterThan(WRITE_HIGH_WATER_MARK);
    peer.socket.resume();
    await waitFor(() => !w.paused, 10_000, 'resume after drain');
    expect(socket.isPaused()).toBe(false);
  });

  it('stops reading while more than the mark of request bytes is held by pool work; releasing resumes it', async () => {
    const { w, socket } = await setup();
    w.holdWork(WRITE_HIGH_WATER_MARK);
    expect(w.paused).toBe(false);
    w.holdWork(1);
    expect([w.paused, socket.isPaused(), w.pendingWorkBytes]).toEqual([true, true, WRITE_HIGH_WATER_MARK + 1]);
    w.releaseWork(1);
    expect([w.paused, socket.isPaused(), w.pendingWorkBytes]).toEqual([false, false, WRITE_HIGH_WATER_MARK]);
  });

  it('holdReading (the buffer budget) and backpressure each keep reading paused until both let go; end() lets go of both', async () => {
    const { w, socket } = await setup();
    w.holdReading();
    expect([w.paused, socket.isPaused()]).toEqual([false, true]);
    w.holdWork(WRITE_HIGH_WATER_MARK + 1);
    w.releaseWork(WRITE_HIGH_WATER_MARK + 1); // backpressure gone, the hold stays
    expect([w.paused, socket.isPaused()]).toEqual([false, true]);
    w.holdWork(WRITE_HIGH_WATER_MARK + 1);
    w.releaseReading(); // the hold gone, backpressure stays
    expect([w.paused, socket.isPaused()]).toEqual([true, true]);
    w.releaseWork(WRITE_HIGH_WATER_MARK + 1);
    expect(socket.isPaused()).toBe(false);
    w.holdReading();
    expect(w.end()).toBe(true);
    expect(socket.isPaused()).toBe(false);
    w.holdReading(); // ignored once ended: it reads on to see the peer's FIN
    expect(socket.isPaused()).toBe(false);
  });
});

describe('ReplyWriter: end and abort', () => {
  it('end(): queued replies, then FIN; later writes dropped (errors still counted); reading resumes', async () => {
    const { w, socket, peer, counters } = await setup();
    w.holdWork(WRITE_HIGH_WATER_MARK + 1);
    expect(socket.isPaused()).toBe(true);
    w.reply(MessageType.PING, 1, EMPTY_PAYLOAD, 100);
    expect(w.end()).toBe(true);
    expect(w.ended).toBe(true);
    // Paused reads would let the peer's late bytes turn our FIN into a RST.
    expect([w.paused, socket.isPaused()]).toEqual([false, false]);
    w.reply(MessageType.PING, 2, EMPTY_PAYLOAD, 100);
    w.push(MessageType.CHAT, Buffer.from('late'));
    w.error(ErrorCode.BUSY, 3, 'late');
    expect(w.end()).toBe(false);
    expect(counters.framesOut).toBe(1);
    expect(counters.errors).toEqual({ BUSY: 1 });
    await peer.waitClosed();
    expect(peer.frames.map((f) => f.id)).toEqual([1]);
  });

  it(`end(): a peer that never closes is destroyed after CLOSE_LINGER_MS (${CLOSE_LINGER_MS} ms)`, async () => {
    const { w, socket } = await setup();
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    w.end();
    vi.advanceTimersByTime(CLOSE_LINGER_MS - 1);
    expect(socket.destroyed).toBe(false);
    vi.advanceTimersByTime(1);
    expect(socket.destroyed).toBe(true);
  });

  it('end(): a peer that closes in time clears the linger timer', async () => {
    const { w, socket } = await setup();
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    w.end();
    expect(vi.getTimerCount()).toBe(1);
    // The peer answers our FIN with its own (allowHalfOpen is off), so the socket closes.
    await new Promise((resolve) => socket.once('close', resolve));
    expect(vi.getTimerCount()).toBe(0);
  });

  it('abort(): destroys at once; nothing more is written', async () => {
    const { w, socket, counters } = await setup();
    w.abort();
    expect([w.ended, socket.destroyed]).toEqual([true, true]);
    w.reply(MessageType.PING, 1, EMPTY_PAYLOAD, 100);
    expect(counters.framesOut).toBe(0);
  });
});
