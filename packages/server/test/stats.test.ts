/**
 * STATS with a query and the added fields, against the real server over real sockets (127.0.0.1,
 * port 0): service-time histograms, the per-peer UDP table, CPU, the /proc readings, bad queries.
 */
import { existsSync } from 'node:fs';
import { decodeFromCompressedBase64, type Histogram } from 'hdr-histogram-js';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  ErrorCode,
  MessageType,
  decodeStats,
  encodeCompute,
  encodeFrame,
  encodeHello,
  encodeStatsQuery,
  formatPeerAddress,
  type StatsQuery,
  type StatsSnapshot,
} from '@sockbench/protocol';
import { createServer, type Server } from '../src/index.js';
import { Peer, UdpPeer, errorOf, waitFor } from './helpers.js';

const closers: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c();
});

async function started(options: Parameters<typeof createServer>[0] = {}): Promise<{ server: Server; port: number }> {
  // COMPUTE here must progress while other test files keep the cores busy: SCHED_IDLE threads (the default) would get ~0.3 % of a core.
  const server = createServer({ port: 0, threads: 1, poolPolicy: 'other', ...options });
  const port = (await server.listen()).tcp.port;
  closers.push(() => server.close());
  return { server, port };
}

async function tcpPeer(port: number): Promise<Peer> {
  const p = await Peer.welcomed(port);
  closers.push(() => p.destroy());
  return p;
}

async function udpPeer(): Promise<UdpPeer> {
  const u = await UdpPeer.open();
  closers.push(() => u.close());
  return u;
}

let nextId = 1000;
/** STATS over TCP with `query`, decoded. */
async function stats(p: Peer, query: StatsQuery = {}): Promise<StatsSnapshot> {
  const f = await p.request(MessageType.STATS, nextId++, encodeStatsQuery(query));
  expect(f.type, f.type === MessageType.ERROR ? errorOf(f).message : '').toBe(MessageType.STATS);
  return decodeStats(f.payload);
}

/** `ip:port` of a UDP peer's socket as the server sees it. */
function addressOf(u: UdpPeer): string {
  const a = u.socket.address();
  return formatPeerAddress(a.address, a.port);
}

/** Sends `datagrams` from `u`, then a PING marker; resolves once the marker's reply is in (so the server has handled all of them). */
async function sendAndMark(u: UdpPeer, port: number, datagrams: Buffer[], markerId: number): Promise<void> {
  for (const d of datagrams) await u.send(d, port);
  await u.send(encodeFrame(MessageType.PING, markerId), port);
  await waitFor(() => u.received.some((m) => m.readUInt32BE(8) === markerId), 5_000, `reply to marker ${markerId}`);
}

const hist = (b64: string | undefined): Histogram => {
  expect(b64, 'an encoded histogram').toBeTypeOf('string');
  return decodeFromCompressedBase64(b64!);
};

