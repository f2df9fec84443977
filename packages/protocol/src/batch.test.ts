import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FrameBatch } from './batch.js';
import { Flags, HEADER_SIZE, MAX_PAYLOAD_LIMIT, MessageType } from './constants.js';
import { FrameDecoder } from './decoder.js';
import { encodeFrame, writeHeader } from './frame.js';

const RUNS = { numRuns: 1000 };

const frameArb = fc.record({
  type: fc.integer({ min: 0, max: 255 }),
  flags: fc.constantFrom(Flags.NONE, Flags.RESPONSE),
  id: fc.integer({ min: 0, max: 0xffff_ffff }),
  payload: fc.uint8Array({ maxLength: 300 }),
});

describe('FrameBatch', () => {
  it('encodes any list of frames to the bytes of encodeFrame, concatenated, in order', () => {
    fc.assert(
      fc.property(fc.array(frameArb, { minLength: 1, maxLength: 40 }), (frames) => {
        const batch = new FrameBatch();
        for (const f of frames) batch.add(f.type, f.flags, f.id, f.payload);
        const expected = Buffer.concat(frames.map((f) => encodeFrame(f.type, f.id, f.payload, f.flags)));
        expect(batch.count).toBe(frames.length);
        expect(batch.byteLength).toBe(expected.length);
        const out = batch.encode();
        expect(out).not.toBeNull();
        expect(out!.equals(expected)).toBe(true);
        expect(batch.count).toBe(0);
        expect(batch.byteLength).toBe(0);
      }),
      RUNS,
    );
  });

  it('round trip: what it encodes, FrameDecoder gives back frame for frame', () => {
    fc.assert(
      fc.property(fc.array(frameArb, { minLength: 1, maxLength: 20 }), fc.integer({ min: 1, max: 3 }), (frames, rounds) => {
        const batch = new FrameBatch();
        const decoder = new FrameDecoder({ expect: 'replies' });
        const got: { type: number; flags: number; id: number; payload: string }[] = [];
        // The same batch reused over several flushes, as a connection does.
        for (let r = 0; r < rounds; r++) {
          for (const f of frames) batch.add(f.type, f.flags, f.id, f.payload);
          decoder.push(batch.encode()!, (f) => got.push({ type: f.type, flags: f.flags, id: f.id, payload: f.payload.toString('hex') }));
        }
        const want = frames.map((f) => ({ type: f.type, flags: f.flags, id: f.id, payload: Buffer.from(f.payload).toString('hex') }));
        expect(got).toEqual(Array.from({ length: rounds }, () => want).flat());
      }),
      { numRuns: 300 },
    );
  });

  it('encode() of an empty batch is null', () => {
    const batch = new FrameBatch();
    expect(batch.encode()).toBeNull();
    batch.add(MessageType.PING, Flags.RESPONSE, 1, Buffer.alloc(0));
    expect(batch.encode()).toEqual(Buffer.from([0, 0, 0, 0, 1, MessageType.PING, 0, 1, 0, 0, 0, 1]));
    expect(batch.encode()).toBeNull();
  });

  it('copies payloads at encode(), not at add(): the buffer it returns is its own', () => {
    const batch = new FrameBatch();
    const payload = Buffer.from('abcd');
    batch.add(MessageType.ECHO, Flags.RESPONSE, 9, payload);
    const out = batch.encode()!;
    payload.fill(0x7a);
    expect(out.subarray(HEADER_SIZE).toString()).toBe('abcd');
    // A second batch encodes into a new buffer: the first one's bytes stay as they were.
    batch.add(MessageType.ECHO, Flags.RESPONSE, 10, payload);
    const second = batch.encode()!;
    expect(second.subarray(HEADER_SIZE).toString()).toBe('zzzz');
    expect(out.subarray(HEADER_SIZE).toString()).toBe('abcd');
  });

  it('clear() drops what is queued: the next encode() holds only frames added after it', () => {
    const batch = new FrameBatch();
    batch.add(MessageType.ECHO, Flags.RESPONSE, 1, Buffer.from('gone'));
    batch.clear();
    expect(batch.count).toBe(0);
    expect(batch.byteLength).toBe(0);
    expect(batch.encode()).toBeNull();
    batch.add(MessageType.PING, Flags.RESPONSE, 2, Buffer.alloc(0));
    expect(batch.encode()).toEqual(encodeFrame(MessageType.PING, 2, undefined, Flags.RESPONSE));
  });

  it('refuses a payload over 16 MiB with RangeError, leaving the batch as it was', () => {
    const batch = new FrameBatch();
    batch.add(MessageType.PING, Flags.NONE, 1, Buffer.alloc(0));
    const tooBig = { length: MAX_PAYLOAD_LIMIT + 1 } as unknown as Uint8Array;
    expect(() => batch.add(MessageType.ECHO, Flags.NONE, 2, tooBig)).toThrow(
      new RangeError(`payload of ${MAX_PAYLOAD_LIMIT + 1} bytes is over the protocol limit of ${MAX_PAYLOAD_LIMIT} bytes`),
    );
    expect(batch.count).toBe(1);
    expect(batch.byteLength).toBe(HEADER_SIZE);
  });
});

describe('writeHeader', () => {
  it('writes the same 12 bytes as Buffer big-endian writes, for any field values', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 255 }),
        fc.integer({ min: 0, max: 0xffff }),
        fc.integer({ min: 0, max: 0xffff_ffff }),
        fc.integer({ min: 0, max: 0xffff_ffff }),
        (type, flags, id, length) => {
          const got = Buffer.alloc(HEADER_SIZE + 3, 0xee);
          writeHeader(got, 3, type, flags, id, length);
          const want = Buffer.alloc(HEADER_SIZE + 3, 0xee);
          want.writeUInt32BE(length, 3);
          want[7] = 1;
          want[8] = type;
          want.writeUInt16BE(flags, 9);
          want.writeUInt32BE(id, 11);
          expect(got.equals(want)).toBe(true);
        },
      ),
      RUNS,
    );
  });
});
