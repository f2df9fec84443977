import { performance } from 'node:perf_hooks';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { BadFrameError, Flags, FrameTooLargeError, FrameDecoder, MessageType, encodeFrame, type Frame } from '@sockbench/protocol';
import { ConnectError, openTcpChannel, openUdpChannel, type ChannelHandlers, type FrameChannel } from '../src/index.js';
import { TEST_WELCOME, closeAll, closedPort, onCleanup, startServer, startTcpPeer, startUdpPeer } from './helpers.js';

afterEach(closeAll);

/** One frame as a {@link recorder} saw it: `at` from the channel, `enteredAt` read first thing in onFrame. */
interface Seen {
  frame: Frame;
  at: number;
  enteredAt: number;
}

/** Handlers that record every frame and resolve `closed` with the close error. */
function recorder(): ChannelHandlers & {
  frames: Seen[];
  closed: Promise<Error | undefined>;
  closes: number;
  waitFor(n: number): Promise<void>;
} {
  const frames: Seen[] = [];
  let waiter: { n: number; resolve: () => void } | undefined;
  let onClosed!: (err: Error | undefined) => void;
  const r = {
    frames,
    closes: 0,
    closed: new Promise<Error | undefined>((resolve) => (onClosed = resolve)),
    onFrame(frame: Frame, at: number) {
      frames.push({ frame, at, enteredAt: performance.now() });
      if (waiter && frames.length >= waiter.n) waiter.resolve();
    },
    onClose(err?: Error) {
      r.closes++;
      onClosed(err);
    },
    waitFor(n: number) {
      return frames.length >= n ? Promise.resolve() : new Promise<void>((resolve) => (waiter = { n, resolve }));
    },
  };
  return r;
}

function track<T extends FrameChannel>(ch: T): T {
  onCleanup(() => ch.close());
  return ch;
}

