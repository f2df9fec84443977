/**
 * `sweep` over its other dimensions, end to end (the CLI in a child process): closed-loop
 * `--connections-list` and `--pipeline-list` against a server that queues (fixtures/capped-server.ts:
 * 25 ms in the server, one worker doing 2.5 ms per request, so throughput stops growing at 10 in
 * flight), and `--sizes` against one that loses UDP datagrams over 1,472 bytes of payload; then every
 * bad input of the dimension flags, each with its exact message and exit 2.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SweepResult } from '../src/sweep/sweep.js';
import { cappedServer, type CappedOptions, type CappedServer } from './fixtures/capped-server.js';
import { cli, type Result } from './fixtures/cli-process.js';

/** In flight at which the queueing fixture's throughput stops growing: latency ÷ work (25 ms ÷ 2.5 ms). */
const KNEE_IN_FLIGHT = 10;
const QUEUE: CappedOptions = { latencyMs: 25, workUs: 2500 };
/** Steps of a transport a generator-bound sweep must still have checked before the one it was bound at. */
const MIN_CHECKED = 3;

describe('sockbench-loadgen sweep over connections, pipeline and sizes', () => {
  let dir: string;
  const servers: CappedServer[] = [];
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sockbench-sweep-dim-'));
  });
  afterAll(async () => {
    for (const s of servers) await s.close();
    await rm(dir, { recursive: true, force: true });
  });

  /**
   * Sweeps `args` against a fresh fixture; a sweep that some transport ended generator-bound (a
   * loaded box's event loop late by > 20 ms) is run again, three times in all at most. `bound`
   * names the transports that still ended so: the test then checks that the steps up to there
   * followed the rule and that no knee was claimed (never a false knee), not the knee itself, and
   * fails if fewer than {@link MIN_CHECKED} steps came before (a sweep that checks nothing).
   * The sweeps run one after another: two generators at once on a 2-core box make each other late.
   */
  async function sweep(name: string, options: CappedOptions, args: string[]): Promise<{ r: Result; sweep: SweepResult; html: string; bound: Set<string> }> {
    const server = await cappedServer(1e6, options);
    servers.push(server);
    let last: { r: Result; sweep: SweepResult; html: string; bound: Set<string> } | null = null;
    for (let attempt = 0; attempt < 3; attempt++) {
      const json = join(dir, `${name}-${attempt}.json`);
      const html = join(dir, `${name}-${attempt}.html`);
      const r = await cli(['sweep', '--port', String(server.port), '--threads', '1', '--warmup', '100ms', '--step-duration', '300ms', ...args, '--json', json, '--html', html, '-q'], 60_000);
      expect(r.code, r.stderr).toBe(0);
      const result = (JSON.parse(await readFile(json, 'utf8')) as { sweep: SweepResult }).sweep;
      const bound = new Set(Object.entries(result.knees).flatMap(([t, k]) => (k.reason.startsWith('generator-bound') ? [t] : [])));
      last = { r, sweep: result, html: await readFile(html, 'utf8'), bound };
      if (bound.size === 0) break;
    }
    return last!;
  }

  /**
   * The steps of `transport` are `expected` ([value, verdict] each); when the generator bound the
   * sweep, the steps before that one are its beginning and the knee says found: false.
   */
  function expectSteps(s: SweepResult, bound: Set<string>, transport: string, expected: [number, string][]): void {
    const steps = s.steps.filter((x) => x.transport === transport);
    const tried = steps.map((x) => `${x.value} ${x.verdict}: ${x.reason}`).join('; ');
    if (!bound.has(transport)) return void expect(steps.map((x) => [x.value, x.verdict]), tried).toEqual(expected);
    expect(steps.at(-1)!.verdict, tried).toBe('generator-bound');
    // Bound so early that the rule was hardly checked: the box is too loaded for this test to tell.
    expect(steps.length - 1, `${transport}: generator-bound after only ${steps.length - 1} steps, three tries (${tried})`).toBeGreaterThanOrEqual(Math.min(MIN_CHECKED, expected.length));
    expect(steps.slice(0, -1).map((x) => [x.value, x.verdict]), tried).toEqual(expected.slice(0, steps.length - 1));
    expect(s.knees[transport as 'tcp']!.found).toBe(false);
  }

  it('--connections-list: closed-loop steps, the knee where throughput stops growing (--min-scaling 50%)', async () => {
    const { r, sweep: s, html, bound } = await sweep('connections', QUEUE, ['--transports', 'tcp', '--connections-list', '2,4,8,16,32', '--resolution', '20%']);
    const tried = s.steps.map((x) => `${x.value} ${x.verdict}: ${x.reason}`).join('; ');
    expect(s.schedule).toMatchObject({ dimension: 'connections', list: [2, 4, 8, 16, 32], factor: null });
    expect(s.minScaling).toBe(0.5);
    expect(s.slo).toEqual(['loss<1%']);
    // Every step a closed-loop run of that many connections, one request in flight each.
    for (const x of s.steps) expect([x.dimension, x.rate, x.run!.plan.connections, x.run!.plan.pipeline, x.run!.plan.rate]).toEqual(['connections', null, x.value, 1, null]);
    expect(r.stderr).toMatch(/^sockbench-loadgen: sweep tcp step 1 of at most 20 \(ramp\): 2 connections for 300ms …$/m);
    expect(r.stderr).toMatch(/^transport +step +phase +connections +achieved +p50 +p99 +loss +verdict$/m);
    expect(html).toContain('Loss against connections');
    // 2, 4 and 8 scale (25 ms each, in parallel); at 16 the worker (400 req/s) is the limit.
    expectSteps(s, bound, 'tcp', [
      [2, 'held'],
      [4, 'held'],
      [8, 'held'],
      [16, 'failed'],
      ...s.steps.slice(4).map((x): [number, string] => [x.value, x.verdict]),
    ]);
    if (bound.has('tcp')) return;
    expect(s.steps.slice(4).every((x) => x.phase === 'bisect')).toBe(true);
    expect(s.steps[3]!.reason).toMatch(/^throughput grew \d+% for 100% more than 8 connections \(--min-scaling 50%: at least 50%\)$/);
    const knee = s.knees.tcp!;
    expect(knee, tried).toMatchObject({ found: true, dimension: 'connections', rate: null });
    expect(knee.value!, tried).toBeGreaterThanOrEqual(8);
    expect(knee.value!, tried).toBeLessThanOrEqual(KNEE_IN_FLIGHT * 1.5);
    expect(r.stderr).toMatch(/^tcp: knee \d+ connections \(achieved [\d,]+ req\/s, p50 /m);
    expect(html).toContain('connections (closed loop), log scale, one point per step');
  }, 120_000);

  it('--pipeline-list: requests in flight per connection, closed loop over one connection', async () => {
    const { sweep: s, bound } = await sweep('pipeline', QUEUE, ['--transports', 'tcp', '-c', '1', '--pipeline-list', '1,3,9,27', '--resolution', '20%']);
    const tried = s.steps.map((x) => `${x.value} ${x.verdict}: ${x.reason}`).join('; ');
    for (const x of s.steps) expect([x.dimension, x.run!.plan.pipeline, x.run!.plan.connections, x.run!.plan.rate]).toEqual(['pipeline', x.value, 1, null]);
    expectSteps(s, bound, 'tcp', [
      [1, 'held'],
      [3, 'held'],
      [9, 'held'],
      [27, 'failed'],
      ...s.steps.slice(4).map((x): [number, string] => [x.value, x.verdict]),
    ]);
    if (bound.has('tcp')) return;
    expect(s.steps.slice(4).every((x) => x.phase === 'bisect')).toBe(true);
    const knee = s.knees.tcp!;
    expect(knee, tried).toMatchObject({ found: true, dimension: 'pipeline', rate: null });
    expect(knee.value!, tried).toBeGreaterThanOrEqual(9);
    expect(knee.value!, tried).toBeLessThanOrEqual(KNEE_IN_FLIGHT * 1.5);
  }, 120_000);

  it('--sizes 64,512,1400,8192: UDP bisects toward the largest payload that still arrives, TCP holds at every size', async () => {
    // --timeout 300ms: every UDP request over the limit is lost, and each step drains for one timeout.
    const { r, sweep: s, html, bound } = await sweep('sizes', { latencyMs: 5, maxUdpPayload: 1472 }, ['--transports', 'tcp,udp', '-c', '4', '--timeout', '300', '--sizes', '64,512,1400,8192', '--resolution', '20%']);
    expect(s.schedule).toMatchObject({ dimension: 'size', list: [64, 512, 1400, 8192] });
    expect(s.minScaling).toBeNull();
    for (const x of s.steps) expect([x.dimension, x.rate, x.run?.plan.size ?? x.value, x.run?.plan.rate ?? null]).toEqual(['size', null, x.value, null]);
    expect(r.stderr).toMatch(/^transport +step +phase +size +achieved +payload +p50 +p99 +loss +verdict$/m);
    expect(html).toContain('achieved payload throughput (bit/s), one point per step');
    expectSteps(s, bound, 'tcp', [
      [64, 'held'],
      [512, 'held'],
      [1400, 'held'],
      [8192, 'held'],
    ]);
    // 8,192 fails, then √(1400·8192) = 3,387, 2,178, 1,746 and 1,563 fail: 1,563 ÷ 1,400 ≤ 1.2, the knee is 1,400 B.
    // A size that does not get through fails (100 % loss: even the reachability probe, which carries
    // the step's payload, goes unanswered); it does not end the sweep as an unreachable target.
    expectSteps(s, bound, 'udp', [
      [64, 'held'],
      [512, 'held'],
      [1400, 'held'],
      [8192, 'failed'],
      [3387, 'failed'],
      [2178, 'failed'],
      [1746, 'failed'],
      [1563, 'failed'],
    ]);
    if (!bound.has('tcp')) expect(s.knees.tcp).toMatchObject({ found: false, dimension: 'size', value: 8192, reason: 'held up to 8,192 B, the end of --sizes: the knee is higher' });
    if (bound.has('udp')) return;
    expect(s.knees.udp).toMatchObject({ found: true, dimension: 'size', value: 1400, rate: null, lossPercent: 0 });
    expect(s.knees.udp!.reason).toBe(`knee between 1,400 B (held) and 1,563 B (failed: no reply at all, loss 100% (cannot connect to 127.0.0.1:${s.steps[0]!.run!.plan.port}: ETIMEDOUT (no reply to 3 udp probes within 300 ms each)))`);
    expect(r.stderr).toMatch(/^udp: knee 1,400 B \(achieved [\d,]+ req\/s, [\d.]+ [kM]bit\/s, p50 /m);
    expect(html).toContain('payload size (bytes), log scale, one point per step');
    for (const name of ['tcp p50', 'udp p99', 'tcp loss', 'udp loss']) expect(html).toContain(`<title>${name}</title>`);
  }, 120_000);

  it('refuses every bad dimension flag with its message and exit 2', async () => {
    // The list parsing's every message is tested beside it (src/sweep/dimension.test.ts); here one
    // of each kind through the CLI, and every rule cli/sweep.ts adds.
    const cases: [string[], string][] = [
      [['--connections-list', '1,4', '--sizes', '64,512'], 'only one dimension per sweep: --connections-list and --sizes both given'],
      [['--connections-list', ''], '--connections-list needs a list such as 1,4,16,64 or a range START..LIMIT, got ""'],
      [['--pipeline-list', '1,x,4'], '--pipeline-list: "x" is not a whole number (a list such as 1,4,16,64 or a range START..LIMIT)'],
      [['--connections-list', '0,4'], '--connections-list: 0 is out of range 1..100000 connections'],
      [['--sizes', '64,70000'], '--sizes: 70000 is out of range 0..65495 bytes (the most --transport udp --op echo carries is 65,495 bytes)'],
      [['--sizes', '64,20000000', '--transports', 'tcp'], '--sizes: 20000000 is out of range 0..16777216 bytes (the most --transport tcp --op echo carries is 16,777,216 bytes)'],
      [['--connections-list', '1..64', '--from', '10'], '--from and --to bound a rate sweep; --connections-list gives its own steps (a list such as 1,4,16,64 or a range START..LIMIT, e.g. --connections-list 1..64)'],
      [['--connections-list', '1,4', '--factor', '2'], '--factor steps a rate sweep or a START..LIMIT range; --connections-list 1,4 lists its steps'],
      [['--connections-list', '1,4', '--connections', '8'], '--connections-list sets --connections of each step: give one of them, not both'],
      [['--pipeline-list', '1,4', '--pipeline', '8'], '--pipeline-list sets --pipeline of each step: give one of them, not both'],
      [['--pipeline-list', '1,4', '--rate', '100'], '--pipeline-list sweeps the closed loop: --rate (open loop) does not go with it'],
      [['--sizes', '64,512', '--size', '64'], '--sizes sets --size of each step: give one of them, not both'],
      [['--sizes', '64', '--op', 'ping'], '--sizes does not apply to --op ping (PING has an empty payload): use --op echo or compute'],
      [['--sizes', '64', '--rate', '100', '--pipeline', '2'], '--pipeline (closed loop) and --rate (open loop) cannot be used together'],
      [['--pipeline', '4'], '--pipeline is closed loop and a rate sweep open loop: --pipeline goes with --connections-list or --sizes'],
      [['--min-scaling', '50%'], '--min-scaling judges closed-loop --connections-list and --pipeline-list sweeps, not this one'],
      [['--connections-list', '1,4', '--min-scaling', '50'], '--min-scaling must be a percentage in [0, 100] such as 50%, got "50"'],
      [['--pipeline-list', '1,4', '--pacing', 'timer'], '--pacing paces the open loop: it needs --rate (got --pacing timer without it)'],
      [['--connections-list', '1,4', '--slo', 'rate>=95%'], '--slo "rate>=95%": rate (completed ÷ intended req/s) applies to open loop only (--rate); this run is closed loop'],
    ];
    // Three CLIs at a time: each only parses its flags and exits.
    const results: Result[] = [];
    for (let i = 0; i < cases.length; i += 3) results.push(...(await Promise.all(cases.slice(i, i + 3).map(([args]) => cli(['sweep', '--port', '9', ...args])))));
    expect(results.map((r) => [r.code, r.stdout, r.stderr.trimEnd()])).toEqual(cases.map(([, line]) => [2, '', `sockbench-loadgen: ${line}`]));
  }, 120_000);
});
