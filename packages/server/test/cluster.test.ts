import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeFromCompressedBase64 } from 'hdr-histogram-js';
import { MessageType, decodeChat, decodeStats, decodeWelcome, encodeCompute, encodeFrame, encodeHello, encodeRoom, encodeSay, encodeStatsQuery, formatPeerAddress } from '@sockbench/protocol';
import { CliProcess } from './cli-process.js';
import { Peer, UdpPeer, waitFor } from './helpers.js';

function sha256n(data: Buffer, n: number): Buffer {
  let h = createHash('sha256').update(data).digest();
  for (let i = 1; i < n; i++) h = createHash('sha256').update(h).digest();
  return h;
}

const DRAIN_TIMEOUT_MS = 10_000;

/**
 * One cluster for the whole file (2 workers, 1 thread each); the last test shuts it down.
 * Tests run in order and build on each other's connections.
 */
describe('cluster through the real CLI (--workers 2)', () => {
  let cli: CliProcess;
  let port: number;
  let metricsUrl: string;
  const peers: Peer[] = [];

  /** Opens connections until one lands on `worker` (bounded); closes the others. */
  async function peerOn(worker: number): Promise<Peer> {
    for (let i = 0; i < 20; i++) {
      const p = await Peer.open(port);
      const w = decodeWelcome((await p.next()).payload).worker;
      if (w === worker) {
        peers.push(p);
        return p;
      }
      p.destroy();
    }
    throw new Error(`no connection landed on worker ${worker} in 20 tries`);
  }

  beforeAll(async () => {
    // COMPUTE here must progress while other test files keep the cores busy: SCHED_IDLE threads (the default) would get ~0.3 % of a core.
    cli = new CliProcess(['--workers', '2', '--threads', '1', '--pool-policy', 'other', '--port', '0', '--metrics-port', '0', '--drain-timeout', String(DRAIN_TIMEOUT_MS)]);
    const { tcp, line } = await cli.listening(true);
    port = tcp;
    metricsUrl = `http://127.0.0.1:${(line.metrics as { port: number }).port}/metrics`;
  });
  afterAll(async () => {
    for (const p of peers) p.destroy();
    await cli.kill();
  });

  it('connections land on both processes', async () => {
    const seen = new Set<number>();
    for (let i = 0; i < 20 && seen.size < 2; i++) {
      const p = await Peer.open(port);
      peers.push(p);
      seen.add(decodeWelcome((await p.next()).payload).worker);
    }
    expect([...seen].sort()).toEqual([0, 1]);
  });

  it('chat crosses processes, both ways', async () => {
    const a = await peerOn(0);
    const b = await peerOn(1);
    await a.request(MessageType.HELLO, 1, encodeHello({ client: 'on-0' }));
    await b.request(MessageType.HELLO, 1, encodeHello({ client: 'on-1' }));
    await a.request(MessageType.JOIN, 2, encodeRoom('x'));
    await b.request(MessageType.JOIN, 2, encodeRoom('x'));
    await a.request(MessageType.SAY, 3, encodeSay('x', 'from zero'));
    await b.until(() => b.frames.some((f) => f.type === MessageType.CHAT));
    expect(decodeChat(b.frames.find((f) => f.type === MessageType.CHAT)!.payload)).toEqual({ room: 'x', from: 'on-0', text: 'from zero' });
    await b.request(MessageType.SAY, 4, encodeSay('x', 'from one'));
    await a.until(() => a.frames.some((f) => f.type === MessageType.CHAT));
    expect(decodeChat(a.frames.find((f) => f.type === MessageType.CHAT)!.payload)).toEqual({ room: 'x', from: 'on-1', text: 'from one' });
  });

  it('STATS sums both processes', async () => {
    const a = await peerOn(0);
    const b = await peerOn(1);
    const before = decodeStats((await a.request(MessageType.STATS, 1)).payload);
    // Only the worker-1 connection sends these; the worker-0 connection must still see them.
    for (let id = 10; id < 17; id++) await b.request(MessageType.PING, id);
    const after = decodeStats((await a.request(MessageType.STATS, 2)).payload);
    expect(after.processes).toBe(2);
    expect(after.pool.threads).toBe(2);
    expect(after.serviceTimeUs.PING!.count - (before.serviceTimeUs.PING?.count ?? 0)).toBe(7);
    expect(after.connections.current).toBeGreaterThanOrEqual(2);
    const fromB = decodeStats((await b.request(MessageType.STATS, 20)).payload);
    expect(fromB.processes).toBe(2);
    expect(fromB.serviceTimeUs.PING!.count).toBe(after.serviceTimeUs.PING!.count);
    // A frame parked on worker 1 is charged in the sum worker 0 answers; each process has its own budget.
    const parked = encodeFrame(MessageType.ECHO, 30, Buffer.alloc(1000, 7));
    b.socket.write(parked.subarray(0, 13));
    let buffered = after.buffered;
    await waitFor(async () => (buffered = decodeStats((await a.request(MessageType.STATS, 31)).payload).buffered)?.bytes === 1012, 5_000, 'the parked frame charged');
    expect(buffered).toEqual({ bytes: 1012, limit: 2 * 256 * 1024 * 1024, waiting: 0, frameTimeouts: 0 });
    b.socket.write(parked.subarray(13));
    expect((await b.reply(30)).payload.length).toBe(1000);
  });

  it('STATS {histograms, peers}: histograms merged over both processes, a UDP peer\'s entries summed, only asked peers sent', async () => {
    const a = await peerOn(0);
    const b = await peerOn(1);
    const u = await UdpPeer.open();
    try {
      const me = formatPeerAddress(u.socket.address().address, u.socket.address().port);
      const before = decodeStats((await a.request(MessageType.STATS, 1, encodeStatsQuery({ histograms: true }))).payload);
      // TCP PINGs on worker 1, UDP PINGs on whichever process reads the shared socket.
      for (let id = 10; id < 15; id++) await b.request(MessageType.PING, id);
      for (let id = 1; id <= 20; id++) await u.send(encodeFrame(MessageType.PING, id), port);
      await waitFor(() => u.received.length === 20, 10_000, '20 UDP PING replies');
      const query = encodeStatsQuery({ histograms: true, peers: [me, '127.0.0.1:1'] });
      const after = decodeStats((await a.request(MessageType.STATS, 2, query)).payload);
      expect(after.processes).toBe(2);
      const ping = decodeFromCompressedBase64(after.serviceTimeHistograms!.PING!);
      expect(ping.totalCount).toBe(after.serviceTimeUs.PING!.count);
      ping.subtract(decodeFromCompressedBase64(before.serviceTimeHistograms!.PING!));
      expect(ping.totalCount).toBe(25);
      expect(after.udp.peers).toEqual({ [me]: { received: 20, answered: 20, dropped: {} } });
      expect(after.udp.peerTable?.capacity).toBe(2 * 4096);
      expect(after.cpu!.userUs).toBeGreaterThan(0);
      // Asked of the other worker: the same sums.
      const fromB = decodeStats((await b.request(MessageType.STATS, 20, query)).payload);
      expect(fromB.udp.peers).toEqual(after.udp.peers);
    } finally {
      u.close();
    }
  });

  it('/metrics on the primary sums both workers (prom-client AggregatorRegistry)', async () => {
    const a = await peerOn(0);
    await peerOn(1);
    const stats = decodeStats((await a.request(MessageType.STATS, 1)).payload);
    const text = await (await fetch(metricsUrl)).text();
    expect(text).toContain(`sockbench_connections_total ${stats.connections.total}`);
    expect(text).toContain('sockbench_pool_threads 2');
    expect(text).toMatch(/^sockbench_cpu_user_seconds_total \d/m);
    // Host-wide: one worker's reading (aggregator "first"), not the sum of two.
    const drops = /^sockbench_udp_kernel_drops_total (\d+)$/m.exec(text);
    if (stats.udp.kernelDrops === null || stats.udp.kernelDrops === undefined) expect(drops).toBeNull();
    else expect(Number(drops![1])).toBeGreaterThanOrEqual(stats.udp.kernelDrops);
  });

  it('a worker killed with SIGKILL is replaced in its slot; new connections succeed', async () => {
    const up = cli.lines.filter((l) => l.msg === 'worker up' && l.worker === 1);
    const victim = up[up.length - 1]!.workerPid as number;
    const onVictim = await peerOn(1);
    process.kill(victim, 'SIGKILL');
    await onVictim.waitClosed();
    const down = await cli.waitLine((l) => l.msg === 'worker down' && l.workerPid === victim, 10_000, 'worker down');
    expect(down.signal).toBe('SIGKILL');
    await cli.waitLine((l) => l.msg === 'worker up' && l.worker === 1 && l.workerPid !== victim, 15_000, 'respawned worker up');
    const fresh = await peerOn(1);
    expect((await fresh.request(MessageType.PING, 1)).type).toBe(MessageType.PING);
    const s = decodeStats((await fresh.request(MessageType.STATS, 2)).payload);
    expect(s.processes).toBe(2);
  });

  it('SIGTERM with 100 COMPUTE requests in flight: all answered, each worker drained before its deadline and exited 0, then exit 0', async () => {
    const conns = [await peerOn(0), await peerOn(1)];
    const expected = new Map<number, Buffer>();
    conns.forEach((p, c) => {
      const frames: Buffer[] = [];
      for (let i = 1; i <= 50; i++) {
        const id = c * 1000 + i;
        const data = Buffer.from(`job ${id}`);
        frames.push(encodeFrame(MessageType.COMPUTE, id, encodeCompute(5_000, data)));
        expected.set(id, sha256n(data, 5_000));
      }
      // One write each: the server has all 50 once it answers the first.
      p.socket.write(Buffer.concat(frames));
    });
    await Promise.all(conns.map((p) => p.until(() => p.frames.length > 0, 15_000, 'first COMPUTE reply')));
    cli.child.kill('SIGTERM');
    await Promise.all(conns.map((p) => p.waitClosed(DRAIN_TIMEOUT_MS)));
    const exit = await cli.exited;
    expect(exit).toEqual({ code: 0, signal: null });
    // Within the drain timeout, read from what the processes did, not from the wall clock: a worker
    // whose deadline passed logs "drain timeout" and destroys its connections; one that did not
    // exit after it is killed by the primary; either would show here.
    expect(cli.lines.filter((l) => l.msg === 'drain timeout: closing the rest' || l.msg === 'worker did not exit in time: killing it')).toEqual([]);
    const exited = cli.lines.filter((l) => l.msg === 'worker exited').map((l) => [l.worker, l.code, l.signal]);
    expect(exited.sort()).toEqual([
      [0, 0, null],
      [1, 0, null],
    ]);
    const replies = conns.flatMap((p) => p.frames);
    expect(replies).toHaveLength(100);
    for (const f of replies) {
      expect(f.type).toBe(MessageType.COMPUTE);
      expect(f.payload.equals(expected.get(f.id)!)).toBe(true);
    }
    expect(cli.lines.some((l) => l.msg === 'shutdown' && l.signal === 'SIGTERM')).toBe(true);
  });
});
