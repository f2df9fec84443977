import { describe, expect, it } from 'vitest';
import type { Driver } from './drivers.js';
import { CONNECT_BATCH, LoopConnection, openConnections, type ConnectionEvents } from './loop-connection.js';

function recording(): { events: ConnectionEvents; seen: unknown[][] } {
  const seen: unknown[][] = [];
  return {
    seen,
    events: {
      onReply: (c, ...rest) => seen.push(['reply', c.index, ...rest]),
      onClosed: (c, code) => seen.push(['closed', c.index, code]),
      onDrained: (c) => seen.push(['drained', c.index, c.blocked]),
      onUnexpected: (c, kind) => seen.push(['unexpected', c.index, kind]),
    },
  };
}

describe('LoopConnection', () => {
  it('hands every driver event to the loop with itself; drained clears backpressure first', () => {
    const { events, seen } = recording();
    const c = new LoopConnection(events, 7, 16, 5);
    expect([c.index, c.quota, c.ring.mask]).toEqual([7, 5, 15]);
    c.blocked = true;
    c.reply(3, 1.5, 76, null);
    c.drained();
    c.unexpected('frameTooLarge');
    c.closed('ECONNRESET');
    expect(seen).toEqual([
      ['reply', 7, 3, 1.5, 76, null],
      ['drained', 7, false],
      ['unexpected', 7, 'frameTooLarge'],
      ['closed', 7, 'ECONNRESET'],
    ]);
  });
});

describe('openConnections', () => {
  it(`opens every connection, at most ${CONNECT_BATCH} at a time`, async () => {
    const { events } = recording();
    const conns = Array.from({ length: 2 * CONNECT_BATCH + 3 }, (_, i) => new LoopConnection(events, i, 16, 1));
    let open = 0;
    let most = 0;
    await openConnections(conns, async () => {
      most = Math.max(most, ++open);
      await new Promise((r) => setImmediate(r));
      open--;
      return { requestBytes: 1, peer: null, send: () => true, close: async () => undefined } satisfies Driver;
    });
    expect(conns.every((c) => c.driver !== null)).toBe(true);
    expect(most).toBe(CONNECT_BATCH);
  });

  it('stops at the first failure', async () => {
    const { events } = recording();
    const conns = Array.from({ length: CONNECT_BATCH + 1 }, (_, i) => new LoopConnection(events, i, 16, 1));
    const err = new Error('refused');
    await expect(openConnections(conns, async (sink) => {
      if ((sink as LoopConnection).index === 3) throw err;
      return { requestBytes: 1, peer: null, send: () => true, close: async () => undefined };
    })).rejects.toBe(err);
    expect(conns[CONNECT_BATCH]!.driver).toBeNull(); // the second batch never started
  });
});
