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
  decodeWelcome,
  encodeChat,
  encodeCompute,
  encodeError,
  encodeHello,
  encodeRoom,
  encodeSay,
  encodeWelcome,
} from './payloads.js';
import { BUS_STATES, decodeStats, decodeStatsQuery, encodeStats, encodeStatsQuery, type StatsSnapshot } from './stats-payload.js';

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

  it('STATS with the added fields (and a reply from an older server without them)', () => {
    const n = fc.nat();
    const counts = fc.dictionary(fc.constantFrom('UNSUPPORTED', 'BAD_FRAME', 'BUSY'), n);
    const statsArb: fc.Arbitrary<StatsSnapshot> = fc.record({
      uptimeMs: n,
      processes: n,
      connections: fc.record({ current: n, total: n }),
      frames: fc.record({ in: n, out: n }),
      bytes: fc.record({ in: n, out: n }),
      errors: counts,
      udp: fc.record(
        {
          in: n,
          out: n,
          dropped: n,
          droppedByReason: counts,
          kernelDrops: fc.option(n, { nil: null }),
          peerTable: fc.record({ size: n, capacity: n, evicted: n }),
          peers: fc.dictionary(fc.constantFrom('127.0.0.1:5000', '[::1]:6000'), fc.record({ received: n, answered: n, dropped: counts })),
        },
        { requiredKeys: ['in', 'out', 'dropped'] },
      ),
      pool: fc.record({ threads: n, queued: n, completed: n }),
      serviceTimeUs: fc.constant({}),
      cpu: fc.record({ userUs: n, systemUs: n }),
      tcpRetransmits: fc.option(n, { nil: null }),
      buffered: fc.record({ bytes: n, limit: n, waiting: n, frameTimeouts: n }),
      bus: fc.record({ state: fc.constantFrom(...BUS_STATES), published: n, received: n, failed: n, dropped: n, invalid: n }),
      serviceTimeHistograms: fc.dictionary(fc.constantFrom('PING', 'ECHO'), fc.base64String()),
    }, { requiredKeys: ['uptimeMs', 'processes', 'connections', 'frames', 'bytes', 'errors', 'udp', 'pool', 'serviceTimeUs'] });
    fc.assert(
      fc.property(statsArb, (s) => {
        expect(decodeStats(encodeStats(s))).toEqual(s);
      }),
      RUNS,
    );
  });

  it('STATS query', () => {
    const peer = fc.oneof(fc.string(), fc.constantFrom('127.0.0.1:5000', '[::1]:5000'));
    fc.assert(
      fc.property(fc.record({ histograms: fc.boolean(), peers: fc.array(peer, { maxLength: 64 }) }, { requiredKeys: [] }), (q) => {
        expect(decodeStatsQuery(encodeStatsQuery(q))).toEqual(q);
      }),
      RUNS,
    );
  });

  it('a STATS query asking nothing is the empty payload, which decodes as {}', () => {
    expect(encodeStatsQuery({}).length).toBe(0);
    expect(encodeStatsQuery().length).toBe(0);
    expect(decodeStatsQuery(Buffer.alloc(0))).toEqual({});
    expect(decodeStatsQuery(Buffer.from('{}'))).toEqual({});
    expect(encodeStatsQuery({ histograms: false }).toString()).toBe('{"histograms":false}');
  });
});

/** A valid STATS reply of the base schema with `top` and `udp` fields added, encoded. */
function withAdded(top: Record<string, unknown>, udp: Record<string, unknown> = {}): Buffer {
  return Buffer.from(JSON.stringify({
    uptimeMs: 1, processes: 1, connections: { current: 0, total: 0 }, frames: { in: 0, out: 0 }, bytes: { in: 0, out: 0 },
    errors: {}, udp: { in: 0, out: 0, dropped: 0, ...udp }, pool: { threads: 1, queued: 0, completed: 0 }, serviceTimeUs: {}, ...top,
  }));
}

