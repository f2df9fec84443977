import { createHash, randomBytes } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  ErrorCode,
  Flags,
  HEADER_SIZE,
  MessageType,
  decodeChat,
  decodeStats,
  decodeWelcome,
  encodeCompute,
  encodeFrame,
  encodeHello,
  encodeRoom,
  encodeSay,
} from '@sockbench/protocol';
import { createServer, type Server, type ServerStatsSnapshot } from '../src/index.js';
import { Peer, errorOf, waitFor } from './helpers.js';

function sha256n(data: Buffer, n: number): Buffer {
  let h = createHash('sha256').update(data).digest();
  for (let i = 1; i < n; i++) h = createHash('sha256').update(h).digest();
  return h;
}

/** A header with chosen fields (for bad-header cases encodeFrame refuses to build). */
function rawHeader(fields: { length?: number; version?: number; type?: number; flags?: number; id?: number }): Buffer {
  const b = Buffer.alloc(HEADER_SIZE);
  b.writeUInt32BE(fields.length ?? 0, 0);
  b[4] = fields.version ?? 1;
  b[5] = fields.type ?? MessageType.PING;
  b.writeUInt16BE(fields.flags ?? 0, 6);
  b.writeUInt32BE(fields.id ?? 1, 8);
  return b;
}

const peers: Peer[] = [];
async function open(port: number): Promise<Peer> {
  const p = await Peer.welcomed(port);
  peers.push(p);
  return p;
}
afterEach(() => {
  for (const p of peers.splice(0)) p.destroy();
});

