import { describe, expect, it } from 'vitest';
import { ErrorCode } from './constants.js';
import { BadFrameError, BadPayloadError, FrameTooLargeError, ProtocolError, ProtocolErrorCodes } from './errors.js';

describe('errors', () => {
  const cases = [
    [BadFrameError, ErrorCode.BAD_FRAME, ProtocolErrorCodes.BAD_FRAME],
    [FrameTooLargeError, ErrorCode.FRAME_TOO_LARGE, ProtocolErrorCodes.FRAME_TOO_LARGE],
    [BadPayloadError, ErrorCode.BAD_PAYLOAD, ProtocolErrorCodes.BAD_PAYLOAD],
  ] as const;

  for (const [Ctor, errorCode, code] of cases) {
    it(`${Ctor.name}: stable code ${code}, wire code ${ErrorCode[errorCode]}, the request id`, () => {
      const err = new Ctor('msg', 12);
      expect(err).toBeInstanceOf(ProtocolError);
      expect(err).toBeInstanceOf(Error);
      expect([err.name, err.code, err.errorCode, err.codeName, err.id, err.message]).toEqual([
        Ctor.name,
        code,
        errorCode,
        ErrorCode[errorCode],
        12,
        'msg',
      ]);
      expect(new Ctor().id).toBe(0);
    });
  }

  it('has one class per stable code, each code SOCKBENCH_ + the wire name it carries', () => {
    expect(cases.map(([, , code]) => code).sort()).toEqual(Object.values(ProtocolErrorCodes).sort());
    for (const [Ctor] of cases) {
      const err = new Ctor();
      expect(err.code).toBe(`SOCKBENCH_${err.codeName}`);
    }
  });
});
