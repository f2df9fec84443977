/**
 * runStreams against scripted peers (test/stream-peer.ts): the down/UDP receiver's counts for a known
 * sequence with a drop, a duplicate, a reorder and a loss at the end; the address validation; a
 * server that predates streams. Sessions against the real server: test/stream-server.test.ts.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { StreamUnsupportedError, runStreams, type LiveInterval } from '../src/index.js';
import { closeAll } from './helpers.js';
import { preStreamPeer, scriptedDownPeer } from './stream-peer.js';

afterEach(closeAll);

describe('down over UDP, scripted sender', () => {
  it('counts exactly: a gap is loss, a late message is out of order (not loss), a repeat is a duplicate, the tail loss shows from the sender\'s count', async () => {
    // Sequences as sent on the wire: 3 never sent (a gap), 5 twice, 6 after 7, and the sender says it
    // sent 11 (0..10), so 10 is lost at the end.
    const order = [0, 1, 2, 4, 5, 5, 7, 6, 8, 9];
    const script = order.map((sequence, i) => ({ sequence, sentUs: 1_000_000 + i * 2000 }));
    const peer = await scriptedDownPeer(script, 11, 100);
    const live: LiveInterval[] = [];
    const [r] = await runStreams({ host: '127.0.0.1', port: peer.port, transport: 'udp', directions: ['down'], size: 100, bitrate: 100_000, durationMs: 100, parallel: 1, onInterval: (iv) => live.push(iv) });
    expect(peer.log.binds).toBe(1);
    expect(peer.log.opens).toEqual([{ direction: 'down', transport: 'udp', size: 100, durationMs: 100, bitrate: 100_000 }]);
    const rx = r!.receiver;
    expect({ messages: rx.messages, bytes: rx.bytes, lost: rx.lost, outOfOrder: rx.outOfOrder, duplicates: rx.duplicates }).toEqual({ messages: 9, bytes: 900, lost: 2, outOfOrder: 1, duplicates: 1 });
    expect(rx.lossPercent).toBeCloseTo((100 * 2) / 11, 10);
    expect(r!.sender.messages).toBe(11);
    expect(rx.messages + rx.lost).toBe(r!.sender.messages);
    expect(rx.waitedMs).toBeGreaterThanOrEqual(0);
    expect(rx.waitedMs).toBeLessThanOrEqual(2000);
    expect(r!.buffers?.recvBufferBytes).toBeGreaterThan(0);
    // Live: one second of the receiver's clock, holding every distinct message.
    expect(live.map((iv) => [iv.direction, iv.index, iv.messages])).toEqual([['down', 0, 9]]);
  });
});

describe('a server that predates streams', () => {
  it('STREAM_OPEN answered with UNKNOWN_TYPE rejects with StreamUnsupportedError, one clear message', async () => {
    const port = await preStreamPeer();
    const err = await runStreams({ host: '127.0.0.1', port, transport: 'udp', directions: ['down'], size: 100, bitrate: 100_000, durationMs: 100, parallel: 1 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StreamUnsupportedError);
    expect((err as Error).message).toBe(`127.0.0.1:${port} does not serve stream mode: it answered STREAM_OPEN with UNKNOWN_TYPE (type 0x0c is not a request); it predates streams, upgrade the server`);
  });
});
