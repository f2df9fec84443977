import { describe, expect, it } from 'vitest';
import { ErrorCode, HEADER_SIZE, MAX_UDP_DATAGRAM, MessageType } from '@sockbench/protocol';
import { UnsupportedOnUdpError } from './errors.js';
import { assertUdpComputeData, udpRequestError } from './udp-requests.js';

describe('udpRequestError', () => {
  it('PING, ECHO and COMPUTE that fit one datagram pass', () => {
    for (const type of [MessageType.PING, MessageType.ECHO, MessageType.COMPUTE]) {
      expect(udpRequestError(type, MAX_UDP_DATAGRAM - HEADER_SIZE)).toBeUndefined();
    }
  });

  it('every other type is UnsupportedOnUdpError (ErrorCode.UNSUPPORTED)', () => {
    for (const type of [MessageType.HELLO, MessageType.JOIN, MessageType.LEAVE, MessageType.SAY, MessageType.STATS, MessageType.BYE, 0x55]) {
      const err = udpRequestError(type, 0) as UnsupportedOnUdpError;
      expect(err).toBeInstanceOf(UnsupportedOnUdpError);
      expect([err.type, err.errorCode]).toEqual([type, ErrorCode.UNSUPPORTED]);
    }
  });

  it('one byte over the datagram is a RangeError naming the frame size and the limit', () => {
    const err = udpRequestError(MessageType.ECHO, MAX_UDP_DATAGRAM - HEADER_SIZE + 1);
    expect(err).toBeInstanceOf(RangeError);
    expect(err!.message).toBe(`a ECHO frame of ${MAX_UDP_DATAGRAM + 1} bytes does not fit one UDP datagram (max ${MAX_UDP_DATAGRAM} bytes)`);
  });
});

describe('assertUdpComputeData', () => {
  it('32 data bytes pass, 31 throw RangeError', () => {
    expect(() => assertUdpComputeData(32)).not.toThrow();
    expect(() => assertUdpComputeData(31)).toThrow(RangeError);
    expect(() => assertUdpComputeData(31)).toThrow('at least 32 bytes (the reply may not exceed the request), got 31');
  });
});
