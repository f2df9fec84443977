/**
 * Issue 11 §1 against the real server on real sockets: parked frames stay within
 * `--max-buffered-bytes`, the rest wait unread and resume as the budget frees, a frame that does not
 * complete within `--frame-timeout` closes its connection, and STATS / `/metrics` count it all.
 * Small flag values keep it fast; nothing here measures time.
 */
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { HEADER_SIZE, MessageType, decodeStats, encodeFrame } from '@sockbench/protocol';
import { createServer, type Server, type ServerStatsSnapshot } from '../src/index.js';
import { Peer, waitFor } from './helpers.js';

const KiB = 1024;
const MiB = 1024 * KiB;
/** Whole size of each parked frame in these tests: a 100 KiB ECHO payload and its header. */
const FRAME = HEADER_SIZE + 100 * KiB;
/** One socket read on Node (libuv reads 64 KiB at most): what a waiting connection may hold uncharged. */
const READ = 64 * KiB;

let server: Server | null = null;
const peers: Peer[] = [];
afterEach(async () => {
  for (const p of peers.splice(0)) p.destroy();
  await server?.close();
  server = null;
});

async function start(options: Parameters<typeof createServer>[0]): Promise<{ port: number; metrics?: number }> {
  server = createServer({ host: '127.0.0.1', port: 0, threads: 1, maxPayload: 256 * KiB, maxBufferedBytes: MiB, ...options });
  const a = await server.listen();
  return { port: a.tcp.port, metrics: a.metrics?.port };
}

async function open(port: number): Promise<Peer> {
  const p = await Peer.welcomed(port);
  peers.push(p);
  return p;
}

/** The STATS reply to `control`, with this server's added fields. */
async function stats(control: Peer, id: number): Promise<ServerStatsSnapshot> {
  const f = await control.request(MessageType.STATS, id);
  return decodeStats(f.payload) as ServerStatsSnapshot;
}

/** ECHO frame `id` whose payload is `fill` repeated to `length` bytes. */
function echoFrame(id: number, length: number, fill: number): Buffer {
  return encodeFrame(MessageType.ECHO, id, Buffer.alloc(length, fill));
}