describe('STATS service-time histograms ({"histograms": true})', () => {
  it('carry each type\'s histogram, decodable, with the counts of the requests sent', async () => {
    const { port } = await started();
    const p = await tcpPeer(port);
    for (let id = 1; id <= 25; id++) await p.request(MessageType.ECHO, id, Buffer.from(`e${id}`));
    for (let id = 100; id < 110; id++) await p.request(MessageType.PING, id);
    const s = await stats(p, { histograms: true });
    const echo = hist(s.serviceTimeHistograms!.ECHO);
    const ping = hist(s.serviceTimeHistograms!.PING);
    expect([echo.totalCount, ping.totalCount]).toEqual([25, 10]);
    expect(s.serviceTimeUs.ECHO!.count).toBe(25);
    // The histogram and the summary are the same data.
    expect(echo.maxValue).toBe(s.serviceTimeUs.ECHO!.max);
    expect(Object.keys(s.serviceTimeHistograms!).sort()).toEqual(Object.keys(s.serviceTimeUs).sort());
  });

  it('two snapshots subtract to exactly the requests between them', async () => {
    const { port } = await started();
    const p = await tcpPeer(port);
    for (let id = 1; id <= 7; id++) await p.request(MessageType.PING, id);
    const before = await stats(p, { histograms: true });
    for (let id = 10; id < 50; id++) await p.request(MessageType.PING, id);
    for (let id = 50; id < 53; id++) await p.request(MessageType.ECHO, id, Buffer.from('x'));
    const after = await stats(p, { histograms: true });
    const window = hist(after.serviceTimeHistograms!.PING);
    window.subtract(hist(before.serviceTimeHistograms!.PING));
    expect(window.totalCount).toBe(40);
    // ECHO first appears inside the window: the whole histogram is the window's.
    expect(before.serviceTimeHistograms!.ECHO).toBeUndefined();
    expect(hist(after.serviceTimeHistograms!.ECHO).totalCount).toBe(3);
    // The STATS requests themselves are timed too, under STATS: the first snapshot was taken before its own reply was recorded.
    expect(hist(after.serviceTimeHistograms!.STATS).totalCount - (before.serviceTimeHistograms!.STATS === undefined ? 0 : hist(before.serviceTimeHistograms!.STATS).totalCount)).toBe(1);
  });

  it('are left out unless asked', async () => {
    const { port } = await started();
    const p = await tcpPeer(port);
    await p.request(MessageType.PING, 1);
    expect((await stats(p)).serviceTimeHistograms).toBeUndefined();
    expect((await stats(p, { histograms: false })).serviceTimeHistograms).toBeUndefined();
    // The empty payload and "{}" are the same query.
    const raw = await p.request(MessageType.STATS, 2, Buffer.from('{}'));
    expect(decodeStats(raw.payload).serviceTimeHistograms).toBeUndefined();
  });
});

describe('STATS per-peer UDP counters ({"peers": [...]})', () => {
  it('count what one known socket sent: received, answered, dropped by reason; a peer not held is left out', async () => {
    const { port } = await started();
    const p = await tcpPeer(port);
    const u = await udpPeer();
    const other = await udpPeer();
    await sendAndMark(other, port, [], 1);
    const pings = Array.from({ length: 12 }, (_, i) => encodeFrame(MessageType.PING, i + 1));
    const bad = [encodeFrame(MessageType.HELLO, 50, encodeHello({})), Buffer.from([1, 2, 3]), encodeFrame(0x55, 51)];
    await sendAndMark(u, port, [...pings, ...bad], 99);
    const me = addressOf(u);
    const notHeld = formatPeerAddress('127.0.0.1', u.socket.address().port === 1 ? 2 : 1);
    const s = await stats(p, { peers: [me, notHeld, 'not an address'] });
    // 12 PINGs + 3 bad + the marker received; 12 PINGs + the marker answered.
    expect(s.udp.peers).toEqual({ [me]: { received: 16, answered: 13, dropped: { UNSUPPORTED: 2, BAD_FRAME: 1 } } });
    expect(s.udp.droppedByReason).toEqual({ UNSUPPORTED: 2, BAD_FRAME: 1 });
    expect(s.udp.dropped).toBe(3);
    expect(s.udp.peerTable).toEqual({ size: 2, capacity: 4096, evicted: 0 });
    // Both peers at once; no peers asked: no udp.peers; an empty list: an empty udp.peers.
    expect(Object.keys((await stats(p, { peers: [addressOf(other), me] })).udp.peers!).sort()).toEqual([addressOf(other), me].sort());
    expect((await stats(p)).udp.peers).toBeUndefined();
    expect((await stats(p, { peers: [] })).udp.peers).toEqual({});
  });

  it('a table of capacity 2 seeing 3 peers evicts the least recent and counts it', async () => {
    const { port } = await started({ udpPeerTable: 2 });
    const p = await tcpPeer(port);
    const [a, b, c] = [await udpPeer(), await udpPeer(), await udpPeer()];
    await sendAndMark(a, port, [], 1);
    await sendAndMark(b, port, [], 2);
    await sendAndMark(a, port, [], 3); // a is now more recent than b
    await sendAndMark(c, port, [], 4); // evicts b
    const s = await stats(p, { peers: [addressOf(a), addressOf(b), addressOf(c)] });
    expect(s.udp.peers).toEqual({
      [addressOf(a)]: { received: 2, answered: 2, dropped: {} },
      [addressOf(c)]: { received: 1, answered: 1, dropped: {} },
    });
    expect(s.udp.peerTable).toEqual({ size: 2, capacity: 2, evicted: 1 });
  });

  it('--udp-peer-table 0 turns the table off', async () => {
    const { port } = await started({ udpPeerTable: 0 });
    const p = await tcpPeer(port);
    const u = await udpPeer();
    await sendAndMark(u, port, [], 1);
    const s = await stats(p, { peers: [addressOf(u)] });
    expect(s.udp.peers).toEqual({});
    expect(s.udp.peerTable).toEqual({ size: 0, capacity: 0, evicted: 0 });
    expect(s.udp.out).toBe(1);
  });
});

