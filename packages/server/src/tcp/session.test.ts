import type { Socket } from 'node:net';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import {
  BadPayloadError,
  EMPTY_PAYLOAD,
  ErrorCode,
  HEADER_SIZE,
  MessageType,
  decodeChat,
  decodeError,
  decodeStats,
  encodeChat,
  encodeHello,
  encodeRoom,
  encodeSay,
  type Frame,
  type StatsQuery,
} from '@sockbench/protocol';
import { Rooms, type RoomMember } from '../chat/rooms.js';
import { QUEUED } from '../dispatch/executor.js';
import type { ProcessContext } from '../context.js';
import { fillOptions, type ServerOptions } from '../options.js';
import { Counters, mergeStats } from '../stats/counters.js';
import { socketPair, type Peer } from '../../test/helpers.js';
import { ReplyWriter, WRITE_HIGH_WATER_MARK } from './reply-writer.js';
import { SLOW_CONSUMER_MARGIN, Session } from './session.js';
import { StreamSessions } from '../stream/registry.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

const WELCOME = Buffer.from('{"welcome":true}');

interface Setup {
  session: Session;
  writer: ReplyWriter;
  socket: Socket;
  peer: Peer;
  ctx: ProcessContext;
  says: [string, string, string, object][];
  /** Every query ctx.stats() was asked. */
  queries: StatsQuery[];
}

/** A session on a real connection, in a process context of real parts (rooms, counters). */
async function setup(options: ServerOptions = {}): Promise<Setup> {
  const pair = await socketPair();
  cleanups.push(pair.close);
  const counters = new Counters();
  const rooms = new Rooms();
  const says: Setup['says'] = [];
  const queries: StatsQuery[] = [];
  const ctx: ProcessContext = {
    options: fillOptions(options),
    counters,
    executor: { ping: () => EMPTY_PAYLOAD, echo: (_id, p) => p, compute: () => null },
    rooms,
    streams: new StreamSessions({ maxStreams: 1, maxStreamsPerConnection: 1, maxPayload: 1024, maxBitrate: 1, maxDurationMs: 1, workerIndex: 0, udp: () => Promise.reject(new Error('no UDP here')) }),
    logger: pino({ level: 'silent' }),
    welcome: WELCOME,
    draining: false,
    stats: (query = {}) => {
      queries.push(query);
      return Promise.resolve(mergeStats([counters.snapshot({ threads: 0, queued: 0, completed: 0 }, { paused: 0, pendingWriteBytes: 0, pendingWorkBytes: 0 }, { bytes: 0, limit: 0, waiting: 0, frameTimeouts: 0 })]));
    },
    say: (room, from, text, sender) => {
      says.push([room, from, text, sender]);
      rooms.deliver(room, encodeChat({ room, from, text }), sender as RoomMember);
    },
  };
  const writer = new ReplyWriter(pair.socket, counters);
  const session = new Session(ctx, writer, '127.0.0.1:1234');
  return { session, writer, socket: pair.socket, peer: pair.peer, ctx, says, queries };
}

const frame = (type: number, id: number, payload: Buffer = Buffer.alloc(0)): Frame => ({ type, id, flags: 0, payload });

