/**
 * `--slo`, `--percentiles` and `--json-stream` end to end: `bin/sockbench-loadgen.js` in a child
 * process against the sockbench server (in-process), all on 127.0.0.1.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, type Server } from '@sockbench/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sumCounters, type Counters } from '../src/counters.js';
import { parseReport, type IntervalReport } from '../src/report/schema.js';
import { dyingServer, freePort } from './fixtures/servers.js';
import { cli, usageError } from './fixtures/cli-process.js';


function lastLine(text: string): string {
  return text.trimEnd().split('\n').at(-1)!;
}

/** One `--json-stream` line. */
interface StreamLine {
  event: string;
  data: Record<string, unknown>;
}

function streamLines(stdout: string): StreamLine[] {
  expect(stdout.endsWith('\n')).toBe(true);
  return stdout
    .trimEnd()
    .split('\n')
    .map((l) => JSON.parse(l) as StreamLine);
}

const SUMMED = ['sent', 'completed', 'errors', 'timeouts', 'bytesSent', 'bytesReceived'] as const;
function pick(c: Counters): Record<string, number> {
  return Object.fromEntries(SUMMED.map((k) => [k, c[k]]));
}

let server: Server;
let port: number;
let dir: string;
const quick = ['--connections', '2', '--threads', '1', '--duration', '500ms', '--warmup', '100ms'];

beforeAll(async () => {
  server = createServer({ host: '127.0.0.1', port: 0, threads: 1 });
  port = (await server.listen()).tcp.port;
  dir = await mkdtemp(join(tmpdir(), 'loadgen-slo-'));
});
afterAll(async () => {
  await server.close();
  await rm(dir, { recursive: true, force: true });
});

