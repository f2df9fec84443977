import { describe, expect, it } from 'vitest';
import { ErrorCode, Flags, MessageType } from './constants.js';
import { decodeDatagram } from './datagram.js';
import { ProtocolError } from './errors.js';
import { encodeFrame } from './frame.js';

function codeOf(fn: () => unknown): ErrorCode {
  try {
    fn();
  } catch (err) {
    if (err instanceof ProtocolError) return err.errorCode;
    throw err;
  }
  throw new Error('expected a ProtocolError');
}

describe('decodeDatagram', () => {
  it('decodes a datagram holding exactly one frame, payload as a view', () => {
    const dgram = encodeFrame(MessageType.ECHO, 42, Buffer.from('ping'));
    const f = decodeDatagram(dgram);
    expect(f).toMatchObject({ type: MessageType.ECHO, id: 42, flags: 0 });
    expect(f.payload.toString()).toBe('ping');
    expect(f.payload.buffer).toBe(dgram.buffer);
  });

  it('refuses a datagram whose size is not 12 + length', () => {
    const dgram = encodeFrame(MessageType.ECHO, 1, Buffer.from('abcd'));
    expect(codeOf(() => decodeDatagram(dgram.subarray(0, dgram.length - 1)))).toBe(ErrorCode.BAD_FRAME);
    expect(codeOf(() => decodeDatagram(Buffer.concat([dgram, Buffer.from([0])])))).toBe(ErrorCode.BAD_FRAME);
    expect(codeOf(() => decodeDatagram(Buffer.alloc(11)))).toBe(ErrorCode.BAD_FRAME);
  });

  it('runs the header checks', () => {
    const bad = encodeFrame(MessageType.PING, 1);
    bad[4] = 2;
    expect(codeOf(() => decodeDatagram(bad))).toBe(ErrorCode.BAD_FRAME);
    expect(codeOf(() => decodeDatagram(encodeFrame(MessageType.PING, 0)))).toBe(ErrorCode.BAD_FRAME);
    expect(codeOf(() => decodeDatagram(encodeFrame(MessageType.PING, 1, undefined, Flags.RESPONSE)))).toBe(
      ErrorCode.BAD_FRAME,
    );
    expect(codeOf(() => decodeDatagram(encodeFrame(MessageType.ECHO, 1, Buffer.alloc(9)), { maxPayload: 8 }))).toBe(
      ErrorCode.FRAME_TOO_LARGE,
    );
  });

  it('accepts replies when expecting replies', () => {
    const f = decodeDatagram(encodeFrame(MessageType.PING, 9, undefined, Flags.RESPONSE), { expect: 'replies' });
    expect(f.flags).toBe(Flags.RESPONSE);
  });
});
