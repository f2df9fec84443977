import { describe, expect, it } from 'vitest';
import { parseRetransSegs, readRetransSegs, sampleHost } from './host-sample.js';

// The Tcp lines of a real /proc/net/snmp (Linux 6.x), the Ip and Udp lines cut.
const SNMP = `Ip: Forwarding DefaultTTL InReceives
Ip: 1 64 123
Tcp: RtoAlgorithm RtoMin RtoMax MaxConn ActiveOpens PassiveOpens AttemptFails EstabResets CurrEstab InSegs OutSegs RetransSegs InErrs OutRsts InCsumErrors
Tcp: 1 200 120000 -1 5188 2410 37 112 14 9815517 10474640 1734 0 3046 0
Udp: InDatagrams NoPorts
Udp: 5 6
`;

describe('host sample', () => {
  it('reads RetransSegs from the Tcp lines of /proc/net/snmp', () => {
    expect(parseRetransSegs(SNMP)).toBe(1734);
  });

  it('null when the field or the lines are missing', () => {
    expect(parseRetransSegs('')).toBeNull();
    expect(parseRetransSegs('Tcp: RtoAlgorithm InSegs\nTcp: 1 2\n')).toBeNull();
    expect(parseRetransSegs('Tcp: RetransSegs\n')).toBeNull();
    expect(readRetransSegs('/nonexistent/snmp')).toBeNull();
  });

  it('a sample holds this process\'s CPU time, non-decreasing, and the clock given', () => {
    const a = sampleHost(() => 5, '/nonexistent/snmp');
    let x = 0;
    for (let i = 0; i < 200_000; i++) x += i % 7;
    const b = sampleHost(() => 6, '/nonexistent/snmp');
    expect(x).toBeGreaterThan(0);
    expect([a.atMs, b.atMs, a.tcpRetransmits]).toEqual([5, 6, null]);
    expect(b.userUs + b.systemUs).toBeGreaterThanOrEqual(a.userUs + a.systemUs);
  });
});
