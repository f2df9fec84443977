import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseRetransSegs, parseUdpDrops, readTcpRetransmits, readUdpKernelDrops, type ProcNetPaths } from './proc-net.js';

const fixture = (name: string): string => fileURLToPath(new URL(`../../test/fixtures/${name}`, import.meta.url));
const text = (name: string): string => readFileSync(fixture(name), 'utf8');
const FIXTURES: ProcNetPaths = { snmp: fixture('proc-net-snmp.txt'), udp: [fixture('proc-net-udp.txt'), fixture('proc-net-udp6.txt')] };

describe('/proc/net parsers (hand-written fixtures)', () => {
  it('RetransSegs is the Tcp: column of that name', () => {
    expect(parseRetransSegs(text('proc-net-snmp.txt'))).toBe(6787);
  });

  it('RetransSegs is null without the Tcp: lines, the column, or a number in it', () => {
    expect(parseRetransSegs('')).toBeNull();
    expect(parseRetransSegs('Tcp: RtoAlgorithm RtoMin\nTcp: 1 200\n')).toBeNull();
    expect(parseRetransSegs('Tcp: RetransSegs\n')).toBeNull();
    expect(parseRetransSegs('Tcp: A RetransSegs\nTcp: 1 x\n')).toBeNull();
  });

  it('UDP drops: summed over the sockets whose local port is the one asked (0x1EC6 = 7878), not the remote port', () => {
    // 17 (127.0.0.1:7878) + 3 (0.0.0.0:7878); the :7879 socket and the socket whose *remote* port is 7878 are not ours.
    expect(parseUdpDrops(text('proc-net-udp.txt'), 7878)).toEqual({ sockets: 2, drops: 20 });
    expect(parseUdpDrops(text('proc-net-udp6.txt'), 7878)).toEqual({ sockets: 1, drops: 2 });
    expect(parseUdpDrops(text('proc-net-udp.txt'), 7879)).toEqual({ sockets: 1, drops: 1000 });
    expect(parseUdpDrops(text('proc-net-udp.txt'), 1)).toEqual({ sockets: 0, drops: 0 });
    expect(parseUdpDrops('garbage\n  1: nonsense', 7878)).toEqual({ sockets: 0, drops: 0 });
  });

  it('the readers: both UDP files summed; null when no socket matches or nothing can be read', async () => {
    expect(await readUdpKernelDrops(7878, FIXTURES)).toBe(22);
    expect(await readUdpKernelDrops(1, FIXTURES)).toBeNull();
    expect(await readTcpRetransmits(FIXTURES)).toBe(6787);
    const missing: ProcNetPaths = { snmp: fixture('absent'), udp: [fixture('absent')] };
    expect(await readTcpRetransmits(missing)).toBeNull();
    expect(await readUdpKernelDrops(7878, missing)).toBeNull();
    // IPv4 file readable, IPv6 absent (a host without IPv6): the IPv4 sockets still count.
    expect(await readUdpKernelDrops(7878, { snmp: FIXTURES.snmp, udp: [FIXTURES.udp[0]!, fixture('absent')] })).toBe(20);
  });
});
