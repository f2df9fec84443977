import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ErrorCode, Flags, HEADER_SIZE, MessageType } from './constants.js';
import { FrameDecoder } from './decoder.js';
import { ProtocolError } from './errors.js';
import { encodeFrame, writeHeader, type Frame } from './frame.js';

const RUNS = { numRuns: 1000 };

const frameArb = fc.record({
  type: fc.integer({ min: 0, max: 255 }),
  flags: fc.constant(0),
  id: fc.integer({ min: 1, max: 0xffff_ffff }),
  payload: fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a)),
});

function plain(f: Frame): { type: number; flags: number; id: number; payload: string } {
  return { type: f.type, flags: f.flags, id: f.id, payload: f.payload.toString('hex') };
}

function splitAt(buf: Buffer, cuts: number[]): Buffer[] {
  const points = [...new Set(cuts.map((c) => c % (buf.length + 1)))].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let prev = 0;
  for (const p of points) {
    out.push(buf.subarray(prev, p));
    prev = p;
  }
  out.push(buf.subarray(prev));
  return out;
}

function header(fields: { length?: number; version?: number; type?: number; flags?: number; id?: number }): Buffer {
  const h = Buffer.alloc(HEADER_SIZE);
  writeHeader(h, 0, fields.type ?? MessageType.PING, fields.flags ?? 0, fields.id ?? 7, fields.length ?? 0);
  if (fields.version !== undefined) h[4] = fields.version;
  return h;
}

function errorOf(fn: () => void): ProtocolError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ProtocolError) return err;
    throw err;
  }
  throw new Error('expected a ProtocolError');
}

