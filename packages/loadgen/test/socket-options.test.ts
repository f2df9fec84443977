/**
 * The socket flags end to end (`--bind`, `-4`/`-6`, `--sndbuf`/`--rcvbuf`, `--no-nodelay`): every bad
 * input's exact usage line (exit 2), and real runs whose servers see the bound source address and
 * whose reports record the plan and the buffer sizes the kernel granted.
 */
import dgram from 'node:dgram';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, type Server } from '@sockbench/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseReport } from '../src/report/schema.js';
import { parseBind } from '../src/socket-plan.js';
import { cli, usageError } from './fixtures/cli-process.js';

let server: Server;
let port: number;
let dir: string;
const quick = ['--threads', '1', '--connections', '1', '--duration', '300ms', '--warmup', '0', '--quiet'];

beforeAll(async () => {
  server = createServer({ host: '127.0.0.1', port: 0, threads: 1 });
  port = (await server.listen()).tcp.port;
  dir = await mkdtemp(join(tmpdir(), 'loadgen-socket-'));
});
afterAll(async () => {
  await server.close();
  await rm(dir, { recursive: true, force: true });
});

describe('parseBind', () => {
  it('reads ADDR, ADDR:PORT, [IPv6]:PORT and a bare IPv6 address', () => {
    expect(parseBind('127.0.0.2')).toEqual({ address: '127.0.0.2', port: 0 });
    expect(parseBind('10.0.0.1:5201')).toEqual({ address: '10.0.0.1', port: 5201 });
    expect(parseBind('[::1]:7000')).toEqual({ address: '::1', port: 7000 });
    expect(parseBind('[fe80::1]')).toEqual({ address: 'fe80::1', port: 0 });
    expect(parseBind('::1')).toEqual({ address: '::1', port: 0 });
  });
});

describe('bad socket flags: one line, exit 2', () => {
  const cases: [string[], string][] = [
    [['-4', '-6'], '-4 (IPv4 only) and -6 (IPv6 only) cannot be used together'],
    [['--bind', 'example.com'], '--bind needs an IP address of this host (ADDR, ADDR:PORT or [IPv6]:PORT), got "example.com"'],
    [['--bind', '127.0.0.1:70000'], '--bind port must be an integer in 0..65535, got "127.0.0.1:70000"'],
    [['--bind', '[127.0.0.1]:5'], '--bind: brackets are for IPv6 addresses, got "[127.0.0.1]:5"'],
    [['--bind', '127.0.0.2:5000', '--connections', '4'], '--bind 127.0.0.2:5000 gives every socket the same local port: it needs one connection or stream, got 4'],
    [['--bind', '::1'], '--bind ::1 is IPv6, but --host 127.0.0.1 is IPv4'],
    [['--bind', '127.0.0.2', '-6', '--host', 'localhost'], '--bind 127.0.0.2 is IPv4, but -6 asks for IPv6'],
    [['-6'], '-6 asks for IPv6, but --host 127.0.0.1 is IPv4'],
    [['--sndbuf', '262144'], '--sndbuf sets SO_SNDBUF, which Node cannot set on a TCP socket: it applies to UDP only (got --transport tcp)'],
    [['--rcvbuf', '262144', '--transport', 'raw-tcp'], '--rcvbuf sets SO_RCVBUF, which Node cannot set on a TCP socket: it applies to UDP only (got --transport raw-tcp)'],
    [['--sndbuf', '12', '--transport', 'udp'], '--sndbuf must be an integer in 1024..1073741824 bytes, got 12'],
    [['--rcvbuf', 'lots', '--transport', 'udp'], '--rcvbuf must be an integer in 1024..1073741824 bytes, got NaN'],
    [['--no-nodelay', '--transport', 'udp'], '--no-nodelay turns Nagle on for TCP; --transport udp has no Nagle'],
    [['--bind', '127.0.0.2', '--bind', '127.0.0.3'], '--bind was given more than once (127.0.0.2, 127.0.0.3)'],
  ];
  for (const [args, line] of cases) {
    it(args.join(' '), async () => {
      expect(await usageError(['--port', '1', ...args])).toBe(`sockbench-loadgen: ${line}`);
    });
  }
  it('--bind with --agents: the agents send from their own machines', async () => {
    expect(await usageError(['--port', '1', '--bind', '127.0.0.2', '--agents', '2', '--redis', 'redis://127.0.0.1:1'])).toBe(
      "sockbench-loadgen: --bind 127.0.0.2 is an address of this host; with --agents the load leaves from the agents' machines (bind there is not supported)",
    );
  });
  it('compare refuses --sndbuf because its TCP run cannot honour it', async () => {
    expect(await usageError(['compare', '--port', '1', '--sndbuf', '65536'])).toBe(
      'sockbench-loadgen: --sndbuf sets SO_SNDBUF, which Node cannot set on a TCP socket: it applies to UDP only (got --transport tcp)',
    );
  });
});