describe('openTcpChannel', () => {
  it('resolves after the WELCOME; replies come back with the caller ids and the RESPONSE flag', async () => {
    const { port } = await startServer();
    const r = recorder();
    const ch = track(await openTcpChannel({ host: '127.0.0.1', port }, r));
    expect(ch.transport).toBe('tcp');
    expect(ch.welcome.server).toMatch(/^sockbench\//);
    expect(ch.send(MessageType.PING, 7)).toBe(true);
    expect(ch.send(MessageType.ECHO, 0xffff_ffff, Buffer.from('max id'))).toBe(true);
    await r.waitFor(2);
    const byId = new Map(r.frames.map((f) => [f.frame.id, f]));
    expect(byId.get(7)?.frame).toMatchObject({ type: MessageType.PING, flags: Flags.RESPONSE });
    expect(byId.get(0xffff_ffff)?.frame.payload.toString()).toBe('max id');
    expect(r.frames.some((f) => f.frame.type === MessageType.WELCOME)).toBe(false); // consumed while opening
  });

  it('receive time: one performance.now() per chunk, read after the peer wrote it and before onFrame runs', async () => {
    const peer = await startTcpPeer(() => undefined);
    const r = recorder();
    track(await openTcpChannel({ host: '127.0.0.1', port: peer.port }, r));
    const socket = peer.sockets[0]!;
    const reply = (id: number): Buffer => encodeFrame(MessageType.PING, id, undefined, Flags.RESPONSE);
    // Two replies in one write arrive as one chunk on loopback; the third comes in a chunk of its own.
    const firstWrite = performance.now();
    socket.write(Buffer.concat([reply(1), reply(2)]));
    await r.waitFor(2);
    const secondWrite = performance.now();
    socket.write(reply(3));
    await r.waitFor(3);
    const [a, b, c] = r.frames as [Seen, Seen, Seen];
    expect([a, b, c].map((f) => f.frame.id)).toEqual([1, 2, 3]);
    // A stamp from the WELCOME's chunk (stale), from the send side, per frame, after onFrame, or from
    // another clock (Date.now) each breaks one of these.
    expect(b.at).toBe(a.at);
    expect(a.at).toBeGreaterThanOrEqual(firstWrite);
    expect(a.at).toBeLessThanOrEqual(a.enteredAt);
    expect(c.at).toBeGreaterThanOrEqual(secondWrite);
    expect(c.at).toBeGreaterThan(b.enteredAt);
    expect(c.at).toBeLessThanOrEqual(c.enteredAt);
  });

  it('frames sent in one tick leave as one write, in order, and all get replies', async () => {
    const chunks: number[] = [];
    const ids: number[] = [];
    const peer = await startTcpPeer((socket) => {
      const dec = new FrameDecoder({ expect: 'requests' });
      socket.on('data', (d: Buffer) => {
        chunks.push(d.length);
        dec.push(d, (f) => ids.push(f.id));
      });
    });
    const quiet = track(await openTcpChannel({ host: '127.0.0.1', port: peer.port }, recorder()));
    for (let id = 1; id <= 500; id++) quiet.send(MessageType.ECHO, id, Buffer.from(String(id)));
    // Queued until the tick ends: nothing has reached the kernel yet.
    expect(quiet.pendingBytes).toBe(500 * 12 + 1392); // 12-byte headers + the digits of 1..500
    await vi.waitFor(() => expect(ids.length).toBe(500), { timeout: 5000 });
    expect(ids).toEqual(Array.from({ length: 500 }, (_, i) => i + 1));
    // One write of 7,392 bytes on loopback arrives as one chunk.
    expect(chunks).toEqual([7392]);

    const { port } = await startServer();
    const r = recorder();
    const ch = track(await openTcpChannel({ host: '127.0.0.1', port }, r));
    for (let id = 1; id <= 500; id++) ch.send(MessageType.ECHO, id, Buffer.from(String(id)));
    await r.waitFor(500);
    expect(r.frames.map((f) => Number(f.frame.payload.toString())).sort((a, b) => a - b)).toEqual(
      Array.from({ length: 500 }, (_, i) => i + 1),
    );
    expect(r.frames.every((f) => f.frame.id === Number(f.frame.payload.toString()))).toBe(true);
  });

  it('backpressure: send returns false over the high-water mark, and onDrain fires once flushed', async () => {
    const { port } = await startServer();
    const r = recorder();
    const ch = track(await openTcpChannel({ host: '127.0.0.1', port }, r));
    const drained = new Promise<void>((resolve) => ch.onDrain(resolve));
    // 64 KiB is over the socket's 16 KiB high-water mark; the batch is written when the tick ends, and
    // the kernel may take it whole (write() true, no 'drain' event): onDrain must fire all the same.
    expect(ch.send(MessageType.ECHO, 1, Buffer.alloc(64 * 1024, 1))).toBe(false);
    // Still queued in the batch (header + payload), nothing handed to the socket yet.
    expect(ch.pendingBytes).toBe(12 + 64 * 1024);
    await drained;
    await r.waitFor(1);
    expect(r.frames[0]!.frame.payload.length).toBe(64 * 1024);
  });

  it('with hello: sends HELLO (id 1) and opens on its reply', async () => {
    const { port } = await startServer({ token: 't0k' });
    const r = recorder();
    const ch = track(await openTcpChannel({ host: '127.0.0.1', port, hello: { client: 'gen-1', token: 't0k' } }, r));
    expect(ch.welcome.auth).toBe(true);
    ch.send(MessageType.PING, 2);
    await r.waitFor(1);
    expect(r.frames[0]!.frame).toMatchObject({ type: MessageType.PING, id: 2 });
    expect(r.frames.some((f) => f.frame.type === MessageType.HELLO)).toBe(false);
  });

  it('onClose runs once, without an error, after BYE; send then returns false', async () => {
    const { port } = await startServer();
    const r = recorder();
    const ch = await openTcpChannel({ host: '127.0.0.1', port }, r);
    ch.send(MessageType.BYE, 1);
    expect(await r.closed).toBeUndefined();
    await ch.close();
    expect(r.closes).toBe(1);
    expect(r.frames.map((f) => f.frame.type)).toEqual([MessageType.BYE]);
    expect(ch.send(MessageType.PING, 2)).toBe(false);
  });

  it('reuseReadBuffer: frames split across reads and larger than the 64 KiB read buffer decode whole', async () => {
    // Payload sizes that straddle reads: tiny, around the read buffer's 64 KiB, and over it.
    const sizes = [0, 1, 11, 12, 13, 4096, 65_523, 65_524, 65_536, 70_000, 150_000, 7, 0, 300];
    const frames = sizes.map((n, i) => encodeFrame(MessageType.ECHO, i + 1, Buffer.alloc(n, i + 1), Flags.RESPONSE));
    const stream = Buffer.concat(frames);
    const peer = await startTcpPeer((socket) => {
      // Cuts at odd places, each piece written on its own turn of the event loop so they arrive as separate reads.
      let off = 0;
      const step = (): void => {
        if (off >= stream.length || socket.destroyed) return;
        const n = Math.min(stream.length - off, 1 + ((off * 7919) % 40_000));
        socket.write(stream.subarray(off, off + n));
        off += n;
        setImmediate(step);
      };
      step();
    });
    const got: Array<{ id: number; payload: Buffer }> = [];
    let done!: () => void;
    const all = new Promise<void>((resolve) => (done = resolve));
    const ch = track(
      await openTcpChannel(
        { host: '127.0.0.1', port: peer.port, reuseReadBuffer: true },
        {
          onFrame: (frame) => {
            // The payload is valid only during this call: keep a copy.
            got.push({ id: frame.id, payload: Buffer.from(frame.payload) });
            if (got.length === sizes.length) done();
          },
        },
      ),
    );
    expect(ch.welcome).toEqual(TEST_WELCOME);
    await all;
    expect(got.map((g) => g.id)).toEqual(sizes.map((_, i) => i + 1));
    for (const [i, g] of got.entries()) expect(g.payload.equals(Buffer.alloc(sizes[i]!, i + 1))).toBe(true);
  });

  it('reuseReadBuffer: two channels reading into the shared buffer at once each decode their own frames whole', async () => {
    // Both peers cut their streams at odd places on every turn, so reads of the two sockets
    // interleave and frames of each lie split across reads while the other socket reads in between.
    const sizes = [5, 70_000, 0, 4096, 65_530, 13, 150_000, 1];
    const streamOf = (fill: number): Buffer =>
      Buffer.concat(sizes.map((n, i) => encodeFrame(MessageType.ECHO, i + 1, Buffer.alloc(n, fill + i), Flags.RESPONSE)));
    const open = async (fill: number, stride: number): Promise<{ got: Array<{ id: number; payload: Buffer }>; all: Promise<void> }> => {
      const stream = streamOf(fill);
      const peer = await startTcpPeer((socket) => {
        let off = 0;
        const step = (): void => {
          if (off >= stream.length || socket.destroyed) return;
          const n = Math.min(stream.length - off, 1 + ((off * stride) % 30_000));
          socket.write(stream.subarray(off, off + n));
          off += n;
          setImmediate(step);
        };
        step();
      });
      const got: Array<{ id: number; payload: Buffer }> = [];
      let done!: () => void;
      const all = new Promise<void>((resolve) => (done = resolve));
      track(
        await openTcpChannel(
          { host: '127.0.0.1', port: peer.port, reuseReadBuffer: true },
          {
            onFrame: (frame) => {
              got.push({ id: frame.id, payload: Buffer.from(frame.payload) });
              if (got.length === sizes.length) done();
            },
          },
        ),
      );
      return { got, all };
    };
    const [a, b] = await Promise.all([open(1, 7919), open(101, 104_729)]);
    await Promise.all([a.all, b.all]);
    for (const [fill, ch] of [[1, a], [101, b]] as const) {
      expect(ch.got.map((g) => g.id)).toEqual(sizes.map((_, i) => i + 1));
      for (const [i, g] of ch.got.entries()) expect(g.payload.equals(Buffer.alloc(sizes[i]!, fill + i))).toBe(true);
    }
  });

  it('close() flushes what was sent in the same tick before the FIN', async () => {
    const received: number[] = [];
    let gotAll!: () => void;
    const all = new Promise<void>((resolve) => (gotAll = resolve));
    const peer = await startTcpPeer((socket) => {
      const dec = new FrameDecoder({ expect: 'requests' });
      socket.on('data', (d: Buffer) => dec.push(d, (f) => received.push(f.id)));
      socket.on('end', () => {
        gotAll();
        socket.end();
      });
    });
    const r = recorder();
    const ch = await openTcpChannel({ host: '127.0.0.1', port: peer.port }, r);
    ch.send(MessageType.PING, 1);
    ch.send(MessageType.PING, 2);
    await ch.close();
    await all;
    expect(received).toEqual([1, 2]);
  });

  it('a malformed frame from the server closes the channel with the protocol error', async () => {
    const peer = await startTcpPeer((socket) => {
      const bad = encodeFrame(MessageType.PING, 3, undefined, Flags.RESPONSE);
      bad.writeUInt16BE(0x0003, 6); // a reserved flag bit
      socket.write(bad);
    });
    const r = recorder();
    await openTcpChannel({ host: '127.0.0.1', port: peer.port }, r);
    const err = await r.closed;
    expect(err).toBeInstanceOf(BadFrameError);
    expect(err!.message).toMatch(/reserved flag bits/);
  });

  it('a reply over maxPayload closes the channel (FRAME_TOO_LARGE)', async () => {
    const { port } = await startServer();
    const r = recorder();
    // The WELCOME itself is about 106 bytes, so 200 lets it in.
    const ch = await openTcpChannel({ host: '127.0.0.1', port, maxPayload: 200 }, r);
    ch.send(MessageType.ECHO, 1, Buffer.alloc(201));
    const err = await r.closed;
    expect(err).toBeInstanceOf(FrameTooLargeError);
    expect((err as Error).message).toBe('payload of 201 bytes is over the limit of 200 bytes');
  });

  it('rejects with ConnectError ECONNREFUSED naming host and port', async () => {
    const port = await closedPort();
    const err = (await openTcpChannel({ host: '127.0.0.1', port }, recorder()).catch((e: unknown) => e)) as ConnectError;
    expect(err).toBeInstanceOf(ConnectError);
    expect([err.osCode, err.host, err.port]).toEqual(['ECONNREFUSED', '127.0.0.1', port]);
  });

  it('rejects with RangeError for a maxPayload over 16 MiB', async () => {
    await expect(openTcpChannel({ host: '127.0.0.1', port: 1, maxPayload: 17 * 1024 * 1024 }, recorder())).rejects.toThrow(
      /maxPayload must be an integer in 0\.\.16777216/,
    );
  });
});

describe('openUdpChannel', () => {
  it('one frame per datagram: replies carry the caller ids; send is always true', async () => {
    const { port } = await startServer();
    const r = recorder();
    const ch = track(await openUdpChannel({ host: '127.0.0.1', port }, r));
    expect(ch.transport).toBe('udp');
    expect(ch.pendingBytes).toBe(0);
    expect(ch.send(MessageType.PING, 41)).toBe(true);
    expect(ch.send(MessageType.ECHO, 42, Buffer.from('u'))).toBe(true);
    await r.waitFor(2);
    expect(new Set(r.frames.map((f) => f.frame.id))).toEqual(new Set([41, 42]));
    expect(r.frames.every((f) => (f.frame.flags & Flags.RESPONSE) !== 0)).toBe(true);
  });

  it('frames of one size sent back to back, in one tick, each arrive as sent (the reused buffer is never sent twice or torn)', async () => {
    // 64 datagrams of 52 bytes into a 1 MiB receive buffer: the kernel keeps them all (the default
    // buffer kept 256 of 300 in one tick); a lost one fails at the deadline instead of hanging.
    const peer = await startUdpPeer(1 << 20);
    const ch = track(await openUdpChannel({ host: '127.0.0.1', port: peer.port }, recorder()));
    // Same size, different type, id and bytes: a frame written over one still queued would show.
    const sent = Array.from({ length: 64 }, (_, i) => encodeFrame(i % 2 ? MessageType.ECHO : MessageType.COMPUTE, i + 1, Buffer.alloc(40, i)));
    for (const f of sent) ch.send(f[5]!, f.readUInt32BE(8), f.subarray(12));
    const got: Buffer[] = [];
    for (let i = 0; i < sent.length; i++) got.push((await peer.next(5000).catch((e: Error) => Promise.reject(new Error(`datagram ${i + 1} of ${sent.length}: ${e.message}`)))).msg);
    // Loopback keeps one socket pair's order.
    expect(got.map((m) => m.toString('hex'))).toEqual(sent.map((f) => f.toString('hex')));
  });

  it('localAddress is the source address the peer sees; null once closed', async () => {
    const peer = await startUdpPeer();
    const ch = await openUdpChannel({ host: '127.0.0.1', port: peer.port }, recorder());
    ch.send(MessageType.PING, 1);
    const { rinfo } = await peer.next();
    expect(ch.localAddress).toEqual({ address: rinfo.address, family: 'IPv4', port: rinfo.port });
    await ch.close();
    expect(ch.localAddress).toBeNull();
  });

  it('receive time: one performance.now() per datagram, read after the peer sent it and before onFrame runs', async () => {
    const peer = await startUdpPeer();
    const r = recorder();
    const ch = track(await openUdpChannel({ host: '127.0.0.1', port: peer.port }, r));
    ch.send(MessageType.PING, 1);
    const { rinfo } = await peer.next();
    const firstSend = performance.now();
    await peer.reply(encodeFrame(MessageType.PING, 1, undefined, Flags.RESPONSE), rinfo);
    await r.waitFor(1);
    const secondSend = performance.now();
    await peer.reply(encodeFrame(MessageType.PING, 2, undefined, Flags.RESPONSE), rinfo);
    await r.waitFor(2);
    const [a, b] = r.frames as [Seen, Seen];
    expect(a.at).toBeGreaterThanOrEqual(firstSend);
    expect(a.at).toBeLessThanOrEqual(a.enteredAt);
    expect(b.at).toBeGreaterThanOrEqual(secondSend);
    expect(b.at).toBeLessThanOrEqual(b.enteredAt);
  });

  it('counts datagrams that are not one frame and never hands them on', async () => {
    const peer = await startUdpPeer();
    const r = recorder();
    const ch = track(await openUdpChannel({ host: '127.0.0.1', port: peer.port }, r));
    ch.send(MessageType.PING, 1);
    const got = await peer.next();
    await peer.reply(Buffer.from([0, 0]), got.rinfo);
    const tooBig = encodeFrame(MessageType.ECHO, 1, Buffer.alloc(10), Flags.RESPONSE);
    tooBig[4] = 2; // unknown version
    await peer.reply(tooBig, got.rinfo);
    await peer.reply(encodeFrame(MessageType.PING, 1, undefined, Flags.RESPONSE), got.rinfo);
    await r.waitFor(1);
    expect(ch.droppedDatagrams).toBe(2);
    expect(r.frames).toHaveLength(1);
  });

  it('hands each undecodable datagram to onUndecodable with its ProtocolError (short, wrong version, 16 MiB header)', async () => {
    const peer = await startUdpPeer();
    const r = recorder();
    const bad: string[] = [];
    const ch = track(await openUdpChannel({ host: '127.0.0.1', port: peer.port }, { ...r, onUndecodable: (err) => bad.push(err.codeName) }));
    ch.send(MessageType.PING, 1);
    const got = await peer.next();
    await peer.reply(Buffer.from('garbage'), got.rinfo);
    const wrongVersion = encodeFrame(MessageType.PING, 1, undefined, Flags.RESPONSE);
    wrongVersion[4] = 9;
    await peer.reply(wrongVersion, got.rinfo);
    const huge = encodeFrame(MessageType.ECHO, 1, undefined, Flags.RESPONSE);
    huge.writeUInt32BE(16 * 1024 * 1024, 0); // announces 16 MiB, carries none
    await peer.reply(huge, got.rinfo);
    await peer.reply(encodeFrame(MessageType.PING, 1, undefined, Flags.RESPONSE), got.rinfo);
    await r.waitFor(1);
    expect(bad).toEqual(['BAD_FRAME', 'BAD_FRAME', 'FRAME_TOO_LARGE']);
    expect(ch.droppedDatagrams).toBe(3);
    expect(r.frames).toHaveLength(1);
  });

  it('close() resolves and runs onClose once', async () => {
    const { port } = await startServer();
    const r = recorder();
    const ch = await openUdpChannel({ host: '127.0.0.1', port }, r);
    await ch.close();
    await ch.close();
    expect(await r.closed).toBeUndefined();
    expect(r.closes).toBe(1);
    expect(ch.send(MessageType.PING, 1)).toBe(false);
  });
});
