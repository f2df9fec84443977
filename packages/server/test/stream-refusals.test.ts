/**
 * Every stream refusal of docs/protocol.md ("Caps and refusals") against the real server, each with
 * its exact code and reason; UDP stream datagrams that are dropped (never answered) and counted; the
 * caps; the token.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  ErrorCode,
  HEADER_SIZE,
  MessageType,
  encodeFrame,
  encodeHello,
  encodeStreamAttach,
  encodeStreamBind,
  encodeStreamOpen,
  encodeStreamReportRequest,
  encodeStreamStart,
  encodeStreamValidate,
  errorCodeName,
  newStreamDataFrame,
  stampStreamData,
  type StreamOpen,
} from '@sockbench/protocol';
import { createServer, type Server } from '../src/index.js';
import { Peer, UdpPeer, errorOf, waitFor } from './helpers.js';
import { ATTACH_REFUSED } from '../src/stream/registry.js';
import { attach, bind, open, refusal, report, rid, seenRefusals, start, streamStats } from './fixtures/stream-peer.js';

const BAD = ErrorCode.BAD_PAYLOAD;
const closers: (() => void)[] = [];
afterEach(() => {
  for (const c of closers.splice(0)) c();
});
async function peer(port: number): Promise<Peer> {
  const p = await Peer.welcomed(port);
  closers.push(() => p.destroy());
  return p;
}
async function udpPeer(): Promise<UdpPeer> {
  const u = await UdpPeer.open();
  closers.push(() => u.close());
  return u;
}
const UP_UDP: StreamOpen = { direction: 'up', transport: 'udp', size: 100, durationMs: 1000, bitrate: 1_000_000 };
const json = (v: unknown): Buffer => Buffer.from(JSON.stringify(v));

describe('stream refusals: caps', () => {
  let server: Server;
  let port: number;
  beforeAll(async () => {
    server = createServer({ port: 0, threads: 1, maxStreams: 2, maxStreamBitrate: 10_000_000, maxStreamDurationMs: 5000, maxPayload: 4096 });
    port = (await server.listen()).tcp.port;
  });
  afterAll(() => server.close());

  it('a bitrate over --max-stream-bitrate, a duration over --max-stream-duration: BAD_PAYLOAD with the cap', async () => {
    const c = await peer(port);
    const before = (await streamStats(port)).stream.refused;
    expect(await refusal(c, MessageType.STREAM_OPEN, encodeStreamOpen({ ...UP_UDP, bitrate: 10_000_001 }))).toEqual({
      code: BAD, message: "bitrate 10000001 bit/s is over the server's cap of 10000000 bit/s (--max-stream-bitrate)",
    });
    expect(await refusal(c, MessageType.STREAM_OPEN, encodeStreamOpen({ direction: 'down', transport: 'tcp', size: 1000, durationMs: 1000, bitrate: 20_000_000 }))).toEqual({
      code: BAD, message: "bitrate 20000000 bit/s is over the server's cap of 10000000 bit/s (--max-stream-bitrate)",
    });
    expect(await refusal(c, MessageType.STREAM_OPEN, encodeStreamOpen({ direction: 'down', transport: 'udp', size: 100, durationMs: 1000, bitrate: 10_000_001 }))).toEqual({
      code: BAD, message: "bitrate 10000001 bit/s is over the server's cap of 10000000 bit/s (--max-stream-bitrate)",
    });
    expect(await refusal(c, MessageType.STREAM_OPEN, encodeStreamOpen({ direction: 'up', transport: 'tcp', size: 1000, durationMs: 1000, bitrate: 10_000_001 }))).toEqual({
      code: BAD, message: "bitrate 10000001 bit/s is over the server's cap of 10000000 bit/s (--max-stream-bitrate)",
    });
    expect(await refusal(c, MessageType.STREAM_OPEN, encodeStreamOpen({ ...UP_UDP, durationMs: 5001 }))).toEqual({
      code: BAD, message: "durationMs 5001 is over the server's cap of 5000 ms (--max-stream-duration)",
    });
    expect((await streamStats(port)).stream).toMatchObject({ sessions: 0, refused: before + 5 });
  });

  it('a size over --max-payload + 12 is refused at the open (it was granted, then its frames refused)', async () => {
    const c = await peer(port);
    expect(await refusal(c, MessageType.STREAM_OPEN, encodeStreamOpen({ direction: 'up', transport: 'tcp', size: 4109, durationMs: 1000 }))).toEqual({
      code: BAD, message: "size 4109 is over the server's cap of 4108 bytes (--max-payload + 12)",
    });
    const o = await open(c, { direction: 'up', transport: 'tcp', size: 4108, durationMs: 1000 });
    expect(o.size).toBe(4108);
  });

  it('a STREAM_OPEN its decoder refuses counts in stream.refused too', async () => {
    const c = await peer(port);
    const before = (await streamStats(port)).stream.refused;
    expect(await refusal(c, MessageType.STREAM_OPEN, Buffer.from('{'))).toEqual({ code: BAD, message: 'STREAM_OPEN is not valid JSON' });
    expect((await streamStats(port)).stream.refused).toBe(before + 1);
  });

  it('past --max-streams: BUSY (not fatal), and a slot frees when a session ends', async () => {
    const c = await peer(port);
    const a = await open(c, UP_UDP);
    await open(c, UP_UDP);
    expect(await refusal(c, MessageType.STREAM_OPEN, encodeStreamOpen(UP_UDP))).toEqual({ code: ErrorCode.BUSY, message: "2 stream sessions are open, the server's cap (--max-streams)" });
    await bind(await udpPeer(), a);
    await start(c, a.session);
    await report(c, a.session);
    await open(c, UP_UDP);
    c.destroy();
    await waitFor(async () => (await streamStats(port)).stream.sessions === 0, 5_000, 'sessions freed');
  });

  it('bad STREAM_OPEN payloads: the decoder\'s reasons', async () => {
    const c = await peer(port);
    expect(await refusal(c, MessageType.STREAM_OPEN, Buffer.from('nope'))).toEqual({ code: BAD, message: 'STREAM_OPEN is not valid JSON' });
    expect(await refusal(c, MessageType.STREAM_OPEN, json({ ...UP_UDP, bitrate: undefined }))).toEqual({ code: BAD, message: 'bitrate is required for udp' });
    expect(await refusal(c, MessageType.STREAM_OPEN, json({ ...UP_UDP, size: 20 }))).toEqual({ code: BAD, message: 'size 20 is outside 28..65507 bytes' });
    expect(await refusal(c, MessageType.STREAM_OPEN, json({ ...UP_UDP, parallel: 2 }))).toEqual({ code: BAD, message: 'STREAM_OPEN has an unknown field "parallel"' });
  });
});

describe('stream refusals: sessions', () => {
  let server: Server;
  let port: number;
  beforeAll(async () => {
    server = createServer({ port: 0, threads: 1 });
    port = (await server.listen()).tcp.port;
  });
  afterAll(() => server.close());

  it('an unknown session, one of another worker, one of another control connection', async () => {
    const c = await peer(port);
    for (const type of [MessageType.STREAM_START, MessageType.STREAM_REPORT]) {
      expect(await refusal(c, type, json({ session: 12345 }))).toEqual({ code: BAD, message: 'unknown stream session 12345' });
    }
    expect(await refusal(c, MessageType.STREAM_VALIDATE, encodeStreamValidate({ session: 12345, challenge: '00'.repeat(16) }))).toEqual({ code: BAD, message: 'unknown stream session 12345' });
    expect(await refusal(c, MessageType.STREAM_START, json({ session: 0x0100_0005 }))).toEqual({ code: BAD, message: 'stream session 16777221 is held by worker 1; this connection is on worker 0' });
    const o = await open(c, UP_UDP);
    const other = await peer(port);
    for (const [type, payload] of [
      [MessageType.STREAM_START, encodeStreamStart({ session: o.session })],
      [MessageType.STREAM_REPORT, encodeStreamReportRequest({ session: o.session })],
      [MessageType.STREAM_VALIDATE, encodeStreamValidate({ session: o.session, challenge: '00'.repeat(16) })],
    ] as const) {
      expect(await refusal(other, type, payload)).toEqual({ code: BAD, message: `stream session ${o.session} belongs to another control connection` });
    }
    expect(await refusal(c, MessageType.STREAM_START, encodeStreamStart({ session: o.session }))).toEqual({
      code: BAD, message: `stream session ${o.session} has no bound UDP source (STREAM_BIND from the sending socket first)`,
    });
    await bind(await udpPeer(), o);
    await start(c, o.session);
    expect(await refusal(c, MessageType.STREAM_START, encodeStreamStart({ session: o.session }))).toEqual({ code: BAD, message: `stream session ${o.session} is already started` });
  });

  it('a REPORT while the first one waits for stragglers: already reporting; the first is answered', async () => {
    const c = await peer(port);
    const o = await open(c, UP_UDP);
    await bind(await udpPeer(), o);
    await start(c, o.session);
    const first = rid();
    c.send(MessageType.STREAM_REPORT, first, encodeStreamReportRequest({ session: o.session }));
    // The first waits a quiet period (250 ms) before it answers; the second comes right behind it.
    expect(await refusal(c, MessageType.STREAM_REPORT, encodeStreamReportRequest({ session: o.session }))).toEqual({ code: BAD, message: `stream session ${o.session} is already reporting` });
    expect((await c.reply(first)).type).toBe(MessageType.STREAM_REPORT);
  });

  it('a closed session: every request and ATTACH say so', async () => {
    const c = await peer(port);
    const o = await open(c, { direction: 'up', transport: 'tcp', size: 100, durationMs: 1000 });
    const data = await attach(port, o);
    await start(c, o.session);
    data.socket.end();
    await report(c, o.session);
    expect(await refusal(c, MessageType.STREAM_START, encodeStreamStart({ session: o.session }))).toEqual({ code: BAD, message: `stream session ${o.session} is closed` });
    expect(await refusal(c, MessageType.STREAM_REPORT, encodeStreamReportRequest({ session: o.session }))).toEqual({ code: BAD, message: `stream session ${o.session} is closed` });
    const late = await peer(port);
    expect(await refusal(late, MessageType.STREAM_ATTACH, encodeStreamAttach({ session: o.session, key: o.key }))).toEqual({ code: BAD, message: `stream session ${o.session} is closed` });
  });

  it('ATTACH: wrong key, a udp session, a second one, not the first request; STREAM_DATA off a data connection; START before ATTACH', async () => {
    const c = await peer(port);
    const tcp = await open(c, { direction: 'up', transport: 'tcp', size: 100, durationMs: 1000 });
    expect(await refusal(c, MessageType.STREAM_START, encodeStreamStart({ session: tcp.session }))).toEqual({ code: BAD, message: `stream session ${tcp.session} has no data connection (STREAM_ATTACH first)` });
    const wrongKey = tcp.key.replace(/^./, (ch) => (ch === '0' ? '1' : '0'));
    expect(await refusal(await peer(port), MessageType.STREAM_ATTACH, encodeStreamAttach({ session: tcp.session, key: wrongKey }))).toEqual({ code: BAD, message: `wrong key for stream session ${tcp.session}` });
    const udp = await open(c, UP_UDP);
    expect(await refusal(await peer(port), MessageType.STREAM_ATTACH, encodeStreamAttach({ session: udp.session, key: udp.key }))).toEqual({ code: BAD, message: `stream session ${udp.session} takes no (more) data connection` });
    await attach(port, tcp);
    expect(await refusal(await peer(port), MessageType.STREAM_ATTACH, encodeStreamAttach({ session: tcp.session, key: tcp.key }))).toEqual({ code: BAD, message: `stream session ${tcp.session} takes no (more) data connection` });
    const busy = await peer(port);
    await busy.request(MessageType.PING, rid());
    expect(await refusal(busy, MessageType.STREAM_ATTACH, encodeStreamAttach({ session: tcp.session, key: tcp.key }))).toEqual({ code: BAD, message: 'STREAM_ATTACH must be the first request on its connection' });
    const frame = stampStreamData(newStreamDataFrame(tcp.session, 100), 0, 0);
    expect(await refusal(c, MessageType.STREAM_DATA, frame.subarray(HEADER_SIZE))).toEqual({ code: BAD, message: "STREAM_DATA on a connection that is not an up stream's data connection" });
    expect(await refusal(c, MessageType.STREAM_ATTACH, encodeStreamAttach({ session: tcp.session, key: tcp.key }))).toEqual({ code: BAD, message: 'STREAM_ATTACH must be the first request on its connection' });
  });

  it('down/UDP: START without a validated address is refused and nothing is sent; a wrong challenge does not validate', async () => {
    const c = await peer(port);
    const o = await open(c, { direction: 'down', transport: 'udp', size: 100, durationMs: 1000, bitrate: 1_000_000 });
    const noAddress = `stream session ${o.session} has no validated UDP address (STREAM_BIND, then STREAM_VALIDATE first)`;
    expect(await refusal(c, MessageType.STREAM_START, encodeStreamStart({ session: o.session }))).toEqual({ code: BAD, message: noAddress });
    const wrong = `challenge does not match the one sent for stream session ${o.session}`;
    expect(await refusal(c, MessageType.STREAM_VALIDATE, encodeStreamValidate({ session: o.session, challenge: 'ab'.repeat(16) }))).toEqual({ code: BAD, message: wrong });
    const u = await udpPeer();
    await u.send(encodeStreamBind(o.session, Buffer.from(o.key, 'hex')), port);
    await waitFor(() => u.received.length === 1, 5_000, 'challenge');
    expect(await refusal(c, MessageType.STREAM_VALIDATE, encodeStreamValidate({ session: o.session, challenge: 'ab'.repeat(16) }))).toEqual({ code: BAD, message: wrong });
    expect(await refusal(c, MessageType.STREAM_START, encodeStreamStart({ session: o.session }))).toEqual({ code: BAD, message: noAddress });
    expect(u.received.length).toBe(1); // the challenge, nothing else
  });
});

describe('UDP stream datagrams that are dropped: counted, never answered', () => {
  let server: Server;
  let port: number;
  beforeAll(async () => {
    server = createServer({ port: 0, threads: 1 });
    port = (await server.listen()).tcp.port;
  });
  afterAll(() => server.close());

  /** Sends `datagram`, then a PING marker; returns what came back before the marker's reply. */
  async function exchange(u: UdpPeer, datagram: Buffer): Promise<Buffer[]> {
    const marker = rid();
    await u.send(datagram, port);
    await u.send(encodeFrame(MessageType.PING, marker), port);
    await waitFor(() => u.received.some((m) => m.readUInt32BE(8) === marker), 5_000, 'marker reply');
    return u.received.splice(0).filter((m) => m.readUInt32BE(8) !== marker);
  }

  it('unknown session, wrong size, before START, a BIND with a wrong key or a non-zero tail, past 8 challenges', async () => {
    const c = await peer(port);
    const up = await open(c, UP_UDP);
    const down = await open(c, { direction: 'down', transport: 'udp', size: 100, durationMs: 1000, bitrate: 1_000_000 });
    const u = await udpPeer();
    const s0 = await streamStats(port);
    const data = (session: number, size: number): Buffer => stampStreamData(newStreamDataFrame(session, size), 0, 0);
    expect(await exchange(u, data(4242, 100))).toEqual([]);
    expect(await exchange(u, data(up.session, 101))).toEqual([]);
    expect(await exchange(u, data(up.session, 100))).toEqual([]); // not started
    expect(await exchange(u, encodeStreamBind(down.session, Buffer.alloc(8)))).toEqual([]);
    expect(await exchange(u, encodeStreamBind(up.session, Buffer.from(up.key, 'hex')))).toHaveLength(1); // up binds its source
    const nonZeroTail = encodeStreamBind(down.session, Buffer.from(down.key, 'hex'));
    nonZeroTail[nonZeroTail.length - 1] = 1;
    expect(await exchange(u, nonZeroTail)).toEqual([]);
    const short = encodeFrame(MessageType.STREAM_BIND, down.session, Buffer.alloc(8));
    expect(await exchange(u, short)).toEqual([]);
    for (let i = 0; i < 8; i++) expect(await exchange(u, encodeStreamBind(down.session, Buffer.from(down.key, 'hex')))).toHaveLength(1);
    expect(await exchange(u, encodeStreamBind(down.session, Buffer.from(down.key, 'hex')))).toEqual([]);
    const s1 = await streamStats(port);
    expect(s1.stream.datagramsDropped).toEqual({
      unknownSession: s0.stream.datagramsDropped.unknownSession + 1,
      closedSession: s0.stream.datagramsDropped.closedSession,
      wrongSize: s0.stream.datagramsDropped.wrongSize + 2,
      refused: s0.stream.datagramsDropped.refused + 4,
    });
    expect(s1.udp.dropped - s0.udp.dropped).toBe(7);
    expect((s1.udp.droppedByReason?.BAD_PAYLOAD ?? 0) - (s0.udp.droppedByReason?.BAD_PAYLOAD ?? 0)).toBe(7);
  });
});

