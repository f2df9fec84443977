import { describe, expect, it } from 'vitest';
import { ListenError, ServerStateError, SockbenchServerError, SockbenchServerErrorCodes } from './errors.js';

describe('errors', () => {
  it('ServerStateError carries its stable code', () => {
    const err = new ServerStateError('listen() on a server that is closed');
    expect(err).toBeInstanceOf(SockbenchServerError);
    expect([err.name, err.code, err.message]).toEqual(['ServerStateError', SockbenchServerErrorCodes.SERVER_STATE, 'listen() on a server that is closed']);
  });

  it('ListenError keeps the OS error as cause and its code apart as osCode', () => {
    const os = Object.assign(new Error('listen EADDRINUSE: address already in use 127.0.0.1:7878'), { code: 'EADDRINUSE' });
    const err = new ListenError('TCP', '127.0.0.1:7878', os);
    expect([err.name, err.code, err.osCode, err.cause]).toEqual(['ListenError', 'SOCKBENCH_LISTEN', 'EADDRINUSE', os]);
    expect(err.message).toBe('cannot listen for TCP on 127.0.0.1:7878: listen EADDRINUSE: address already in use 127.0.0.1:7878');
  });

  it('ListenError without an OS code has osCode undefined', () => {
    const err = new ListenError('metrics HTTP', '[::1]:9464', 'boom');
    expect([err.osCode, err.message]).toEqual([undefined, 'cannot listen for metrics HTTP on [::1]:9464: boom']);
  });
});