describe('STATS bad queries → BAD_PAYLOAD (non-fatal), with the exact message', () => {
  let server: Server;
  let port: number;
  beforeAll(async () => {
    server = createServer({ port: 0, threads: 1 });
    port = (await server.listen()).tcp.port;
  });
  afterAll(() => server.close());

  const sixtyFive = JSON.stringify({ peers: Array.from({ length: 65 }, (_, i) => `127.0.0.1:${i + 1}`) });
  const bad: [string, Buffer, string][] = [
    ['not UTF-8', Buffer.from([0xc3]), 'STATS query is not valid UTF-8'],
    ['not JSON', Buffer.from('{"histograms":'), 'STATS query is not valid JSON'],
    ['not an object', Buffer.from('["histograms"]'), 'STATS query must be a JSON object'],
    ['histograms of the wrong type', Buffer.from('{"histograms":1}'), 'STATS query.histograms must be a boolean'],
    ['peers of the wrong type', Buffer.from('{"peers":{"127.0.0.1:1":true}}'), 'STATS query.peers must be an array of strings'],
    ['a peer of the wrong type', Buffer.from('{"peers":[null]}'), 'STATS query.peers must be an array of strings'],
    ['more than 64 peers', Buffer.from(sixtyFive), 'STATS query.peers must name at most 64 addresses, got 65'],
    ['an unknown field', Buffer.from('{"histogram":true}'), 'STATS query has an unknown field "histogram"'],
  ];
  for (const [name, payload, message] of bad) {
    it(`${name}: ERROR BAD_PAYLOAD "${message}", the connection stays`, async () => {
      const p = await tcpPeer(port);
      const f = await p.request(MessageType.STATS, 7, payload);
      expect(errorOf(f)).toEqual({ code: ErrorCode.BAD_PAYLOAD, message });
      expect((await p.request(MessageType.PING, 8)).type).toBe(MessageType.PING);
      expect((await stats(p)).errors.BAD_PAYLOAD).toBeGreaterThanOrEqual(1);
    });
  }
});

describe('STATS cpu, tcpRetransmits, udp.kernelDrops', () => {
  it('cpu.userUs grows after COMPUTE work on the pool (threads count)', async () => {
    const { port } = await started();
    const p = await tcpPeer(port);
    const before = (await stats(p)).cpu!;
    for (let id = 1; id <= 2; id++) {
      const f = await p.request(MessageType.COMPUTE, id, encodeCompute(50_000, Buffer.from('work')));
      expect(f.type).toBe(MessageType.COMPUTE);
    }
    const after = (await stats(p)).cpu!;
    expect(after.userUs).toBeGreaterThan(before.userUs);
    expect(after.systemUs).toBeGreaterThanOrEqual(before.systemUs);
  });

  it('tcpRetransmits and udp.kernelDrops are numbers where /proc/net has them, else null', async () => {
    const { port } = await started();
    const p = await tcpPeer(port);
    const s = await stats(p);
    if (existsSync('/proc/net/snmp')) expect(s.tcpRetransmits).toBeTypeOf('number');
    else expect(s.tcpRetransmits).toBeNull();
    // Our own socket is listed in /proc/net/udp (this network namespace's), so a number, ≥ 0.
    if (existsSync('/proc/net/udp')) expect(s.udp.kernelDrops).toBeGreaterThanOrEqual(0);
    else expect(s.udp.kernelDrops).toBeNull();
  });
});
