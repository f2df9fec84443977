/**
 * The thread hand-off over real sockets: batched PING/ECHO replies matched to their ids and
 * connections, BUSY past the pool's bound, COMPUTE beside the batches (never serialized behind them
 * or behind each other), PING while COMPUTE saturates the pool (inline: never on the pool; pool: ahead
 * of the COMPUTEs queued). Ordering and counts only: the COMPUTEs that must still be running are
 * hundreds of thousands of SHA-256 rounds, against requests answered in microseconds.
 */
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { ErrorCode, Flags, MessageType, decodeStats, encodeCompute, encodeFrame } from '@sockbench/protocol';
import { createServer, type Server } from '../src/index.js';
import { Peer, UdpPeer, errorOf, waitFor } from './helpers.js';
import { HAS_CHRT, SCHED_IDLE, threadsWithPolicy } from './proc-threads.js';

const digests = new Map<string, Buffer>();
/** SHA-256 applied `n` times (docs/protocol.md), each (data, n) computed once per file. */
function sha256n(data: Buffer, n: number): Buffer {
  const key = `${data.toString('hex')}/${n}`;
  let h = digests.get(key);
  if (h !== undefined) return h;
  h = createHash('sha256').update(data).digest();
  for (let i = 1; i < n; i++) h = createHash('sha256').update(h).digest();
  digests.set(key, h);
  return h;
}

/** Rounds for a COMPUTE that is still running while a few dozen round trips happen. */
const LONG = 200_000;

