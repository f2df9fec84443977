import { describe, expect, it } from 'vitest';
import { CONNECT_OPTIONS, fillConnectOptions } from './options.js';

describe('fillConnectOptions', () => {
  it('merges the defaults of the option table', () => {
    expect(fillConnectOptions()).toEqual({
      host: '127.0.0.1',
      port: 7878,
      transport: 'tcp',
      token: undefined,
      name: undefined,
      timeoutMs: 5000,
      connectTimeoutMs: 5000,
      maxPayload: 1024 * 1024,
    });
    const filled = fillConnectOptions() as unknown as Record<string, unknown>;
    for (const row of CONNECT_OPTIONS.rows) {
      if (row.default !== undefined) expect(filled[row.key]).toBe(row.default);
    }
  });

  it.each([
    [{ port: 0 }, RangeError, 'options.port (--port) must be an integer in 1..65535, got 0'],
    [{ port: 1.5 }, TypeError, 'options.port (--port) must be an integer in 1..65535, got 1.5'],
    [{ timeoutMs: -1 }, RangeError, 'options.timeoutMs (--timeout) must be an integer in 0..3600000 ms, got -1'],
    [{ connectTimeoutMs: 0 }, RangeError, 'options.connectTimeoutMs (--connect-timeout) must be an integer in 1..3600000 ms, got 0'],
    [{ maxPayload: 16 * 1024 * 1024 + 1 }, RangeError, 'options.maxPayload (--max-payload) must be an integer in 0..16777216 bytes, got 16777217'],
    [{ host: '' }, TypeError, 'options.host (--host) must be a non-empty host name or address, got '],
    [{ token: '' }, TypeError, 'options.token (--token) must be a non-empty string when set, got '],
    [{ transport: 'sctp' as 'tcp' }, RangeError, 'options.transport must be one of tcp, udp, got sctp'],
    [{ transport: 'udp' as const, timeoutMs: 0 }, RangeError, 'options.timeoutMs (--timeout) must be an integer in 1..3600000 ms over UDP, got 0'],
  ])('%o is refused with a message naming option, value and range', (opts, cls, message) => {
    expect(() => fillConnectOptions(opts)).toThrow(cls);
    expect(() => fillConnectOptions(opts)).toThrow(message);
  });
});
