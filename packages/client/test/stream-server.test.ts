/**
 * runStreams against the real server (in-process, one process, loopback): up and down over TCP and
 * UDP, several sessions, the figures adding up, and a refusal over the server's bitrate cap. (A
 * control connection dropped mid-stream is the server's lifecycle test.)
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Client, ErrorReply, runStreams } from '../src/index.js';
import { closeAll, startServer } from './helpers.js';

afterEach(closeAll);

describe('runStreams against the server', () => {
  for (const transport of ['tcp', 'udp'] as const) {
    it(`${transport}: up and down at once, 2 sessions each: every session's receiver got what its sender sent, bytes = messages × size`, async () => {
      const { port } = await startServer();
      const results = await runStreams({ host: '127.0.0.1', port, transport, directions: ['up', 'down'], size: 200, bitrate: 400_000, durationMs: 400, parallel: 2 });
      expect(results.map((r) => r.direction)).toEqual(['up', 'up', 'down', 'down']);
      expect(new Set(results.map((r) => r.session)).size).toBe(4);
      for (const r of results) {
        // 400 kbit/s of 200-byte frames: one every 4 ms, 100 slots in 400 ms (this side's sender sends them all).
        if (r.direction === 'up') expect(r.sender.messages).toBe(100);
        expect(r.receiver.messages + r.receiver.lost).toBe(r.sender.messages);
        expect(r.receiver.bytes).toBe(200 * r.receiver.messages);
        expect(r.receiver.duplicates).toBe(0);
        expect(r.strays).toBe(0);
        expect(r.buffers === null).toBe(transport === 'tcp');
      }
    });
  }

  it('a bitrate over the server cap is refused with BAD_PAYLOAD and the reason', async () => {
    const { port } = await startServer({ maxStreamBitrate: 1_000_000 });
    const err = await runStreams({ host: '127.0.0.1', port, transport: 'udp', directions: ['up'], size: 200, bitrate: 2_000_000, durationMs: 100, parallel: 1 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ErrorReply);
    expect([(err as ErrorReply).codeName, (err as ErrorReply).message]).toEqual(['BAD_PAYLOAD', "bitrate 2000000 bit/s is over the server's cap of 1000000 bit/s (--max-stream-bitrate)"]);
  });
});

describe('up over UDP against the server: the socket is bound first', () => {
  it('the server takes the data socket as the session\'s source: every message counts, nothing is dropped as refused', async () => {
    const { port } = await startServer();
    const [r] = await runStreams({ host: '127.0.0.1', port, transport: 'udp', directions: ['up'], size: 200, bitrate: 400_000, durationMs: 200, parallel: 1 });
    // 400 kbit/s of 200-byte frames: 50 slots in 200 ms; without the BIND the server refuses the START.
    expect(r!.sender.messages).toBe(50);
    expect(r!.receiver).toMatchObject({ messages: 50, lost: 0, duplicates: 0 });
    const client = await Client.connect({ host: '127.0.0.1', port });
    const stats = await client.stats().finally(() => client.close());
    expect(stats.stream).toMatchObject({ opened: 1, sessions: 0, datagramsDropped: { refused: 0 } });
  });
});
