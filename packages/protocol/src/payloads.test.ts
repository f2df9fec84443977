import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ErrorCode } from './constants.js';
import { ProtocolError } from './errors.js';
import {
  decodeChat,
  decodeCompute,
  decodeError,
  decodeHello,
  decodeRoom,
  decodeSay,
  decodeStats,
  decodeWelcome,
  encodeChat,
  encodeCompute,
  encodeError,
  encodeHello,
  encodeRoom,
  encodeSay,
  encodeStats,
  encodeWelcome,
  type StatsSnapshot,
} from './payloads.js';

const RUNS = { numRuns: 1000 };

/** A room name: 1..64 UTF-8 bytes, no Cc code point. */
const roomArb = fc
  .string({ unit: 'grapheme', minLength: 1, maxLength: 16 })
  .filter((s) => !/\p{Cc}/u.test(s) && Buffer.byteLength(s) >= 1 && Buffer.byteLength(s) <= 64);

function rejection(fn: () => unknown): { errorCode: ErrorCode; message: string } {
  try {
    fn();
  } catch (err) {
    if (err instanceof ProtocolError) return { errorCode: err.errorCode, message: err.message };
    throw err;
  }
  throw new Error('expected a ProtocolError');
}

describe('payload codecs round-trip', () => {
  it('HELLO', () => {
    fc.assert(
      fc.property(fc.record({ client: fc.string(), token: fc.string() }, { requiredKeys: [] }), (hello) => {
        expect(decodeHello(encodeHello(hello))).toEqual(hello);
      }),
      RUNS,
    );
  });

  it('WELCOME', () => {
    fc.assert(
      fc.property(
        fc.record({
          message: fc.string(),
          server: fc.string(),
          worker: fc.nat(),
          maxPayload: fc.nat(),
          auth: fc.boolean(),
        }),
        (w) => {
          expect(decodeWelcome(encodeWelcome(w))).toEqual(w);
        },
      ),
      RUNS,
    );
  });

  it('COMPUTE', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 100_000 }), fc.uint8Array({ maxLength: 200 }), (iterations, data) => {
        const out = decodeCompute(encodeCompute(iterations, data));
        expect(out.iterations).toBe(iterations);
        expect([...out.data]).toEqual([...data]);
      }),
      RUNS,
    );
  });

  it('JOIN / LEAVE room names', () => {
    fc.assert(
      fc.property(roomArb, (room) => {
        expect(decodeRoom(encodeRoom(room))).toBe(room);
      }),
      RUNS,
    );
  });

  it('SAY', () => {
    fc.assert(
      fc.property(roomArb, fc.string({ unit: 'grapheme', maxLength: 200 }), (room, text) => {
        expect(decodeSay(encodeSay(room, text))).toEqual({ room, text });
      }),
      RUNS,
    );
  });

  it('CHAT', () => {
    fc.assert(
      fc.property(fc.record({ room: fc.string(), from: fc.string(), text: fc.string() }), (c) => {
        expect(decodeChat(encodeChat(c))).toEqual(c);
      },
      ),
      RUNS,
    );
  });

  it('ERROR', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffff }), fc.string(), (code, message) => {
        expect(decodeError(encodeError(code, message))).toEqual({ code, message });
      }),
      RUNS,
    );
  });

  it('STATS', () => {
    const n = fc.nat();
    const summary = fc.record({ count: n, p50: n, p99: n, p999: n, max: n });
    const statsArb: fc.Arbitrary<StatsSnapshot> = fc.record({
      uptimeMs: n,
      processes: n,
      connections: fc.record({ current: n, total: n }),
      frames: fc.record({ in: n, out: n }),
      bytes: fc.record({ in: n, out: n }),
      errors: fc.dictionary(fc.constantFrom('BAD_FRAME', 'BUSY'), n),
      udp: fc.record({ in: n, out: n, dropped: n }),
      pool: fc.record({ threads: n, queued: n, completed: n }),
      serviceTimeUs: fc.dictionary(fc.constantFrom('PING', 'ECHO', 'COMPUTE'), summary),
    });
    fc.assert(
      fc.property(statsArb, (s) => {
        expect(decodeStats(encodeStats(s))).toEqual(s);
      }),
      RUNS,
    );
  });
});

