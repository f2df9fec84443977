import { describe, expect, it } from 'vitest';
import { ErrorCode, Flags, MessageType, encodeError, type Frame } from '@sockbench/protocol';
import { ErrorReply, UnexpectedFrameError } from './errors.js';
import { checkReply, errorFrameToError, strayReplyError } from './reply-check.js';

function frame(type: number, id: number, payload: Buffer = Buffer.alloc(0), flags: number = Flags.RESPONSE): Frame {
  return { type, flags, id, payload };
}

describe('checkReply', () => {
  it('the reply of the request type with the RESPONSE flag is no error', () => {
    expect(checkReply(frame(MessageType.ECHO, 4, Buffer.from('x')), MessageType.ECHO)).toBeUndefined();
  });

  it('without the RESPONSE flag: UnexpectedFrameError, even for the right type', () => {
    const err = checkReply(frame(MessageType.PING, 2, undefined, Flags.NONE), MessageType.PING);
    expect(err).toBeInstanceOf(UnexpectedFrameError);
    expect(err!.message).toBe('frame with id 2 lacks the RESPONSE flag');
  });

  it('an ERROR reply: ErrorReply with its code, message and id', () => {
    const err = checkReply(frame(MessageType.ERROR, 7, encodeError(ErrorCode.BUSY, 'queue full')), MessageType.COMPUTE) as ErrorReply;
    expect(err).toBeInstanceOf(ErrorReply);
    expect([err.errorCode, err.message, err.id]).toEqual([ErrorCode.BUSY, 'queue full', 7]);
  });

  it('a reply of another type: UnexpectedFrameError naming both types', () => {
    const err = checkReply(frame(MessageType.STATS, 3), MessageType.PING) as UnexpectedFrameError;
    expect(err).toBeInstanceOf(UnexpectedFrameError);
    expect([err.type, err.id, err.message]).toEqual([MessageType.STATS, 3, 'PING request 3 got a STATS reply']);
  });
});

describe('errorFrameToError', () => {
  it('an ERROR payload under 2 bytes is an UnexpectedFrameError with the decode error as cause', () => {
    const err = errorFrameToError(frame(MessageType.ERROR, 0, Buffer.from([1]))) as UnexpectedFrameError;
    expect(err).toBeInstanceOf(UnexpectedFrameError);
    expect(err.message).toBe('ERROR payload of 1 bytes is under 2 bytes');
    expect(err.cause).toBeInstanceOf(Error);
  });
});

describe('strayReplyError', () => {
  it('names the type and the id no request waits for', () => {
    const err = strayReplyError(frame(MessageType.PING, 999));
    expect([err.type, err.id]).toEqual([MessageType.PING, 999]);
    expect(err.message).toBe('PING reply with id 999, which no request is waiting for (late, duplicate or unknown)');
  });
});
