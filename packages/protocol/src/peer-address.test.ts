import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatPeerAddress, parsePeerAddress } from './peer-address.js';

describe('peer addresses (STATS query)', () => {
  it('formats IPv4 as ip:port and IPv6 as [addr]:port', () => {
    expect(formatPeerAddress('127.0.0.1', 5000)).toBe('127.0.0.1:5000');
    expect(formatPeerAddress('::1', 5000)).toBe('[::1]:5000');
    expect(formatPeerAddress('::ffff:127.0.0.1', 0)).toBe('[::ffff:127.0.0.1]:0');
    expect(formatPeerAddress('fe80::1%eth0', 65535)).toBe('[fe80::1%eth0]:65535');
  });

  it('parses what it formats', () => {
    const v4 = fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map((p) => p.join('.'));
    fc.assert(
      fc.property(fc.oneof(v4, fc.ipV6()), fc.integer({ min: 0, max: 65535 }), (address, port) => {
        expect(parsePeerAddress(formatPeerAddress(address, port))).toEqual({ address, port });
      }),
      { numRuns: 1000 },
    );
  });

  it('refuses what is no ip:port', () => {
    for (const bad of ['', '127.0.0.1', '127.0.0.1:', ':5000', '127.0.0.1:65536', '127.0.0.1:05', '127.0.0.1:x', '::1:5000', '[::1:5000', '[]:5', '[1.2.3.4]:5', 'a]:5']) {
      expect(parsePeerAddress(bad), bad).toBeUndefined();
    }
  });
});
