import { describe, expect, it } from 'vitest';
import { ErrorCode, MessageType } from '@sockbench/protocol';
import * as errors from './errors.js';

describe('errors', () => {
  it('each class carries its own stable code, all of them distinct', () => {
    const all: errors.ClientError[] = [
      new errors.ConnectError('127.0.0.1', 1, 'ECONNREFUSED'),
      new errors.ErrorReply(ErrorCode.BUSY, 'busy'),
      new errors.TimeoutError(MessageType.PING, 3, 50),
      new errors.ConnectionClosedError(),
      new errors.UnsupportedOnUdpError(MessageType.JOIN),
      new errors.UnexpectedFrameError(MessageType.ECHO, 9, 'stray'),
      new errors.UsageError('--count must be an integer ≥ 0, got -1'),
      new errors.StreamUnsupportedError('127.0.0.1:7878', 'type 0x0c is not a request'),
      new errors.StreamError('no STREAM_BIND reply'),
    ];
    expect(all.map((e) => e.code).sort()).toEqual(Object.values(errors.ClientErrorCodes).sort());
    for (const e of all) expect(e.name).toBe(e.constructor.name);
  });

  it('ConnectError keeps the OS code apart from its stable code', () => {
    const os = Object.assign(new Error('connect ECONNREFUSED ::1:7000'), { code: 'ECONNREFUSED' });
    const err = new errors.ConnectError('::1', 7000, 'ECONNREFUSED', undefined, { cause: os });
    expect([err.code, err.osCode, err.host, err.port, err.cause]).toEqual(['SOCKBENCH_CONNECT', 'ECONNREFUSED', '::1', 7000, os]);
    expect(err.message).toBe('cannot connect to [::1]:7000: ECONNREFUSED');
    expect(new errors.ConnectError('h', 1, 'ETIMEDOUT', 'no WELCOME within 50 ms').message).toBe('cannot connect to h:1: ETIMEDOUT (no WELCOME within 50 ms)');
  });

  it('ErrorReply carries the wire code as errorCode and its name', () => {
    const err = new errors.ErrorReply(ErrorCode.NOT_IN_ROOM, 'not in room "x"', 4);
    expect([err.code, err.errorCode, err.codeName, err.id, err.message]).toEqual([
      'SOCKBENCH_ERROR_REPLY',
      ErrorCode.NOT_IN_ROOM,
      'NOT_IN_ROOM',
      4,
      'not in room "x"',
    ]);
  });
});