describe('FrameDecoder', () => {
  it('decodes any list of frames, concatenated and split at arbitrary points, to the same frames', () => {
    fc.assert(
      fc.property(fc.array(frameArb, { maxLength: 20 }), fc.array(fc.nat(), { maxLength: 30 }), (frames, cuts) => {
        const stream = Buffer.concat(frames.map((f) => encodeFrame(f.type, f.id, f.payload, f.flags)));
        const decoder = new FrameDecoder();
        const out: Frame[] = [];
        for (const chunk of splitAt(stream, cuts)) decoder.push(chunk, (f) => out.push(f));
        expect(out.map(plain)).toEqual(frames.map((f) => plain({ ...f })));
        expect(decoder.bufferedBytes).toBe(0);
      }),
      RUNS,
    );
  });

  it('decodes a stream fed one byte at a time', () => {
    fc.assert(
      fc.property(fc.array(frameArb, { minLength: 1, maxLength: 5 }), (frames) => {
        const stream = Buffer.concat(frames.map((f) => encodeFrame(f.type, f.id, f.payload)));
        const decoder = new FrameDecoder();
        const out: Frame[] = [];
        for (let i = 0; i < stream.length; i++) decoder.push(stream.subarray(i, i + 1), (f) => out.push(f));
        expect(out.map(plain)).toEqual(frames.map((f) => plain({ ...f })));
      }),
      RUNS,
    );
  });

  it('hands back payloads of frames inside one chunk as views of that chunk, not copies', () => {
    const chunk = Buffer.concat([
      encodeFrame(MessageType.ECHO, 1, Buffer.from('abc')),
      encodeFrame(MessageType.ECHO, 2, Buffer.from('defg')),
    ]);
    const frames = new FrameDecoder().decode(chunk);
    expect(frames).toHaveLength(2);
    expect(frames[0]!.payload.buffer).toBe(chunk.buffer);
    expect(frames[0]!.payload.byteOffset).toBe(chunk.byteOffset + HEADER_SIZE);
    expect(frames[1]!.payload.buffer).toBe(chunk.buffer);
    chunk[HEADER_SIZE] = 0x7a; // writes through the view
    expect(frames[0]!.payload.toString()).toBe('zbc');
  });

  it('copies the tail of a split frame so later reuse of the chunk cannot corrupt it', () => {
    const frame = encodeFrame(MessageType.ECHO, 3, Buffer.from('hello world'));
    const decoder = new FrameDecoder();
    const first = Buffer.from(frame.subarray(0, 16));
    expect(decoder.decode(first)).toEqual([]);
    first.fill(0);
    const [out] = decoder.decode(frame.subarray(16));
    expect(out!.payload.toString()).toBe('hello world');
  });

  it('reports the whole size of a pending frame, and holds only the bytes that arrived', () => {
    const frame = encodeFrame(MessageType.ECHO, 5, Buffer.alloc(1000, 1));
    const decoder = new FrameDecoder();
    decoder.decode(frame.subarray(0, 11));
    expect([decoder.pendingFrameBytes, decoder.bufferedBytes]).toEqual([0, 11]);
    decoder.decode(frame.subarray(11, 112));
    expect([decoder.pendingFrameBytes, decoder.bufferedBytes]).toEqual([1012, 112]);
    decoder.decode(frame.subarray(112, 1011));
    expect([decoder.pendingFrameBytes, decoder.bufferedBytes]).toEqual([1012, 1011]);
    const [out] = decoder.decode(Buffer.concat([frame.subarray(1011), encodeFrame(MessageType.PING, 6)]));
    expect(out!.payload.length).toBe(1000);
    expect([decoder.pendingFrameBytes, decoder.bufferedBytes]).toEqual([0, 0]);
  });

  describe('header checks, in the order version, length, flags, id', () => {
    const cases: Array<[string, Buffer, ErrorCode]> = [
      ['unknown version', header({ version: 2 }), ErrorCode.BAD_FRAME],
      ['version 0', header({ version: 0 }), ErrorCode.BAD_FRAME],
      ['length over maxPayload', header({ length: 1024 * 1024 + 1 }), ErrorCode.FRAME_TOO_LARGE],
      ['reserved flag bit 1', header({ flags: 0x0002 }), ErrorCode.BAD_FRAME],
      ['reserved flag bit 15', header({ flags: 0x8000 }), ErrorCode.BAD_FRAME],
      ['RESPONSE flag on a request', header({ flags: Flags.RESPONSE }), ErrorCode.BAD_FRAME],
      ['id 0 on a request', header({ id: 0 }), ErrorCode.BAD_FRAME],
      ['bad version wins over a bad length', header({ version: 9, length: 0xffff_ffff }), ErrorCode.BAD_FRAME],
      ['bad length wins over bad flags', header({ length: 0xffff_ffff, flags: 0xffff }), ErrorCode.FRAME_TOO_LARGE],
    ];
    for (const [name, bytes, code] of cases) {
      it(`${name} → ${ErrorCode[code]}`, () => {
        const err = errorOf(() => new FrameDecoder().decode(bytes));
        expect(err.errorCode).toBe(code);
        expect(err.id).toBe(bytes.readUInt32BE(8));
      });
    }

    it('a length equal to maxPayload passes', () => {
      const decoder = new FrameDecoder({ maxPayload: 5 });
      const [f] = decoder.decode(encodeFrame(MessageType.ECHO, 1, Buffer.from('12345')));
      expect(f!.payload.toString()).toBe('12345');
      expect(errorOf(() => new FrameDecoder({ maxPayload: 5 }).decode(header({ length: 6 }))).errorCode).toBe(
        ErrorCode.FRAME_TOO_LARGE,
      );
    });

    it('a replies decoder accepts RESPONSE and id 0 but not reserved bits', () => {
      const d = new FrameDecoder({ expect: 'replies' });
      const frames = d.decode(Buffer.concat([header({ flags: Flags.RESPONSE, id: 5 }), header({ id: 0 })]));
      expect(frames.map((f) => [f.flags, f.id])).toEqual([
        [Flags.RESPONSE, 5],
        [0, 0],
      ]);
      expect(errorOf(() => new FrameDecoder({ expect: 'replies' }).decode(header({ flags: 3 }))).errorCode).toBe(
        ErrorCode.BAD_FRAME,
      );
    });
  });

  it('rejects a header announcing 0xFFFFFFFF bytes having buffered no more than 12 bytes', () => {
    const h = header({ length: 0xffff_ffff });
    const oneByOne = new FrameDecoder();
    for (let i = 0; i < HEADER_SIZE - 1; i++) oneByOne.push(h.subarray(i, i + 1), () => undefined);
    expect(oneByOne.bufferedBytes).toBe(11);
    const err = errorOf(() => oneByOne.push(h.subarray(11), () => undefined));
    expect(err.errorCode).toBe(ErrorCode.FRAME_TOO_LARGE);
    expect(oneByOne.bufferedBytes).toBeLessThanOrEqual(HEADER_SIZE);

    const withGarbage = new FrameDecoder();
    const err2 = errorOf(() => withGarbage.decode(Buffer.concat([h, Buffer.alloc(64 * 1024, 0xaa)])));
    expect(err2.errorCode).toBe(ErrorCode.FRAME_TOO_LARGE);
    expect(withGarbage.bufferedBytes).toBe(0);
  });

  it('delivers the frames before a bad header, then stays failed', () => {
    const good = encodeFrame(MessageType.PING, 1);
    const decoder = new FrameDecoder();
    const out: Frame[] = [];
    const err = errorOf(() => decoder.push(Buffer.concat([good, header({ version: 3 })]), (f) => out.push(f)));
    expect(out.map((f) => f.id)).toEqual([1]);
    expect(err.errorCode).toBe(ErrorCode.BAD_FRAME);
    expect(decoder.error).toBe(err);
    expect(errorOf(() => decoder.decode(good))).toBe(err);
  });

  it('refuses a maxPayload over 16 MiB', () => {
    expect(() => new FrameDecoder({ maxPayload: 16 * 1024 * 1024 + 1 })).toThrow(/maxPayload must be an integer in 0\.\.16777216/);
  });
});