/** A TCP echo server that records each connection's remote address. */
async function recordingTcpEcho(): Promise<{ port: number; peers: string[]; close(): Promise<void> }> {
  const peers: string[] = [];
  const sockets = new Set<net.Socket>();
  const srv = net.createServer((s) => {
    peers.push(s.remoteAddress ?? '?');
    sockets.add(s);
    s.on('error', () => undefined);
    s.pipe(s);
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  return {
    port: (srv.address() as net.AddressInfo).port,
    peers,
    close: () => {
      for (const s of sockets) s.destroy();
      return new Promise((r) => srv.close(() => r()));
    },
  };
}

/** A UDP echo server that records each datagram's source address. */
async function recordingUdpEcho(type: 'udp4' | 'udp6', host: string): Promise<{ port: number; sources: Set<string>; close(): Promise<void> }> {
  const sources = new Set<string>();
  const sock = dgram.createSocket(type);
  sock.on('message', (msg, rinfo) => {
    sources.add(rinfo.address);
    sock.send(msg, rinfo.port, rinfo.address);
  });
  await new Promise<void>((r) => sock.bind(0, host, () => r()));
  return { port: sock.address().port, sources, close: () => new Promise((r) => sock.close(() => r())) };
}

describe('real runs', () => {
  it('--bind 127.0.0.2 over raw-tcp: the server sees that peer address; the plan records bind and --no-nodelay', async () => {
    const echo = await recordingTcpEcho();
    try {
      const file = join(dir, 'bind-tcp.json');
      const r = await cli(['--port', String(echo.port), '--transport', 'raw-tcp', ...quick, '--bind', '127.0.0.2', '--no-nodelay', '--json', file]);
      expect(r.code).toBe(0);
      expect(new Set(echo.peers)).toEqual(new Set(['127.0.0.2']));
      const run = parseReport(await readFile(file, 'utf8'), file).runs[0]!;
      expect(run.plan.socket).toEqual({ bind: { address: '127.0.0.2', port: 0 }, family: null, sndbuf: null, rcvbuf: null, noDelay: false });
      expect(run.socketBuffers).toBeUndefined();
      expect(r.stderr).toContain('raw-tcp socket: bind 127.0.0.2, Nagle on (--no-nodelay)');
    } finally {
      await echo.close();
    }
  });

  it('--bind 127.0.0.3 --rcvbuf over udp against the real server: its per-peer counters find the bound address; the report gives what the kernel granted', async () => {
    const file = join(dir, 'bind-udp.json');
    const r = await cli(['--port', String(port), '--transport', 'udp', ...quick, '--bind', '127.0.0.3', '--sndbuf', '65536', '--rcvbuf', '262144', '--json', file]);
    expect(r.code).toBe(0);
    const run = parseReport(await readFile(file, 'utf8'), file).runs[0]!;
    expect(run.plan.socket).toEqual({ bind: { address: '127.0.0.3', port: 0 }, family: null, sndbuf: 65536, rcvbuf: 262144, noDelay: true });
    // The server keys its per-peer UDP counters by source address: "peers" means it saw 127.0.0.3.
    expect(run.server?.udp?.source).toBe('peers');
    expect(run.server?.udp?.received).toBeGreaterThan(0);
    // Linux grants twice the value asked for, capped at net.core.wmem_max / rmem_max (socket(7)).
    const granted = run.socketBuffers!;
    const cap = async (name: string): Promise<number> => Number(await readFile(`/proc/sys/net/core/${name}`, 'utf8'));
    expect(granted.sendBufferBytes).toBe(2 * Math.min(65536, await cap('wmem_max')));
    expect(granted.recvBufferBytes).toBe(2 * Math.min(262144, await cap('rmem_max')));
    expect(r.stderr).toContain(`udp socket: bind 127.0.0.3, SO_SNDBUF 65536 B asked, ${granted.sendBufferBytes} B granted, SO_RCVBUF 262144 B asked, ${granted.recvBufferBytes} B granted`);
  });

  it('-6 against ::1 over raw-udp: the datagrams come from ::1 and the plan records family 6', async () => {
    let echo: Awaited<ReturnType<typeof recordingUdpEcho>>;
    try {
      echo = await recordingUdpEcho('udp6', '::1');
    } catch {
      return; // no IPv6 loopback on this host: nothing to run against
    }
    try {
      const file = join(dir, 'v6.json');
      const r = await cli(['--host', '::1', '--port', String(echo.port), '--transport', 'raw-udp', ...quick, '-6', '--json', file]);
      expect(r.code).toBe(0);
      expect([...echo.sources]).toEqual(['::1']);
      const run = parseReport(await readFile(file, 'utf8'), file).runs[0]!;
      expect(run.plan.socket?.family).toBe(6);
      expect(run.counters.completed).toBeGreaterThan(0);
    } finally {
      await echo.close();
    }
  });
});