const servers: Server[] = [];
const peers: Peer[] = [];
const udpPeers: UdpPeer[] = [];
async function start(opts: Parameters<typeof createServer>[0]): Promise<{ server: Server; port: number; udpPort: number }> {
  const server = createServer({ port: 0, maxIterations: 5_000_000, ...opts });
  servers.push(server);
  const { tcp, udp } = await server.listen();
  return { server, port: tcp.port, udpPort: udp!.port };
}
async function open(port: number): Promise<Peer> {
  const p = await Peer.welcomed(port);
  peers.push(p);
  return p;
}
afterEach(async () => {
  for (const p of peers.splice(0)) p.destroy();
  for (const u of udpPeers.splice(0)) u.close();
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

/** The ECHO payload connection `conn` sends with request `id` (distinct per both, some empty). */
const payloadOf = (conn: number, id: number): Buffer => Buffer.from(`c${conn}/${id};`.repeat(id % 4));

describe('--dispatch pool: batched hand-off', () => {
  it('PING/ECHO from four connections in one turn come back matched: exact replies per id per connection', async () => {
    const { server, port } = await start({ threads: 2, dispatch: 'pool' });
    const conns = await Promise.all([0, 1, 2, 3].map(() => open(port)));
    const ids = Array.from({ length: 12 }, (_, i) => i + 1);
    const isPing = (id: number): boolean => id % 3 === 0;
    // Each connection's requests in one write, all four writes in the same tick.
    conns.forEach((p, conn) => p.socket.write(Buffer.concat(ids.map((id) => (isPing(id) ? encodeFrame(MessageType.PING, id) : encodeFrame(MessageType.ECHO, id, payloadOf(conn, id)))))));
    await Promise.all(conns.map((p) => p.until(() => p.frames.length === ids.length)));
    conns.forEach((p, conn) => {
      const got = [...p.frames].sort((a, b) => a.id - b.id);
      expect(got.map((f) => [f.id, f.type, f.flags])).toEqual(ids.map((id) => [id, isPing(id) ? MessageType.PING : MessageType.ECHO, Flags.RESPONSE]));
      for (const f of got) expect(f.payload.equals(isPing(f.id) ? Buffer.alloc(0) : payloadOf(conn, f.id))).toBe(true);
    });
    const stats = await server.stats();
    expect([stats.pool.completed, stats.pool.queued, stats.frames.in, stats.frames.out]).toEqual([48, 0, 48, 48 + 4]);
    expect([stats.serviceTimeUs.ECHO?.count, stats.serviceTimeUs.PING?.count]).toEqual([32, 16]);
  });

  it('a full pool answers BUSY with the request id, counting each request of a batch (threads 1 + pool queue 2)', async () => {
    const { server, port } = await start({ threads: 1, poolQueue: 2, dispatch: 'pool' });
    const p = await open(port);
    p.socket.write(Buffer.concat([1, 2, 3, 4, 5].map((id) => (id % 2 === 0 ? encodeFrame(MessageType.PING, id) : encodeFrame(MessageType.ECHO, id, payloadOf(0, id))))));
    await p.until(() => p.frames.length === 5);
    const byId = new Map(p.frames.map((f) => [f.id, f]));
    expect([1, 2, 3].map((id) => byId.get(id)!.type)).toEqual([MessageType.ECHO, MessageType.PING, MessageType.ECHO]);
    expect(byId.get(3)!.payload.equals(payloadOf(0, 3))).toBe(true);
    for (const id of [4, 5]) {
      expect(byId.get(id)).toMatchObject({ type: MessageType.ERROR, flags: Flags.RESPONSE, id });
      expect(errorOf(byId.get(id)!)).toEqual({ code: ErrorCode.BUSY, message: 'thread pool queue is full' });
    }
    // Not fatal, and the room is back once the batch is answered.
    expect((await p.request(MessageType.PING, 6)).type).toBe(MessageType.PING);
    const stats = await server.stats();
    expect([stats.errors.BUSY, stats.pool.completed]).toEqual([2, 4]);
  });

  it('COMPUTE beside a batch: each COMPUTE its own task, so the short ones and the batch pass a long one (threads 2)', async () => {
    const { port } = await start({ threads: 2, dispatch: 'pool' });
    const p = await open(port);
    const z = Buffer.from('z');
    p.socket.write(
      Buffer.concat([
        encodeFrame(MessageType.COMPUTE, 1, encodeCompute(LONG, z)),
        encodeFrame(MessageType.COMPUTE, 2, encodeCompute(1, z)),
        encodeFrame(MessageType.PING, 3),
        encodeFrame(MessageType.ECHO, 4, payloadOf(0, 3)),
        encodeFrame(MessageType.COMPUTE, 5, encodeCompute(2, z)),
      ]),
    );
    await p.until(() => p.frames.length === 5, 30_000);
    // One thread holds COMPUTE 1; everything else went through the other, and 1 came last.
    expect(p.frames.at(-1)!.id).toBe(1);
    const byId = new Map(p.frames.map((f) => [f.id, f]));
    expect(byId.get(1)!.payload.equals(sha256n(z, LONG))).toBe(true);
    expect(byId.get(2)!.payload.equals(sha256n(z, 1))).toBe(true);
    expect(byId.get(5)!.payload.equals(sha256n(z, 2))).toBe(true);
    expect([byId.get(3)!.type, byId.get(4)!.payload.equals(payloadOf(0, 3))]).toEqual([MessageType.PING, true]);
  });

  it('PING while COMPUTE holds the only thread: it goes ahead of the COMPUTE queued, not behind it (threads 1)', async () => {
    const { port } = await start({ threads: 1, dispatch: 'pool' });
    const p = await open(port);
    const z = Buffer.from('z');
    p.socket.write(Buffer.concat([encodeFrame(MessageType.COMPUTE, 1, encodeCompute(LONG, z)), encodeFrame(MessageType.COMPUTE, 2, encodeCompute(1, z))]));
    // STATS is answered on the event loop: wait until 1 runs and 2 waits.
    let statsId = 100;
    await waitFor(
      async () => {
        const s = decodeStats((await p.request(MessageType.STATS, ++statsId)).payload);
        return s.pool.queued === 1 && s.pool.completed === 0;
      },
      10_000,
      'COMPUTE 1 running, COMPUTE 2 queued',
    );
    p.send(MessageType.PING, 3);
    await p.until(() => p.frames.length === 3, 30_000);
    // A FIFO queue would answer 1, 2, 3.
    expect(p.frames.map((f) => f.id)).toEqual([1, 3, 2]);
    expect(p.frames[0]!.payload.equals(sha256n(z, LONG))).toBe(true);
  });

  it('UDP: ECHOs from two sockets in one turn, each answered to its own source', async () => {
    const { server, udpPort } = await start({ threads: 1, dispatch: 'pool' });
    const us = [await UdpPeer.open(), await UdpPeer.open()];
    udpPeers.push(...us);
    const ids = [1, 2, 3, 4, 5];
    await Promise.all(us.flatMap((u, conn) => ids.map((id) => u.send(encodeFrame(MessageType.ECHO, id, payloadOf(conn, id + 1)), udpPort))));
    await waitFor(() => us.every((u) => u.received.length === ids.length));
    us.forEach((u, conn) => {
      const got = [...u.received].sort((a, b) => a.readUInt32BE(8) - b.readUInt32BE(8));
      expect(got.map((m) => m.equals(encodeFrame(MessageType.ECHO, m.readUInt32BE(8), payloadOf(conn, m.readUInt32BE(8) + 1), Flags.RESPONSE)))).toEqual(ids.map(() => true));
      expect(got.map((m) => m.readUInt32BE(8))).toEqual(ids);
    });
    const stats = await server.stats();
    expect([stats.udp.in, stats.udp.out, stats.pool.completed]).toEqual([10, 10, 10]);
  });
});

describe('--dispatch inline: PING while COMPUTE saturates the pool', () => {
  it('PINGs on another connection are answered while the only thread hashes and a COMPUTE waits; none goes to the pool', async () => {
    // COMPUTE here must progress while other test files keep the cores busy: SCHED_IDLE threads (the default) would get ~0.3 % of a core.
    const { server, port } = await start({ threads: 1, dispatch: 'inline', poolPolicy: 'other' });
    const hasher = await open(port);
    const other = await open(port);
    const z = Buffer.from('z');
    hasher.socket.write(Buffer.concat([encodeFrame(MessageType.COMPUTE, 1, encodeCompute(LONG, z)), encodeFrame(MessageType.COMPUTE, 2, encodeCompute(1, z))]));
    await waitFor(async () => (await server.stats()).pool.queued === 1, 10_000, 'COMPUTE 2 queued');
    for (let id = 1; id <= 20; id++) expect((await other.request(MessageType.PING, id)).type).toBe(MessageType.PING);
    // Twenty round trips done, and the pool has still answered nothing: they never waited for it.
    const during = decodeStats((await other.request(MessageType.STATS, 21)).payload);
    expect([during.pool.completed, during.pool.queued, hasher.frames.length]).toEqual([0, 1, 0]);
    await hasher.until(() => hasher.frames.length === 2, 30_000);
    expect(hasher.frames.map((f) => [f.id, f.payload.equals(sha256n(z, f.id === 1 ? LONG : 1))])).toEqual([
      [1, true],
      [2, true],
    ]);
    expect((await server.stats()).pool.completed).toBe(2);
  });
});

/** The niceness this test process runs at (a suite run under `nice -n 5` starts every thread at 5). */
const BASE_NICE = Number(readFileSync('/proc/self/stat', 'utf8').split(') ')[1]!.split(' ')[19 - 3]);

/** This process's threads by niceness above the process's own (/proc/self/task/<tid>/stat, field 19, less BASE_NICE; the kernel caps it at 19). */
function nicenesses(): Map<number, number> {
  const out = new Map<number, number>();
  for (const tid of readdirSync('/proc/self/task')) {
    const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
    const nice = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19 - 3]) - BASE_NICE;
    out.set(nice, (out.get(nice) ?? 0) + 1);
  }
  return out;
}

