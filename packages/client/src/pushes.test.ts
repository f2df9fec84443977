import { describe, expect, it } from 'vitest';
import { ErrorCode, Flags, MessageType, encodeChat, encodeError, type Chat, type Frame } from '@sockbench/protocol';
import { ErrorReply, UnexpectedFrameError, type ClientError } from './errors.js';
import { dispatchPush, type PushSink } from './pushes.js';

function push(type: number, payload: Buffer): Frame {
  return { type, flags: Flags.NONE, id: 0, payload };
}

function sink(onChat: (chat: Chat) => void = () => undefined): PushSink & { chats: Chat[]; errors: ClientError[] } {
  const chats: Chat[] = [];
  const errors: ClientError[] = [];
  return {
    chats,
    errors,
    chat(chat) {
      chats.push(chat);
      onChat(chat);
    },
    error(err) {
      errors.push(err);
    },
  };
}

describe('dispatchPush', () => {
  it('a CHAT push reaches sink.chat decoded', () => {
    const s = sink();
    dispatchPush(push(MessageType.CHAT, encodeChat({ room: 'lobby', from: 'ana', text: 'hola' })), s);
    expect(s.chats).toEqual([{ room: 'lobby', from: 'ana', text: 'hola' }]);
    expect(s.errors).toEqual([]);
  });

  it('an ERROR push reaches sink.error as a ErrorReply with id 0', () => {
    const s = sink();
    dispatchPush(push(MessageType.ERROR, encodeError(ErrorCode.SHUTTING_DOWN, 'draining')), s);
    const err = s.errors[0] as ErrorReply;
    expect(s.errors).toHaveLength(1);
    expect(err).toBeInstanceOf(ErrorReply);
    expect([err.errorCode, err.message, err.id]).toEqual([ErrorCode.SHUTTING_DOWN, 'draining', 0]);
  });

  it('a push of a type the server never pushes is an UnexpectedFrameError naming it in hex', () => {
    const s = sink();
    dispatchPush(push(MessageType.ECHO, Buffer.alloc(0)), s);
    expect(s.errors[0]).toBeInstanceOf(UnexpectedFrameError);
    expect(s.errors[0]!.message).toBe(`unexpected push of type ECHO (0x${MessageType.ECHO.toString(16)})`);
  });

  it('a CHAT that does not decode, or a chat handler that throws, is a "bad CHAT push" error with the cause', () => {
    const bad = sink();
    dispatchPush(push(MessageType.CHAT, Buffer.from('{not json')), bad);
    expect(bad.chats).toEqual([]);
    expect(bad.errors[0]).toBeInstanceOf(UnexpectedFrameError);
    expect(bad.errors[0]!.message).toMatch(/^bad CHAT push: /);

    const boom = new Error('listener failed');
    const throwing = sink(() => {
      throw boom;
    });
    dispatchPush(push(MessageType.CHAT, encodeChat({ room: 'r', from: 'b', text: 't' })), throwing);
    expect(throwing.errors.map((e) => [e.message, e.cause])).toEqual([['bad CHAT push: listener failed', boom]]);
  });
});
