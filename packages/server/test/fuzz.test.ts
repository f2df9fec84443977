/**
 * Property tests (fast-check) on real sockets: whatever well-framed requests a client sends, each gets
 * exactly one reply with its id and the connection keeps being served; whatever datagrams arrive,
 * each is either answered (never with more bytes) or dropped and counted.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode, Flags, HEADER_SIZE, MessageType, encodeFrame, type Frame } from '@sockbench/protocol';
import { createServer, type Server } from '../src/index.js';
import { Peer, UdpPeer, errorOf, waitFor } from './helpers.js';

let server: Server;
let port: number;
beforeAll(async () => {
  server = createServer({ port: 0, threads: 1, maxIterations: 50, maxPayload: 4096 });
  port = (await server.listen()).tcp.port;
});
afterAll(async () => {
  await server.close();
});

/** Any type but BYE (which ends the connection), payloads biased toward the shapes decoders look at. */
const request = fc.record({
  type: fc.oneof(fc.constantFrom(1, 3, 4, 5, 6, 7, 8, 10, 2, 9, 0x7f), fc.integer({ min: 0, max: 255 })).filter((t) => t !== MessageType.BYE),
  payload: fc.oneof(
    fc.uint8Array({ maxLength: 80 }),
    fc.tuple(fc.integer({ min: 0, max: 60 }), fc.uint8Array({ maxLength: 40 })).map(([n, d]) => {
      const b = Buffer.alloc(4 + d.length);
      b.writeUInt32BE(n, 0);
      b.set(d, 4);
      return new Uint8Array(b);
    }),
    fc.string({ maxLength: 30 }).map((s) => new Uint8Array(Buffer.from(s))),
    fc.constant(new Uint8Array(Buffer.from('{"client":"fuzz"}'))),
  ),
});

describe('fuzzed TCP requests', () => {
  it('every well-framed request gets exactly one reply with its id; the connection survives', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(request, { minLength: 1, maxLength: 30 }), async (reqs) => {
        const p = await Peer.welcomed(port);
        try {
          p.socket.write(Buffer.concat(reqs.map((r, i) => encodeFrame(r.type, i + 1, r.payload))));
          const replies = (): Frame[] => p.frames.filter((f) => f.id !== 0);
          await p.until(() => replies().length >= reqs.length, 5_000, 'one reply per request');
          const got = replies();
          expect(got.map((f) => f.id).sort((a, b) => a - b)).toEqual(reqs.map((_, i) => i + 1));
          for (const f of got) {
            expect(f.flags).toBe(Flags.RESPONSE);
            const sent = reqs[f.id - 1]!;
            if (f.type === MessageType.ERROR) {
              expect([ErrorCode.UNKNOWN_TYPE, ErrorCode.BAD_PAYLOAD, ErrorCode.NOT_IN_ROOM]).toContain(errorOf(f).code);
            } else {
              expect(f.type).toBe(sent.type);
            }
          }
          expect((await p.request(MessageType.PING, 1000)).type).toBe(MessageType.PING);
        } finally {
          p.destroy();
        }
      }),
      { numRuns: 40 },
    );
  });
});

describe('fuzzed UDP datagrams', () => {
  it('each datagram is answered (never with more bytes) or dropped and counted', async () => {
    const u = await UdpPeer.open();
    try {
      const datagram = fc.oneof(
        fc.uint8Array({ maxLength: 100 }).map((b) => Buffer.from(b)),
        request.map((r) => encodeFrame(r.type, 7, r.payload)),
        fc.tuple(request, fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 11 })).map(([r, v, at]) => {
          const b = encodeFrame(r.type, 7, r.payload);
          b[at] = v; // one corrupted header byte
          return b;
        }),
      );
      await fc.assert(
        fc.asyncProperty(fc.array(datagram, { minLength: 1, maxLength: 20 }), async (grams) => {
          const before = await server.stats();
          u.received.length = 0;
          for (const g of grams) await u.send(g, port);
          const settled = async (): Promise<boolean> => {
            const s = await server.stats();
            return s.udp.in - before.udp.in === grams.length
              && s.udp.out - before.udp.out + (s.udp.dropped - before.udp.dropped) === grams.length
              && u.received.length === s.udp.out - before.udp.out;
          };
          await waitFor(settled, 5_000, 'every datagram answered or dropped');
          const longest = Math.max(...grams.map((g) => g.length));
          for (const r of u.received) {
            expect(r.length).toBeLessThanOrEqual(longest);
            expect(r.length).toBe(HEADER_SIZE + r.readUInt32BE(0));
          }
        }),
        { numRuns: 40 },
      );
    } finally {
      u.close();
    }
  });
});