describe.runIf(process.platform === 'linux')('--pool-nice', () => {
  it('defaults to 10 with --dispatch inline (threads run only COMPUTE), 0 with pool; --pool-nice sets it', async () => {
    const before = nicenesses();
    await start({ threads: 2 });
    await waitFor(() => (nicenesses().get(10) ?? 0) === (before.get(10) ?? 0) + 2, 10_000, 'two threads at nice 10');
    await start({ threads: 1, dispatch: 'pool', poolNice: 4 });
    await waitFor(() => (nicenesses().get(4) ?? 0) === (before.get(4) ?? 0) + 1, 10_000, 'one thread at nice 4');
    const pool = await start({ threads: 1, dispatch: 'pool' });
    // Answered by its only thread, so it has started: and not reniced.
    const p = await open(pool.port);
    expect((await p.request(MessageType.PING, 1)).type).toBe(MessageType.PING);
    const after = nicenesses();
    expect([after.get(10) ?? 0, after.get(4) ?? 0]).toEqual([(before.get(10) ?? 0) + 2, (before.get(4) ?? 0) + 1]);
  });
});

describe.runIf(HAS_CHRT)('--pool-policy', () => {
  it('defaults to idle (SCHED_IDLE) with --dispatch inline, other with pool; --pool-policy sets it', async () => {
    const before = threadsWithPolicy(SCHED_IDLE);
    await start({ threads: 2 });
    await waitFor(() => threadsWithPolicy(SCHED_IDLE) === before + 2, 10_000, 'two threads at SCHED_IDLE');
    await start({ threads: 1, dispatch: 'pool', poolPolicy: 'idle' });
    await waitFor(() => threadsWithPolicy(SCHED_IDLE) === before + 3, 10_000, 'a third thread at SCHED_IDLE');
    // Each answered by its only thread, so each has started: and stayed at SCHED_OTHER.
    for (const opts of [{ threads: 1, dispatch: 'pool' as const }, { threads: 1, poolPolicy: 'other' as const }]) {
      const srv = await start(opts);
      const p = await open(srv.port);
      const reply = await p.request(MessageType.COMPUTE, 1, encodeCompute(1, Buffer.alloc(1)));
      expect(reply.type).toBe(MessageType.COMPUTE);
    }
    expect(threadsWithPolicy(SCHED_IDLE)).toBe(before + 3);
  });
});
