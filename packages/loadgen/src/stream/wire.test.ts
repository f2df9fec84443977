import { describe, expect, it } from 'vitest';
import { DEFAULT_SOCKET_PLAN } from '../socket-plan.js';
import { wireBytesPerMessage } from './wire.js';

const plan = (transport: 'tcp' | 'udp', size: number, host = '10.0.0.1') => ({ host, transport, size, socket: DEFAULT_SOCKET_PLAN });

describe('wireBytesPerMessage', () => {
  it('UDP: + 8 UDP + 20 IPv4 (40 IPv6) + 38 Ethernet per datagram', () => {
    expect(wireBytesPerMessage(plan('udp', 1400))).toBe(1400 + 8 + 20 + 38);
    expect(wireBytesPerMessage(plan('udp', 1400, '::1'))).toBe(1400 + 8 + 40 + 38);
    expect(wireBytesPerMessage(plan('udp', 1472))).toBe(1472 + 66); // the largest unfragmented IPv4 datagram
  });
  it('UDP over the MTU: each fragment adds its IP header and Ethernet', () => {
    // 1473 + 8 = 1481 bytes of UDP datagram: 2 IPv4 fragments (1480 + 1).
    expect(wireBytesPerMessage(plan('udp', 1473))).toBe(1481 + 2 * (20 + 38));
    expect(wireBytesPerMessage(plan('udp', 8972))).toBe(8980 + 7 * 58); // ceil(8980 / 1480) = 7
  });
  it('TCP: the byte stream in 1448 B segments, each + 52 B TCP/IPv4 + 38 B', () => {
    expect(wireBytesPerMessage(plan('tcp', 1448))).toBeCloseTo(1448 + 90, 9);
    expect(wireBytesPerMessage(plan('tcp', 1400))).toBeCloseTo(1400 * (1 + 90 / 1448), 9);
  });
});
