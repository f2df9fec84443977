/**
 * An unpaced down/TCP sender against a reader that stops reading (the real server, in-process): what
 * the server writes stays within the kernel's buffers plus one write (it waits for 'drain', libuv
 * queues nothing beyond), and an up session on the same server is received meanwhile. Bounded in
 * bytes and counted messages, not in time.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { MessageType, decodeStats, newStreamDataFrame, stampStreamData, type StreamReceiverReport, type StreamSenderReport } from '@sockbench/protocol';
import { createServer, type Server } from '../src/index.js';
import { Peer, waitFor } from './helpers.js';
import { attach, open, report, rid, start } from './fixtures/stream-peer.js';

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

/** STATS `bytes.out`: every byte the server has handed to its TCP sockets. */
async function bytesOut(): Promise<number> {
  const p = await Peer.welcomed(port);
  try {
    return decodeStats((await p.request(MessageType.STATS, rid())).payload).bytes.out;
  } finally {
    p.destroy();
  }
}

/** Far above loopback's socket buffers (tcp_wmem max 4 MiB, a receive queue that is not read), far below an unbounded queue (a second of loopback). */
const BOUND_BYTES = 24 * 1024 * 1024;
const SIZE = 1400;
const UP_MESSAGES = 4000;

describe('down/TCP unpaced, the reader stopped', () => {
  it(`writes at most ${BOUND_BYTES} bytes ahead of the reader, and an up session beside it gets all its ${UP_MESSAGES} messages`, async () => {
    const c = await Peer.welcomed(port);
    closers.push(() => c.destroy());
    const down = await open(c, { direction: 'down', transport: 'tcp', size: SIZE, durationMs: 20_000 });
    const d = await attach(port, down);
    closers.push(() => d.destroy());
    d.socket.pause(); // reads nothing more
    const up = await open(c, { direction: 'up', transport: 'tcp', size: SIZE, durationMs: 20_000 });
    const u = await attach(port, up);
    closers.push(() => u.destroy());
    const base = await bytesOut();
    await start(c, down.session);
    await start(c, up.session);
    // Up: 40 writes of 100 messages, each after the previous one's callback.
    for (let w = 0; w < UP_MESSAGES / 100; w++) {
      const frames = Array.from({ length: 100 }, (_, i) => stampStreamData(newStreamDataFrame(up.session, SIZE), w * 100 + i, 0));
      await new Promise<void>((resolve, reject) => u.socket.write(Buffer.concat(frames), (err) => (err ? reject(err) : resolve())));
    }
    u.socket.end(); // FIN: every message is in once the server sees it
    const upReport = (await report(c, up.session, UP_MESSAGES)) as StreamReceiverReport;
    expect([upReport.role, upReport.messages, upReport.lost]).toEqual(['receiver', UP_MESSAGES, 0]);
    // The down sender fills the kernel's buffers and then waits: two readings in a row differ by
    // less than one of its writes (256 KiB; the WELCOME and STATS reply of each reading count too).
    let last = -1;
    let now = await bytesOut();
    await waitFor(
      async () => {
        [last, now] = [now, await bytesOut()];
        return now - last < 64 * 1024 || now - base > BOUND_BYTES;
      },
      10_000,
      'bytes.out to stop growing',
    );
    expect(now - base).toBeGreaterThan(0);
    expect(now - base).toBeLessThanOrEqual(BOUND_BYTES);
    const downReport = (await report(c, down.session)) as StreamSenderReport;
    expect(downReport.role).toBe('sender');
    expect(downReport.bytes).toBeLessThanOrEqual(now - base);
  });
});