describe('STATS query validation → BAD_PAYLOAD with the exact message and the request id', () => {
  const q = (text: string | Buffer): (() => unknown) => () => decodeStatsQuery(typeof text === 'string' ? Buffer.from(text) : text, 9);
  const sixtyFive = JSON.stringify({ peers: Array.from({ length: 65 }, (_, i) => `127.0.0.1:${i + 1}`) });
  const bad: Array<[string, () => unknown, string]> = [
    ['not UTF-8', q(Buffer.from([0xff])), 'STATS query is not valid UTF-8'],
    ['not JSON', q('{histograms'), 'STATS query is not valid JSON'],
    ['JSON but not an object (array)', q('[]'), 'STATS query must be a JSON object'],
    ['JSON but not an object (null)', q('null'), 'STATS query must be a JSON object'],
    ['JSON but not an object (number)', q('1'), 'STATS query must be a JSON object'],
    ['histograms not a boolean', q('{"histograms":"yes"}'), 'STATS query.histograms must be a boolean'],
    ['histograms null', q('{"histograms":null}'), 'STATS query.histograms must be a boolean'],
    ['peers not an array', q('{"peers":"127.0.0.1:1"}'), 'STATS query.peers must be an array of strings'],
    ['peers holding a number', q('{"peers":["127.0.0.1:1",2]}'), 'STATS query.peers must be an array of strings'],
    ['more than 64 peers', q(sixtyFive), 'STATS query.peers must name at most 64 addresses, got 65'],
    ['an unknown field', q('{"histograms":true,"peer":[]}'), 'STATS query has an unknown field "peer"'],
  ];
  for (const [name, fn, message] of bad) {
    it(name, () => {
      const r = rejection(fn);
      expect(r).toEqual({ errorCode: ErrorCode.BAD_PAYLOAD, message });
      expect((() => { try { fn(); } catch (err) { return (err as ProtocolError).id; } return -1; })()).toBe(9);
    });
  }

  it('64 peers pass; encodeStatsQuery refuses 65', () => {
    const peers = Array.from({ length: 64 }, (_, i) => `127.0.0.1:${i + 1}`);
    expect(decodeStatsQuery(Buffer.from(JSON.stringify({ peers })))).toEqual({ peers });
    expect(() => encodeStatsQuery({ peers: [...peers, '127.0.0.1:65'] })).toThrow(RangeError);
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
    ['STATS cpu not an object', () => decodeStats(withAdded({ cpu: 1 }), 9), /^STATS\.cpu must be an object$/],
    ['STATS cpu.userUs not a number', () => decodeStats(withAdded({ cpu: { userUs: '1', systemUs: 0 } }), 9), /^STATS\.cpu\.userUs must be a number$/],
    ['STATS tcpRetransmits a string', () => decodeStats(withAdded({ tcpRetransmits: '1' }), 9), /^STATS\.tcpRetransmits must be a number or null$/],
    ['STATS serviceTimeHistograms not strings', () => decodeStats(withAdded({ serviceTimeHistograms: { PING: 1 } }), 9), /^STATS\.serviceTimeHistograms\.PING must be a string$/],
    ['STATS udp.droppedByReason not counts', () => decodeStats(withAdded({}, { droppedByReason: { BUSY: 'x' } }), 9), /^STATS\.udp\.droppedByReason\.BUSY must be a number$/],
    ['STATS buffered.waiting missing', () => decodeStats(withAdded({ buffered: { bytes: 0, limit: 1, frameTimeouts: 0 } }), 9), /^STATS\.buffered\.waiting must be a number$/],
    ['STATS buffered not an object', () => decodeStats(withAdded({ buffered: 5 }), 9), /^STATS\.buffered must be an object$/],
    ['STATS bus not an object', () => decodeStats(withAdded({ bus: 'connected' }), 9), /^STATS\.bus must be an object$/],
    ['STATS bus.state not a state', () => decodeStats(withAdded({ bus: { state: 'up', published: 0, received: 0, failed: 0, dropped: 0, invalid: 0 } }), 9), /^STATS\.bus\.state must be one of off, connecting, connected, down$/],
    ['STATS bus.dropped missing', () => decodeStats(withAdded({ bus: { state: 'down', published: 0, received: 0, failed: 0, invalid: 0 } }), 9), /^STATS\.bus\.dropped must be a number$/],
    ['STATS udp.kernelDrops a string', () => decodeStats(withAdded({}, { kernelDrops: 'x' }), 9), /^STATS\.udp\.kernelDrops must be a number or null$/],
    ['STATS udp.peerTable missing evicted', () => decodeStats(withAdded({}, { peerTable: { size: 0, capacity: 0 } }), 9), /^STATS\.udp\.peerTable\.evicted must be a number$/],
    ['STATS udp.peers entry without answered', () => decodeStats(withAdded({}, { peers: { '1.2.3.4:5': { received: 1, dropped: {} } } }), 9), /^STATS\.udp\.peers\["1\.2\.3\.4:5"\]\.answered must be a number$/],
    ['STATS udp.peers entry dropped not an object', () => decodeStats(withAdded({}, { peers: { '1.2.3.4:5': { received: 1, answered: 0, dropped: [] } } }), 9), /^STATS\.udp\.peers\["1\.2\.3\.4:5"\]\.dropped must be an object$/],
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