function deferred<T>(): { promise: Promise<T>; resolve: (v: T) => void; reject: (e: unknown) => void } {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

const errorsOf = (peer: Peer): { id: number; code: number; message: string }[] =>
  peer.frames.filter((f) => f.type === MessageType.ERROR).map((f) => ({ id: f.id, ...decodeError(f.payload) }));

describe('Session: auth (--token)', () => {
  it('a first frame other than HELLO: UNAUTHORIZED, then FIN', async () => {
    const { session, writer, peer } = await setup({ token: 's3cret' });
    expect(session.authed).toBe(false);
    session.authenticate(frame(MessageType.PING, 4), 0);
    expect(writer.ended).toBe(true);
    await peer.waitClosed();
    expect(errorsOf(peer)).toEqual([{ id: 4, code: ErrorCode.UNAUTHORIZED, message: 'the first request must be HELLO with the token' }]);
  });

  for (const [name, payload] of [
    ['a wrong token', encodeHello({ token: 'nope' })],
    ['no token', encodeHello({ client: 'x' })],
    ['an unreadable payload', Buffer.from('{')],
  ] as const) {
    it(`HELLO with ${name}: UNAUTHORIZED, then FIN`, async () => {
      const { session, writer, peer } = await setup({ token: 's3cret' });
      session.authenticate(frame(MessageType.HELLO, 1, payload), 0);
      expect([session.authed, writer.ended]).toEqual([false, true]);
      await peer.waitClosed();
      expect(errorsOf(peer)).toEqual([{ id: 1, code: ErrorCode.UNAUTHORIZED, message: 'HELLO token missing or wrong' }]);
    });
  }

  it('HELLO with the token: the WELCOME payload as its reply; the client name is taken', async () => {
    const { session, peer } = await setup({ token: 's3cret' });
    session.authenticate(frame(MessageType.HELLO, 1, encodeHello({ token: 's3cret', client: 'alice' })), 0);
    expect([session.authed, session.name]).toEqual([true, 'alice']);
    const reply = await peer.next();
    expect([reply.type, reply.id, reply.payload.equals(WELCOME)]).toEqual([MessageType.HELLO, 1, true]);
  });
});

describe('Session: requests', () => {
  it('is authed without a token; named ip:port until a HELLO names it', async () => {
    const { session, peer } = await setup();
    expect([session.authed, session.name]).toEqual([true, '127.0.0.1:1234']);
    session.handle(MessageType.HELLO, 2, encodeHello({ client: 'bob' }), 0);
    expect(session.name).toBe('bob');
    expect((await peer.next()).payload.equals(WELCOME)).toBe(true);
  });

  it('JOIN, SAY, LEAVE: rooms, CHAT pushes, NOT_IN_ROOM; leaveAll() leaves every room', async () => {
    const { session, peer, ctx, says } = await setup();
    session.handle(MessageType.JOIN, 1, encodeRoom('r'), 0);
    session.handle(MessageType.JOIN, 2, encodeRoom('q'), 0);
    session.handle(MessageType.SAY, 3, encodeSay('r', 'hi'), 0);
    expect(says).toEqual([['r', '127.0.0.1:1234', 'hi', session]]); // the sender gets no CHAT of its own
    session.handle(MessageType.SAY, 4, encodeSay('elsewhere', 'hi'), 0);
    session.handle(MessageType.LEAVE, 5, encodeRoom('elsewhere'), 0);
    session.handle(MessageType.LEAVE, 6, encodeRoom('q'), 0);
    expect(ctx.rooms.deliver('r', encodeChat({ room: 'r', from: 'other', text: 'yo' }), null)).toBe(1);
    expect(ctx.rooms.deliver('q', encodeChat({ room: 'q', from: 'other', text: 'yo' }), null)).toBe(0);
    await peer.until(() => peer.frames.length === 7);
    expect(peer.frames.map((f) => [f.type, f.id])).toEqual([
      [MessageType.JOIN, 1],
      [MessageType.JOIN, 2],
      [MessageType.SAY, 3],
      [MessageType.ERROR, 4],
      [MessageType.ERROR, 5],
      [MessageType.LEAVE, 6],
      [MessageType.CHAT, 0],
    ]);
    expect(errorsOf(peer).map((e) => e.message)).toEqual(['not in room "elsewhere"', 'not in room "elsewhere"']);
    expect(decodeChat(peer.frames[6]!.payload)).toEqual({ room: 'r', from: 'other', text: 'yo' });
    session.leaveAll();
    expect(ctx.rooms.deliver('r', encodeChat({ room: 'r', from: 'other', text: 'yo' }), null)).toBe(0);
  });

  it('STATS is answered from ctx.stats(query); a bad query, BYE with a payload and unknown types get errors; bad payloads throw', async () => {
    const { session, peer, queries } = await setup();
    session.handle(MessageType.STATS, 1, Buffer.alloc(0), 0);
    expect(session.pending).toBe(1);
    session.handle(MessageType.STATS, 6, Buffer.from('{"histograms":true,"peers":["127.0.0.1:9"]}'), 0);
    expect(() => session.handle(MessageType.STATS, 2, Buffer.from('x'), 0)).toThrow(new BadPayloadError('STATS query is not valid JSON', 2));
    session.handle(MessageType.BYE, 3, Buffer.from('x'), 0);
    session.handle(0x7f, 4, Buffer.alloc(0), 0);
    expect(() => session.handle(MessageType.JOIN, 5, Buffer.alloc(0), 0)).toThrow(BadPayloadError);
    expect(session.serving).toBe(true);
    await peer.until(() => peer.frames.length === 4);
    expect(errorsOf(peer)).toEqual([
      { id: 3, code: ErrorCode.BAD_PAYLOAD, message: 'BYE payload must be empty, got 1 bytes' },
      { id: 4, code: ErrorCode.UNKNOWN_TYPE, message: 'type 0x7f is not a request' },
    ]);
    expect(queries).toEqual([{}, { histograms: true, peers: ['127.0.0.1:9'] }]);
    const stats = peer.frames.filter((f) => f.type === MessageType.STATS);
    expect(stats.map((f) => [f.id, decodeStats(f.payload).processes])).toEqual([[1, 1], [6, 1]]);
  });

  it('answer(): a payload now, BUSY for a full pool, BUSY for failed work', async () => {
    const { session, peer } = await setup();
    session.answer(MessageType.ECHO, 1, Buffer.from('now'), 0, 3);
    session.answer(MessageType.ECHO, 2, null, 0, 3);
    session.answer(MessageType.COMPUTE, 3, Promise.reject(new Error('thread died')), 0, 40);
    await peer.until(() => peer.frames.length === 3);
    expect(peer.frames[0]!.payload.toString()).toBe('now');
    expect(errorsOf(peer)).toEqual([
      { id: 2, code: ErrorCode.BUSY, message: 'thread pool queue is full' },
      { id: 3, code: ErrorCode.BUSY, message: 'request failed on the server' },
    ]);
    expect(session.pending).toBe(0);
  });
  it('answer(QUEUED) owes the reply and holds its cost until the pool calls poolReply/poolFailed (the PoolSink)', async () => {
    const { session, writer, peer } = await setup();
    session.answer(MessageType.ECHO, 1, QUEUED, 0, 30);
    session.answer(MessageType.PING, 2, QUEUED, 0, 0);
    session.answer(MessageType.COMPUTE, 3, QUEUED, 0, 40);
    expect([session.pending, writer.pendingWorkBytes, peer.frames.length]).toEqual([3, 70, 0]);
    // One batch's replies, out of order, in one tick: then a failed COMPUTE.
    session.poolReply(MessageType.PING, 2, EMPTY_PAYLOAD, 0, 0);
    session.poolReply(MessageType.ECHO, 1, Buffer.from('one'), 0, 30);
    expect([session.pending, writer.pendingWorkBytes]).toEqual([1, 40]);
    session.poolFailed(MessageType.COMPUTE, 3, new Error('thread died'), 40);
    await peer.until(() => peer.frames.length === 3);
    expect(peer.frames.map((f) => [f.type, f.id, f.payload.toString()])).toEqual([
      [MessageType.PING, 2, ''],
      [MessageType.ECHO, 1, 'one'],
      [MessageType.ERROR, 3, peer.frames[2]!.payload.toString()],
    ]);
    expect(errorsOf(peer)).toEqual([{ id: 3, code: ErrorCode.BUSY, message: 'request failed on the server' }]);
    expect([session.pending, writer.pendingWorkBytes]).toEqual([0, 0]);
  });
});

describe('Session: BYE and drain', () => {
  it('BYE: earlier pool work answered first, the BYE reply last, then FIN; not serving from the BYE on', async () => {
    const { session, writer, peer } = await setup();
    const work = deferred<Uint8Array>();
    session.answer(MessageType.ECHO, 1, work.promise, 0, 10);
    expect(writer.pendingWorkBytes).toBe(10);
    session.handle(MessageType.BYE, 2, Buffer.alloc(0), 0);
    expect([session.serving, writer.ended]).toEqual([false, false]);
    work.resolve(Buffer.from('late'));
    await peer.waitClosed();
    expect(peer.frames.map((f) => [f.type, f.id])).toEqual([
      [MessageType.ECHO, 1],
      [MessageType.BYE, 2],
    ]);
    expect(writer.pendingWorkBytes).toBe(0);
  });

  it('onSettled: called when the last owed reply is written and no BYE waits; not while work is owed', async () => {
    const settled: number[] = [];
    const { session, writer, peer, ctx } = await setup();
    const s2 = new Session(ctx, writer, 'x', () => settled.push(session.pending));
    const a = deferred<Uint8Array>();
    const b = deferred<Uint8Array>();
    s2.answer(MessageType.ECHO, 1, a.promise, 0, 4);
    s2.answer(MessageType.ECHO, 2, b.promise, 0, 4);
    a.resolve(Buffer.from('one'));
    await peer.until(() => peer.frames.length === 1);
    expect(settled).toEqual([]);
    b.resolve(Buffer.from('two'));
    await peer.until(() => peer.frames.length === 2);
    expect(settled).toEqual([0]);
    expect(writer.ended).toBe(false);
  });

  it('a fatal error after pool work: the owed replies first, then the ERROR, then FIN; later frames not served', async () => {
    const { session, writer, peer } = await setup();
    const a = deferred<Uint8Array>();
    const b = deferred<Uint8Array>();
    session.answer(MessageType.ECHO, 1, a.promise, 0, 4);
    session.answer(MessageType.ECHO, 2, b.promise, 0, 4);
    session.fatal(ErrorCode.BAD_FRAME, 3, 'reserved flag bits set');
    expect([session.serving, writer.ended]).toEqual([false, false]);
    b.resolve(Buffer.from('two'));
    a.resolve(Buffer.from('one'));
    await peer.waitClosed();
    expect(peer.frames.map((f) => [f.type, f.id])).toEqual([
      [MessageType.ECHO, 2],
      [MessageType.ECHO, 1],
      [MessageType.ERROR, 3],
    ]);
    expect(decodeError(peer.frames[2]!.payload).code).toBe(ErrorCode.BAD_FRAME);
  });

  it('a fatal error waits at most drainTimeoutMs for owed replies: then the ERROR and FIN, later replies dropped', async () => {
    const { session, peer } = await setup({ drainTimeoutMs: 50 });
    const stuck = deferred<Uint8Array>();
    session.answer(MessageType.ECHO, 1, stuck.promise, 0, 4);
    session.fatal(ErrorCode.FRAME_TOO_LARGE, 2, 'too large');
    await peer.waitClosed();
    stuck.resolve(Buffer.from('late'));
    await new Promise((r) => setImmediate(r));
    expect(peer.frames.map((f) => [f.type, f.id, decodeError(f.payload).code])).toEqual([[MessageType.ERROR, 2, ErrorCode.FRAME_TOO_LARGE]]);
  });

  it('a room member whose queued writes pass WRITE_HIGH_WATER_MARK + maxPayload + SLOW_CONSUMER_MARGIN is closed', async () => {
    const maxPayload = 64 * 1024;
    const { session, writer, socket, ctx } = await setup({ maxPayload });
    const chat = Buffer.alloc(16 * 1024);
    const limit = WRITE_HIGH_WATER_MARK + maxPayload + SLOW_CONSUMER_MARGIN;
    // All pushed in one tick, so all still in the batch: k pushes queue k × (header + 16 KiB).
    const accepted = Math.floor(limit / (HEADER_SIZE + chat.length)) + 1;
    for (let i = 0; i < accepted + 10; i++) session.pushChat(chat);
    expect(ctx.counters.framesOut).toBe(accepted);
    expect(ctx.counters.slowConsumersClosed).toBe(1);
    expect([writer.ended, socket.destroyed]).toEqual([true, true]);
  });
});
