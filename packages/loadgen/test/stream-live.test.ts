/**
 * Stream mode as it goes: `--json-stream` lines (they parse, in order, and each run's intervals add
 * up to its end's counts) and Ctrl-C (SIGINT to the child by PID: exit 130, the report of what was
 * measured, the `done` line saying 130), and a saved stream report through `report` (re-rendered)
 * and `merge` (refused), against the real server.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, type Server } from '@sockbench/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StreamReport, StreamRunReport } from '../src/stream/stream-report.js';
import { BIN, cli, usageError } from './fixtures/cli-process.js';

const REQUEST_REPORT = join(import.meta.dirname, 'fixtures', 'report-v1.json');

/** One `--json-stream` line. */
interface Line {
  event: 'start' | 'interval' | 'end' | 'done' | 'error';
  data: Record<string, unknown>;
}
type Interval = { run: number; transport: string; direction: string; side: string; index: number; startMs: number; endMs: number; bytes: number; messages: number };

let server: Server;
let port: number;
let dir: string;

beforeAll(async () => {
  server = createServer({ host: '127.0.0.1', port: 0, threads: 1 });
  port = (await server.listen()).tcp.port;
  dir = await mkdtemp(join(tmpdir(), 'loadgen-stream-live-'));
});
afterAll(async () => {
  await server.close();
  await rm(dir, { recursive: true, force: true });
});

const parse = (stdout: string): Line[] => stdout.trimEnd().split('\n').map((l) => JSON.parse(l) as Line);

/** Each run's intervals add up to its end: up (this side sends) to the sender's, down to the receiver's. */
function expectIntervalsAddUp(lines: Line[], runs: number): void {
  for (let run = 0; run < runs; run++) {
    const end = lines.find((l) => l.event === 'end' && l.data.run === run)!.data as unknown as StreamRunReport;
    const ivs = lines.filter((l) => l.event === 'interval' && l.data.run === run).map((l) => l.data as unknown as Interval);
    const side = end.stream.direction === 'up' ? end.stream.sender : end.stream.receiver;
    expect(ivs.length).toBeGreaterThan(0);
    expect(ivs.every((iv) => iv.side === (end.stream.direction === 'up' ? 'sender' : 'receiver') && iv.direction === end.stream.direction)).toBe(true);
    expect(ivs.map((iv) => iv.index)).toEqual(ivs.map((_, i) => i));
    expect(ivs.reduce((n, iv) => n + iv.messages, 0)).toBe(side.messages);
    expect(ivs.reduce((n, iv) => n + iv.bytes, 0)).toBe(side.bytes);
  }
}

describe('--json-stream in stream mode', () => {
  it('--bidir: start per run, one interval a second per run, the ends, done 0; the intervals add up to the ends', async () => {
    const json = join(dir, 'bidir.json');
    const r = await cli(['stream', '--port', String(port), '--transport', 'udp', '--bitrate', '2Mbit/s', '--size', '500', '--duration', '1500ms', '--bidir', '--quiet', '--json-stream', '--json', json], 30_000);
    expect(r.code).toBe(0);
    const lines = parse(r.stdout);
    expect(lines.slice(0, 2).map((l) => [l.event, l.data.run, l.data.direction, l.data.schema])).toEqual([
      ['start', 0, 'up', 'sockbench.loadgen.stream'],
      ['start', 1, 'down', 'sockbench.loadgen.stream'],
    ]);
    expect(lines.slice(-3).map((l) => [l.event, l.data.run ?? l.data.exitStatus])).toEqual([['end', 0], ['end', 1], ['done', 0]]);
    expect(lines.slice(2, -3).every((l) => l.event === 'interval')).toBe(true);
    // The up sender sends every slot of 1.5 s (2 Mbit/s of 500 B: one every 2 ms): seconds 0 and 1, the second one half long.
    const up = lines.filter((l) => l.event === 'interval' && l.data.run === 0).map((l) => l.data as unknown as Interval);
    expect(up.map((iv) => [iv.index, iv.startMs, iv.endMs])).toEqual([[0, 0, 1000], [1, 1000, 1500]]);
    expect(up.reduce((n, iv) => n + iv.messages, 0)).toBe(750);
    expectIntervalsAddUp(lines, 2);
    // The end events are the report's runs.
    const report = JSON.parse(await readFile(json, 'utf8')) as StreamReport;
    for (const run of [0, 1]) expect((lines.at(-3 + run)!.data as unknown as StreamRunReport).stream).toEqual(report.runs[run]!.stream);
  });

  it('--json - with --json-stream: one line, exit 2', async () => {
    expect(await usageError(['stream', '--port', '1', '--json', '-', '--json-stream'])).toBe('sockbench-loadgen: --json - and --json-stream both write to stdout: give --json a file name');
  });
});

