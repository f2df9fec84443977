import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SOCKPERF_HEADER_BYTES, rawMode } from './modes.js';

/** A sockperf message: 8-byte sequence, 2-byte flags, 4-byte total length, payload; big-endian. */
function message(seq: number, flags: number, payloadBytes: number): Buffer {
  const m = Buffer.alloc(SOCKPERF_HEADER_BYTES + payloadBytes, 0x61);
  m.writeBigUInt64BE(BigInt(seq), 0);
  m.writeUInt16BE(flags, 8);
  m.writeUInt32BE(m.length, 10);
  return m;
}

const CLIENT = 1;
const PONG_REQUEST = 2;

describe('raw modes', () => {
  it('echo sends every datagram and every chunk back unchanged', () => {
    const echo = rawMode('echo');
    const d = Buffer.from('anything');
    expect(echo.datagramReply(d)).toBe(d);
    expect(echo.createStreamReplier()(d)).toBe(d);
  });

  it('sockperf answers a datagram asking for a reply with CLIENT cleared, and drops the others', () => {
    const sp = rawMode('sockperf');
    const asks = sp.datagramReply(message(7, CLIENT | PONG_REQUEST, 50));
    expect(asks).not.toBeNull();
    expect(asks!.readUInt16BE(8)).toBe(PONG_REQUEST);
    expect(asks!.readBigUInt64BE(0)).toBe(7n);
    expect(asks!.length).toBe(64);
    expect(sp.datagramReply(message(8, CLIENT, 50))).toBeNull();
    expect(sp.datagramReply(Buffer.alloc(13))).toBeNull();
  });

  it('sockperf on TCP frames messages by their length field across any split', () => {
    const msgs = [
      message(1, CLIENT | PONG_REQUEST, 50),
      message(2, CLIENT, 0),
      message(3, CLIENT | PONG_REQUEST, 0),
      message(4, CLIENT | PONG_REQUEST | 4 /* warm-up */, 100),
    ];
    const stream = Buffer.concat(msgs);
    const expected = Buffer.concat(
      [msgs[0]!, msgs[2]!, msgs[3]!].map((m) => {
        const r = Buffer.from(m);
        r[9] = r[9]! & ~CLIENT;
        return r;
      }),
    );
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: stream.length }), { maxLength: 10 }), (cuts) => {
        const replier = rawMode('sockperf').createStreamReplier();
        const points = [...new Set(cuts)].sort((a, b) => a - b);
        const out: Buffer[] = [];
        let prev = 0;
        for (const p of [...points, stream.length]) {
          const r = replier(Buffer.from(stream.subarray(prev, p)));
          if (r) out.push(Buffer.from(r));
          prev = p;
        }
        expect(Buffer.concat(out).equals(expected)).toBe(true);
      }),
      { numRuns: 1000 },
    );
  });
});
