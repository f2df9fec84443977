/**
 * The CLI end to end: `bin/sockbench-loadgen.js` in a child process against the sockbench server
 * (in-process) and test servers, all on 127.0.0.1.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, type Server } from '@sockbench/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { failureReason } from '../src/report/failure.js';
import { parseReport } from '../src/report/schema.js';
import { dyingServer, framedServer, freePort } from './fixtures/servers.js';
import { BIN, cli, usageError } from './fixtures/cli-process.js';


let server: Server;
let port: number;
let dir: string;
const quick = ['--threads', '1', '--duration', '500ms', '--warmup', '100ms'];
const quick2 = ['--connections', '2', ...quick];

beforeAll(async () => {
  server = createServer({ host: '127.0.0.1', port: 0, threads: 1 });
  port = (await server.listen()).tcp.port;
  dir = await mkdtemp(join(tmpdir(), 'loadgen-cli-'));
});
afterAll(async () => {
  await server.close();
  await rm(dir, { recursive: true, force: true });
});

describe('usage', () => {
  it('--help lists every flag with its unit and default', async () => {
    const r = await cli(['--help']);
    expect(r.code).toBe(0);
    for (const flag of ['--host', '--port', '--server-host', '--server-port', '--transport', '--connections', '--threads', '--op', '--size', '--iterations', '--duration', '--requests', '--warmup', '--pipeline', '--rate', '--pacing', '--timeout', '--token', '--json', '--hdr-log', '--html', '--quiet', '--json-stream', '--percentiles', '--slo']) {
      expect(r.stdout).toContain(flag);
    }
    expect(r.stdout).toMatch(/--connections.*\[default: 50\]/s);
    expect(r.stdout).toContain('req/s');
    expect(r.stdout).toContain('ms without a reply');
    expect(r.stdout).toMatch(/--pacing.*\[default: spin \(with --rate\)\]\s*\[string\] \[choices: "spin", "timer"\]/s);
    for (const cmd of ['compare', 'merge', 'report']) expect(r.stdout).toContain(`sockbench-loadgen ${cmd}`);
  });

  it('refuses --pipeline with --rate (exit 2, one line)', async () => {
    expect(await usageError(['--port', '1', '--pipeline', '2', '--rate', '100'])).toBe(
      'sockbench-loadgen: --pipeline (closed loop) and --rate (open loop) cannot be used together',
    );
  });

  it('refuses --pacing without --rate, and a pacing it does not know (exit 2, one line)', async () => {
    expect(await usageError(['--port', '1', '--pacing', 'timer'])).toBe('sockbench-loadgen: --pacing paces the open loop: it needs --rate (got --pacing timer without it)');
    // yargs checks choices before the option table does, and names no value (as for --transport).
    expect(await usageError(['--port', '1', '--rate', '100', '--pacing', 'sleep'])).toBe('sockbench-loadgen: --pacing must be one of spin, timer, got "sleep" (see --help)');
  });

  it('refuses an unknown flag', async () => {
    expect(await usageError(['--port', '1', '--bogus', '3'])).toBe('sockbench-loadgen: Unknown argument: bogus (see --help)');
  });

  it('refuses a size UDP cannot carry', async () => {
    expect(await usageError(['compare', '--port', '1', '--size', '70000'])).toBe(
      'sockbench-loadgen: --size must be an integer in 0..65495 bytes for --transport udp --op echo, got 70000',
    );
  });

  it('refuses a flag given twice', async () => {
    expect(await usageError(['--port', '1', '--connections', '2', '--connections', '3'])).toBe('sockbench-loadgen: --connections was given more than once (2, 3)');
  });

  it('refuses a malformed number, naming the flag', async () => {
    expect(await usageError(['--port', '1', '--connections', 'many'])).toBe('sockbench-loadgen: --connections must be an integer in 1..100000, got NaN');
  });

  it('exits 3 when the target is unreachable, naming host:port and the OS error', async () => {
    const p = await freePort();
    const r = await cli(['--port', String(p), ...quick2]);
    expect(r.code).toBe(3);
    expect(r.stderr.trim()).toMatch(new RegExp(`^sockbench-loadgen: cannot connect to 127\\.0\\.0\\.1:${p}: ECONNREFUSED`));
  });
});

describe('run, compare, merge, report', () => {
  it('--json - prints only the JSON report on stdout; the table goes to stderr', async () => {
    const r = await cli(['--port', String(port), ...quick2, '--json', '-', '--quiet']);
    expect(r.code).toBe(0);
    const report = parseReport(r.stdout, 'stdout');
    const run = report.runs[0]!;
    expect(run.counters.sent).toBe(run.counters.completed + run.counters.errors + run.counters.timeouts);
    expect(run.counters.completed).toBeGreaterThan(0);
    expect(r.stderr).toContain('latency p99');
    expect(r.stderr).not.toMatch(/tcp\s+\d+s\/500ms/); // --quiet: no interval lines
  });

  it('prints one plain line per interval when stderr is not a TTY', async () => {
    const r = await cli(['--port', String(port), '--connections', '2', '--threads', '1', '--duration', '2s', '--warmup', '0']);
    expect(r.code).toBe(0);
    expect(r.stderr.match(/^tcp +\d+s\/2s +[\d,]+ req\/s +p50 .* errors 0$/gm)).toHaveLength(2);
  });

  it('compare writes one JSON, HTML and HdrHistogram log holding both transports; merge and report read them back', async () => {
    const a = join(dir, 'a.json');
    const html = join(dir, 'a.html');
    const log = join(dir, 'a.hlog');
    const r = await cli(['compare', '--port', String(port), ...quick2, '--json', a, '--html', html, '--hdr-log', log, '-q']);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/requests\/s\s+[\d,.]+\s+[\d,.]+\s+[\d.]+×/);
    expect(r.stderr).toContain('udp/tcp');
    const report = parseReport(await readFile(a, 'utf8'), a);
    expect(report.runs.map((run) => run.plan.transport)).toEqual(['tcp', 'udp']);
    expect(await readFile(html, 'utf8')).toContain('tcp vs udp');
    expect(await readFile(log, 'utf8')).toMatch(/^Tag=udp,/m);

    const b = join(dir, 'b.json');
    expect((await cli(['compare', '--port', String(port), ...quick2, '--json', b, '-q'])).code).toBe(0);
    const out = join(dir, 'ab.json');
    const m = await cli(['merge', a, b, '-o', out]);
    expect(m.code).toBe(0);
    const merged = parseReport(await readFile(out, 'utf8'), out);
    const second = parseReport(await readFile(b, 'utf8'), b);
    expect(merged.runs[0]!.counters.completed).toBe(report.runs[0]!.counters.completed + second.runs[0]!.counters.completed);
    expect(merged.runs[1]!.generators).toBe(2);

    const rendered = join(dir, 'ab.html');
    const rep = await cli(['report', out, '--html', rendered]);
    expect(rep.code).toBe(0);
    expect(rep.stderr).toContain('latency p99.99');
    expect(await readFile(rendered, 'utf8')).toContain('<svg');
  });

  it('report shows runs of different plans side by side, each with its own plan line', async () => {
    const closed = join(dir, 'closed.json');
    const open = join(dir, 'open.json');
    expect((await cli(['--port', String(port), ...quick2, '--json', closed, '-q'])).code).toBe(0);
    expect((await cli(['--transport', 'udp', '--port', String(port), ...quick2, '--rate', '200', '--json', open, '-q'])).code).toBe(0);
    const both = join(dir, 'both.json');
    const r = await cli(['report', closed, open, '--json', both]);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/^tcp: .*closed loop, pipeline 1/m);
    expect(r.stderr).toMatch(/^udp: .*open loop 200 req\/s, spin pacing/m);
    expect(r.stderr).toContain('udp/tcp');
    const report = parseReport(await readFile(both, 'utf8'), both);
    expect(report.runs.map((run) => [run.plan.transport, run.plan.rate])).toEqual([
      ['tcp', null],
      ['udp', 200],
    ]);
  });

  it('Ctrl-C ends the run early: it drains, writes its report and exits 130', async () => {
    const out = join(dir, 'interrupted.json');
    const child = spawn(process.execPath, [BIN, '--port', String(port), '--connections', '2', '--threads', '1', '--duration', '20s', '--warmup', '0', '--json', out], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    const code = await new Promise<number | null>((done) => {
      child.stderr.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
        // After the first per-second line, as a user would press Ctrl-C.
        if (/^tcp +1s\/20s/m.test(stderr) && !child.killed) child.kill('SIGINT');
      });
      child.once('exit', (c) => done(c));
    });
    expect(code).toBe(130);
    expect(stderr).toContain('sockbench-loadgen: interrupted: stopping, draining, writing reports');
    const run = parseReport(await readFile(out, 'utf8'), out).runs[0]!;
    expect(run.interrupted).toBe(true);
    // Ended by the signal, not the plan: the report covers what was sent, at least the interval that
    // was printed before the signal and less than the planned 20 s.
    expect(run.intervals.length).toBeGreaterThanOrEqual(2);
    expect(run.durationMs).toBeGreaterThanOrEqual(run.intervals[0]!.endMs);
    expect(run.durationMs).toBeLessThan(run.plan.durationMs!);
    expect(run.counters.sent).toBe(run.counters.completed + run.counters.errors + run.counters.timeouts);
    expect(run.counters.completed).toBeGreaterThan(0);
  });

  it('merge refuses reports of different plans, saying what differs', async () => {
    const one = join(dir, 'one.json');
    const two = join(dir, 'two.json');
    expect((await cli(['--port', String(port), ...quick, '--connections', '1', '--json', one, '-q'])).code).toBe(0);
    expect((await cli(['--port', String(port), ...quick, '--connections', '2', '--json', two, '-q'])).code).toBe(0);
    const line = await usageError(['merge', one, two, '-o', join(dir, 'never.json')]);
    expect(line).toBe(`sockbench-loadgen: cannot merge ${one} and ${two}: plans differ in connections: 1 vs 2`);
  });

  it('report refuses a file that is not a report', async () => {
    const bogus = join(dir, 'bogus.json');
    await writeFile(bogus, '{"schema":"something-else"}');
    expect(await usageError(['report', bogus])).toBe(`sockbench-loadgen: ${bogus}: schema must be "sockbench.loadgen.report"`);
  });

  it('the server dying mid-run: the run finishes, writes its report with the errors, and exits 1', async () => {
    const s = await dyingServer(300);
    try {
      const out = join(dir, 'dying.json');
      const r = await cli(['--port', String(s.port), '--connections', '2', '--threads', '1', '--duration', '1s', '--warmup', '0', '--json', out, '-q']);
      expect(r.code).toBe(1);
      const run = parseReport(await readFile(out, 'utf8'), out).runs[0]!;
      expect(run.counters.connectionsLost).toBe(2);
      expect(run.counters.errors).toBeGreaterThan(0);
      // The last line names why, from the report's counts (failureReason's wording is pinned in report.test.ts).
      const last = r.stderr.trimEnd().split('\n').at(-1);
      expect(last).toBe(`sockbench-loadgen: tcp run failed: ${failureReason(run)}`);
      expect(last).toMatch(/ errors? \((ECONNRESET|CONNECTION_CLOSED) [\d,]+(, [A-Z_]+ [\d,]+)*\), 2 lost connections$/);
      expect(run.counters.sent).toBe(run.counters.completed + run.counters.errors + run.counters.timeouts);
    } finally {
      await s.close();
    }
  });

  it('a framed server without STATS: the run reports with one line saying the server view is missing and why, and exits 0', async () => {
    const s = await framedServer('unknown-type');
    try {
      const r = await cli(['compare', '--port', String(s.port), ...quick2, '-q']);
      expect(r.code).toBe(0);
      const why = `127.0.0.1:${s.port} does not serve STATS: UNKNOWN_TYPE (not a sockbench server, or an older one)`;
      expect(r.stderr.split('\n').filter((l) => l.includes('server view'))).toEqual([`tcp: no server view: ${why}`, `udp: no server view: ${why}`]);
      expect(r.stderr).toMatch(/server service time p50 +- +-/);
    } finally {
      await s.close();
    }
  });

  it('--server-port asks STATS where it is told, not of the target', async () => {
    const target = await framedServer('unknown-type');
    const stats = await freePort();
    try {
      const r = await cli(['--port', String(target.port), '--server-port', String(stats), ...quick2, '-q']);
      expect(r.code).toBe(0);
      expect(r.stderr).toContain(`tcp: no server view: cannot connect to 127.0.0.1:${stats} for STATS: ECONNREFUSED`);
      expect(target.statsAsked).toEqual({ empty: 0, query: 0 });
    } finally {
      await target.close();
    }
  });
});