describe('--max-buffered-bytes', () => {
  it('keeps 50 parked 100 KiB frames within a 1 MiB budget; the rest wait unread, a control connection is answered, and every frame completes as the budget frees', async () => {
    const { port } = await start({ frameTimeoutMs: 0 });
    const control = await open(port);
    const parked: Peer[] = [];
    const frames: Buffer[] = [];
    for (let i = 0; i < 50; i++) {
      const p = await open(port);
      const frame = echoFrame(1, 100 * KiB, i);
      p.socket.write(frame.subarray(0, HEADER_SIZE + 50 * KiB)); // header claiming 100 KiB, then half of it
      parked.push(p);
      frames.push(frame);
    }
    let id = 1;
    // 10 frames of 102,412 bytes fit in 1 MiB; the 11th would not: 40 connections wait.
    let s = await stats(control, id++);
    await waitFor(async () => (s = await stats(control, id++)).buffered.waiting === 40, 10_000, '40 waiting connections');
    expect(s.buffered.limit).toBe(MiB);
    // Admitted frames are charged whole; a waiter, what its decoder holds (at most one read, here ≤ 50 KiB + 12).
    expect(s.buffered.bytes).toBeGreaterThanOrEqual(10 * FRAME);
    expect(s.buffered.bytes).toBeLessThanOrEqual(10 * FRAME + 40 * (HEADER_SIZE + 50 * KiB));
    expect(s.buffered.bytes).toBeLessThanOrEqual(s.buffered.limit + s.buffered.waiting * READ);
    expect(s.buffered.frameTimeouts).toBe(0);

    // The control connection's frames lie inside one chunk: never charged, never held back.
    expect((await control.request(MessageType.PING, id++)).type).toBe(MessageType.PING);
    const echoed = await control.request(MessageType.ECHO, id++, Buffer.from('still here'));
    expect(echoed.payload.toString()).toBe('still here');

    // The rest of every frame: the 10 admitted complete; each frees 102,412 bytes for the next waiter,
    // which reads its rest (already in its socket buffer) and completes too, until all 50 are answered.
    for (const [i, p] of parked.entries()) p.socket.write(frames[i]!.subarray(HEADER_SIZE + 50 * KiB));
    for (const [i, p] of parked.entries()) {
      const r = await p.reply(1, 10_000);
      expect(r.type).toBe(MessageType.ECHO);
      expect(r.payload.equals(Buffer.alloc(100 * KiB, i))).toBe(true);
    }
    s = await stats(control, id++);
    expect(s.buffered).toEqual({ bytes: 0, limit: MiB, waiting: 0, frameTimeouts: 0 });
    expect(parked.every((p) => !p.ended)).toBe(true);
  });

  it('releases a frame’s bytes when it completes, and charges frames split across chunks the same way', async () => {
    const { port } = await start({ frameTimeoutMs: 0 });
    const control = await open(port);
    const p = await open(port);
    const frame = echoFrame(7, 100 * KiB, 0x61);
    p.socket.write(frame.subarray(0, 20)); // header + 8 payload bytes: the whole frame is charged at once
    let s: ServerStatsSnapshot | null = null;
    let id = 1;
    await waitFor(async () => (s = await stats(control, id++)).buffered.bytes === FRAME, 5_000, 'the frame charged');
    expect(s!.buffered.waiting).toBe(0);
    p.socket.write(frame.subarray(20, 30 * KiB)); // more of the same frame: still one charge
    p.socket.write(frame.subarray(30 * KiB));
    const r = await p.reply(7);
    expect(r.payload.length).toBe(100 * KiB);
    s = await stats(control, id++);
    expect(s.buffered.bytes).toBe(0);
    // A frame that fits in one chunk leaves nothing charged.
    expect((await p.request(MessageType.ECHO, 8, Buffer.alloc(10 * KiB))).payload.length).toBe(10 * KiB);
    expect((await stats(control, id++)).buffered).toEqual({ bytes: 0, limit: MiB, waiting: 0, frameTimeouts: 0 });
  });
});

