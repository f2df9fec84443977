import { describe, expect, it } from 'vitest';
import { ErrorCode, FATAL_ERROR_CODES, isFatalError } from './constants.js';
import { BadPayloadError, ProtocolError, protocolErrorFor } from './errors.js';

describe('errors', () => {
  it('maps every code to a subclass carrying that code', () => {
    for (const code of Object.values(ErrorCode).filter((v): v is ErrorCode => typeof v === 'number')) {
      const err = protocolErrorFor(code, 'msg', 12);
      expect(err).toBeInstanceOf(ProtocolError);
      expect(err.constructor).not.toBe(ProtocolError);
      expect(err.code).toBe(code);
      expect(err.codeName).toBe(ErrorCode[code]);
      expect(err.id).toBe(12);
      expect(err.message).toBe('msg');
    }
  });

  it('gives a plain ProtocolError for a code this version does not know', () => {
    const err = protocolErrorFor(99, 'future');
    expect(err.constructor).toBe(ProtocolError);
    expect(err.codeName).toBe('UNKNOWN');
  });

  it('names the always-fatal codes of the table', () => {
    expect([...FATAL_ERROR_CODES].sort()).toEqual([ErrorCode.BAD_FRAME, ErrorCode.FRAME_TOO_LARGE, ErrorCode.UNAUTHORIZED]);
    expect(isFatalError(ErrorCode.BAD_PAYLOAD)).toBe(false);
    expect(new BadPayloadError().name).toBe('BadPayloadError');
  });
});
