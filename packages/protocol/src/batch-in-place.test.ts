import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FrameBatch } from './batch.js';
import { Flags, HEADER_SIZE, MessageType } from './constants.js';
import { encodeFrame } from './frame.js';

const RUNS = { numRuns: 500 };

/** A received chunk of ECHO requests (flags 0) with these payloads and ids 1, 2, …; offsets of each frame. */
function requestChunk(payloads: Uint8Array[], lead = 0): { chunk: Buffer; offsets: number[] } {
  const parts = [Buffer.alloc(lead, 0xee), ...payloads.map((p, i) => encodeFrame(MessageType.ECHO, i + 1, p))];
  const offsets: number[] = [];
  let at = lead;
  for (const p of payloads) {
    offsets.push(at);
    at += HEADER_SIZE + p.length;
  }
  // Its own ArrayBuffer, as a socket's chunk has (Buffer.concat may cut small ones from the shared pool).
  const chunk = Buffer.alloc(at);
  Buffer.concat(parts).copy(chunk);
  return { chunk, offsets };
}

/** What the replies to those requests are on the wire: encodeFrame with RESPONSE, concatenated. */
function replies(payloads: Uint8Array[], pick: number[] = payloads.map((_, i) => i)): Buffer {
  return Buffer.concat(pick.map((i) => encodeFrame(MessageType.ECHO, i + 1, payloads[i]!, Flags.RESPONSE)));
}

const payloadsArb = fc.array(fc.uint8Array({ minLength: 1, maxLength: 200 }), { minLength: 1, maxLength: 20 });

describe('FrameBatch.addInPlace', () => {
  it('frames back to back in one chunk come out as a view of that chunk, with the bytes encodeFrame gives', () => {
    fc.assert(
      fc.property(payloadsArb, fc.integer({ min: 0, max: 40 }), (payloads, lead) => {
        const { chunk, offsets } = requestChunk(payloads, lead);
        const batch = new FrameBatch();
        payloads.forEach((p, i) => batch.addInPlace(chunk, offsets[i]!, MessageType.ECHO, Flags.RESPONSE, i + 1, p.length));
        const expected = replies(payloads);
        expect(batch.byteLength).toBe(expected.length);
        const out = batch.encode()!;
        expect(out.equals(expected)).toBe(true);
        expect(out.buffer).toBe(chunk.buffer);
        expect(out.byteOffset).toBe(chunk.byteOffset + lead);
        expect(batch.count).toBe(0);
        expect(batch.byteLength).toBe(0);
      }),
      RUNS,
    );
  });

  it('in-place frames mixed with copied ones, or with a gap between them, come out copied into a new buffer, in order', () => {
    fc.assert(
      fc.property(payloadsArb, fc.integer({ min: 0, max: 19 }), fc.boolean(), (payloads, at, gap) => {
        const { chunk, offsets } = requestChunk(payloads);
        const skip = at % payloads.length;
        const batch = new FrameBatch();
        const pick: number[] = [];
        payloads.forEach((p, i) => {
          if (i === skip && gap) return; // a request answered elsewhere: the run has a hole
          pick.push(i);
          if (i === skip) batch.add(MessageType.ECHO, Flags.RESPONSE, i + 1, p);
          else batch.addInPlace(chunk, offsets[i]!, MessageType.ECHO, Flags.RESPONSE, i + 1, p.length);
        });
        fc.pre(pick.length > 0 && (gap ? skip < payloads.length - 1 && pick[0] !== skip + 1 : true));
        const out = batch.encode()!;
        expect(out.equals(replies(payloads, pick))).toBe(true);
        expect(out.buffer).not.toBe(chunk.buffer);
      }),
      RUNS,
    );
  });

  it('frames in place in two different chunks are copied, not viewed', () => {
    const a = requestChunk([Buffer.from('first')]);
    const b = requestChunk([Buffer.from('second')]);
    const batch = new FrameBatch();
    batch.addInPlace(a.chunk, 0, MessageType.ECHO, Flags.RESPONSE, 1, 5);
    batch.addInPlace(b.chunk, 0, MessageType.ECHO, Flags.RESPONSE, 1, 6);
    const out = batch.encode()!;
    expect(out.equals(Buffer.concat([encodeFrame(MessageType.ECHO, 1, Buffer.from('first'), Flags.RESPONSE), encodeFrame(MessageType.ECHO, 1, Buffer.from('second'), Flags.RESPONSE)]))).toBe(true);
    expect(out.buffer).not.toBe(a.chunk.buffer);
    expect(out.buffer).not.toBe(b.chunk.buffer);
  });

  it('rewrites only the header in the chunk: the payload bytes stay, the flags become RESPONSE', () => {
    const { chunk } = requestChunk([Buffer.from('abc')]);
    const batch = new FrameBatch();
    batch.addInPlace(chunk, 0, MessageType.ECHO, Flags.RESPONSE, 1, 3);
    expect(chunk.readUInt16BE(6)).toBe(Flags.RESPONSE);
    expect(chunk.subarray(HEADER_SIZE).toString()).toBe('abc');
    expect(batch.encode()!.equals(encodeFrame(MessageType.ECHO, 1, Buffer.from('abc'), Flags.RESPONSE))).toBe(true);
  });
});