describe('--slo through the CLI', () => {
  it('an SLO that must fail (p50<1us) beside one that holds (errors==0): the table rows, slo[] in the JSON, exit 4', async () => {
    const out = join(dir, 'slo.json');
    const r = await cli(['--port', String(port), ...quick, '-q', '--slo', 'p50<1us', '--slo', 'errors==0', '--json', out]);
    expect(r.code).toBe(4);
    const run = parseReport(await readFile(out, 'utf8'), out).runs[0]!;
    expect(run.counters.errors).toBe(0);
    const [p50, errors] = run.slo!;
    // The measured p50 is the run's own (µs, the expression's unit), and no loopback round trip is under 1 µs.
    expect(p50).toEqual({ expr: 'p50<1us', value: run.results.latencyUs.p50, threshold: 1, unit: 'us', held: false });
    expect(p50!.value).toBeGreaterThanOrEqual(1);
    expect(errors).toEqual({ expr: 'errors==0', value: 0, threshold: 0, unit: '', held: true });
    expect(r.stderr).toMatch(/^SLO p50<1us +FAILED [\d.]+ (µs|ms)$/m);
    expect(r.stderr).toMatch(/^SLO errors==0 +held 0$/m);
    expect(r.stderr).toMatch(/^tcp SLOs: 1 of 2 failed: p50<1us \([\d.]+ (µs|ms)\)$/m);
    expect(lastLine(r.stderr)).toMatch(/^sockbench-loadgen: tcp SLO failed: p50<1us \([\d.]+ (µs|ms)\)$/);
  });

  it('every SLO held: exit 0', async () => {
    const r = await cli(['--port', String(port), ...quick, '-q', '--slo', 'errors==0', '--slo', 'p99<60s', '--slo', 'throughput>0bit/s']);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/^tcp SLOs: all 3 held$/m);
    expect(r.stderr).not.toContain('SLO failed');
  });

  it('compare judges each transport: open-loop rate and latency, per run', async () => {
    const out = join(dir, 'compare-slo.json');
    const r = await cli(['compare', '--port', String(port), ...quick, '-q', '--rate', '200', '--timeout', '400', '--slo', 'rate>=0%', '--slo', 'p50<1us', '--json', out]);
    expect(r.code).toBe(4);
    const report = parseReport(await readFile(out, 'utf8'), out);
    expect(report.runs.map((run) => [run.plan.transport, run.slo!.map((s) => [s.expr, s.held])])).toEqual([
      ['tcp', [['rate>=0%', true], ['p50<1us', false]]],
      ['udp', [['rate>=0%', true], ['p50<1us', false]]],
    ]);
    for (const run of report.runs) expect(run.slo![0]!.value).toBeCloseTo((100 * run.results.requestsPerSec) / 200, 9);
    expect(r.stderr).toMatch(/^SLO rate>=0% +held [\d.]+% +held [\d.]+%$/m);
    expect(r.stderr.split('\n').filter((l) => l.startsWith('sockbench-loadgen: ') && l.includes('SLO failed'))).toHaveLength(2);
  });

  it('a run that failed exits 1 even when an SLO failed too; both last lines are printed', async () => {
    const s = await dyingServer(300);
    try {
      const r = await cli(['--port', String(s.port), '--connections', '2', '--threads', '1', '--duration', '1s', '--warmup', '0', '-q', '--slo', 'errors==0']);
      expect(r.code).toBe(1);
      const tail = r.stderr.trimEnd().split('\n').slice(-2);
      expect(tail[0]).toMatch(/^sockbench-loadgen: tcp run failed: /);
      expect(tail[1]).toMatch(/^sockbench-loadgen: tcp SLO failed: errors==0 \([\d,]+\)$/);
    } finally {
      await s.close();
    }
  });

  it('a bad --slo is a usage error naming the expression and what was expected (exit 2, one line)', async () => {
    expect(await usageError(['--port', '1', '--slo', 'p99<5'])).toBe('sockbench-loadgen: --slo "p99<5": p99 needs a latency unit: us, µs, ms or s (e.g. p99<5ms), got 5');
    expect(await usageError(['--port', '1', '--slo', 'errors==0', '--slo', 'loss<1'])).toBe('sockbench-loadgen: --slo "loss<1": loss needs a percentage (e.g. loss<1%), got 1');
    expect(await usageError(['compare', '--port', '1', '--slo', 'throughput>=5MB/s'])).toBe(
      'sockbench-loadgen: --slo "throughput>=5MB/s": throughput needs a bit rate: bit/s, kbit/s, Mbit/s, Gbit/s or Tbit/s (e.g. throughput>=500Mbit/s), got 5MB/s',
    );
    expect(await usageError(['--port', '1', '--slo', 'rate>=95%'])).toBe(
      'sockbench-loadgen: --slo "rate>=95%": rate (completed ÷ intended req/s) applies to open loop only (--rate); this run is closed loop',
    );
  });
});

describe('--percentiles through the CLI', () => {
  it('chooses the latency rows of the table', async () => {
    const r = await cli(['--port', String(port), ...quick, '-q', '--percentiles', '50,95,99.999']);
    expect(r.code).toBe(0);
    const labels = r.stderr.split('\n').filter((l) => l.startsWith('latency ')).map((l) => l.split(/ {2,}/)[0]);
    expect(labels).toEqual(['latency p50', 'latency p95', 'latency p99.999', 'latency max', 'latency mean', 'latency stdev']);
  });

  it('a bad list is a usage error (exit 2, one line)', async () => {
    expect(await usageError(['--port', '1', '--percentiles', '99,50'])).toBe('sockbench-loadgen: --percentiles must be in increasing order, got 50 after 99');
    expect(await usageError(['--port', '1', '--percentiles', '50,0'])).toBe('sockbench-loadgen: --percentiles: "0" is not a number in (0,100] (e.g. 50,90,99,99.9)');
    expect(await usageError(['--port', '1', '--percentiles', '50,50'])).toBe('sockbench-loadgen: --percentiles lists 50 twice');
  });
});