describe('TCP, default server', () => {
  let server: Server;
  let port: number;
  beforeAll(async () => {
    server = createServer({ host: '127.0.0.1', port: 0, threads: 1, maxIterations: 1000 });
    port = (await server.listen()).tcp.port;
  });
  afterAll(async () => {
    await server.close();
  });

  it('pushes WELCOME with id 0 on accept', async () => {
    const p = await Peer.open(port);
    peers.push(p);
    const f = await p.next();
    expect(f).toMatchObject({ type: MessageType.WELCOME, id: 0, flags: 0 });
    expect(decodeWelcome(f.payload)).toEqual({
      message: 'welcome to sockbench',
      server: 'sockbench/0.1.0',
      worker: 0,
      maxPayload: 1024 * 1024,
      auth: false,
    });
  });

  it('answers HELLO with a WELCOME payload, PING with an empty reply', async () => {
    const p = await open(port);
    const hello = await p.request(MessageType.HELLO, 7, encodeHello({ client: 'ana' }));
    expect(hello).toMatchObject({ type: MessageType.HELLO, flags: Flags.RESPONSE, id: 7 });
    expect(decodeWelcome(hello.payload).auth).toBe(false);
    const ping = await p.request(MessageType.PING, 8);
    expect(ping).toMatchObject({ type: MessageType.PING, flags: Flags.RESPONSE, id: 8 });
    expect(ping.payload.length).toBe(0);
  });

  it('echoes small and large payloads byte for byte', async () => {
    const p = await open(port);
    for (const [id, size] of [[1, 0], [2, 1], [3, 100], [4, 64 * 1024], [5, 1024 * 1024]] as const) {
      const data = randomBytes(size);
      const r = await p.request(MessageType.ECHO, id, data);
      expect(r.type).toBe(MessageType.ECHO);
      expect(r.flags).toBe(Flags.RESPONSE);
      expect(r.payload.equals(data)).toBe(true);
    }
  });

  it('computes iterated SHA-256 digests equal to node:crypto', async () => {
    const p = await open(port);
    const cases: [number, Buffer][] = [[1, Buffer.alloc(0)], [1, Buffer.from('abc')], [2, Buffer.from('abc')], [1000, randomBytes(100)]];
    let id = 1;
    for (const [n, data] of cases) {
      const r = await p.request(MessageType.COMPUTE, id++, encodeCompute(n, data));
      expect(r.type).toBe(MessageType.COMPUTE);
      expect(r.payload.equals(sha256n(data, n))).toBe(true);
    }
  });

  it('relays SAY to the other members of the room as CHAT, not to the sender', async () => {
    const a = await open(port);
    const b = await open(port);
    const c = await open(port);
    await a.request(MessageType.HELLO, 1, encodeHello({ client: 'ana' }));
    for (const p of [a, b]) {
      expect((await p.request(MessageType.JOIN, 2, encodeRoom('lobby'))).type).toBe(MessageType.JOIN);
      // JOIN is idempotent.
      expect((await p.request(MessageType.JOIN, 3, encodeRoom('lobby'))).type).toBe(MessageType.JOIN);
    }
    const said = await a.request(MessageType.SAY, 4, encodeSay('lobby', 'hola'));
    expect(said).toMatchObject({ type: MessageType.SAY, flags: Flags.RESPONSE, id: 4 });
    await b.until(() => b.frames.some((f) => f.type === MessageType.CHAT));
    const chat = b.frames.find((f) => f.type === MessageType.CHAT)!;
    expect(chat.id).toBe(0);
    expect(decodeChat(chat.payload)).toEqual({ room: 'lobby', from: 'ana', text: 'hola' });
    // b has no HELLO name: its messages come from ip:port.
    await b.request(MessageType.SAY, 5, encodeSay('lobby', 'hi'));
    await a.until(() => a.frames.some((f) => f.type === MessageType.CHAT));
    const back = decodeChat(a.frames.find((f) => f.type === MessageType.CHAT)!.payload);
    expect(back.from).toBe(`127.0.0.1:${b.socket.localPort}`);
    // After LEAVE, a gets nothing; a PING round trip on each connection orders the check.
    expect((await a.request(MessageType.LEAVE, 6, encodeRoom('lobby'))).type).toBe(MessageType.LEAVE);
    a.frames.length = 0;
    await b.request(MessageType.SAY, 7, encodeSay('lobby', 'anyone?'));
    await a.request(MessageType.PING, 8);
    expect(a.frames.filter((f) => f.type === MessageType.CHAT)).toEqual([]);
    expect(c.frames.filter((f) => f.type === MessageType.CHAT)).toEqual([]);
  });

  it('answers STATS with the schema and live counts', async () => {
    const p = await open(port);
    await p.request(MessageType.PING, 1);
    const r = await p.request(MessageType.STATS, 2);
    expect(r).toMatchObject({ type: MessageType.STATS, flags: Flags.RESPONSE, id: 2 });
    const s = decodeStats(r.payload);
    expect(s.processes).toBe(1);
    expect(s.connections.current).toBeGreaterThanOrEqual(1);
    expect(s.frames.in).toBeGreaterThanOrEqual(2);
    expect(s.pool.threads).toBe(1);
    expect(s.serviceTimeUs.PING!.count).toBeGreaterThanOrEqual(1);
    expect(s.serviceTimeUs.PING!.p50).toBeGreaterThan(0);
    expect(s.serviceTimeUs.PING!.max).toBeGreaterThanOrEqual(s.serviceTimeUs.PING!.p99);
  });

  it('BYE: earlier requests answered first, BYE reply last, then FIN; later frames ignored', async () => {
    const p = await open(port);
    p.socket.write(Buffer.concat([
      encodeFrame(MessageType.COMPUTE, 1, encodeCompute(1000, Buffer.from('x'))),
      encodeFrame(MessageType.PING, 2),
      encodeFrame(MessageType.BYE, 3),
      encodeFrame(MessageType.PING, 4),
    ]));
    await p.waitClosed();
    expect(p.frames.map((f) => [f.type, f.id])).toEqual([
      [MessageType.PING, 2],
      [MessageType.COMPUTE, 1],
      [MessageType.BYE, 3],
    ]);
    expect(p.frames[2]!.flags).toBe(Flags.RESPONSE);
  });

  it('decodes a stream written one byte at a time', async () => {
    const p = await open(port);
    p.socket.setNoDelay(true);
    const echo = Buffer.from('split me');
    const stream = Buffer.concat([
      encodeFrame(MessageType.PING, 1),
      encodeFrame(MessageType.ECHO, 2, echo),
      encodeFrame(MessageType.COMPUTE, 3, encodeCompute(3, Buffer.from('abc'))),
      encodeFrame(MessageType.HELLO, 4, encodeHello({ client: 'slow' })),
    ]);
    for (const byte of stream) {
      p.socket.write(Buffer.of(byte));
      await new Promise((r) => setImmediate(r));
    }
    await p.until(() => p.frames.length === 4);
    const byId = new Map(p.frames.map((f) => [f.id, f]));
    expect(byId.get(1)!.type).toBe(MessageType.PING);
    expect(byId.get(2)!.payload.equals(echo)).toBe(true);
    expect(byId.get(3)!.payload.equals(sha256n(Buffer.from('abc'), 3))).toBe(true);
    expect(byId.get(4)!.type).toBe(MessageType.HELLO);
  });

  it('answers 1000 pipelined requests, each matched by id', async () => {
    const p = await open(port);
    const frames: Buffer[] = [];
    const expected = new Map<number, Buffer>();
    for (let id = 1; id <= 1000; id++) {
      if (id % 100 === 0) {
        const data = Buffer.from(`c${id}`);
        frames.push(encodeFrame(MessageType.COMPUTE, id, encodeCompute(10, data)));
        expected.set(id, sha256n(data, 10));
      } else {
        const data = Buffer.from(`payload ${id}`);
        frames.push(encodeFrame(MessageType.ECHO, id, data));
        expected.set(id, data);
      }
    }
    p.socket.write(Buffer.concat(frames));
    await p.until(() => p.frames.length === 1000, 10_000, '1000 replies');
    for (const f of p.frames) {
      expect(f.flags).toBe(Flags.RESPONSE);
      expect(f.payload.equals(expected.get(f.id)!)).toBe(true);
      expected.delete(f.id);
    }
    expect(expected.size).toBe(0);
  });

  it('a pipelined burst: replies in request order, each counted once in service time', async () => {
    const p = await open(port);
    const before = decodeStats((await p.request(MessageType.STATS, 1)).payload).serviceTimeUs.ECHO?.count ?? 0;
    p.frames.length = 0;
    const burst = Buffer.concat(Array.from({ length: 16 }, (_, i) => encodeFrame(MessageType.ECHO, 100 + i, Buffer.from(`e${i}`))));
    p.socket.write(burst);
    await p.until(() => p.frames.length === 16, 5_000, '16 replies');
    expect(p.frames.map((f) => f.id)).toEqual(Array.from({ length: 16 }, (_, i) => 100 + i));
    expect(p.frames.map((f) => f.payload.toString())).toEqual(Array.from({ length: 16 }, (_, i) => `e${i}`));
    const after = decodeStats((await p.request(MessageType.STATS, 2)).payload).serviceTimeUs.ECHO!.count;
    expect(after - before).toBe(16);
  });

  it('random garbage on one connection does not touch another', async () => {
    const good = await open(port);
    for (let round = 0; round < 20; round++) {
      const bad = await open(port);
      // A 12-byte header of random bytes: version is 1 in 1/256 of cases only, so almost always BAD_FRAME.
      bad.socket.write(randomBytes(64 + round * 97));
      const id = round + 1;
      const r = await good.request(MessageType.ECHO, id, Buffer.from(`still here ${round}`));
      expect(r.payload.toString()).toBe(`still here ${round}`);
      await bad.waitClosed();
      const err = bad.frames.find((f) => f.type === MessageType.ERROR);
      if (err !== undefined) expect([ErrorCode.BAD_FRAME, ErrorCode.FRAME_TOO_LARGE, ErrorCode.UNKNOWN_TYPE]).toContain(errorOf(err).code);
    }
  });
});

