/**
 * Stream sessions against the real server (docs/protocol.md, "Stream"): up and down over UDP and
 * TCP, the straggler wait, the address validation of down/UDP, and a control connection that goes
 * away mid-stream (the session ends and nothing is left).
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  MessageType,
  StreamReceiver,
  decodeStreamChallenge,
  decodeStreamValidated,
  encodeStreamBind,
  encodeStreamValidate,
  newStreamDataFrame,
  readStreamData,
  stampStreamData,
  HEADER_SIZE,
  STREAM_STRAGGLER_QUIET_MS,
  STREAM_STRAGGLER_MAX_MS,
  type StreamReceiverReport,
  type StreamSenderReport,
} from '@sockbench/protocol';
import { createServer, type Server } from '../src/index.js';
import { Peer, UdpPeer, waitFor } from './helpers.js';
import { attach, bind, open, report, rid, start, streamStats } from './fixtures/stream-peer.js';

let server: Server;
let port: number;
const closers: (() => void)[] = [];
beforeAll(async () => {
  server = createServer({ port: 0, threads: 1 });
  port = (await server.listen()).tcp.port;
});
afterAll(() => server.close());
afterEach(() => {
  for (const c of closers.splice(0)) c();
});
async function control(): Promise<Peer> {
  const p = await Peer.welcomed(port);
  closers.push(() => p.destroy());
  return p;
}
async function udpPeer(): Promise<UdpPeer> {
  const u = await UdpPeer.open();
  closers.push(() => u.close());
  return u;
}
const noSessions = async (): Promise<void> => waitFor(async () => (await streamStats(port)).stream.sessions === 0, 5_000, 'no stream session left');

describe('up over UDP', () => {
  it('counts gaps, reordering and duplicates apart; waits for stragglers; then the session is closed', async () => {
    const c = await control();
    const o = await open(c, { direction: 'up', transport: 'udp', size: 100, durationMs: 1000, bitrate: 1_000_000 });
    expect(o).toMatchObject({ worker: 0, udpPort: port, size: 100, durationMs: 1000, bitrate: 1_000_000 });
    const u = await udpPeer();
    await bind(u, o);
    await start(c, o.session);
    // 0..9 with 5 missing, 7 before 6, 3 twice: 9 distinct, 1 late, 1 duplicate.
    for (const seq of [0, 1, 2, 3, 3, 4, 7, 6, 8, 9]) await u.send(stampStreamData(newStreamDataFrame(o.session, 100), seq, seq * 800), port);
    const r = (await report(c, o.session, 10)) as StreamReceiverReport;
    expect(r).toMatchObject({ role: 'receiver', session: o.session, messages: 9, bytes: 900, lost: 1, lossPercent: 10, outOfOrder: 1, duplicates: 1 });
    // The wait: at least the quiet period after the request, at most the bound.
    expect(r.waitedMs).toBeGreaterThanOrEqual(STREAM_STRAGGLER_QUIET_MS - 1);
    expect(r.waitedMs).toBeLessThanOrEqual(STREAM_STRAGGLER_MAX_MS + 50);
    expect(r.delayVariation.length).toBeGreaterThan(0);
    expect(r.intervals.reduce((n, i) => n + i.messages, 0)).toBe(9);
    expect(u.received).toEqual([]); // data is never answered
    await noSessions();
  });

  it('counts only the bound source: data from another socket, or after a refused jump, is dropped and counted', async () => {
    const c = await control();
    const o = await open(c, { direction: 'up', transport: 'udp', size: 64, durationMs: 1000, bitrate: 1_000_000 });
    const u = await udpPeer();
    const intruder = await udpPeer();
    const challenge = await bind(u, o);
    expect(challenge.length).toBe(28); // as large as the BIND, no larger
    await start(c, o.session);
    const before = (await streamStats(port)).stream.datagramsDropped.refused;
    const frame = (seq: number): Buffer => stampStreamData(newStreamDataFrame(o.session, 64), seq, seq);
    await u.send(frame(0), port);
    await intruder.send(frame(1), port);
    await intruder.send(frame(2), port);
    await u.send(frame(2 ** 40), port); // a jump no sender makes: refused
    await u.send(frame(1), port);
    // A BIND after START binds nothing: the intruder's data still does not count.
    await intruder.send(encodeStreamBind(o.session, Buffer.from(o.key, 'hex')), port);
    await intruder.send(frame(3), port);
    await waitFor(async () => (await streamStats(port)).stream.datagramsDropped.refused === before + 5, 5_000, 'five refused drops');
    const r = (await report(c, o.session, 2)) as StreamReceiverReport;
    expect(r).toMatchObject({ messages: 2, lost: 0, duplicates: 0 });
    expect([u.received, intruder.received]).toEqual([[], []]);
  });
});

describe('up over TCP', () => {
  it('a data connection carries the messages; its FIN ends the wait; the report counts them', async () => {
    const c = await control();
    const o = await open(c, { direction: 'up', transport: 'tcp', size: 1000, durationMs: 1000 });
    expect(o.bitrate).toBeNull();
    const data = await attach(port, o);
    expect((await streamStats(port)).stream.dataConnections).toBe(1);
    await start(c, o.session);
    const frames = Array.from({ length: 50 }, (_, i) => stampStreamData(newStreamDataFrame(o.session, 1000), i, i));
    data.socket.end(Buffer.concat(frames));
    await data.waitClosed();
    const r = (await report(c, o.session, 50)) as StreamReceiverReport;
    expect(r).toMatchObject({ role: 'receiver', messages: 50, bytes: 50_000, lost: 0, outOfOrder: 0, duplicates: 0 });
    expect(r.waitedMs).toBeLessThan(STREAM_STRAGGLER_QUIET_MS); // the FIN had come: no quiet period to wait
    await noSessions();
  });
});

describe('down over UDP: only to a validated address', () => {
  it('bind → challenge (same size) → validate → start; the sender stops by itself; the report is the sender\'s', async () => {
    const c = await control();
    const o = await open(c, { direction: 'down', transport: 'udp', size: 100, durationMs: 200, bitrate: 1_000_000 });
    const bystander = await udpPeer();
    const u = await udpPeer();
    const bind = encodeStreamBind(o.session, Buffer.from(o.key, 'hex'));
    await u.send(bind, o.udpPort);
    await waitFor(() => u.received.length === 1, 5_000, 'challenge');
    const challengeDatagram = u.received.shift()!;
    expect(challengeDatagram.length).toBe(bind.length); // no amplification
    const challenge = decodeStreamChallenge(challengeDatagram.subarray(HEADER_SIZE));
    const v = await c.request(MessageType.STREAM_VALIDATE, rid(), encodeStreamValidate({ session: o.session, challenge: challenge.toString('hex') }));
    expect(decodeStreamValidated(v.payload)).toEqual({ address: `127.0.0.1:${u.socket.address().port}` });
    await start(c, o.session);
    // 200 ms at 1 Mbit/s of 100-byte messages: at most 250 messages, then nothing more.
    await waitFor(() => u.received.length > 0, 5_000, 'down data');
    await new Promise((r) => setTimeout(r, 400));
    const r = (await report(c, o.session)) as StreamSenderReport;
    expect(r.role).toBe('sender');
    expect(r.messages).toBeGreaterThan(0);
    expect(r.messages).toBeLessThanOrEqual(250);
    expect(r.bytes).toBe(r.messages * 100);
    const receiver = new StreamReceiver({ clock: () => 0 });
    for (const d of u.received) {
      expect(d.length).toBe(100);
      expect(d[5]).toBe(MessageType.STREAM_DATA);
      const { sequence, sentUs } = readStreamData(d.subarray(HEADER_SIZE));
      receiver.receive(sequence, sentUs, d.length, 1);
    }
    const counts = receiver.counts(r.messages);
    expect(counts.messages + counts.lost).toBe(r.messages);
    expect(bystander.received).toEqual([]);
    await noSessions();
  });
});

describe('down over TCP', () => {
  it('paced: the data connection gets the schedule\'s messages, in order, then FIN once reported', async () => {
    const c = await control();
    // 8 Mbit/s of 1000-byte frames: one per ms, 100 in 100 ms.
    const o = await open(c, { direction: 'down', transport: 'tcp', size: 1000, durationMs: 100, bitrate: 8_000_000 });
    const data = await attach(port, o);
    await start(c, o.session);
    await data.until(() => data.frames.length > 0, 5_000, 'down data');
    const r = (await report(c, o.session)) as StreamSenderReport;
    await data.waitClosed();
    const seqs = data.frames.map((f) => readStreamData(f.payload).sequence);
    expect(r.messages).toBeGreaterThan(0);
    expect(r.messages).toBeLessThanOrEqual(100);
    expect(seqs).toEqual(Array.from({ length: r.messages }, (_, i) => i));
    expect(data.frames.every((f) => f.type === MessageType.STREAM_DATA && f.id === o.session && f.payload.length === 1000 - HEADER_SIZE)).toBe(true);
  });

  it('unpaced: as fast as TCP takes it, for the duration only', async () => {
    const c = await control();
    const o = await open(c, { direction: 'down', transport: 'tcp', size: 65_000, durationMs: 50 });
    const data = await attach(port, o);
    // Count raw bytes: frames of 65 kB each, no copies kept.
    let bytes = 0;
    data.socket.removeAllListeners('data');
    data.socket.on('data', (chunk: Buffer) => (bytes += chunk.length));
    await start(c, o.session);
    await new Promise((r) => setTimeout(r, 300));
    const r = (await report(c, o.session)) as StreamSenderReport;
    await data.waitClosed();
    expect(r.messages).toBeGreaterThan(0);
    expect(bytes).toBe(r.bytes);
  });
});

describe('a control connection that goes away mid-stream', () => {
  it('ends its sessions: the sender stops, the data connection gets FIN, STATS shows none left', async () => {
    const c = await control();
    const o = await open(c, { direction: 'down', transport: 'tcp', size: 1000, durationMs: 30_000, bitrate: 8_000_000 });
    const data = await attach(port, o);
    const up = await open(c, { direction: 'up', transport: 'udp', size: 100, durationMs: 30_000, bitrate: 1_000_000 });
    await bind(await udpPeer(), up);
    await start(c, o.session);
    await start(c, up.session);
    await data.until(() => data.frames.length > 5, 5_000, 'some down data');
    expect((await streamStats(port)).stream).toMatchObject({ sessions: 2, dataConnections: 1 });
    c.destroy();
    await data.waitClosed();
    await noSessions();
    expect((await streamStats(port)).stream.dataConnections).toBe(0);
    // The up session is closed now: its data is dropped and counted as such.
    const before = (await streamStats(port)).stream.datagramsDropped.closedSession;
    const u = await udpPeer();
    await u.send(stampStreamData(newStreamDataFrame(up.session, 100), 0, 0), port);
    await waitFor(async () => (await streamStats(port)).stream.datagramsDropped.closedSession === before + 1, 5_000, 'closed-session drop');
    expect(u.received).toEqual([]);
  });

  it('a data connection that goes away ends nothing but itself', async () => {
    const c = await control();
    const o = await open(c, { direction: 'up', transport: 'tcp', size: 100, durationMs: 1000 });
    const data = await attach(port, o);
    data.destroy();
    await waitFor(async () => (await streamStats(port)).stream.dataConnections === 0, 5_000, 'data connection gone');
    expect((await streamStats(port)).stream.sessions).toBe(1);
    c.destroy();
    await noSessions();
  });
});

describe('a server that drains mid-stream', () => {
  it('ends its sessions: the down sender stops and the data connection gets FIN; close() resolves', async () => {
    const own = createServer({ port: 0, threads: 1, drainTimeoutMs: 5_000 });
    const ownPort = (await own.listen()).tcp.port;
    closers.push(() => void own.close()); // on failure too; close() is idempotent
    const c = await Peer.welcomed(ownPort);
    closers.push(() => c.destroy());
    const o = await open(c, { direction: 'down', transport: 'tcp', size: 1000, durationMs: 30_000, bitrate: 8_000_000 });
    const data = await attach(ownPort, o);
    closers.push(() => data.destroy());
    await start(c, o.session);
    await data.until(() => data.frames.length > 5, 5_000, 'some down data');
    const closed = own.close();
    await data.waitClosed();
    c.destroy();
    await closed;
    const seqs = data.frames.map((f) => readStreamData(f.payload).sequence);
    expect(seqs).toEqual(Array.from({ length: seqs.length }, (_, i) => i)); // in order, from 0
  });
});

describe('--idle-timeout and a stream', () => {
  it('spares a silent control connection and a down data connection while their session is open; applies again after', async () => {
    const own = createServer({ port: 0, threads: 1, idleTimeoutMs: 100 });
    const ownPort = (await own.listen()).tcp.port;
    closers.push(() => void own.close());
    const c = await Peer.welcomed(ownPort);
    closers.push(() => c.destroy());
    // 8 Mbit/s of 1000-byte frames: one per ms for 600 ms; neither connection sends a byte meanwhile.
    const o = await open(c, { direction: 'down', transport: 'tcp', size: 1000, durationMs: 600, bitrate: 8_000_000 });
    const data = await attach(ownPort, o);
    closers.push(() => data.destroy());
    await start(c, o.session);
    // 400 frames are 400 ms of the schedule, four idle timeouts: both connections were silent all along.
    await data.until(() => data.frames.length >= 400, 5_000, '400 down frames');
    const r = (await report(c, o.session)) as StreamSenderReport;
    expect(r.messages).toBeGreaterThanOrEqual(400);
    await data.waitClosed(); // the session ended: FIN
    await c.waitClosed(); // no session left: the control connection idles out again
  });
});