describe('payload validation → BAD_PAYLOAD with the request id', () => {
  const bad: Array<[string, () => unknown, RegExp]> = [
    ['HELLO not JSON', () => decodeHello(Buffer.from('{oops'), 9), /HELLO is not valid JSON/],
    ['HELLO a JSON array', () => decodeHello(Buffer.from('[]'), 9), /HELLO must be a JSON object/],
    ['HELLO client not a string', () => decodeHello(Buffer.from('{"client":1}'), 9), /HELLO\.client must be a string/],
    ['HELLO invalid UTF-8', () => decodeHello(Buffer.from([0xff, 0xfe]), 9), /HELLO is not valid UTF-8/],
    ['COMPUTE under 4 bytes', () => decodeCompute(Buffer.from([0, 0, 1]), 9), /shorter than the 4-byte/],
    ['COMPUTE iterations 0', () => decodeCompute(encodeCompute(0, Buffer.alloc(0)), 9), /iterations must be in 1\.\.100000, got 0/],
    ['COMPUTE over the cap', () => decodeCompute(encodeCompute(11, Buffer.alloc(0)), 9, { maxIterations: 10 }), /1\.\.10, got 11/],
    ['COMPUTE data under minDataBytes', () => decodeCompute(encodeCompute(1, Buffer.alloc(31)), 9, { minDataBytes: 32 }), /31 bytes is under the 32/],
    ['room empty', () => decodeRoom(Buffer.alloc(0), 9), /1\.\.64 bytes/],
    ['room 65 bytes', () => decodeRoom(Buffer.alloc(65, 0x61), 9), /got 65/],
    ['room with a control character', () => decodeRoom(Buffer.from('a\nb'), 9), /control characters/],
    ['room with DEL (Cc)', () => decodeRoom(Buffer.from('a\u007fb'), 9), /control characters/],
    ['room invalid UTF-8', () => decodeRoom(Buffer.from([0xc3]), 9), /not valid UTF-8/],
    ['SAY empty', () => decodeSay(Buffer.alloc(0), 9), /SAY payload is empty/],
    ['SAY room length past the payload', () => decodeSay(Buffer.from([10, 0x61]), 9), /runs past/],
    ['SAY room length 0', () => decodeSay(Buffer.from([0, 0x61]), 9), /1\.\.64 bytes/],
    ['SAY text over 4096 bytes', () => decodeSay(Buffer.concat([Buffer.from([1, 0x61]), Buffer.alloc(4097, 0x62)]), 9), /at most 4096 bytes, got 4097/],
    ['CHAT missing text', () => decodeChat(Buffer.from('{"room":"a","from":"b"}'), 9), /CHAT\.text must be a string/],
    ['STATS missing pool', () => decodeStats(Buffer.from('{"uptimeMs":1,"processes":1}'), 9), /STATS\.connections must be an object/],
    ['ERROR under 2 bytes', () => decodeError(Buffer.from([1]), 9), /under 2 bytes/],
  ];
  for (const [name, fn, message] of bad) {
    it(name, () => {
      const r = rejection(fn);
      expect(r.errorCode).toBe(ErrorCode.BAD_PAYLOAD);
      expect(r.message).toMatch(message);
    });
  }

  it('encoders refuse what decoders would refuse', () => {
    expect(rejection(() => encodeRoom('')).errorCode).toBe(ErrorCode.BAD_PAYLOAD);
    expect(rejection(() => encodeSay('room', 'x'.repeat(4097))).errorCode).toBe(ErrorCode.BAD_PAYLOAD);
    expect(() => encodeCompute(-1, Buffer.alloc(0))).toThrow(RangeError);
  });
});