describe('stream sessions under --token', () => {
  let server: Server;
  let port: number;
  beforeAll(async () => {
    server = createServer({ port: 0, threads: 1, token: 'sesame' });
    port = (await server.listen()).tcp.port;
  });
  afterAll(() => server.close());

  it('STREAM_OPEN before the HELLO is UNAUTHORIZED (fatal)', async () => {
    const c = await peer(port);
    const r = await c.request(MessageType.STREAM_OPEN, rid(), encodeStreamOpen(UP_UDP));
    expect(errorOf(r)).toEqual({ code: ErrorCode.UNAUTHORIZED, message: 'the first request must be HELLO with the token' });
    await c.waitClosed();
  });

  it('after the HELLO a session opens; its data connection attaches without one; UDP data is served', async () => {
    const c = await peer(port);
    expect((await c.request(MessageType.HELLO, rid(), encodeHello({ token: 'sesame' }))).type).toBe(MessageType.HELLO);
    const o = await open(c, { direction: 'up', transport: 'tcp', size: 100, durationMs: 1000 });
    const data = await attach(port, o);
    await start(c, o.session);
    data.socket.end(Buffer.concat([0, 1, 2].map((i) => stampStreamData(newStreamDataFrame(o.session, 100), i, i))));
    expect(await report(c, o.session, 3)).toMatchObject({ role: 'receiver', messages: 3, lost: 0 });
    const u = await open(c, UP_UDP);
    const udp = await udpPeer();
    await bind(udp, u);
    await start(c, u.session);
    await udp.send(stampStreamData(newStreamDataFrame(u.session, 100), 0, 0), port);
    // The report waits for stragglers (a quiet period after the request), so the datagram is in.
    expect(await report(c, u.session, 1)).toMatchObject({ messages: 1, lost: 0 });
  });
});

