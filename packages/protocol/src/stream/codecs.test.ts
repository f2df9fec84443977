import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Flags, HEADER_SIZE, MessageType } from '../constants.js';
import { decodeDatagram } from '../datagram.js';
import { BadPayloadError } from '../errors.js';
import { STREAM_DATA_MAX_SIZE, STREAM_DATA_MIN_SIZE } from './constants.js';
import {
  decodeStreamAttach,
  decodeStreamOpen,
  decodeStreamOpened,
  decodeStreamReportRequest,
  decodeStreamStart,
  decodeStreamValidate,
  decodeStreamValidated,
  encodeStreamAttach,
  encodeStreamOpen,
  encodeStreamOpened,
  encodeStreamReportRequest,
  encodeStreamStart,
  encodeStreamValidate,
  encodeStreamValidated,
  type StreamOpen,
} from './control.js';
import { decodeStreamBind, decodeStreamChallenge, encodeStreamBind, encodeStreamChallenge, newStreamDataFrame, readStreamData, readU64, stampStreamData, writeU64 } from './data.js';
import { decodeStreamReport, encodeStreamReport, type StreamReport } from './report.js';

const session = fc.integer({ min: 1, max: 0xffff_ffff });
const hex = (bytes: number): fc.Arbitrary<string> => fc.uint8Array({ minLength: bytes, maxLength: bytes }).map((b) => Buffer.from(b).toString('hex'));
const u53 = fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER });
const count = fc.integer({ min: 0, max: 2 ** 40 });
const num = fc.double({ min: 0, max: 1e12, noNaN: true });

/** The BadPayloadError message `fn` throws. */
function reason(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(BadPayloadError);
    return (err as Error).message;
  }
  throw new Error('did not throw');
}
const json = (v: unknown): Buffer => Buffer.from(JSON.stringify(v));

describe('stream control codecs round-trip (fast-check)', () => {
  it('STREAM_OPEN', () => {
    const open = fc
      .record(
        {
          direction: fc.constantFrom('up' as const, 'down' as const),
          transport: fc.constantFrom('tcp' as const, 'udp' as const),
          size: fc.integer({ min: STREAM_DATA_MIN_SIZE, max: STREAM_DATA_MAX_SIZE }),
          durationMs: fc.integer({ min: 1, max: 10 ** 9 }),
          bitrate: fc.integer({ min: 1, max: 10 ** 12 }),
        },
        { requiredKeys: ['direction', 'transport', 'size', 'durationMs'] },
      )
      .filter((o) => o.transport === 'tcp' || o.bitrate !== undefined);
    fc.assert(fc.property(open, (o: StreamOpen) => {
      expect(decodeStreamOpen(encodeStreamOpen(o), 3)).toEqual(o);
    }));
  });

  it('STREAM_OPEN reply, ATTACH, VALIDATE and its reply, START, REPORT request', () => {
    fc.assert(
      fc.property(session, hex(8), hex(16), fc.option(fc.integer({ min: 1, max: 10 ** 12 })), fc.option(count, { nil: undefined }), (s, key, challenge, bitrate, sent) => {
        const opened = { session: s, key, worker: 3, udpPort: 7878, size: 1400, durationMs: 5000, bitrate };
        expect(decodeStreamOpened(encodeStreamOpened(opened))).toEqual(opened);
        expect(decodeStreamAttach(encodeStreamAttach({ session: s, key }))).toEqual({ session: s, key });
        expect(decodeStreamValidate(encodeStreamValidate({ session: s, challenge }))).toEqual({ session: s, challenge });
        expect(decodeStreamValidated(encodeStreamValidated({ address: '[::1]:5' }))).toEqual({ address: '[::1]:5' });
        expect(decodeStreamStart(encodeStreamStart({ session: s }))).toEqual({ session: s });
        const req = sent === undefined ? { session: s } : { session: s, sent };
        expect(decodeStreamReportRequest(encodeStreamReportRequest(req))).toEqual(req);
      }),
    );
  });

  it('STREAM_REPORT replies, receiver and sender', () => {
    const interval = fc.record({ startMs: count, bytes: count, messages: count, bitsPerSec: num, jitterMs: num });
    const receiverReport = fc.record({
      role: fc.constant('receiver' as const), session, bytes: count, messages: count, lost: count, lossPercent: num, outOfOrder: count,
      duplicates: count, jitterMs: num, delayVariation: fc.base64String(), bitsPerSec: num, durationUs: count, waitedMs: count,
      intervals: fc.array(interval, { maxLength: 5 }),
    });
    const senderReport = fc.record({ role: fc.constant('sender' as const), session, bytes: count, messages: count, bitsPerSec: num, durationUs: count });
    fc.assert(fc.property(fc.oneof(receiverReport, senderReport), (r: StreamReport) => {
      expect(decodeStreamReport(encodeStreamReport(r))).toEqual(r);
    }));
  });
});