describe('--frame-timeout', () => {
  it('closes parked, waiting and trickling connections whose frame does not complete, counts them, and leaves the control connection served', async () => {
    // No idle timeout: only the frame deadline can close anything.
    const { port, metrics } = await start({ frameTimeoutMs: 200, idleTimeoutMs: 0, metricsPort: 0 });
    const control = await open(port);
    const victims: Peer[] = [];
    // A trickle, admitted first: progress does not extend the deadline, which runs from the header.
    // It sends one byte per 20 ms until the server closes it (at most its 4 KiB payload).
    const trickle = await open(port);
    const slow = echoFrame(1, 4 * KiB, 4);
    trickle.socket.write(slow.subarray(0, HEADER_SIZE));
    victims.push(trickle);
    const trickling = (async () => {
      for (let i = HEADER_SIZE; i < slow.length - 1 && !trickle.ended; i++) {
        trickle.socket.write(slow.subarray(i, i + 1));
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
    // Issue 11's attack at this server's limit: a header claiming --max-payload, then all but one byte.
    const big = await open(port);
    big.socket.write(echoFrame(1, 256 * KiB, 1).subarray(0, HEADER_SIZE + 256 * KiB - 1));
    victims.push(big);
    // Parked 100 KiB frames, more than the rest of the budget holds: some admitted, some waiting.
    for (let i = 0; i < 12; i++) {
      const p = await open(port);
      p.socket.write(echoFrame(1, 100 * KiB, 2).subarray(0, HEADER_SIZE + 10 * KiB));
      victims.push(p);
    }
    // A header alone (slowloris).
    const headerOnly = await open(port);
    headerOnly.socket.write(echoFrame(1, 1000, 3).subarray(0, HEADER_SIZE));
    victims.push(headerOnly);

    await Promise.all(victims.map((v) => v.waitClosed(10_000)));
    await trickling;
    // Closed with FIN and nothing else: WELCOME was their only frame.
    for (const v of victims) expect(v.frames).toEqual([]);
    let id = 1;
    expect((await control.request(MessageType.PING, id++)).type).toBe(MessageType.PING);
    let s = await stats(control, id++);
    await waitFor(async () => (s = await stats(control, id++)).buffered.bytes === 0, 5_000, 'the closed connections freed');
    expect(s.buffered).toEqual({ bytes: 0, limit: MiB, waiting: 0, frameTimeouts: victims.length });
    expect(s.connections.current).toBe(1);
    expect(control.ended).toBe(false);

    const text = await (await fetch(`http://127.0.0.1:${metrics}/metrics`)).text();
    expect(text).toMatch(new RegExp(`^sockbench_frame_timeouts_total ${victims.length}$`, 'm'));
    expect(text).toMatch(new RegExp(`^sockbench_buffered_limit_bytes ${MiB}$`, 'm'));
    expect(text).toMatch(/^sockbench_buffered_bytes 0$/m);
    expect(text).toMatch(/^sockbench_buffered_waiting_connections 0$/m);
  });

  it('lets a waiting connection that the budget frees in time complete its frame', async () => {
    const { port } = await start({ frameTimeoutMs: 60_000, maxPayload: 100 * KiB, maxBufferedBytes: 2 * FRAME });
    const control = await open(port);
    const [a, b, c] = [await open(port), await open(port), await open(port)];
    const fa = echoFrame(1, 100 * KiB, 0xa);
    const fc = echoFrame(1, 100 * KiB, 0xc);
    a.socket.write(fa.subarray(0, HEADER_SIZE + 1));
    b.socket.write(echoFrame(1, 100 * KiB, 0xb).subarray(0, HEADER_SIZE + 1));
    let id = 1;
    await waitFor(async () => (await stats(control, id++)).buffered.bytes === 2 * FRAME, 5_000, 'a and b charged');
    c.socket.write(fc); // the whole frame; c stops being read after its first chunk
    await waitFor(async () => (await stats(control, id++)).buffered.waiting === 1, 5_000, 'c waiting');
    a.socket.write(fa.subarray(HEADER_SIZE + 1)); // a completes: c is granted, reads on and completes
    expect((await a.reply(1)).payload.equals(Buffer.alloc(100 * KiB, 0xa))).toBe(true);
    expect((await c.reply(1)).payload.equals(Buffer.alloc(100 * KiB, 0xc))).toBe(true);
    const s = await stats(control, id++);
    expect(s.buffered).toEqual({ bytes: FRAME, limit: 2 * FRAME, waiting: 0, frameTimeouts: 0 }); // b's frame
  });
});

describe('docs/protocol.md and STATS agree on `buffered`', () => {
  it('a STATS reply carries exactly the fields of `buffered` the doc lists, as integers', async () => {
    const doc = readFileSync(new URL('../../../docs/protocol.md', import.meta.url), 'utf8');
    const added = doc.slice(doc.indexOf('Added fields'), doc.indexOf('### STATS query'));
    const block = added.slice(added.indexOf('"buffered"'));
    const documented = [...block.slice(0, block.indexOf('}')).matchAll(/"(\w+)": int/g)].map((m) => m[1]!);
    expect(documented.length).toBeGreaterThan(0);
    const { port } = await start({});
    const s = await stats(await open(port), 1);
    expect(Object.keys(s.buffered).sort()).toEqual(documented.sort());
    for (const v of Object.values(s.buffered)) expect(Number.isInteger(v)).toBe(true);
    expect(s.buffered).toEqual({ bytes: 0, limit: MiB, waiting: 0, frameTimeouts: 0 });
  });
});
