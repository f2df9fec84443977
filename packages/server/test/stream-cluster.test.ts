/**
 * Stream sessions in a cluster (docs/protocol.md, "Stream in a cluster"), through the real CLI with
 * two workers: a UDP session gets a port of its own on the process holding it; a TCP data connection
 * must land on that process (WELCOME.worker), and one on the other is refused with the reason.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode, MessageType, decodeWelcome, encodeStreamAttach, newStreamDataFrame, stampStreamData, type StreamReceiverReport } from '@sockbench/protocol';
import { CliProcess } from './cli-process.js';
import { Peer, UdpPeer, errorOf } from './helpers.js';
import { bind, open, report, rid, start, streamStats } from './fixtures/stream-peer.js';

describe('stream sessions with --workers 2', () => {
  let cli: CliProcess;
  let port: number;
  const peers: Peer[] = [];
  const udpPeers: UdpPeer[] = [];

  /** A connection and its WELCOME.worker. */
  async function connection(): Promise<{ peer: Peer; worker: number }> {
    const p = await Peer.open(port);
    peers.push(p);
    return { peer: p, worker: decodeWelcome((await p.next()).payload).worker };
  }

  beforeAll(async () => {
    cli = new CliProcess(['--workers', '2', '--threads', '1', '--port', '0']);
    port = (await cli.listening(true)).tcp;
  });
  afterAll(async () => {
    for (const p of peers) p.destroy();
    for (const u of udpPeers) u.close(); // on failure too
    await cli.kill();
  });

  it('up/UDP: the session has a port of its own on its worker, and every datagram to it counts', async () => {
    const { peer: c, worker } = await connection();
    const o = await open(c, { direction: 'up', transport: 'udp', size: 200, durationMs: 1000, bitrate: 1_000_000 });
    expect(o.worker).toBe(worker);
    expect(o.udpPort).not.toBe(port);
    expect(o.session >>> 24).toBe(worker);
    const u = await UdpPeer.open();
    udpPeers.push(u);
    await bind(u, o);
    await start(c, o.session);
    for (let i = 0; i < 20; i++) await u.send(stampStreamData(newStreamDataFrame(o.session, 200), i, i), o.udpPort);
    const r = (await report(c, o.session, 20)) as StreamReceiverReport;
    expect(r).toMatchObject({ messages: 20, lost: 0, bytes: 4000 });
  });

  it('TCP: a data connection on the other worker is refused by name; one on the session\'s worker attaches', async () => {
    const { peer: c, worker } = await connection();
    const o = await open(c, { direction: 'up', transport: 'tcp', size: 100, durationMs: 1000 });
    let other: Peer | undefined;
    let same: Peer | undefined;
    for (let i = 0; i < 20 && (other === undefined || same === undefined); i++) {
      const conn = await connection();
      if (conn.worker === worker) same ??= conn.peer;
      else other ??= conn.peer;
    }
    const attachOn = (p: Peer): Promise<ReturnType<typeof errorOf> | 'attached'> =>
      p.request(MessageType.STREAM_ATTACH, rid(), encodeStreamAttach({ session: o.session, key: o.key })).then((f) => (f.type === MessageType.ERROR ? errorOf(f) : 'attached'));
    expect(await attachOn(other!)).toEqual({ code: ErrorCode.BAD_PAYLOAD, message: `stream session ${o.session} is held by worker ${worker}; this connection is on worker ${1 - worker}` });
    expect(await attachOn(same!)).toBe('attached');
    await start(c, o.session);
    same!.socket.end(Buffer.concat([0, 1, 2, 3].map((i) => stampStreamData(newStreamDataFrame(o.session, 100), i, i))));
    expect(await report(c, o.session, 4)).toMatchObject({ role: 'receiver', messages: 4, lost: 0 });
    // STATS sums both processes: nothing left open.
    expect((await streamStats(port)).stream).toMatchObject({ sessions: 0, dataConnections: 0 });
  });
});
