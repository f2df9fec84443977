import { once } from 'node:events';
import { performance } from 'node:perf_hooks';
import { afterEach, describe, expect, it } from 'vitest';
import { BadPayloadError, ErrorCode, Flags, FrameDecoder, MessageType, encodeFrame, type Frame } from '@sockbench/protocol';
import {
  Client,
  ClientError,
  ConnectError,
  ConnectionClosedError,
  ErrorReply,
  TimeoutError,
  UnexpectedFrameError,
  connect,
  type ClientError as ClientErrorType,
} from '../src/index.js';
import { closeAll, closedPort, onCleanup, sha256Rounds, startServer, startTcpPeer } from './helpers.js';

afterEach(closeAll);

async function client(port: number, extra: Parameters<typeof connect>[0] = {}): Promise<Client> {
  const c = await connect({ host: '127.0.0.1', port, ...extra });
  onCleanup(() => c.close());
  return c;
}

/** The rejection of `p`, asserting it is an instance of `cls`. */
async function rejection<T>(p: Promise<unknown>, cls: abstract new (...args: never[]) => T): Promise<T> {
  const err = await p.then(
    () => {
      throw new Error('expected a rejection');
    },
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(cls);
  return err as T;
}

describe('Client over TCP against the real server', () => {
  it('connects once the WELCOME arrived and emits it as an event', async () => {
    const { port } = await startServer();
    const c = await client(port);
    expect(c.transport).toBe('tcp');
    expect(c.welcome).toMatchObject({ server: expect.stringMatching(/^sockbench\//), worker: 0, maxPayload: 1024 * 1024, auth: false });
    const [welcome] = await once(c, 'welcome');
    expect(welcome).toEqual(c.welcome);
  });

  it('ping resolves with the round-trip time, ms: from its send to the receipt of its reply', async () => {
    let received = 0;
    let written = 0;
    const peer = await startTcpPeer((socket) => {
      socket.once('data', (d: Buffer) => {
        received = performance.now();
        // Answered a few ms later, so the reply's receipt lies clearly after the request's send.
        setTimeout(() => {
          written = performance.now();
          socket.write(encodeFrame(MessageType.PING, d.readUInt32BE(8), undefined, Flags.RESPONSE));
        }, 5);
      });
    });
    const c = await client(peer.port);
    const before = performance.now();
    const rtt = await c.ping();
    const after = performance.now();
    // before ≤ send ≤ received and written ≤ receipt ≤ after, all on one clock: an RTT in other units
    // (s, µs), from another clock, or not spanning send to receipt falls outside.
    expect(rtt).toBeGreaterThanOrEqual(written - received);
    expect(rtt).toBeLessThanOrEqual(after - before);
  });

  it('echo returns the same bytes: text, binary with zeros, empty', async () => {
    const { port } = await startServer();
    const c = await client(port);
    expect((await c.echo('hola')).toString()).toBe('hola');
    const binary = Buffer.from([0, 1, 2, 0xff, 0, 0x7f]);
    expect(Buffer.compare(await c.echo(binary), binary)).toBe(0);
    expect((await c.echo(new Uint8Array(0))).length).toBe(0);
    const big = Buffer.alloc(200_000, 0xab);
    expect(Buffer.compare(await c.echo(big), big)).toBe(0);
  });

  it('compute returns SHA-256 applied n times', async () => {
    const { port } = await startServer();
    const c = await client(port);
    const data = Buffer.from('hola');
    expect((await c.compute(1, data)).toString('hex')).toBe((await sha256Rounds(data, 1)).toString('hex'));
    expect((await c.compute(1000, 'hola')).toString('hex')).toBe((await sha256Rounds(data, 1000)).toString('hex'));
  });

  it('join, say and leave: the other member gets a CHAT push from the HELLO name, the sender none', async () => {
    const { port } = await startServer();
    const ana = await client(port, { name: 'ana' });
    const bob = await client(port, { name: 'bob' });
    const anaChats: unknown[] = [];
    ana.on('chat', (chat) => anaChats.push(chat));
    await ana.join('lobby');
    await bob.join('lobby');
    await ana.join('lobby'); // idempotent
    const got = once(bob, 'chat');
    await ana.say('lobby', '¡hola, bob!');
    expect((await got)[0]).toEqual({ room: 'lobby', from: 'ana', text: '¡hola, bob!' });
    // A CHAT to ana would have come before the reply to this later PING on the same stream.
    await ana.ping();
    expect(anaChats).toEqual([]);
    await bob.leave('lobby');
    const err = await rejection(bob.say('lobby', 'still here?'), ErrorReply);
    expect(err.errorCode).toBe(ErrorCode.NOT_IN_ROOM);
  });

  it('without a name, CHAT carries the sender as ip:port', async () => {
    const { port } = await startServer();
    const a = await client(port);
    const b = await client(port);
    await a.join('r');
    await b.join('r');
    const got = once(b, 'chat');
    await a.say('r', 'x');
    expect((await got)[0].from).toMatch(/^127\.0\.0\.1:\d+$/);
  });

  it('stats resolves with the server snapshot', async () => {
    const { port } = await startServer();
    const c = await client(port);
    await c.ping();
    const stats = await c.stats();
    expect(stats.connections).toEqual({ current: 1, total: 1 });
    expect(stats.frames.in).toBe(2); // the PING and this STATS
    expect(stats.processes).toBe(1);
    expect(stats.pool.threads).toBe(1);
  });

  it('bye resolves, then the server closes: close event, later requests reject with ConnectionClosedError', async () => {
    const { port } = await startServer();
    const c = await client(port);
    const closed = once(c, 'close');
    await c.bye();
    const [err] = await closed;
    expect(err).toBeUndefined();
    expect(c.closed).toBe(true);
    await rejection(c.ping(), ConnectionClosedError);
  });

  it('with a token: the right one connects (HELLO reply is the welcome), a wrong one is UNAUTHORIZED', async () => {
    const { port } = await startServer({ token: 's3cret' });
    const ok = await client(port, { token: 's3cret', name: 'ana' });
    expect(ok.welcome?.auth).toBe(true);
    expect((await ok.echo('in')).toString()).toBe('in');
    const err = await rejection(connect({ port, token: 'wrong' }), ErrorReply);
    expect(err.errorCode).toBe(ErrorCode.UNAUTHORIZED);
    expect(err.codeName).toBe('UNAUTHORIZED');
  });

  it('with a token but none sent: the first request gets UNAUTHORIZED and the connection closes', async () => {
    const { port } = await startServer({ token: 's3cret' });
    const c = await client(port);
    const closed = once(c, 'close');
    const err = await rejection(c.ping(), ErrorReply);
    expect(err.errorCode).toBe(ErrorCode.UNAUTHORIZED);
    await closed;
  });
});

describe('typed errors', () => {
  it('ErrorReply NOT_IN_ROOM for LEAVE and SAY outside the room', async () => {
    const { port } = await startServer();
    const c = await client(port);
    for (const [i, request] of [() => c.leave('nowhere'), () => c.say('nowhere', 'hi')].entries()) {
      const err = await rejection(request(), ErrorReply);
      expect(err).toBeInstanceOf(ClientError);
      expect(err.code).toBe('SOCKBENCH_ERROR_REPLY');
      expect(err.errorCode).toBe(ErrorCode.NOT_IN_ROOM);
      expect(err.id).toBe(i + 1); // the id of the request it answers
    }
    expect(await c.ping()).toBeGreaterThan(0); // not fatal
  });

  it('ErrorReply BAD_PAYLOAD for COMPUTE iterations 0 and over the server cap', async () => {
    const { port } = await startServer({ maxIterations: 10 });
    const c = await client(port);
    expect((await rejection(c.compute(0, 'x'), ErrorReply)).errorCode).toBe(ErrorCode.BAD_PAYLOAD);
    const over = await rejection(c.compute(11, 'x'), ErrorReply);
    expect(over.errorCode).toBe(ErrorCode.BAD_PAYLOAD);
    expect(over.message).toMatch(/10/);
    expect((await c.compute(10, 'x')).length).toBe(32);
  });

  it('a bad room name is refused locally (BadPayloadError, nothing sent); sent raw, the server answers BAD_PAYLOAD', async () => {
    const { port } = await startServer();
    const c = await client(port);
    await rejection(c.join('a\nb'), BadPayloadError);
    await rejection(c.join('x'.repeat(65)), BadPayloadError);
    expect(c.pendingRequests).toBe(0);
    const err = await rejection(c.request(MessageType.JOIN, Buffer.from('a\nb')), ErrorReply);
    expect(err.errorCode).toBe(ErrorCode.BAD_PAYLOAD);
  });

  it('ErrorReply UNKNOWN_TYPE for a server-only type and an unknown one', async () => {
    const { port } = await startServer();
    const c = await client(port);
    expect((await rejection(c.request(MessageType.CHAT), ErrorReply)).errorCode).toBe(ErrorCode.UNKNOWN_TYPE);
    expect((await rejection(c.request(0x55), ErrorReply)).errorCode).toBe(ErrorCode.UNKNOWN_TYPE);
    expect(await c.ping()).toBeGreaterThan(0);
  });

  it('ErrorReply FRAME_TOO_LARGE for a payload over the server maxPayload, then the connection closes', async () => {
    const { port } = await startServer({ maxPayload: 1024 });
    const c = await client(port);
    expect(c.welcome?.maxPayload).toBe(1024);
    const closed = once(c, 'close');
    const err = await rejection(c.echo(Buffer.alloc(2000)), ErrorReply);
    expect(err.errorCode).toBe(ErrorCode.FRAME_TOO_LARGE);
    await closed;
  });

  it('ErrorReply SHUTTING_DOWN (with its id) for each request the draining server answers so; earlier work still resolves', async () => {
    const { port, close } = await startServer({ maxIterations: 10_000_000 });
    const c = await client(port);
    const work = c.compute(300_000, 'before');
    // The COMPUTE is in the server once this later PING is answered.
    await c.ping();
    const closing = close();
    const first = await rejection(c.ping(), ErrorReply);
    const second = await rejection(c.echo('x'), ErrorReply);
    expect([first.codeName, second.codeName]).toEqual(['SHUTTING_DOWN', 'SHUTTING_DOWN']);
    expect([first.errorCode, second.errorCode]).toEqual([ErrorCode.SHUTTING_DOWN, ErrorCode.SHUTTING_DOWN]);
    expect(second.id).toBe(first.id + 1);
    expect((await work).length).toBe(32);
    await closing;
  });

  it('ErrorReply BUSY when the connection limit is reached (sent instead of WELCOME)', async () => {
    const { port } = await startServer({ maxConnections: 1 });
    await client(port);
    const err = await rejection(connect({ port }), ErrorReply);
    expect(err.errorCode).toBe(ErrorCode.BUSY);
    expect(err.id).toBe(0);
  });

  it('TimeoutError when the reply is late; the late reply is then an error event, not a crash', async () => {
    // Scripted peer: holds the COMPUTE reply until the test has seen the timeout.
    let onRequest!: (answer: () => void) => void;
    const requested = new Promise<() => void>((resolve) => (onRequest = resolve));
    const peer = await startTcpPeer((socket) => {
      socket.once('data', (d: Buffer) => {
        onRequest(() => socket.write(encodeFrame(MessageType.COMPUTE, d.readUInt32BE(8), Buffer.alloc(32), Flags.RESPONSE)));
      });
    });
    const c = await client(peer.port, { timeoutMs: 1 });
    const errors: ClientErrorType[] = [];
    const late = new Promise<void>((resolve) => c.on('error', (e) => (errors.push(e), resolve())));
    const err = await rejection(c.compute(100_000, 'slow'), TimeoutError);
    expect(err.code).toBe('SOCKBENCH_TIMEOUT');
    expect(err.timeoutMs).toBe(1);
    expect(err.type).toBe(MessageType.COMPUTE);
    (await requested)();
    await late;
    expect(errors[0]).toBeInstanceOf(UnexpectedFrameError);
    expect((errors[0] as UnexpectedFrameError).id).toBe(err.id);
    expect(c.pendingRequests).toBe(0);
  });

  it('ConnectionClosedError for every pending request on close()', async () => {
    const { port } = await startServer();
    const c = await client(port);
    const pending = [c.compute(100_000, 'a'), c.compute(100_000, 'b'), c.ping(), c.echo('x')];
    const outcomes = Promise.all(pending.map((p) => rejection(p, ConnectionClosedError)));
    expect(c.pendingRequests).toBe(4);
    await c.close();
    for (const err of await outcomes) expect(err.code).toBe('SOCKBENCH_CONNECTION_CLOSED');
    expect(c.pendingRequests).toBe(0);
  });

  it('ConnectionClosedError for pending requests when the server drops the connection', async () => {
    const peer = await startTcpPeer((socket) => socket.once('data', () => socket.destroy()));
    const c = await client(peer.port);
    const errs = await Promise.all([c.ping(), c.ping(), c.echo('x')].map((p) => rejection(p, ConnectionClosedError)));
    expect(errs).toHaveLength(3);
  });

  it('ConnectError ECONNREFUSED names host and port', async () => {
    const port = await closedPort();
    const err = await rejection(connect({ port }), ConnectError);
    expect([err.code, err.osCode]).toEqual(['SOCKBENCH_CONNECT', 'ECONNREFUSED']);
    expect(err.host).toBe('127.0.0.1');
    expect(err.port).toBe(port);
    expect(err.message).toBe(`cannot connect to 127.0.0.1:${port}: ECONNREFUSED`);
  });

  it('ConnectError ETIMEDOUT when no WELCOME comes within connectTimeoutMs', async () => {
    const peer = await startTcpPeer(() => undefined, false); // accepts, never sends a WELCOME
    const err = await rejection(connect({ port: peer.port, connectTimeoutMs: 50 }), ConnectError);
    expect(err.osCode).toBe('ETIMEDOUT');
  });

  it('ConnectError ECONNRESET when the connection closes before the WELCOME', async () => {
    const peer = await startTcpPeer((s) => s.end(), false);
    const err = await rejection(connect({ port: peer.port }), ConnectError);
    expect(err.osCode).toBe('ECONNRESET');
    expect(err.message).toMatch(/closed before the WELCOME/);
  });

  it('bad options throw with the option, its value and the range', async () => {
    await expect(connect({ port: 70000 })).rejects.toThrow('options.port (--port) must be an integer in 1..65535, got 70000');
    await expect(connect({ timeoutMs: -1 })).rejects.toThrow(RangeError);
    await expect(connect({ transport: 'udp', timeoutMs: 0 })).rejects.toThrow(/over UDP, got 0/);
    await expect(connect({ maxPayload: 1.5 })).rejects.toThrow(TypeError);
  });
});

describe('pipelining and ids', () => {
  it('1000 requests in flight at once, each matched to its own reply, ids 1..1000 in order', async () => {
    const { port } = await startServer();
    const c = await client(port);
    const replies = await Promise.all(
      Array.from({ length: 1000 }, (_, i) => c.request(MessageType.ECHO, Buffer.from(`req ${i}`))),
    );
    expect(replies.map((r) => r.payload.toString())).toEqual(Array.from({ length: 1000 }, (_, i) => `req ${i}`));
    expect(replies.map((r) => r.id)).toEqual(Array.from({ length: 1000 }, (_, i) => i + 1));
    expect(c.pendingRequests).toBe(0);
  });

  it('after a HELLO (id 1) the first request id is 2', async () => {
    const { port } = await startServer();
    const c = await client(port, { name: 'x' });
    expect((await c.request(MessageType.PING)).id).toBe(2);
  });

  it('replies out of order are matched by id', async () => {
    // Scripted peer: answers the two ECHOs it gets in reverse order.
    const peer = await startTcpPeer((socket) => {
      const frames: Frame[] = [];
      const decoder = new FrameDecoder({ expect: 'requests' });
      socket.on('data', (d: Buffer) => {
        decoder.push(d, (f) => frames.push(f));
        if (frames.length === 2) {
          for (const f of [frames[1]!, frames[0]!]) socket.write(encodeFrame(MessageType.ECHO, f.id, f.payload, Flags.RESPONSE));
        }
      });
    });
    const c = await client(peer.port);
    const [a, b] = await Promise.all([c.echo('first'), c.echo('second')]);
    expect([a.toString(), b.toString()]).toEqual(['first', 'second']);
  });

  it('a reply with an unknown id, a wrong type or no RESPONSE flag, and an ERROR push: typed, no crash', async () => {
    const peer = await startTcpPeer((socket) => {
      const ids: number[] = [];
      const decoder = new FrameDecoder({ expect: 'requests' });
      socket.on('data', (d: Buffer) => {
        decoder.push(d, (f) => ids.push(f.id));
        if (ids.length !== 2) return;
        socket.write(encodeFrame(MessageType.PING, 999, undefined, Flags.RESPONSE)); // unknown id
        socket.write(encodeFrame(MessageType.ERROR, 0, Buffer.from([0, ErrorCode.SHUTTING_DOWN, ...Buffer.from('draining')])));
        socket.write(encodeFrame(MessageType.ECHO, ids[0]!, undefined, Flags.RESPONSE)); // wrong type for a PING
        socket.write(encodeFrame(MessageType.PING, ids[1]!, undefined, Flags.NONE)); // no RESPONSE flag
      });
    });
    const c = await client(peer.port);
    const errors: ClientErrorType[] = [];
    c.on('error', (e) => errors.push(e));
    const [wrongType, noFlag] = await Promise.all([rejection(c.ping(), UnexpectedFrameError), rejection(c.ping(), UnexpectedFrameError)]);
    expect(wrongType.message).toBe('PING request 1 got a ECHO reply');
    expect(noFlag.message).toBe('frame with id 2 lacks the RESPONSE flag');
    expect(errors).toHaveLength(2);
    expect(errors[0]).toBeInstanceOf(UnexpectedFrameError);
    expect((errors[0] as UnexpectedFrameError).id).toBe(999);
    expect(errors[1]).toBeInstanceOf(ErrorReply);
    expect((errors[1] as ErrorReply).errorCode).toBe(ErrorCode.SHUTTING_DOWN);
    expect(errors[1]!.message).toBe('draining');
    expect(c.closed).toBe(false);
  });

  it('without an error listener a stray reply is dropped, not thrown', async () => {
    const peer = await startTcpPeer((socket) => {
      socket.once('data', (d: Buffer) => {
        socket.write(encodeFrame(MessageType.PING, 4242, undefined, Flags.RESPONSE));
        socket.write(encodeFrame(MessageType.PING, d.readUInt32BE(8), undefined, Flags.RESPONSE));
      });
    });
    const c = await client(peer.port);
    expect(await c.ping()).toBeGreaterThan(0);
  });

  it('a malformed frame from the server closes the connection with its error', async () => {
    const peer = await startTcpPeer((socket) => {
      socket.once('data', () => {
        const bad = encodeFrame(MessageType.PING, 1, undefined, Flags.RESPONSE);
        bad[4] = 9; // unknown version
        socket.write(bad);
      });
    });
    const c = await client(peer.port);
    const closed = once(c, 'close');
    const err = await rejection(c.ping(), ConnectionClosedError);
    expect((err.cause as Error).message).toMatch(/unknown protocol version 9/);
    const [closeErr] = await closed;
    expect((closeErr as Error).message).toMatch(/version 9/);
  });
});
