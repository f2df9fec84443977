/**
 * The CLI as users run it: a real child process (`node dist/cli.js`, built by Nx before `test`) with
 * piped stdin, against an in-process server started here.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { closeAll, closedPort, onCleanup, sha256Rounds, startServer, startUdpPeer } from './helpers.js';

const CLI = fileURLToPath(new URL('../dist/cli.js', import.meta.url));

afterEach(closeAll);

interface Child {
  proc: ChildProcessWithoutNullStreams;
  stdout: () => string;
  stderr: () => string;
  /** Resolves once stdout (or stderr) matches `re`. */
  waitFor(re: RegExp, stream?: 'stdout' | 'stderr'): Promise<void>;
  exited: Promise<number | null>;
}

/** Spawns the CLI; the child is killed (by its pid) at cleanup if it is still running. */
function spawnCli(args: string[]): Child {
  const env = { ...process.env };
  delete env['SOCKBENCH_TOKEN'];
  const proc = spawn(process.execPath, [CLI, ...args], { stdio: 'pipe', env });
  let out = '';
  let err = '';
  const waiters: Array<() => void> = [];
  const check = (): void => {
    for (const w of waiters.splice(0)) w();
  };
  proc.stdout.setEncoding('utf8').on('data', (d: string) => ((out += d), check()));
  proc.stderr.setEncoding('utf8').on('data', (d: string) => ((err += d), check()));
  const exited = new Promise<number | null>((resolve) => proc.on('close', (code) => resolve(code)));
  onCleanup(async () => {
    if (proc.exitCode === null && proc.signalCode === null) {
      proc.kill('SIGKILL');
      await exited;
    }
  });
  return {
    proc,
    stdout: () => out,
    stderr: () => err,
    exited,
    waitFor(re, stream = 'stdout') {
      return new Promise<void>((resolve) => {
        const test = (): void => {
          if (re.test(stream === 'stdout' ? out : err)) resolve();
          else waiters.push(test);
        };
        test();
      });
    },
  };
}

/** Runs the CLI to completion with `input` piped on stdin. */
async function runCli(args: string[], input = ''): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawnCli(args);
  child.proc.stdin.end(input);
  const code = await child.exited;
  return { code, stdout: child.stdout(), stderr: child.stderr() };
}

describe('sockbench-client interactive, stdin piped', () => {
  it('hola, /ping, salir: prints the WELCOME, the echo and an RTT, exits 0', async () => {
    const { port } = await startServer();
    const r = await runCli(['--port', String(port)], 'hola\n/ping\nsalir\n');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe('welcome to sockbench');
    expect(lines[1]).toMatch(/^\(sockbench\/\S+, worker 0, max payload 1048576 bytes; \/help lists commands\)$/);
    expect(lines[2]).toBe('hola');
    expect(lines[3]).toMatch(new RegExp(`^pong from 127\\.0\\.0\\.1:${port}: time=\\d+\\.\\d{3} ms$`));
    expect(lines).toHaveLength(4);
  });

  it('rooms, /stats, errors and /help; end of input says BYE and exits 0', async () => {
    const { port } = await startServer();
    const input = ['/say nobody hears', '/leave', '/join lobby', 'to the room', '/leave', '/stats', '/nope', '/help', ''].join('\n');
    const r = await runCli(['-p', String(port)], input);
    expect(r.code).toBe(0);
    expect(r.stderr.split('\n')).toEqual([
      'error: not in a room: /join ROOM first',
      'error: not in a room: /join ROOM first',
      'error: unknown command /nope; /help lists them',
      '',
    ]);
    expect(r.stdout).toContain('joined lobby\nleft lobby\n');
    expect(r.stdout.split('\n')).not.toContain('to the room'); // said to the room, not echoed
    // /stats prints the table: the SAY went to the server once, nothing was ECHOed.
    expect(r.stdout).toMatch(/^service µs +count +p50 +p99 +p99\.9 +max$/m);
    expect(r.stdout).toMatch(/^SAY +1 +[\d,]+ +[\d,]+ +[\d,]+ +[\d,]+$/m);
    expect(r.stdout).not.toMatch(/^ECHO /m);
    expect(r.stdout).toContain('/join ROOM       join ROOM');
  });

  it('a server error in a session is printed and the session goes on', async () => {
    const { port } = await startServer();
    const r = await runCli(['-p', String(port)], '/leave lobby\nstill here\nexit\n');
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/^error: NOT_IN_ROOM: /);
    expect(r.stdout).toContain('still here\n');
  });

  it('over UDP: lines are echoed, /join is refused as UNSUPPORTED', async () => {
    const { port } = await startServer();
    const r = await runCli(['-p', String(port), '--udp'], 'hola udp\n/join r\n/ping\nquit\n');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('hola udp\n');
    expect(r.stdout).toMatch(/pong from 127\.0\.0\.1:\d+: time=/);
    expect(r.stderr).toMatch(/error: JOIN is not served over UDP/);
  });

  it('the server going away ends the session with exit 1 and says so', async () => {
    const server = await startServer();
    const child = spawnCli(['-p', String(server.port)]);
    await child.waitFor(/welcome to sockbench/);
    await server.close();
    expect(await child.exited).toBe(1);
    expect(child.stderr()).toMatch(new RegExp(`error: connection to 127\\.0\\.0\\.1:${server.port} closed by the server`));
  });

  it('two CLI processes in one room exchange a message', async () => {
    const { port } = await startServer();
    const ana = spawnCli(['chat', 'lobby', '--name', 'ana', '-p', String(port)]);
    const bob = spawnCli(['chat', 'lobby', '--name', 'bob', '-p', String(port)]);
    await Promise.all([ana.waitFor(/joined lobby as ana/), bob.waitFor(/joined lobby as bob/)]);
    ana.proc.stdin.write('hola bob\n');
    await bob.waitFor(/\[lobby\] ana: hola bob\n/);
    bob.proc.stdin.write('hola ana\n');
    await ana.waitFor(/\[lobby\] bob: hola ana\n/);
    ana.proc.stdin.end();
    bob.proc.stdin.end('salir\n');
    expect(await ana.exited).toBe(0);
    expect(await bob.exited).toBe(0);
    expect(ana.stdout()).not.toContain('ana: hola bob'); // the sender gets no copy
  });
});

