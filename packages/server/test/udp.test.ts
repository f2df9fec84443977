import { createHash, randomBytes } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Flags, HEADER_SIZE, MessageType, encodeCompute, encodeFrame, encodeHello, encodeRoom } from '@sockbench/protocol';
import { createServer, type Server, type ServerStatsSnapshot } from '../src/index.js';
import { UdpPeer, waitFor } from './helpers.js';

function sha256n(data: Buffer, n: number): Buffer {
  let h = createHash('sha256').update(data).digest();
  for (let i = 1; i < n; i++) h = createHash('sha256').update(h).digest();
  return h;
}

const udpPeers: UdpPeer[] = [];
afterEach(() => {
  for (const u of udpPeers.splice(0)) u.close();
});
async function peer(): Promise<UdpPeer> {
  const u = await UdpPeer.open();
  udpPeers.push(u);
  return u;
}

/**
 * Sends `datagram` (one the server answers, if at all, on the event loop), then a PING marker, and
 * returns what came back before the marker's reply.
 */
async function exchange(port: number, datagram: Buffer): Promise<Buffer[]> {
  const u = await peer();
  await u.send(datagram, port);
  // UDP on loopback keeps order for one socket pair: the marker's reply comes after any reply to datagram.
  await u.send(encodeFrame(MessageType.PING, 0xfffffff0), port);
  await waitFor(() => u.received.some((m) => m.readUInt32BE(8) === 0xfffffff0), 5_000, 'marker reply');
  return u.received.filter((m) => m.readUInt32BE(8) !== 0xfffffff0);
}

describe('UDP (framed, same port as TCP)', () => {
  let server: Server;
  let port: number;
  beforeAll(async () => {
    server = createServer({ port: 0, threads: 1, maxIterations: 1000, maxPayload: 2048 });
    const a = await server.listen();
    expect(a.udp.port).toBe(a.tcp.port);
    port = a.udp.port;
  });
  afterAll(async () => {
    await server.close();
  });

  it('answers PING, ECHO and COMPUTE with the RESPONSE flag and the same id', async () => {
    const data = randomBytes(40);
    const u = await peer();
    await u.send(encodeFrame(MessageType.PING, 1), port);
    await u.send(encodeFrame(MessageType.ECHO, 2, data), port);
    await u.send(encodeFrame(MessageType.COMPUTE, 3, encodeCompute(7, data)), port);
    await waitFor(() => u.received.length === 3);
    const byId = (id: number): Buffer => u.received.find((m) => m.readUInt32BE(8) === id)!;
    expect(byId(1).equals(encodeFrame(MessageType.PING, 1, undefined, Flags.RESPONSE))).toBe(true);
    expect(byId(2).equals(encodeFrame(MessageType.ECHO, 2, data, Flags.RESPONSE))).toBe(true);
    expect(byId(3).equals(encodeFrame(MessageType.COMPUTE, 3, sha256n(data, 7), Flags.RESPONSE))).toBe(true);
    const s = await server.stats();
    expect(s.udp.in).toBeGreaterThanOrEqual(3);
    expect(s.udp.out).toBeGreaterThanOrEqual(3);
  });

  const dropped: [string, () => Buffer, string][] = [
    ['COMPUTE with fewer than 32 data bytes (amplification)', () => encodeFrame(MessageType.COMPUTE, 4, encodeCompute(1, Buffer.alloc(31))), 'BAD_PAYLOAD'],
    ['COMPUTE over the iteration cap', () => encodeFrame(MessageType.COMPUTE, 5, encodeCompute(1001, Buffer.alloc(32))), 'BAD_PAYLOAD'],
    ['PING with a payload', () => encodeFrame(MessageType.PING, 6, Buffer.from('x')), 'BAD_PAYLOAD'],
    ['HELLO (not served on UDP)', () => encodeFrame(MessageType.HELLO, 7, encodeHello({})), 'UNSUPPORTED'],
    ['JOIN (not served on UDP)', () => encodeFrame(MessageType.JOIN, 8, encodeRoom('r')), 'UNSUPPORTED'],
    ['STATS (not served on UDP)', () => encodeFrame(MessageType.STATS, 9), 'UNSUPPORTED'],
    ['BYE (not served on UDP)', () => encodeFrame(MessageType.BYE, 10), 'UNSUPPORTED'],
    ['an unknown type', () => encodeFrame(0x55, 11), 'UNSUPPORTED'],
    ['a datagram shorter than the header', () => Buffer.from([0, 0, 0]), 'BAD_FRAME'],
    ['a size that does not match the header', () => Buffer.concat([encodeFrame(MessageType.ECHO, 12, Buffer.from('ab')), Buffer.from('c')]), 'BAD_FRAME'],
    ['version 2', () => { const b = encodeFrame(MessageType.PING, 13); b[4] = 2; return b; }, 'BAD_FRAME'],
    ['id 0', () => encodeFrame(MessageType.PING, 0), 'BAD_FRAME'],
    ['the RESPONSE flag', () => encodeFrame(MessageType.PING, 14, undefined, Flags.RESPONSE), 'BAD_FRAME'],
    ['a payload over maxPayload', () => encodeFrame(MessageType.ECHO, 15, Buffer.alloc(2049)), 'FRAME_TOO_LARGE'],
  ];
  for (const [name, make, code] of dropped) {
    it(`${name}: no reply at all, counted as dropped ${code}`, async () => {
      const before = await server.stats();
      const replies = await exchange(port, make());
      expect(replies).toEqual([]);
      const after: ServerStatsSnapshot = await server.stats();
      expect(after.udp.dropped - before.udp.dropped).toBe(1);
      expect((after.errors[code] ?? 0) - (before.errors[code] ?? 0)).toBe(1);
      expect((after.udp.droppedByReason[code] ?? 0) - (before.udp.droppedByReason[code] ?? 0)).toBe(1);
    });
  }

  it('never answers with more bytes than it received', async () => {
    const u = await peer();
    const sent = [
      encodeFrame(MessageType.PING, 1),
      encodeFrame(MessageType.ECHO, 2, randomBytes(1000)),
      encodeFrame(MessageType.COMPUTE, 3, encodeCompute(1, Buffer.alloc(32))),
      encodeFrame(MessageType.COMPUTE, 4, encodeCompute(3, randomBytes(500))),
    ];
    for (const d of sent) await u.send(d, port);
    await waitFor(() => u.received.length === sent.length);
    for (const r of u.received) {
      const req = sent.find((d) => d.readUInt32BE(8) === r.readUInt32BE(8))!;
      expect(r.length).toBeLessThanOrEqual(req.length);
      expect(r.length).toBe(HEADER_SIZE + r.readUInt32BE(0));
    }
  });
});

