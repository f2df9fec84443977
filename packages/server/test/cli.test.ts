import { readFileSync } from 'node:fs';
import { createServer as createNetServer, type Server as NetServer } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { MessageType, decodeWelcome, encodeHello } from '@sockbench/protocol';
import { CLI_OPTIONS, SERVER_OPTIONS } from '../src/options.js';
import { isLoopback } from '../src/log.js';
import { CliProcess } from './cli-process.js';
import { Peer } from './helpers.js';

const procs: CliProcess[] = [];
function run(args: string[], env?: NodeJS.ProcessEnv): CliProcess {
  const p = new CliProcess(args, env);
  procs.push(p);
  return p;
}
afterEach(async () => {
  await Promise.all(procs.splice(0).map((p) => p.kill()));
});

/** Runs `fn` with a TCP port on 127.0.0.1 that another listener already holds. */
async function withTakenPort(fn: (port: number) => Promise<void>): Promise<void> {
  const blocker: NetServer = createNetServer();
  await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
  try {
    await fn((blocker.address() as { port: number }).port);
  } finally {
    blocker.close();
  }
}

describe('sockbench-server CLI', () => {
  it('--help lists every flag with its default and exits 0', async () => {
    const p = run(['--help']);
    expect((await p.exited).code).toBe(0);
    for (const row of [...SERVER_OPTIONS.rows, ...CLI_OPTIONS.rows]) {
      expect(p.stdout).toContain(`--${row.flag}`);
    }
    expect(p.stdout).toContain('(bytes) [default: 1048576]');
    expect(p.stdout).toContain('(ms) [default: 300000]');
    expect(p.stdout).toContain('--log-level');
  });

  it.each([
    [['--port', '70000'], 'sockbench-server: options.port (--port) must be an integer in 0..65535, got 70000'],
    [['--threads', 'many'], 'sockbench-server: options.threads (--threads) must be an integer in 1..256 threads per process, got NaN'],
    [['--dispatch', 'threads'], 'sockbench-server: --dispatch must be one of inline, pool, got "threads"'],
    [['--workers', '-1'], 'sockbench-server: options.workers (--workers) must be an integer in 0..1024 processes, got -1'],
    [['--bogus'], 'sockbench-server: Unknown argument: bogus'],
    [['--port'], 'sockbench-server: Not enough arguments following: port'],
    [['--pool-policy', 'fifo'], 'sockbench-server: --pool-policy must be one of other, idle, got "fifo"'],
    [['--udp-recv-buffer', '100'], 'sockbench-server: options.udpRecvBuffer (--udp-recv-buffer) must be an integer in 4096..1073741824 bytes, got 100'],
    [['--frame-timeout', '-5'], 'sockbench-server: options.frameTimeoutMs (--frame-timeout) must be an integer in 0..86400000 ms, got -5'],
    [['--max-buffered-bytes', '100000'], 'sockbench-server: options.maxBufferedBytes (--max-buffered-bytes) must be an integer in 1048588..68719476736 bytes per process (one frame of --max-payload 1048576 and its header, at least), got 100000'],
    [['--redis', 'http://127.0.0.1:6379'], 'sockbench-server: options.redis (--redis) must be a URL redis://HOST[:PORT][/DB], got "http://127.0.0.1:6379": the scheme must be redis: (rediss:, TLS, is not supported), not http:'],
    [['--redis', 'redis://127.0.0.1:6379/x'], 'sockbench-server: options.redis (--redis) must be a URL redis://HOST[:PORT][/DB], got "redis://127.0.0.1:6379/x": the path must be a DB number, got /x'],
    [['--redis', ''], 'sockbench-server: options.redis (--redis) must be a URL redis://HOST[:PORT][/DB], got ""'],
  ])('bad flags %j: exit 2 with one line naming the flag', async (args, line) => {
    const p = run(args);
    expect((await p.exited).code).toBe(2);
    expect(p.stderr.trim().split('\n')[0]).toContain(line);
  });

  it('--workers 0: one process, logs listening with its ports, serves, exits 0 on SIGTERM', async () => {
    const p = run(['--workers', '0', '--port', '0', '--threads', '1', '--raw-port', '0']);
    const { tcp, line } = await p.listening(false);
    expect((line.udp as { port: number }).port).toBe(tcp);
    expect((line.raw as { tcp: { port: number } }).tcp.port).toBeGreaterThan(0);
    const peer = await Peer.welcomed(tcp);
    try {
      expect((await peer.request(MessageType.PING, 1)).type).toBe(MessageType.PING);
    } finally {
      peer.destroy();
    }
    p.child.kill('SIGTERM');
    expect(await p.exited).toEqual({ code: 0, signal: null });
    expect(p.lines.map((l) => l.msg)).toEqual(expect.arrayContaining(['listening', 'shutdown', 'closed', 'exit']));
  });

  it.each([
    ['under', 65_536],
    ['over', 1 << 30],
  ])('--udp-recv-buffer %s net.core.rmem_max: what the kernel granted in the listening line, a warning when capped', async (_, asked) => {
    const p = run(['--workers', '0', '--port', '0', '--threads', '1', '--udp-recv-buffer', String(asked)]);
    try {
      const { line } = await p.listening(false);
      // Linux (socket(7)): grants min(asked, net.core.rmem_max) and reports double that.
      const rmemMax = Number(readFileSync('/proc/sys/net/core/rmem_max', 'utf8'));
      expect(line.udpRecvBufferBytes).toBe(2 * Math.min(asked, rmemMax));
      const warn = p.lines.find((l) => l.level === 40 && l.msg !== undefined && String(l.msg).startsWith('UDP receive buffer'));
      expect(warn === undefined).toBe(rmemMax >= asked);
      if (warn !== undefined) {
        expect(warn).toMatchObject({
          askedBytes: asked,
          reportedBytes: 2 * rmemMax,
          msg: 'UDP receive buffer smaller than asked: raise net.core.rmem_max (sysctl) to get it',
        });
      }
    } finally {
      await p.kill();
    }
  });

  it.runIf(process.platform === 'linux')('asks 4 MiB of UDP receive buffer by default: granted up to net.core.rmem_max, a capped default said at info, not warned', async () => {
    const p = run(['--workers', '0', '--port', '0', '--threads', '1']);
    try {
      const { line } = await p.listening(false);
      const rmemMax = Number(readFileSync('/proc/sys/net/core/rmem_max', 'utf8'));
      expect(line.udpRecvBufferBytes).toBe(2 * Math.min(4 * 1024 * 1024, rmemMax));
      const said = p.lines.filter((l) => String(l.msg).startsWith('UDP receive buffer'));
      expect(said.map((l) => l.level)).toEqual(rmemMax >= 4 * 1024 * 1024 ? [] : [30]);
    } finally {
      await p.kill();
    }
  });

  it('takes the token from SOCKBENCH_TOKEN', async () => {
    const p = run(['--workers', '0', '--port', '0', '--threads', '1'], { SOCKBENCH_TOKEN: 'from-env' });
    const { tcp } = await p.listening(false);
    const peer = await Peer.open(tcp);
    try {
      expect(decodeWelcome((await peer.next()).payload).auth).toBe(true);
      const r = await peer.request(MessageType.HELLO, 1, encodeHello({ token: 'from-env' }));
      expect(r.type).toBe(MessageType.HELLO);
    } finally {
      peer.destroy();
    }
  });

  it('takes the chat bus URL from SOCKBENCH_REDIS (checked as --redis is)', async () => {
    const p = run(['--workers', '0', '--port', '0', '--threads', '1'], { SOCKBENCH_REDIS: 'redis://127.0.0.1:6379?db=2' });
    expect((await p.exited).code).toBe(2);
    expect(p.stderr.trim()).toBe('sockbench-server: options.redis (--redis) must be a URL redis://HOST[:PORT][/DB], got "redis://127.0.0.1:6379?db=2": a query or fragment is not allowed');
  });

  it('cluster: exits 1 when the workers cannot listen (no respawn loop)', async () => {
    await withTakenPort(async (port) => {
      const p = run(['--workers', '2', '--port', String(port), '--threads', '1']);
      expect((await p.exited).code).toBe(1);
      expect(p.lines.some((l) => l.msg === 'cannot start: a worker exited before listening')).toBe(true);
    });
  });

  it('exits 1 with one log line when the port is taken', async () => {
    await withTakenPort(async (port) => {
      const p = run(['--workers', '0', '--port', String(port), '--threads', '1']);
      expect((await p.exited).code).toBe(1);
      const fatal = p.lines.find((l) => l.msg === 'cannot start');
      expect(String(fatal?.err)).toContain(`cannot listen for TCP on 127.0.0.1:${port}`);
    });
  });
});

describe('non-loopback --host', () => {
  it('logs a warning that the server is reachable from the network', async () => {
    // 192.0.2.1 (TEST-NET-1, RFC 5737) is on no interface here: the bind fails without any traffic.
    const p = run(['--workers', '0', '--host', '192.0.2.1', '--port', '0', '--threads', '1']);
    expect((await p.exited).code).toBe(1);
    const warn = p.lines.find((l) => l.level === 40);
    expect(warn).toMatchObject({ host: '192.0.2.1', msg: 'non-loopback --host: the server is reachable from the network' });
    expect(String(p.lines.find((l) => l.msg === 'cannot start')?.err)).toContain('192.0.2.1');
  });
});

describe('isLoopback (decides the non-loopback warning)', () => {
  it.each([
    ['127.0.0.1', true], ['127.1.2.3', true], ['::1', true], ['localhost', true], ['::ffff:127.0.0.1', true],
    ['0.0.0.0', false], ['::', false], ['192.168.1.10', false], ['10.0.0.1', false],
  ])('%s → %s', (host, loop) => {
    expect(isLoopback(host)).toBe(loop);
  });
});