describe('--json-stream', () => {
  it('one JSON object per line: start, the merged intervals, end, done; the intervals add up to the end\'s counts', async () => {
    const out = join(dir, 'stream.json');
    // Two threads, so every streamed interval is the threads' parts added; bounded by --requests.
    const r = await cli(['--port', String(port), '--connections', '4', '--threads', '2', '--requests', '3000', '--warmup', '0', '--json-stream', '--json', out]);
    expect(r.code).toBe(0);
    const lines = streamLines(r.stdout);
    const events = lines.map((l) => l.event);
    expect(events[0]).toBe('start');
    expect(events.at(-2)).toBe('end');
    expect(events.at(-1)).toBe('done');
    expect(events.slice(1, -2).every((e) => e === 'interval')).toBe(true);
    expect(lines[0]!.data).toMatchObject({ schema: 'sockbench.loadgen.stream', version: 1, run: 0, transport: 'tcp', plan: { requests: 3000, threads: 2 } });
    const intervals = lines.filter((l) => l.event === 'interval').map((l) => l.data as unknown as IntervalReport & { run: number });
    expect(intervals.length).toBeGreaterThanOrEqual(1);
    expect(intervals.map((iv) => iv.index)).toEqual(intervals.map((_, i) => i));
    const end = lines.at(-2)!.data as { counters: Counters; intervals?: unknown; slo: unknown[] };
    expect(end.counters.sent).toBe(3000);
    expect(pick(sumCounters(intervals.map((iv) => iv.counters)))).toEqual(pick(end.counters));
    expect(end.intervals).toBeUndefined();
    expect(end.slo).toEqual([]);
    expect(lines.at(-1)!.data).toEqual({ exitStatus: 0 });
    // The stream's intervals are the report's, and the human output stayed on stderr.
    const run = parseReport(await readFile(out, 'utf8'), out).runs[0]!;
    expect(intervals.map(({ run: _, transport: __, ...iv }: IntervalReport & { run: number; transport?: string }) => iv)).toEqual(run.intervals);
    expect(r.stderr).toContain('latency p99');
    expect(r.stderr).toMatch(/^tcp +\d+s\/3,000 req/m);
  });

  it('compare streams each run in turn and ends with the exit status (4: an SLO failed)', async () => {
    const r = await cli(['compare', '--port', String(port), ...quick, '--rate', '200', '--timeout', '400', '-q', '--json-stream', '--slo', 'p50<1us']);
    expect(r.code).toBe(4);
    const lines = streamLines(r.stdout);
    const shape = lines.map((l) => (l.event === 'done' ? 'done' : `${l.event}:${String(l.data.run)}:${String(l.data.transport)}`));
    const firstEnd = shape.indexOf('end:0:tcp');
    expect(shape[0]).toBe('start:0:tcp');
    expect(shape.slice(1, firstEnd).every((s) => s === 'interval:0:tcp')).toBe(true);
    expect(shape[firstEnd + 1]).toBe('start:1:udp');
    expect(shape.slice(firstEnd + 2, -2).every((s) => s === 'interval:1:udp')).toBe(true);
    expect(shape.slice(-2)).toEqual(['end:1:udp', 'done']);
    for (const run of [0, 1]) {
      const ivs = lines.filter((l) => l.event === 'interval' && l.data.run === run).map((l) => l.data.counters as Counters);
      const end = lines.find((l) => l.event === 'end' && l.data.run === run)!.data as { counters: Counters; slo: { expr: string; held: boolean }[] };
      expect(pick(sumCounters(ivs))).toEqual(pick(end.counters));
      expect(end.slo.map((s) => [s.expr, s.held])).toEqual([['p50<1us', false]]);
    }
    expect(lines.at(-1)!.data).toEqual({ exitStatus: 4 });
  });

  it('an unreachable target: start, then an error line with the code and the exit status (3)', async () => {
    const p = await freePort();
    const r = await cli(['--port', String(p), ...quick, '--json-stream']);
    expect(r.code).toBe(3);
    const lines = streamLines(r.stdout);
    expect(lines.map((l) => l.event)).toEqual(['start', 'error']);
    expect(lines[1]!.data).toMatchObject({ code: 'SOCKBENCH_UNREACHABLE', exitStatus: 3 });
    expect(String(lines[1]!.data.message)).toMatch(new RegExp(`^cannot connect to 127\\.0\\.0\\.1:${p}: ECONNREFUSED`));
  });

  it('with --json - is a usage error: both want stdout', async () => {
    expect(await usageError(['--port', '1', '--json', '-', '--json-stream'])).toBe('sockbench-loadgen: --json - and --json-stream both write to stdout: give --json a file name');
  });
});
