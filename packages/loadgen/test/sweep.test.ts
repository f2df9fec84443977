/**
 * `sweep` end to end: the CLI in a child process against a framed server of fixed capacity
 * (fixtures/capped-server.ts: 287 req/s, measured over each run), over TCP and UDP. The knee must
 * come out within --resolution below the capacity: the server loses nothing at any rate up to its
 * capacity, however late the loaded box makes the generator, and sheds what is over it, so every
 * step above capacity fails and every step below holds (save a stall longer than the fixture's
 * start slack right at a step's start: such a sweep is swept again); the rule bisects until the
 * step that failed is within 5 % of the one that held.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseReport } from '../src/report/schema.js';
import type { SweepResult } from '../src/sweep/sweep.js';
import { cappedServer, type CappedServer } from './fixtures/capped-server.js';
import { BIN, cli as runCli, type Result } from './fixtures/cli-process.js';

/** The CLI with a sweep's longer bound. */
const cli = (args: string[]): Promise<Result> => runCli(args, 60_000);

/**
 * Requests per second the fixture serves (low, so that neither the generator nor the fixture is
 * CPU bound on a loaded box). With --from 160 --factor 1.5 the rule tries 160, 240, 360, then
 * bisects: 294 (2.4 % over), 266, 280 (2.4 % under), and 294 ÷ 280 is within 5 %; that exact
 * sequence is asserted on synthetic steps (test/sweep-rule.test.ts). Here, against real sockets, a
 * stall of the loaded box at a step's start can fail a step below capacity, so the test asserts
 * only what the issue asks: the knee is within --resolution below the capacity.
 */
const CAPACITY = 287;
const RESOLUTION = 0.05;

