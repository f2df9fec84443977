/**
 * `stream` and `compare --mode stream` end to end: bad inputs (exact line, exit 2), real sessions per
 * transport and direction against the real server (short, low bitrate) whose figures must add up,
 * a server that predates streams (one line, exit 1), the JSON names scripts read and the SLOs.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, type Server } from '@sockbench/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StreamReport } from '../src/stream/stream-report.js';
import { cli, usageError } from './fixtures/cli-process.js';
import { preStreamServer } from './fixtures/servers.js';

let server: Server;
let port: number;
let dir: string;

beforeAll(async () => {
  server = createServer({ host: '127.0.0.1', port: 0, threads: 1 });
  port = (await server.listen()).tcp.port;
  dir = await mkdtemp(join(tmpdir(), 'loadgen-stream-'));
});
afterAll(async () => {
  await server.close();
  await rm(dir, { recursive: true, force: true });
});

describe('bad input: one line, exit 2', () => {
  const cases: [string[], string][] = [
    [['--transport', 'udp'], '--transport udp needs --bitrate, the offered rate (e.g. --bitrate 100Mbit/s): UDP has no flow control to find it'],
    [['--bitrate', 'fast'], '--bitrate needs a bit rate such as 150Mbit/s, 1.5Gbit/s, 800kbit/s or iperf3-style 100M (SI: k = 10^3, M = 10^6), got "fast"'],
    [['--bitrate', '10MB/s'], '--bitrate is in bits per second (150Mbit/s, 1.5Gbit/s, 800kbit/s or iperf3-style 100M), not bytes: got "10MB/s"'],
    [['--bitrate', '0'], '--bitrate must be at least 1 bit/s, got "0"'],
    [['--transport', 'raw-udp', '--bitrate', '1M'], 'stream mode runs over --transport tcp or udp, got raw-udp'],
    [['--size', '20'], '--size must be an integer in 28..65507 bytes for a stream message (header included), got 20'],
    [['--size', '70000', '--transport', 'udp', '--bitrate', '1M'], '--size must be an integer in 28..65507 bytes for a stream message (header included), got 70000'],
    [['--reverse', '--bidir'], '--reverse (down only) and --bidir (up and down) cannot be used together'],
    [['--parallel', '0'], '--parallel must be an integer in 1..128, got 0'],
    [['--rate', '100'], 'Unknown argument: rate (see --help)'],
    [['--slo', 'p99<5ms'], '--slo "p99<5ms": a stream run is judged by throughput, loss and jitter (e.g. throughput>=90Mbit/s, loss<1%, jitter<1ms)'],
    [['--slo', 'jitter<1'], '--slo "jitter<1": jitter needs a time unit: us, µs, ms or s (e.g. jitter<1ms), got 1'],
    [['--bind', '127.0.0.2:5000', '--parallel', '2'], '--bind 127.0.0.2:5000 gives every socket the same local port: it needs one connection or stream, got 2'],
    [['--sndbuf', '65536'], '--sndbuf sets SO_SNDBUF, which Node cannot set on a TCP socket: it applies to UDP only (got --transport tcp)'],
  ];
  for (const [args, line] of cases) {
    it(`stream ${args.join(' ')}`, async () => {
      expect(await usageError(['stream', '--port', '1', ...args])).toBe(`sockbench-loadgen: ${line}`);
    });
  }
  it('compare --mode stream refuses --rate; compare without it refuses --bitrate; run refuses jitter SLOs', async () => {
    expect(await usageError(['compare', '--mode', 'stream', '--port', '1', '--bitrate', '1M', '--rate', '5'])).toBe('sockbench-loadgen: --rate is a request/response flag: stream mode offers --bitrate');
    expect(await usageError(['compare', '--port', '1', '--bitrate', '1M'])).toBe('sockbench-loadgen: --bitrate is a stream flag: it needs compare --mode stream');
    expect(await usageError(['--port', '1', '--slo', 'jitter<1ms'])).toBe(
      'sockbench-loadgen: --slo "jitter<1ms": jitter is measured by stream runs (sockbench-loadgen stream, compare --mode stream); a request/response run has latency percentiles instead',
    );
  });
});

async function stream(args: string[]): Promise<{ code: number; stderr: string; report: StreamReport }> {
  const file = join(dir, `s-${args.join('_').replace(/[^a-z0-9]/gi, '')}.json`);
  const r = await cli(['stream', '--port', String(port), '--size', '500', '--duration', '600ms', '--quiet', '--json', file, ...args], 30_000);
  return { code: r.code, stderr: r.stderr, report: JSON.parse(await readFile(file, 'utf8')) as StreamReport };
}

describe('real sessions against the server (loopback, 2 Mbit/s)', () => {
  for (const transport of ['tcp', 'udp'] as const) {
    for (const direction of ['up', 'down'] as const) {
      it(`${transport} ${direction}: sent = received + lost, bytes = messages × size, the names scripts read`, async () => {
        const { code, report } = await stream(['--transport', transport, '--bitrate', '2Mbit/s', ...(direction === 'down' ? ['--reverse'] : [])]);
        expect(code).toBe(0);
        expect(report.schema).toBe('sockbench.loadgen.stream');
        expect(report.runs).toHaveLength(1);
        const run = report.runs[0]!;
        const { sender, receiver } = run.stream;
        expect(run.stream.direction).toBe(direction);
        expect(Object.keys(sender)).toEqual(expect.arrayContaining(['bitsPerSec', 'messages']));
        expect(Object.keys(receiver)).toEqual(expect.arrayContaining(['bitsPerSec', 'messages', 'lost', 'lossPercent', 'outOfOrder', 'duplicates', 'jitterMs', 'waitedMs']));
        // 2 Mbit/s of 500-byte messages is one every 2 ms: 300 slots in 600 ms. This side's sender
        // sends every slot (a late wake catches up); the server's (down) stops at its own timer.
        if (direction === 'up') expect(sender.messages).toBe(300);
        else expect(sender.messages).toBeLessThanOrEqual(300);
        expect(receiver.messages + receiver.lost).toBe(sender.messages);
        expect(receiver.bytes).toBe(receiver.messages * 500);
        expect(sender.bytes).toBe(sender.messages * 500);
        expect(receiver.duplicates).toBe(0);
        if (transport === 'tcp') expect([receiver.lost, receiver.outOfOrder]).toEqual([0, 0]);
        expect(receiver.lossPercent).toBeCloseTo((100 * receiver.lost) / sender.messages, 10);
        expect(run.intervals.reduce((n, iv) => n + iv.messages, 0)).toBe(receiver.messages);
        expect(run.sessions).toHaveLength(1);
        expect(receiver.waitedMs).toBeLessThanOrEqual(2000);
      });
    }
  }

  it('--bidir --parallel 2 over udp: two runs (up, down), each the sum of its two sessions', async () => {
    const { code, report } = await stream(['--transport', 'udp', '--bitrate', '1Mbit/s', '--bidir', '--parallel', '2']);
    expect(code).toBe(0);
    expect(report.runs.map((r) => r.stream.direction)).toEqual(['up', 'down']);
    for (const run of report.runs) {
      expect(run.sessions).toHaveLength(2);
      expect(run.stream.sender.messages).toBe(run.sessions.reduce((n, s) => n + s.sender.messages, 0));
      expect(run.stream.receiver.messages).toBe(run.sessions.reduce((n, s) => n + s.receiver.messages, 0));
      expect(run.stream.receiver.messages + run.stream.receiver.lost).toBe(run.stream.sender.messages);
    }
  });

  it('SLOs apply: throughput and loss held, an impossible jitter fails with exit 4', async () => {
    const { code, stderr, report } = await stream(['--transport', 'udp', '--bitrate', '2Mbit/s', '--slo', 'throughput>=1Mbit/s', '--slo', 'loss<=100%', '--slo', 'jitter<0us']);
    expect(code).toBe(4);
    expect(report.runs[0]!.slo.map((s) => [s.expr, s.held])).toEqual([['throughput>=1Mbit/s', true], ['loss<=100%', true], ['jitter<0us', false]]);
    expect(stderr).toMatch(/sockbench-loadgen: udp up SLO failed: jitter<0us \([\d.]+ (µs|ms)\)\n$/);
  });

  it('compare --mode stream runs tcp then udp and writes one report holding both, and its HTML chart', async () => {
    const json = join(dir, 'cmp.json');
    const html = join(dir, 'cmp.html');
    const r = await cli(['compare', '--mode', 'stream', '--port', String(port), '--bitrate', '2M', '--size', '500', '--duration', '500ms', '--quiet', '--json', json, '--html', html], 30_000);
    expect(r.code).toBe(0);
    const report = JSON.parse(await readFile(json, 'utf8')) as StreamReport;
    expect(report.runs.map((x) => `${x.plan.transport} ${x.stream.direction}`)).toEqual(['tcp up', 'udp up']);
    expect(r.stderr).toContain('udp up / tcp up');
    const page = await readFile(html, 'utf8');
    expect(page).toContain('Receiver goodput per second');
    expect((page.match(/<polyline/g) ?? []).length).toBe(4); // goodput and jitter, one line per transport each
  });
});

describe('a server that predates streams', () => {
  it('--reverse: one clear line, exit 1', async () => {
    const old = await preStreamServer();
    try {
      const r = await cli(['stream', '--port', String(old.port), '--transport', 'udp', '--bitrate', '1M', '--reverse', '--duration', '500ms']);
      expect(r.code).toBe(1);
      expect(r.stdout).toBe('');
      expect(r.stderr).toBe(`sockbench-loadgen: 127.0.0.1:${old.port} does not serve stream mode: it answered STREAM_OPEN with UNKNOWN_TYPE (type 0x0c is not a request); it predates streams, upgrade the server\n`);
      expect(old.asked()).toBe(1);
    } finally {
      await old.close();
    }
  });
});