describe('stream control decoders refuse with the documented reasons', () => {
  it('STREAM_OPEN', () => {
    const ok = { direction: 'up', transport: 'udp', size: 1400, durationMs: 1000, bitrate: 1e6 };
    expect(reason(() => decodeStreamOpen(Buffer.from('{'), 1))).toBe('STREAM_OPEN is not valid JSON');
    expect(reason(() => decodeStreamOpen(json({ ...ok, extra: 1 })))).toBe('STREAM_OPEN has an unknown field "extra"');
    expect(reason(() => decodeStreamOpen(json({ ...ok, direction: 'sideways' })))).toBe('STREAM_OPEN.direction must be "up" or "down"');
    expect(reason(() => decodeStreamOpen(json({ ...ok, transport: 'sctp' })))).toBe('STREAM_OPEN.transport must be "tcp" or "udp"');
    expect(reason(() => decodeStreamOpen(json({ ...ok, size: 27 })))).toBe('size 27 is outside 28..65507 bytes');
    expect(reason(() => decodeStreamOpen(json({ ...ok, size: 65_508 })))).toBe('size 65508 is outside 28..65507 bytes');
    expect(reason(() => decodeStreamOpen(json({ ...ok, durationMs: 0 })))).toBe('STREAM_OPEN.durationMs must be an integer ≥ 1');
    expect(reason(() => decodeStreamOpen(json({ ...ok, bitrate: 1.5 })))).toBe('STREAM_OPEN.bitrate must be an integer ≥ 1');
    const { bitrate: _b, ...noRate } = ok;
    expect(reason(() => decodeStreamOpen(json(noRate)))).toBe('bitrate is required for udp');
    expect(decodeStreamOpen(json({ ...noRate, transport: 'tcp' }))).toEqual({ ...noRate, transport: 'tcp' });
  });

  it('ATTACH, VALIDATE, START, REPORT', () => {
    expect(reason(() => decodeStreamAttach(json({ session: 1, key: 'ABCDEF0123456789' })))).toBe('STREAM_ATTACH.key must be 16 lowercase hex digits');
    expect(reason(() => decodeStreamAttach(json({ session: 0, key: '0123456789abcdef' })))).toBe('STREAM_ATTACH.session must be an integer in 1..4294967295');
    expect(reason(() => decodeStreamValidate(json({ session: 1, challenge: 'ab' })))).toBe('STREAM_VALIDATE.challenge must be 32 lowercase hex digits');
    expect(reason(() => decodeStreamStart(json({})))).toBe('STREAM_START.session must be an integer in 1..4294967295');
    expect(reason(() => decodeStreamReportRequest(json({ session: 1, sent: -1 })))).toBe('STREAM_REPORT.sent must be an integer ≥ 0');
  });
});

describe('STREAM_DATA and STREAM_BIND, byte by byte', () => {
  it('u64 round-trips exactly across 2^32 and up to 2^53 − 1', () => {
    fc.assert(
      fc.property(u53, (v) => {
        const b = Buffer.alloc(8);
        writeU64(b, 0, v);
        expect(readU64(b, 0)).toBe(v);
        expect(b.readBigUInt64BE(0)).toBe(BigInt(v));
      }),
    );
  });

  it('a data frame is a datagram the server decodes: header, sequence at 12, sentUs at 20, padding zero', () => {
    fc.assert(
      fc.property(session, fc.integer({ min: STREAM_DATA_MIN_SIZE, max: 2000 }), u53, u53, (s, size, seq, sentUs) => {
        const frame = stampStreamData(newStreamDataFrame(s, size), seq, sentUs);
        expect(frame.length).toBe(size);
        const f = decodeDatagram(frame);
        expect([f.type, f.flags, f.id, f.payload.length]).toEqual([MessageType.STREAM_DATA, Flags.NONE, s, size - HEADER_SIZE]);
        expect(readStreamData(f.payload)).toEqual({ sequence: seq, sentUs });
        expect(frame.readBigUInt64BE(12)).toBe(BigInt(seq));
        expect(frame.readBigUInt64BE(20)).toBe(BigInt(sentUs));
        expect(frame.subarray(28).every((b) => b === 0)).toBe(true);
      }),
    );
    expect(() => newStreamDataFrame(1, 27)).toThrow(RangeError);
    expect(() => newStreamDataFrame(0, 100)).toThrow(RangeError);
    expect(reason(() => readStreamData(Buffer.alloc(15)))).toBe('STREAM_DATA payload of 15 bytes is shorter than 16');
  });

  it('BIND is 28 bytes (key, 8 zeros) and its challenge reply is the same size', () => {
    const key = Buffer.from('0123456789abcdef', 'hex');
    const bind = encodeStreamBind(77, key);
    expect(bind.length).toBe(28);
    const f = decodeDatagram(bind);
    expect([f.type, f.id]).toEqual([MessageType.STREAM_BIND, 77]);
    expect(decodeStreamBind(f.payload)).toEqual(key);
    expect(bind.subarray(20).every((b) => b === 0)).toBe(true);
    const challenge = Buffer.alloc(16, 0xab);
    const reply = encodeStreamChallenge(77, challenge);
    expect(reply.length).toBe(bind.length);
    const r = decodeDatagram(reply, { expect: 'replies' });
    expect([r.type, r.flags, r.id]).toEqual([MessageType.STREAM_BIND, Flags.RESPONSE, 77]);
    expect(decodeStreamChallenge(r.payload)).toEqual(challenge);
    expect(reason(() => decodeStreamBind(Buffer.alloc(8)))).toBe('STREAM_BIND payload must be 16 bytes, got 8');
  });
});