describe('sockbench-loadgen sweep', () => {
  let dir: string;
  const servers: CappedServer[] = [];
  const capped = async (): Promise<CappedServer> => {
    const s = await cappedServer(CAPACITY);
    servers.push(s);
    return s;
  };
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sockbench-sweep-'));
  });
  afterAll(async () => {
    for (const s of servers) await s.close();
    await rm(dir, { recursive: true, force: true });
  });

  // The default --timeout (1 s): a pause of this process (it answers) on a loaded box must not read as loss.
  const plan = ['--connections', '16', '--threads', '1', '--pacing', 'timer', '--warmup', '300ms'];

  it('finds the knee of a server of fixed capacity within --resolution below it, over TCP and UDP', async () => {
    // Over TCP a request the server drops holds its connection (one in flight) for --timeout (2 s
    // here), and the requests it owes then go late: shedding shows as latency from the schedule,
    // which p99<1s sees (a pause of the loaded box is shorter); over UDP it shows as loss (the
    // default loss<1%). Each transport has its own server and process.
    const sloOf = { tcp: ['--timeout', '2000', '--slo', 'p99<1s'], udp: [] };
    const sweepOf = async (t: 'tcp' | 'udp'): Promise<{ r: Result; sweep: SweepResult; json: string; html: string }> => {
      const server = await capped();
      let last: { r: Result; sweep: SweepResult; json: string; html: string } | null = null;
      // On a loaded 2-core box the generator's event loop can fall 20 ms behind whatever its load
      // (the sweep then rightly ends without a knee: generator-bound, often at its first steps), or
      // stall for longer than the server's start slack right at a step's start (a step below capacity
      // then fails and the knee comes out low). A sweep whose knee is not within --resolution below
      // the capacity is swept again: three such misses at most, five sweeps in all when the others
      // ended generator-bound; the last one is asserted. --max-steps 8 bounds each (the rule takes 6).
      let misses = 0;
      for (let attempt = 0; attempt < 5 && misses < 3; attempt++) {
        // A moment between attempts, longer each time, for a burst of load on the box to pass.
        if (attempt > 0) await new Promise((done) => setTimeout(done, 1000 * attempt));
        const json = join(dir, `sweep-${t}-${attempt}.json`);
        const html = join(dir, `sweep-${t}-${attempt}.html`);
        const args = ['sweep', '--port', String(server.port), ...plan, ...sloOf[t], '--step-duration', '1500ms', '--transports', t, '--from', '160', '--factor', '1.5', '--max-steps', '8', '--json', json, '--html', html, '-q'];
        const r = await cli(args);
        last = { r, sweep: (JSON.parse(await readFile(json, 'utf8')) as { sweep: SweepResult }).sweep, json, html };
        const knee = last.sweep.knees[t]!;
        if (last.r.code === 0 && knee.found && knee.value! >= CAPACITY * (1 - RESOLUTION) && knee.value! <= CAPACITY) break;
        if (!knee.reason.startsWith('generator-bound')) misses++;
      }
      return last!;
    };
    // One after the other: two generators at once on a loaded 2-core box make each other late.
    const tcp = await sweepOf('tcp');
    const udp = await sweepOf('udp');
    for (const [t, { r, sweep, json, html }] of [['tcp', tcp], ['udp', udp]] as const) {
      expect(r.stderr).toMatch(new RegExp(`^sockbench-loadgen: sweep ${t} step 1 of at most 8 \\(ramp\\): 160 req/s for 1500ms …$`, 'm'));
      expect(r.code).toBe(0);
      // Every step's run is a whole run report (histograms included), so the file reads as a report.
      const text = await readFile(json, 'utf8');
      expect(parseReport(text, json).runs).toHaveLength(sweep.steps.length);
      expect(sweep.steps.every((s) => s.run !== null && typeof s.run.histograms.latency === 'string' && s.run.plan.rate === s.rate && s.value === s.rate && s.dimension === 'rate')).toBe(true);
      expect(sweep.slo).toEqual(t === 'tcp' ? ['p99<1s', 'loss<1%', 'rate>=95%'] : ['loss<1%', 'rate>=95%']);
      const knee = sweep.knees[t]!;
      const tried = sweep.steps.map((s) => `${s.rate} ${s.verdict}: ${s.reason}`).join('; ');
      expect(knee.found, `${t}: ${knee.reason} (${tried})`).toBe(true);
      expect(knee.value!, tried).toBeGreaterThanOrEqual(CAPACITY * (1 - RESOLUTION));
      expect(knee.value!, tried).toBeLessThanOrEqual(CAPACITY);
      expect(knee).toMatchObject({ dimension: 'rate', rate: knee.value, lossPercent: 0 });
      // The sweep ramped by --factor from --from, then bisected: the knee is the highest rate that
      // held, and the lowest that failed is over it by no more than --resolution.
      expect(sweep.steps.slice(0, 3).map((s) => [s.rate, s.phase]), tried).toEqual([[160, 'ramp'], [240, 'ramp'], [360, 'ramp']]);
      const above = Math.min(...sweep.steps.filter((s) => s.verdict === 'failed').map((s) => s.rate!));
      expect(above / knee.value!, tried).toBeLessThanOrEqual(1 + RESOLUTION);
      expect(above, tried).toBeGreaterThan(CAPACITY);
      expect(r.stderr).toMatch(new RegExp(`^${t}: knee ${knee.value} req/s \\(achieved \\d+ req/s, p50 .*\\): knee between ${knee.value} req/s \\(held\\) and ${above} req/s \\(failed: `, 'm'));
      const page = await readFile(html, 'utf8');
      expect(page.match(/<svg /g)).toHaveLength(2);
      expect(page).toContain(`${t} p99`);
      expect(page).toContain(`${t} loss`);
      expect(page).toContain('offered rate (req/s), one point per step');
    }
    // Why each failed over capacity (360 req/s, the ramp's last step): UDP lost what the server
    // shed; TCP's owed requests went late.
    expect(udp.sweep.steps[2]!.reason).toMatch(/^loss<1% \(\d+\.\d\d%\)/);
    expect(tcp.sweep.steps[2]!.reason).toMatch(/^p99<1s \(/);
  }, 240_000);

  it('Ctrl-C ends the sweep after the step under way, writes what it has and exits 130', async () => {
    const server = await capped();
    const out = join(dir, 'interrupted.json');
    const child = spawn(process.execPath, [BIN, 'sweep', '--port', String(server.port), ...plan, '--step-duration', '20s', '--transports', 'udp,tcp', '--from', '100', '--json', out], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    const code = await new Promise<number | null>((done) => {
      child.stderr.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
        if (/^step 1 \(ramp, 100 req\/s\) +udp +1s\/20s/m.test(stderr) && !child.killed) child.kill('SIGINT');
      });
      child.once('exit', (c) => done(c));
    });
    expect(code).toBe(130);
    const sweep = (JSON.parse(await readFile(out, 'utf8')) as { sweep: SweepResult }).sweep;
    expect(sweep.interrupted).toBe(true);
    expect(sweep.steps.map((s) => [s.transport, s.rate, s.verdict])).toEqual([['udp', 100, 'interrupted']]);
    expect(sweep.knees.udp).toMatchObject({ found: false, dimension: 'rate', value: null, rate: null, reason: 'interrupted at 100 req/s' });
    expect(sweep.knees.tcp).toMatchObject({ found: false, rate: null, reason: 'not run: interrupted' });
  }, 60_000);

  it('refuses flags a sweep sets itself, and bad sweep flags, with exit 2 and one line', async () => {
    const cases: [string[], string][] = [
      [['--rate', '100'], 'sockbench-loadgen: a rate sweep sets --rate itself (--from, --factor, --to); --rate fixes the rate of a --sizes sweep'],
      [['--duration', '1s'], 'sockbench-loadgen: Unknown argument: duration (see --help)'],
      [['--resolution', '5'], 'sockbench-loadgen: --resolution must be a percentage in (0, 100) such as 5%, got "5"'],
      [['--resolution', '0%'], 'sockbench-loadgen: --resolution must be a percentage in (0, 100) such as 5%, got "0%"'],
      [['--from', '2000', '--to', '1000'], 'sockbench-loadgen: --to (1000 req/s) is below --from (2000 req/s)'],
      [['--factor', '1'], 'sockbench-loadgen: --factor must be a number in 1.01..100, got 1'],
      [['--transports', 'tcp,sctp'], 'sockbench-loadgen: --transports: sctp is not one of tcp, udp, raw-tcp, raw-udp'],
      [['--slo', 'p99<5'], 'sockbench-loadgen: --slo "p99<5": p99 needs a latency unit: us, µs, ms or s (e.g. p99<5ms), got 5'],
    ];
    for (const [args, line] of cases) {
      const r = await cli(['sweep', '--port', '9', ...args]);
      expect([r.code, r.stdout, r.stderr.trimEnd()]).toEqual([2, '', line]);
    }
  }, 60_000);
});