describe('UDP under load and drain', () => {
  const servers: Server[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => s.close()));
  });

  it('a full pool: the datagram is dropped and counted as BUSY', async () => {
    // COMPUTE here must progress while other test files keep the cores busy: SCHED_IDLE threads (the default) would get ~0.3 % of a core.
    const s = createServer({ port: 0, threads: 1, poolQueue: 0, maxIterations: 5_000_000, poolPolicy: 'other' });
    servers.push(s);
    const port = (await s.listen()).udp.port;
    const u = await peer();
    await u.send(encodeFrame(MessageType.COMPUTE, 1, encodeCompute(200_000, Buffer.alloc(32))), port);
    await waitFor(async () => (await s.stats()).udp.in === 1);
    await u.send(encodeFrame(MessageType.COMPUTE, 2, encodeCompute(1, Buffer.alloc(32))), port);
    await waitFor(async () => (await s.stats()).errors.BUSY === 1);
    await waitFor(() => u.received.length === 1, 20_000, 'the first COMPUTE reply');
    expect(u.received[0]!.readUInt32BE(8)).toBe(1);
    const st = await s.stats();
    expect([st.udp.in, st.udp.out, st.udp.dropped, st.udp.droppedByReason]).toEqual([2, 1, 1, { BUSY: 1 }]);
  });

  it('while draining: work received before is answered, new datagrams dropped as SHUTTING_DOWN', async () => {
    // COMPUTE here must progress while other test files keep the cores busy: SCHED_IDLE threads (the default) would get ~0.3 % of a core.
    const s = createServer({ port: 0, threads: 1, maxIterations: 5_000_000, poolPolicy: 'other' });
    servers.push(s);
    const port = (await s.listen()).udp.port;
    const u = await peer();
    const data = Buffer.alloc(32, 7);
    await u.send(encodeFrame(MessageType.COMPUTE, 1, encodeCompute(200_000, data)), port);
    await waitFor(async () => (await s.stats()).udp.in === 1);
    const closing = s.close();
    await u.send(encodeFrame(MessageType.PING, 2), port);
    await waitFor(async () => (await s.stats()).errors.SHUTTING_DOWN === 1);
    await closing;
    // close() resolved after the reply was handed to the kernel; loopback delivers it.
    await waitFor(() => u.received.length === 1, 5_000, 'the COMPUTE reply');
    expect(u.received[0]!.equals(encodeFrame(MessageType.COMPUTE, 1, sha256n(data, 200_000), Flags.RESPONSE))).toBe(true);
  });
});

describe('UDP with a token', () => {
  const servers: Server[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => s.close()));
  });

  it('serves no UDP by default: every datagram dropped as UNAUTHORIZED', async () => {
    const s = createServer({ port: 0, threads: 1, token: 't' });
    servers.push(s);
    const port = (await s.listen()).udp.port;
    const u = await peer();
    await u.send(encodeFrame(MessageType.PING, 1), port);
    await waitFor(async () => (await s.stats()).udp.dropped === 1);
    expect(u.received).toEqual([]);
    expect((await s.stats()).errors.UNAUTHORIZED).toBe(1);
  });

  it('serves UDP with udpWithToken', async () => {
    const s = createServer({ port: 0, threads: 1, token: 't', udpWithToken: true });
    servers.push(s);
    const port = (await s.listen()).udp.port;
    const u = await peer();
    await u.send(encodeFrame(MessageType.PING, 1), port);
    await waitFor(() => u.received.length === 1);
    expect(u.received[0]!.equals(encodeFrame(MessageType.PING, 1, undefined, Flags.RESPONSE))).toBe(true);
  });

  it('--dispatch pool answers UDP PING/ECHO through the threads', async () => {
    const s = createServer({ port: 0, threads: 1, dispatch: 'pool' });
    servers.push(s);
    const port = (await s.listen()).udp.port;
    const u = await peer();
    const data = randomBytes(300);
    await u.send(encodeFrame(MessageType.ECHO, 1, data), port);
    await u.send(encodeFrame(MessageType.PING, 2), port);
    await waitFor(() => u.received.length === 2);
    const echo = u.received.find((m) => m.readUInt32BE(8) === 1)!;
    expect(echo.equals(encodeFrame(MessageType.ECHO, 1, data, Flags.RESPONSE))).toBe(true);
    expect((await s.stats()).pool.completed).toBe(2);
  });
});