describe('TCP error replies (one per code in PROTOCOL.md)', () => {
  let server: Server;
  let port: number;
  beforeAll(async () => {
    server = createServer({ port: 0, threads: 1, maxIterations: 1000, maxPayload: 8192 });
    port = (await server.listen()).tcp.port;
  });
  afterAll(async () => {
    await server.close();
  });

  const fatal: [string, Buffer, number, number, number][] = [
    // name, bytes, code, reply id, reply flags
    ['unknown version', rawHeader({ version: 2, id: 5 }), ErrorCode.BAD_FRAME, 5, Flags.RESPONSE],
    ['reserved flag bits', rawHeader({ flags: 0x0002, id: 6 }), ErrorCode.BAD_FRAME, 6, Flags.RESPONSE],
    ['RESPONSE flag on a request', rawHeader({ flags: Flags.RESPONSE, id: 7 }), ErrorCode.BAD_FRAME, 7, Flags.RESPONSE],
    ['id 0 on a request', rawHeader({ id: 0 }), ErrorCode.BAD_FRAME, 0, Flags.NONE],
    ['length over maxPayload', rawHeader({ type: MessageType.ECHO, length: 8193, id: 8 }), ErrorCode.FRAME_TOO_LARGE, 8, Flags.RESPONSE],
    ['length of 4 GiB', rawHeader({ type: MessageType.ECHO, length: 0xffffffff, id: 9 }), ErrorCode.FRAME_TOO_LARGE, 9, Flags.RESPONSE],
  ];
  for (const [name, bytes, code, id, flags] of fatal) {
    it(`${name}: ERROR ${ErrorCode[code]} then close`, async () => {
      const p = await open(port);
      p.socket.write(bytes);
      await p.waitClosed();
      expect(p.frames).toHaveLength(1);
      expect(p.frames[0]).toMatchObject({ type: MessageType.ERROR, id, flags });
      expect(errorOf(p.frames[0]!).code).toBe(code);
    });
  }

  it('a bad header after good frames: the good ones are answered first', async () => {
    const p = await open(port);
    p.socket.write(Buffer.concat([encodeFrame(MessageType.PING, 1), rawHeader({ version: 9, id: 2 })]));
    await p.waitClosed();
    expect(p.frames.map((f) => [f.type, f.id])).toEqual([[MessageType.PING, 1], [MessageType.ERROR, 2]]);
  });

  const afterPool: [string, Buffer, number][] = [
    ['reserved flag bits', rawHeader({ flags: 0x0002, id: 9 }), ErrorCode.BAD_FRAME],
    ['length over maxPayload', rawHeader({ type: MessageType.ECHO, length: 8193, id: 9 }), ErrorCode.FRAME_TOO_LARGE],
  ];
  for (const [name, bad, code] of afterPool) {
    it(`${name} after pipelined COMPUTE and STATS: every earlier reply, then ERROR ${ErrorCode[code]}, then FIN; later frames not served`, async () => {
      const p = await open(port);
      const computes = [2, 3, 4, 5, 6, 8];
      p.socket.write(Buffer.concat([
        encodeFrame(MessageType.PING, 1),
        ...computes.slice(0, 5).map((id) => encodeFrame(MessageType.COMPUTE, id, encodeCompute(1000, Buffer.from(`job ${id}`)))),
        encodeFrame(MessageType.STATS, 7),
        encodeFrame(MessageType.COMPUTE, 8, encodeCompute(1000, Buffer.from('job 8'))),
        bad,
        encodeFrame(MessageType.PING, 10),
      ]));
      await p.waitClosed(10_000);
      const last = p.frames.at(-1)!;
      expect(p.frames.slice(0, -1).map((f) => f.id).sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
      for (const f of p.frames.filter((x) => computes.includes(x.id))) {
        expect(f.type).toBe(MessageType.COMPUTE);
        expect(f.payload.equals(sha256n(Buffer.from(`job ${f.id}`), 1000))).toBe(true);
      }
      expect(p.frames.find((f) => f.id === 7)!.type).toBe(MessageType.STATS);
      expect(last).toMatchObject({ type: MessageType.ERROR, id: 9, flags: Flags.RESPONSE });
      expect(errorOf(last).code).toBe(code);
    });
  }

  const nonFatal: [string, number, Buffer, number][] = [
    ['type 0x55', 0x55, Buffer.alloc(0), ErrorCode.UNKNOWN_TYPE],
    ['WELCOME from a client', MessageType.WELCOME, Buffer.alloc(0), ErrorCode.UNKNOWN_TYPE],
    ['CHAT from a client', MessageType.CHAT, Buffer.alloc(0), ErrorCode.UNKNOWN_TYPE],
    ['ERROR from a client', MessageType.ERROR, Buffer.from([0, 1]), ErrorCode.UNKNOWN_TYPE],
    ['HELLO with bad JSON', MessageType.HELLO, Buffer.from('{nope'), ErrorCode.BAD_PAYLOAD],
    ['HELLO with a number as client', MessageType.HELLO, Buffer.from('{"client":3}'), ErrorCode.BAD_PAYLOAD],
    ['PING with a payload', MessageType.PING, Buffer.from('x'), ErrorCode.BAD_PAYLOAD],
    ['STATS with a payload', MessageType.STATS, Buffer.from('x'), ErrorCode.BAD_PAYLOAD],
    ['COMPUTE shorter than 4 bytes', MessageType.COMPUTE, Buffer.from([0, 1]), ErrorCode.BAD_PAYLOAD],
    ['COMPUTE with 0 iterations', MessageType.COMPUTE, encodeCompute(0, Buffer.from('a')), ErrorCode.BAD_PAYLOAD],
    ['COMPUTE over the iteration cap', MessageType.COMPUTE, encodeCompute(1001, Buffer.from('a')), ErrorCode.BAD_PAYLOAD],
    ['JOIN with an empty room', MessageType.JOIN, Buffer.alloc(0), ErrorCode.BAD_PAYLOAD],
    ['JOIN with a 65-byte room', MessageType.JOIN, Buffer.alloc(65, 0x61), ErrorCode.BAD_PAYLOAD],
    ['JOIN with a control character', MessageType.JOIN, Buffer.from('a\nb'), ErrorCode.BAD_PAYLOAD],
    ['JOIN with invalid UTF-8', MessageType.JOIN, Buffer.from([0xff, 0xfe]), ErrorCode.BAD_PAYLOAD],
    ['SAY with a room length past the payload', MessageType.SAY, Buffer.from([10, 0x61]), ErrorCode.BAD_PAYLOAD],
    ['SAY with text over 4096 bytes', MessageType.SAY, Buffer.concat([Buffer.from([1, 0x61]), Buffer.alloc(4097, 0x62)]), ErrorCode.BAD_PAYLOAD],
    ['BYE with a payload', MessageType.BYE, Buffer.from('x'), ErrorCode.BAD_PAYLOAD],
    ['LEAVE a room not joined', MessageType.LEAVE, encodeRoom('nowhere'), ErrorCode.NOT_IN_ROOM],
    ['SAY in a room not joined', MessageType.SAY, encodeSay('nowhere', 'hi'), ErrorCode.NOT_IN_ROOM],
  ];
  for (const [name, type, payload, code] of nonFatal) {
    it(`${name}: ERROR ${ErrorCode[code]}, connection stays open`, async () => {
      const p = await open(port);
      const r = await p.request(type, 41, payload);
      expect(r).toMatchObject({ type: MessageType.ERROR, id: 41, flags: Flags.RESPONSE });
      expect(errorOf(r).code).toBe(code);
      // Still served afterwards.
      expect((await p.request(MessageType.PING, 42)).type).toBe(MessageType.PING);
      expect(p.ended).toBe(false);
    });
  }

  it('counts every ERROR sent in STATS by code name', async () => {
    const p = await open(port);
    const s = decodeStats((await p.request(MessageType.STATS, 1)).payload);
    expect(s.errors.BAD_FRAME).toBeGreaterThanOrEqual(4);
    expect(s.errors.FRAME_TOO_LARGE).toBeGreaterThanOrEqual(2);
    expect(s.errors.UNKNOWN_TYPE).toBeGreaterThanOrEqual(4);
    expect(s.errors.NOT_IN_ROOM).toBeGreaterThanOrEqual(2);
  });
});

describe('TCP auth (--token)', () => {
  let server: Server;
  let port: number;
  beforeAll(async () => {
    server = createServer({ port: 0, threads: 1, token: 's3cret' });
    port = (await server.listen()).tcp.port;
  });
  afterAll(async () => {
    await server.close();
  });

  it('WELCOME says auth: true', async () => {
    const p = await Peer.open(port);
    peers.push(p);
    expect(decodeWelcome((await p.next()).payload).auth).toBe(true);
  });

  it('a first request other than HELLO: UNAUTHORIZED then close', async () => {
    const p = await open(port);
    p.send(MessageType.PING, 3);
    await p.waitClosed();
    expect(p.frames).toHaveLength(1);
    expect(p.frames[0]).toMatchObject({ type: MessageType.ERROR, id: 3, flags: Flags.RESPONSE });
    expect(errorOf(p.frames[0]!).code).toBe(ErrorCode.UNAUTHORIZED);
  });

  for (const [name, payload] of [
    ['a wrong token', encodeHello({ token: 'nope' })],
    ['no token', encodeHello({ client: 'x' })],
    ['bad JSON', Buffer.from('{')],
  ] as const) {
    it(`HELLO with ${name}: UNAUTHORIZED then close`, async () => {
      const p = await open(port);
      p.send(MessageType.HELLO, 4, payload);
      await p.waitClosed();
      expect(p.frames).toHaveLength(1);
      expect(p.frames[0]).toMatchObject({ type: MessageType.ERROR, id: 4 });
      expect(errorOf(p.frames[0]!).code).toBe(ErrorCode.UNAUTHORIZED);
    });
  }

  it('HELLO with the token: WELCOME reply, then served', async () => {
    const p = await open(port);
    const r = await p.request(MessageType.HELLO, 1, encodeHello({ token: 's3cret', client: 'me' }));
    expect(r).toMatchObject({ type: MessageType.HELLO, id: 1, flags: Flags.RESPONSE });
    expect(decodeWelcome(r.payload).auth).toBe(true);
    expect((await p.request(MessageType.PING, 2)).type).toBe(MessageType.PING);
  });
});

describe('TCP limits', () => {
  const servers: Server[] = [];
  async function start(opts: Parameters<typeof createServer>[0]): Promise<number> {
    const s = createServer({ port: 0, threads: 1, ...opts });
    servers.push(s);
    return (await s.listen()).tcp.port;
  }
  afterEach(async () => {
    // Peers first: a server's close() waits (up to its linger) for peers that never read.
    for (const p of peers.splice(0)) p.destroy();
    await Promise.all(servers.splice(0).map((s) => s.close()));
  });

  it('a pool reply over 16 KiB (written apart from the batch) is counted in service time at once', async () => {
    const port = await start({ dispatch: 'pool' });
    const p = await open(port);
    // STATS from another connection, so nothing more happens on p after its reply.
    const watcher = await open(port);
    const big = await p.request(MessageType.ECHO, 1, Buffer.alloc(64 * 1024, 0x62));
    expect(big.payload.length).toBe(64 * 1024);
    const s = decodeStats((await watcher.request(MessageType.STATS, 1)).payload);
    expect(s.serviceTimeUs.ECHO?.count).toBe(1);
  });

  it('BUSY (not fatal) when the pool queue is full', async () => {
    const port = await start({ poolQueue: 0, maxIterations: 5_000_000 });
    const p = await open(port);
    // One write: all three are decoded in one go while the first occupies the only thread.
    p.socket.write(Buffer.concat([1, 2, 3].map((id) => encodeFrame(MessageType.COMPUTE, id, encodeCompute(id === 1 ? 200_000 : 1, Buffer.from('z'))))));
    const r2 = await p.reply(2);
    const r3 = await p.reply(3);
    for (const r of [r2, r3]) {
      expect(r).toMatchObject({ type: MessageType.ERROR, flags: Flags.RESPONSE });
      expect(errorOf(r).code).toBe(ErrorCode.BUSY);
    }
    const r1 = await p.reply(1, 20_000);
    expect(r1.payload.equals(sha256n(Buffer.from('z'), 200_000))).toBe(true);
    expect((await p.request(MessageType.COMPUTE, 4, encodeCompute(1, Buffer.from('z')))).type).toBe(MessageType.COMPUTE);
  });

  it('connection limit: BUSY with id 0 instead of WELCOME, then close; others unaffected', async () => {
    const port = await start({ maxConnections: 2 });
    const a = await open(port);
    await open(port);
    const c = await Peer.open(port);
    peers.push(c);
    await c.waitClosed();
    expect(c.frames).toHaveLength(1);
    expect(c.frames[0]).toMatchObject({ type: MessageType.ERROR, id: 0, flags: Flags.NONE });
    expect(errorOf(c.frames[0]!).code).toBe(ErrorCode.BUSY);
    expect((await a.request(MessageType.PING, 1)).type).toBe(MessageType.PING);
  });

  it('idle timeout closes a connection that completes no frame, keeps a busy one', async () => {
    const port = await start({ idleTimeoutMs: 300 });
    const silent = await open(port);
    const trickle = await open(port);
    const busy = await open(port);
    const t0 = Date.now();
    // A partial header every 50 ms is traffic but never a complete frame: still idle.
    const trickleTimer = setInterval(() => trickle.socket.write(Buffer.of(0)), 50);
    try {
      for (let id = 1; id <= 10; id++) {
        expect((await busy.request(MessageType.PING, id)).type).toBe(MessageType.PING);
        await new Promise((r) => setTimeout(r, 50));
      }
      await silent.waitClosed();
      await trickle.waitClosed();
    } finally {
      clearInterval(trickleTimer);
    }
    expect(Date.now() - t0).toBeGreaterThanOrEqual(300);
    expect(silent.frames).toEqual([]);
    expect(busy.ended).toBe(false);
  });

  it.each(['inline', 'pool'] as const)('a client that never reads (--dispatch %s): the server stops reading it, memory stays bounded, others served', async (dispatch) => {
    const port = await start({ dispatch });
    const hog = await open(port);
    const other = await open(port);
    const payload = Buffer.alloc(64 * 1024, 0x61);
    hog.socket.pause(); // never read again
    for (let i = 1; i <= 1024; i++) hog.socket.write(encodeFrame(MessageType.ECHO, i, payload)); // 64 MiB of requests
    type Stats = ServerStatsSnapshot;
    let id = 1;
    const stats = async (): Promise<Stats> => decodeStats((await other.request(MessageType.STATS, id++)).payload) as Stats;
    await waitFor(async () => (await stats()).backpressure.paused === 1, 10_000, 'the hog to be paused');
    // Kernel buffers absorb some megabytes; the rest must wait in the client, not in the server.
    await waitFor(() => hog.socket.writableLength > 16 * 1024 * 1024, 10_000, 'the client to be blocked');
    const s = await stats();
    expect(s.backpressure.pendingWriteBytes + s.backpressure.pendingWorkBytes).toBeLessThan(4 * 1024 * 1024);
    expect(s.bytes.in).toBeLessThan(48 * 1024 * 1024);
    const r = await other.request(MessageType.ECHO, id++, Buffer.from('fine'));
    expect(r.payload.toString()).toBe('fine');
  });

  it('a room member that never reads is closed as a slow consumer; the room goes on', async () => {
    const port = await start({ maxPayload: 64 * 1024 });
    const slow = await open(port);
    const talker = await open(port);
    const listener = await open(port);
    for (const p of [slow, talker, listener]) await p.request(MessageType.JOIN, 1, encodeRoom('busy'));
    slow.socket.pause();
    const text = 'x'.repeat(4096);
    let id = 10;
    // At most 64 MiB of CHAT toward the slow member, in rounds of 100 SAYs.
    for (let round = 0; round < 160 && !slow.ended; round++) {
      const first = id;
      talker.socket.write(Buffer.concat(Array.from({ length: 100 }, () => encodeFrame(MessageType.SAY, id++, encodeSay('busy', text)))));
      await talker.reply(id - 1);
      for (let i = first; i < id - 1; i++) await talker.reply(i);
      listener.frames.length = 0; // the listener reads; drop what it got
      const s = decodeStats((await talker.request(MessageType.STATS, id++)).payload) as ServerStatsSnapshot;
      if (s.backpressure.slowConsumersClosed === 1) break;
    }
    await waitFor(async () => {
      const s = decodeStats((await talker.request(MessageType.STATS, id++)).payload) as ServerStatsSnapshot;
      return s.backpressure.slowConsumersClosed === 1 && s.connections.current === 2;
    }, 10_000, 'the slow consumer to be closed');
    await talker.request(MessageType.SAY, id++, encodeSay('busy', 'still here'));
    await listener.until(() => listener.frames.some((f) => f.type === MessageType.CHAT && decodeChat(f.payload).text === 'still here'));
  });
});

describe('drain (close) with requests in flight', () => {
  it('answers requests decoded before the drain; each later one gets ERROR SHUTTING_DOWN (its id, not fatal); FIN after the last owed reply', async () => {
    // COMPUTE here must progress while other test files keep the cores busy: SCHED_IDLE threads (the default) would get ~0.3 % of a core.
    const server = createServer({ port: 0, threads: 1, maxIterations: 10_000_000, poolPolicy: 'other' });
    try {
      const port = (await server.listen()).tcp.port;
      const p = await open(port);
      const idle = await open(port);
      p.send(MessageType.COMPUTE, 1, encodeCompute(400_000, Buffer.from('d')));
      // The request is in the server once this later PING is answered.
      await p.request(MessageType.PING, 2);
      const closing = server.close();
      const first = await p.request(MessageType.PING, 3);
      // Not fatal: the connection is still read, and a second request gets its own answer.
      const second = await p.request(MessageType.ECHO, 4, Buffer.from('again'));
      await p.waitClosed(20_000);
      await idle.waitClosed();
      await closing;
      for (const [f, id] of [[first, 3], [second, 4]] as const) {
        expect(f).toMatchObject({ type: MessageType.ERROR, id, flags: Flags.RESPONSE });
        expect(errorOf(f)).toEqual({ code: ErrorCode.SHUTTING_DOWN, message: 'server is shutting down' });
      }
      expect(p.frames.map((f) => [f.type, f.id])).toEqual([[MessageType.COMPUTE, 1]]);
      expect(p.frames[0]!.payload.equals(sha256n(Buffer.from('d'), 400_000))).toBe(true);
      expect(idle.frames).toEqual([]);
    } finally {
      await server.close();
    }
  });

  it('a connection owing nothing: requests already sent when the drain begins get SHUTTING_DOWN, a BYE its reply, then FIN', async () => {
    const server = createServer({ port: 0, threads: 1 });
    try {
      const port = (await server.listen()).tcp.port;
      const p = await open(port);
      const closing = server.close();
      // Written at once: in the server's socket before its first quiet check can end the connection.
      p.socket.write(Buffer.concat([encodeFrame(MessageType.PING, 5), encodeFrame(MessageType.STATS, 6), encodeFrame(MessageType.BYE, 7)]));
      await p.waitClosed();
      await closing;
      expect(p.frames.map((f) => [f.type, f.id, f.flags])).toEqual([
        [MessageType.ERROR, 5, Flags.RESPONSE],
        [MessageType.ERROR, 6, Flags.RESPONSE],
        [MessageType.BYE, 7, Flags.RESPONSE],
      ]);
      expect(p.frames.slice(0, 2).map((f) => errorOf(f).code)).toEqual([ErrorCode.SHUTTING_DOWN, ErrorCode.SHUTTING_DOWN]);
      const s = await server.stats();
      expect(s.errors.SHUTTING_DOWN).toBe(2);
    } finally {
      await server.close();
    }
  });

  it('bytes still arriving when nothing is owed: answered (SHUTTING_DOWN) before the FIN, none dropped', async () => {
    const server = createServer({ port: 0, threads: 1 });
    try {
      const port = (await server.listen()).tcp.port;
      const p = await open(port);
      // A frame split across writes: its header is in the server when the drain begins, its
      // payload comes a turn later. The old drain ended the connection with it half read.
      const frame = encodeFrame(MessageType.ECHO, 8, Buffer.alloc(1000, 0x61));
      p.socket.write(frame.subarray(0, 100));
      await waitFor(async () => (await server.stats()).bytes.in >= 100);
      const closing = server.close();
      p.socket.write(frame.subarray(100));
      await p.waitClosed();
      await closing;
      expect(p.frames.map((f) => [f.type, f.id])).toEqual([[MessageType.ERROR, 8]]);
      expect(errorOf(p.frames[0]!).code).toBe(ErrorCode.SHUTTING_DOWN);
    } finally {
      await server.close();
    }
  });
});