describe('Ctrl-C during stream', () => {
  it('SIGINT ends both directions early: exit 130, the report of what was measured, done 130', async () => {
    const json = join(dir, 'interrupted.json');
    // 20 s at 2 Mbit/s of 500-byte messages is 10,000 slots per direction; Ctrl-C comes after the first second.
    const child = spawn(process.execPath, [BIN, 'stream', '--port', String(port), '--transport', 'tcp', '--bitrate', '2Mbit/s', '--size', '500', '--duration', '20s', '--bidir', '--json-stream', '--json', json], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let signalled = false;
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise<number | null>((done) => {
      child.stdout.on('data', (chunk: Buffer) => {
        stdout += chunk.toString();
        if (!signalled && stdout.includes('"event":"interval"')) {
          signalled = true;
          process.kill(child.pid!, 'SIGINT');
        }
      });
      child.once('exit', (c) => done(c));
    });
    expect(code).toBe(130);
    expect(stderr).toContain('sockbench-loadgen: interrupted: stopping, draining, writing reports (Ctrl-C again to quit)');
    const report = JSON.parse(await readFile(json, 'utf8')) as StreamReport;
    expect(report.runs.map((r) => [r.stream.direction, r.interrupted])).toEqual([['up', true], ['down', true]]);
    for (const run of report.runs) {
      const { sender, receiver } = run.stream;
      expect(sender.messages).toBeGreaterThan(0);
      expect(sender.messages).toBeLessThan(10_000);
      expect(receiver.messages + receiver.lost).toBe(sender.messages);
      expect(receiver.lost).toBe(0);
    }
    const lines = parse(stdout);
    expect(lines.at(-1)).toEqual({ event: 'done', data: { exitStatus: 130 } });
    expectIntervalsAddUp(lines, 2);
  }, 60_000);
});

describe('report and merge with a saved stream report', () => {
  it('report re-renders it (the table, --html, --json the same report); merge, a mix and --hdr-log are refused with one line, exit 2', async () => {
    const saved = join(dir, 'saved.json');
    const made = await cli(['stream', '--port', String(port), '--transport', 'udp', '--bitrate', '1Mbit/s', '--size', '500', '--duration', '500ms', '--quiet', '--json', saved], 30_000);
    expect(made.code).toBe(0);
    const html = join(dir, 'again.html');
    const copy = join(dir, 'again.json');
    const r = await cli(['report', saved, '--html', html, '--json', copy]);
    expect(r.code).toBe(0);
    // The same table the run printed (its last lines name the files it wrote).
    const table = made.stderr.slice(0, made.stderr.indexOf('sockbench-loadgen: wrote JSON report'));
    expect(r.stderr).toBe(`${table}sockbench-loadgen: wrote JSON report ${copy}\nsockbench-loadgen: wrote HTML report ${html}\n`);
    expect(JSON.parse(await readFile(copy, 'utf8'))).toEqual(JSON.parse(await readFile(saved, 'utf8')));
    const page = await readFile(html, 'utf8');
    expect(page).toContain('Receiver goodput per second');
    expect((page.match(/<polyline/g) ?? []).length).toBe(2);
    const two = await cli(['report', saved, saved]);
    expect([two.code, two.stderr.split('\n')[2]!.trim().split(/ {2,}/)]).toEqual([0, ['udp up', 'udp up', 'udp up / udp up']]);
    expect(await usageError(['merge', saved, saved, '--output', join(dir, 'm.json')])).toBe(
      `sockbench-loadgen: merge adds request/response reports of one plan from several machines; ${saved} is a stream report (schema sockbench.loadgen.stream), which it cannot add: render it with report ${saved}`,
    );
    expect(await usageError(['report', saved, REQUEST_REPORT])).toBe(`sockbench-loadgen: report shows reports of one kind side by side: ${saved} is a stream report (schema sockbench.loadgen.stream), ${REQUEST_REPORT} a request/response report`);
    expect(await usageError(['report', saved, '--hdr-log', join(dir, 'x.log')])).toBe('sockbench-loadgen: --hdr-log writes latency histograms, which a stream report (schema sockbench.loadgen.stream) does not hold');
  }, 60_000);

  it('a damaged stream report: the first bad field named, exit 2', async () => {
    const bad = join(dir, 'bad.json');
    await writeFile(bad, JSON.stringify({ schema: 'sockbench.loadgen.stream', version: 1, createdAt: 'x', tool: {}, runs: [{ plan: { host: 'h', transport: 'udp', direction: 'up', port: 1, size: 500, durationMs: 1, parallel: 1, bitrate: 1 }, stream: { sender: {}, receiver: {} } }] }));
    expect(await usageError(['report', bad])).toBe(`sockbench-loadgen: ${bad}: runs[0].stream.sender.bitsPerSec must be a number`);
    await writeFile(bad, JSON.stringify({ schema: 'sockbench.loadgen.stream', version: 2, runs: [] }));
    expect(await usageError(['report', bad])).toBe(`sockbench-loadgen: ${bad}: stream report version 2 is not supported (this tool reads version 1)`);
  });
});