describe('stream sessions under --token: an unauthenticated connection', () => {
  let server: Server;
  let port: number;
  beforeAll(async () => {
    server = createServer({ port: 0, threads: 1, token: 'sesame' });
    port = (await server.listen()).tcp.port;
  });
  afterAll(() => server.close());

  it('VALIDATE, START, REPORT as the first request: UNAUTHORIZED, fatal', async () => {
    for (const [type, payload] of [
      [MessageType.STREAM_VALIDATE, encodeStreamValidate({ session: 1, challenge: '00'.repeat(16) })],
      [MessageType.STREAM_START, encodeStreamStart({ session: 1 })],
      [MessageType.STREAM_REPORT, encodeStreamReportRequest({ session: 1 })],
    ] as const) {
      const c = await peer(port);
      expect(errorOf(await c.request(type, rid(), payload))).toEqual({ code: ErrorCode.UNAUTHORIZED, message: 'the first request must be HELLO with the token' });
      await c.waitClosed();
    }
  });

  it('a refused ATTACH says the same whatever the cause; the next request must be the HELLO', async () => {
    const c = await peer(port);
    await c.request(MessageType.HELLO, rid(), encodeHello({ token: 'sesame' }));
    const o = await open(c, { direction: 'up', transport: 'tcp', size: 100, durationMs: 1000 });
    const wrongKey = o.key.replace(/^./, (ch) => (ch === '0' ? '1' : '0'));
    for (const req of [{ session: 4242, key: o.key }, { session: o.session, key: wrongKey }, { session: 0x0300_0001, key: o.key }]) {
      expect(await refusal(await peer(port), MessageType.STREAM_ATTACH, encodeStreamAttach(req))).toEqual({ code: BAD, message: ATTACH_REFUSED });
    }
    const after = await peer(port);
    await refusal(after, MessageType.STREAM_ATTACH, encodeStreamAttach({ session: 4242, key: o.key }));
    expect(errorOf(await after.request(MessageType.PING, rid()))).toEqual({ code: ErrorCode.UNAUTHORIZED, message: 'the first request must be HELLO with the token' });
    await after.waitClosed();
  });
});