describe('sockbench-client one-shot commands', () => {
  it('ping -c 3 prints ping(8)-style lines and the rtt summary', async () => {
    const { port } = await startServer();
    const r = await runCli(['ping', '-c', '3', '-i', '0.01', '-p', String(port)]);
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe(`PING 127.0.0.1:${port} (tcp): 12 bytes per request`);
    for (let seq = 1; seq <= 3; seq++) {
      expect(lines[seq]).toMatch(new RegExp(`^12 bytes from 127\\.0\\.0\\.1:${port}: seq=${seq} time=\\d+\\.\\d{3} ms$`));
    }
    expect(lines[5]).toBe(`--- 127.0.0.1:${port} ping statistics (tcp) ---`);
    expect(lines[6]).toMatch(/^3 requests transmitted, 3 received, 0% loss, time \d+ms$/);
    expect(lines[7]).toMatch(/^rtt min\/avg\/max\/mdev = \d+\.\d{3}\/\d+\.\d{3}\/\d+\.\d{3}\/\d+\.\d{3} ms$/);
    // min and max are the least and the greatest of the three printed times (toFixed keeps the order).
    const times = lines.slice(1, 4).map((l) => Number(/time=(\S+) ms$/.exec(l)![1]));
    const [min, , max] = lines[7]!.split(' = ')[1]!.split(' ')[0]!.split('/').map(Number);
    expect([min, max]).toEqual([Math.min(...times), Math.max(...times)]);
  });

  it('ping --udp --json: JSON alone on stdout, the lines on stderr', async () => {
    const { port } = await startServer();
    const r = await runCli(['ping', '-c', '2', '-i', '0', '--udp', '--json', '-p', String(port)]);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout) as { transport: string; transmitted: number; received: number; rttsMs: number[]; min: number; max: number };
    expect(report).toMatchObject({ transport: 'udp', transmitted: 2, received: 2, lossPercent: 0 });
    expect(report.rttsMs).toHaveLength(2);
    // The summary is of the RTTs it lists.
    expect([report.min, report.max]).toEqual([Math.min(...report.rttsMs), Math.max(...report.rttsMs)]);
    expect(r.stderr).toMatch(/seq=2 time=/);
  });

  it('ping with no replies: each seq reported lost, 100% loss, exit 1 (as ping(8))', async () => {
    const peer = await startUdpPeer(); // receives, never answers
    const r = await runCli(['ping', '-c', '2', '-i', '0', '--udp', '--timeout', '50', '-p', String(peer.port)]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('no reply for seq=1 within 50 ms\n');
    expect(r.stdout).toContain('no reply for seq=2 within 50 ms\n');
    expect(r.stdout).toContain('2 requests transmitted, 0 received, 100% loss');
    expect(r.stdout).not.toContain('rtt min/avg/max/mdev');
    expect(peer.received).toHaveLength(2); // sent once each, no retransmission
  });

  it('echo, compute and stats print their replies', async () => {
    const { port } = await startServer();
    const echo = await runCli(['echo', 'hola', 'mundo', '-p', String(port)]);
    expect([echo.code, echo.stdout, echo.stderr]).toEqual([0, 'hola mundo\n', '']);
    const compute = await runCli(['compute', '--iterations', '500', 'hola', '-p', String(port)]);
    expect(compute.code).toBe(0);
    expect(compute.stdout).toBe(`${(await sha256Rounds(Buffer.from('hola'), 500)).toString('hex')}\n`);
    const stats = await runCli(['stats', '-p', String(port)]);
    expect(stats.code).toBe(0);
    expect(JSON.parse(stats.stdout)).toMatchObject({ processes: 1, connections: { current: 1 } });
  });

  it('a server error exits 1 with the code name', async () => {
    const { port } = await startServer({ maxIterations: 10 });
    const r = await runCli(['compute', '-n', '11', 'x', '-p', String(port)]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^sockbench-client: server error BAD_PAYLOAD \(4\): .+\n$/);
    expect(r.stdout).toBe('');
  });

  it('usage errors exit 2', async () => {
    for (const args of [['--bogus'], ['ping', '-c', '-1'], ['stats', '--udp'], ['--port', '70000'], ['compute', '-n', '0', 'x']]) {
      const r = await runCli(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr, args.join(' ')).toMatch(/^sockbench-client: .+\nrun sockbench-client --help for usage\n$/);
    }
  });

  it('--help exits 0 and lists every connection option with its default', async () => {
    const r = await runCli(['--help']);
    expect(r.code).toBe(0);
    for (const flag of ['--host', '--port', '--token', '--name', '--timeout', '--connect-timeout', '--max-payload', '--udp']) {
      expect(r.stdout).toContain(flag);
    }
    expect(r.stdout).toContain('[default: 7878]');
  });

  it('a refused connection exits 3 with one line naming host:port and the OS error', async () => {
    const port = await closedPort();
    for (const args of [['echo', 'x'], []]) {
      const r = await runCli([...args, '-p', String(port)]);
      expect(r.code).toBe(3);
      expect(r.stderr).toBe(`sockbench-client: cannot connect to 127.0.0.1:${port}: ECONNREFUSED\n`);
      expect(r.stdout).toBe('');
    }
  });
});