describe('stream refusals: one connection\'s cap', () => {
  let server: Server;
  let port: number;
  beforeAll(async () => {
    server = createServer({ port: 0, threads: 1, maxStreamsPerConnection: 2 });
    port = (await server.listen()).tcp.port;
  });
  afterAll(() => server.close());

  it('past --max-streams-per-connection: BUSY on that connection; another connection still opens', async () => {
    const c = await peer(port);
    await open(c, UP_UDP);
    await open(c, UP_UDP);
    expect(await refusal(c, MessageType.STREAM_OPEN, encodeStreamOpen(UP_UDP))).toEqual({
      code: ErrorCode.BUSY, message: "2 stream sessions are open on this connection, the server's cap (--max-streams-per-connection)",
    });
    await open(await peer(port), UP_UDP);
  });
});

describe('docs/protocol.md "Caps and refusals" and the server agree', () => {
  const doc = readFileSync(fileURLToPath(new URL('../../../docs/protocol.md', import.meta.url)), 'utf8');
  const section = doc.slice(doc.indexOf('### Caps and refusals'), doc.indexOf('### Stream in a cluster'));
  const rows = section.split('\n').filter((l) => l.startsWith('| ') && !l.startsWith('| request') && !l.startsWith('|---'));
  /** Each row's reasons as patterns: `<placeholder>` is one word, `…` anything. */
  const table = rows.map((line, i) => {
    const [, code, reasons] = line.slice(2, -2).split(' | ');
    const templates = [...(reasons ?? '').matchAll(/`([^`]+)`/g)].map((m) => m[1]!).filter((t) => !t.startsWith('--'));
    const patterns = templates.map((t) => new RegExp(`^${t.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/<[a-z]+>/g, '\\S+').replace(/…/g, '.+')}$`));
    return { row: i, code: code!, templates, patterns };
  });

  it('every refusal the server sent in this file is a reason of the table, with its code; every server-made row was seen', () => {
    expect(table.length).toBeGreaterThan(20);
    const sent = seenRefusals.filter((r) => r.code !== ErrorCode.UNAUTHORIZED);
    expect(sent.length).toBeGreaterThan(30);
    const matched = new Set<string>();
    for (const r of sent) {
      const hits = table.flatMap((row) => row.patterns.filter((p) => p.test(r.message)).map((p) => ({ row, p })));
      expect(hits.length, `"${r.message}" is not a reason in the table`).toBeGreaterThan(0);
      expect(hits.some((h) => h.row.code === errorCodeName(r.code as ErrorCode)), `"${r.message}" has code ${r.code}`).toBe(true);
      for (const h of hits) matched.add(h.p.source);
    }
    // The first row is the decoders' (their own docs test covers it); every other reason the server makes was sent here.
    const unseen = table.slice(1).flatMap((row) => row.patterns.filter((p) => !matched.has(p.source)).map((p) => p.source));
    expect(unseen).toEqual([]);
  });
});
