/**
 * The sweep's driver and renderers over synthetic step reports (test/synthetic.ts builds them
 * through the run's own report code): which verdict a step gets, that a generator-bound sweep
 * reports no knee, and what the table and the page show.
 */
import { describe, expect, it } from 'vitest';
import { GeneratorError, TargetUnreachable } from '../src/errors.js';
import type { Transport } from '../src/options.js';
import type { RunReport } from '../src/report/schema.js';
import { evaluateSlos } from '../src/slo/evaluate.js';
import { sweepSlos, parseResolution } from '../src/sweep/args.js';
import { renderSweepHtml, renderSweepTable } from '../src/sweep/render.js';
import { judgeError, judgeScaling, judgeStep, runSweep, type SweepStep } from '../src/sweep/sweep.js';
import type { SweepSchedule } from '../src/sweep/schedule.js';
import { planOf, syntheticRun } from './synthetic.js';

const SCHEDULE: SweepSchedule = { dimension: 'rate', from: 1000, factor: 1.5, to: null, list: null, resolution: 0.05, maxSteps: 20 };

/**
 * A one-second step at `rate` against a target that completes `min(rate, capacity)` of them (the
 * rest time out), latencies 100 µs; `generatorBound` marks the self-check's verdict as the generator's.
 */
function step(transport: Transport, rate: number, capacity: number, generatorBound = false): RunReport {
  const plan = planOf({ transport, rate, duration: '1s', connections: 1, threads: 1 });
  const done = Math.min(rate, capacity);
  const run = syntheticRun(plan, [[Array.from({ length: done }, () => 100)]]);
  run.counters.sent = rate;
  run.counters.timeouts = rate - done;
  run.results.lossPercent = (100 * (rate - done)) / rate;
  run.selfCheck.intendedRate = rate;
  if (generatorBound) {
    run.selfCheck.generatorBound = true;
    run.selfCheck.verdict = 'generator-bound: thread 0 busy 100% of the time';
  }
  run.slo = evaluateSlos(sweepSlos(undefined), run);
  return run;
}

describe('judgeStep', () => {
  it('held, failed by an SLO, and generator-bound before any SLO (the SLOs then measured the generator)', () => {
    expect(judgeStep(step('udp', 1000, 2000))).toEqual({ verdict: 'held', reason: 'every SLO held' });
    expect(judgeStep(step('udp', 2500, 2000))).toEqual({ verdict: 'failed', reason: 'loss<1% (20.00%), rate>=95% (80.00%)' });
    expect(judgeStep(step('udp', 2500, 2000, true))).toEqual({ verdict: 'generator-bound', reason: 'generator-bound: thread 0 busy 100% of the time' });
    const interrupted = step('udp', 1000, 2000);
    interrupted.interrupted = true;
    expect(judgeStep(interrupted).verdict).toBe('interrupted');
  });
});

describe('sweepSlos and parseResolution', () => {
  it('the defaults are loss<1% and rate>=95%; a given metric replaces its default, others add', () => {
    expect(sweepSlos(undefined).map((s) => s.expr)).toEqual(['loss<1%', 'rate>=95%']);
    expect(sweepSlos('p99<5ms').map((s) => s.expr)).toEqual(['p99<5ms', 'loss<1%', 'rate>=95%']);
    expect(sweepSlos(['loss<0.1%', 'p99.9<=20ms']).map((s) => s.expr)).toEqual(['loss<0.1%', 'p99.9<=20ms', 'rate>=95%']);
  });

  it('--resolution is a percentage with its % sign', () => {
    expect(parseResolution('5%')).toBe(0.05);
    expect(parseResolution('0.5%')).toBe(0.005);
    for (const bad of ['5', '0%', '100%', 'five%', '-1%']) expect(() => parseResolution(bad)).toThrow(`--resolution must be a percentage in (0, 100) such as 5%, got ${JSON.stringify(bad)}`);
  });
});

describe('runSweep', () => {
  it('finds each transport knee on synthetic steps, trying exactly the rule sequence', async () => {
    const tried: [Transport, number][] = [];
    const result = await runSweep({
      transports: ['tcp', 'udp'],
      schedule: SCHEDULE,
      slo: ['loss<1%', 'rate>=95%'],
      runStep: async (t, rate) => {
        tried.push([t, rate]);
        return step(t, rate, t === 'tcp' ? 2000 : 1200);
      },
    });
    expect(tried).toEqual([
      ['tcp', 1000], ['tcp', 1500], ['tcp', 2250], ['tcp', 1837], ['tcp', 2033], ['tcp', 1933], ['tcp', 1982],
      ['udp', 1000], ['udp', 1500], ['udp', 1225], ['udp', 1107], ['udp', 1165], ['udp', 1195],
    ]);
    expect(result.knees.tcp).toMatchObject({ found: true, rate: 1982, achieved: 1982, lossPercent: 0, p50: 100 });
    expect(result.knees.udp).toMatchObject({ found: true, rate: 1195, lossPercent: 0 });
    expect(result.steps.map((s) => s.step)).toEqual([1, 2, 3, 4, 5, 6, 7, 1, 2, 3, 4, 5, 6]);
    expect(result.interrupted).toBe(false);
  });

  it('the end-to-end test\'s sweep (test/sweep.test.ts): --from 160 --factor 1.5 against 287 req/s tries 160, 240, 360, 294, 266, 280', async () => {
    // The exact sequence lives here; the real sweep asserts only that its knee is within --resolution.
    const tried: number[] = [];
    const result = await runSweep({
      transports: ['udp'],
      schedule: { ...SCHEDULE, from: 160, maxSteps: 8 },
      slo: ['loss<1%', 'rate>=95%'],
      runStep: async (t, rate) => {
        tried.push(rate);
        return step(t, rate, 287);
      },
    });
    expect(tried).toEqual([160, 240, 360, 294, 266, 280]);
    expect(result.steps.map((s) => [s.phase, s.verdict])).toEqual([['ramp', 'held'], ['ramp', 'held'], ['ramp', 'failed'], ['bisect', 'failed'], ['bisect', 'held'], ['bisect', 'held']]);
    expect(result.knees.udp).toMatchObject({ found: true, rate: 280, lossPercent: 0 });
  });

  it('a generator-bound sweep says so and reports no knee, only the highest step that held', async () => {
    const result = await runSweep({
      transports: ['udp'],
      schedule: SCHEDULE,
      slo: ['loss<1%', 'rate>=95%'],
      // The target would carry 10,000 req/s; the generator gives out at 2,000.
      runStep: async (t, rate) => step(t, rate, 10_000, rate >= 2000),
    });
    expect(result.steps.map((s) => [s.rate, s.verdict])).toEqual([
      [1000, 'held'],
      [1500, 'held'],
      [2250, 'generator-bound'],
    ]);
    expect(result.knees.udp).toMatchObject({ found: false, rate: 1500, reason: 'generator-bound at 2,250 req/s: thread 0 busy 100% of the time' });
    expect(renderSweepTable(result)).toContain('udp: no knee found; highest step that held 1,500 req/s');
  });

  it('a step that cannot run stops its transport and the next one still runs', async () => {
    const result = await runSweep({
      transports: ['tcp', 'udp'],
      schedule: { ...SCHEDULE, maxSteps: 2 },
      slo: [],
      runStep: async (t, rate) => {
        if (t === 'tcp') throw new TargetUnreachable('127.0.0.1', 9, 'ECONNREFUSED', '');
        return step(t, rate, 10_000);
      },
    });
    expect(result.steps.map((s) => [s.transport, s.rate, s.verdict, s.run === null])).toEqual([
      ['tcp', 1000, 'error', true],
      ['udp', 1000, 'held', false],
      ['udp', 1500, 'held', false],
    ]);
    expect(result.knees.tcp).toEqual({ found: false, dimension: 'rate', value: null, rate: null, achieved: null, p50: null, p99: null, lossPercent: null, mbitPerSec: null, reason: 'the step at 1,000 req/s could not run: cannot connect to 127.0.0.1:9: ECONNREFUSED' });
    expect(result.knees.udp).toMatchObject({ found: false, rate: 1500, reason: '--max-steps 2 reached while still holding at 1,500 req/s' });
  });

  it('stopped() (Ctrl-C) ends the sweep: no further step, the transports left say not run', async () => {
    let calls = 0;
    const result = await runSweep({
      transports: ['tcp', 'udp'],
      schedule: SCHEDULE,
      slo: [],
      stopped: () => calls >= 2,
      runStep: async (t, rate) => {
        calls++;
        return step(t, rate, 10_000);
      },
    });
    expect(result.steps.map((s) => s.rate)).toEqual([1000, 1500]);
    expect(result.interrupted).toBe(true);
    expect(result.knees.tcp).toMatchObject({ found: false, rate: 1500, reason: 'interrupted' });
    expect(result.knees.udp).toMatchObject({ found: false, rate: null, reason: 'not run: interrupted' });
  });

  it('the page draws latency against achieved throughput and loss against offered rate, a series per transport', async () => {
    const result = await runSweep({ transports: ['tcp', 'udp'], schedule: SCHEDULE, slo: ['loss<1%'], runStep: async (t, rate) => step(t, rate, 2000) });
    const page = renderSweepHtml(result, '2026-01-01T00:00:00Z');
    expect(page.match(/<svg /g)).toHaveLength(2);
    for (const name of ['tcp p50', 'tcp p99', 'udp p50', 'udp p99', 'tcp loss', 'udp loss']) expect(page).toContain(`<title>${name}</title>`);
    expect(page).toContain('achieved throughput (completed req/s), one point per step');
    expect(page).toContain('offered rate (req/s), one point per step');
    expect(page).toContain('tcp: knee 1,982 req/s');
  });
});

/**
 * A one-second closed-loop step of `connections` against a target that completes
 * `min(100 × connections, 1000)` req/s (it saturates at 10), latencies 100 µs, nothing lost.
 */
function closedStep(connections: number): RunReport {
  const plan = planOf({ transport: 'tcp', connections, threads: 1, duration: '1s' });
  const run = syntheticRun(plan, [[Array.from({ length: Math.min(100 * connections, 1000) }, () => 100)]]);
  run.slo = evaluateSlos(sweepSlos(undefined, false), run);
  return run;
}

describe('judgeScaling', () => {
  const held = (value: number, perSec: number): SweepStep => {
    const run = closedStep(1);
    run.results.requestsPerSec = perSec;
    return { transport: 'tcp', step: 1, phase: 'ramp', dimension: 'connections', value, rate: null, verdict: 'held', reason: 'every SLO held', run };
  };
  const at = (perSec: number): RunReport => held(0, perSec).run!;

  it('a step holds while throughput grows by at least --min-scaling of its growth in concurrency', () => {
    // 8 → 16 connections is 100 % more; 320 → 400 req/s is 25 %, under half of it.
    expect(judgeScaling('connections', 16, at(400), held(8, 320), 0.5)).toBe('throughput grew 25% for 100% more than 8 connections (--min-scaling 50%: at least 50%)');
    // 8 → 11 is 37.5 % more; 25 % is at least half of that.
    expect(judgeScaling('connections', 11, at(400), held(8, 320), 0.5)).toBeNull();
    expect(judgeScaling('pipeline', 12, at(380), held(9, 400), 0.5)).toBe('throughput fell 5% for 33% more than pipeline 9 (--min-scaling 50%: at least 17%)');
  });

  it('no step below that held, or --min-scaling 0%: nothing to compare, it holds', () => {
    expect(judgeScaling('connections', 2, at(1), undefined, 0.5)).toBeNull();
    expect(judgeScaling('connections', 16, at(100), held(8, 320), 0)).toBeNull();
  });
});

describe('judgeError', () => {
  const timedOut = new TargetUnreachable('127.0.0.1', 9, 'ETIMEDOUT', 'no reply to 3 udp probes within 300 ms each');

  it('a UDP size that gets no reply at all after smaller ones held fails at 100 % loss; anything else could not run', () => {
    expect(judgeError('size', 'udp', timedOut, true)).toEqual({ verdict: 'failed', reason: 'no reply at all, loss 100% (cannot connect to 127.0.0.1:9: ETIMEDOUT (no reply to 3 udp probes within 300 ms each))' });
    expect(judgeError('size', 'raw-udp', timedOut, true).verdict).toBe('failed');
    expect(judgeError('size', 'udp', timedOut, false).verdict).toBe('error');
    expect(judgeError('rate', 'udp', timedOut, true).verdict).toBe('error');
    expect(judgeError('size', 'tcp', new TargetUnreachable('127.0.0.1', 9, 'ECONNREFUSED', ''), true).verdict).toBe('error');
    expect(judgeError('size', 'udp', new GeneratorError('generator thread 0 failed: boom'), true)).toEqual({ verdict: 'error', reason: 'generator thread 0 failed: boom' });
  });
});

describe('runSweep over connections', () => {
  it('walks the list, fails the step whose throughput stops growing, and bisects with the same rule', async () => {
    const tried: number[] = [];
    const result = await runSweep({
      transports: ['tcp'],
      schedule: { dimension: 'connections', from: 2, factor: null, to: 32, list: [2, 4, 8, 16, 32], resolution: 0.05, maxSteps: 20 },
      slo: ['loss<1%'],
      minScaling: 0.5,
      runStep: async (_t, value) => {
        tried.push(value);
        return closedStep(value);
      },
    });
    // 16 gives 1,000 req/s over 8's 800 (25 % for 100 %): failed. 11 gives 25 % for 37.5 %: held.
    // 13 and 12 add nothing over 11: failed; no whole value lies between 11 and 12. The rule
    // compares with the step below, so it lands at or just past the saturation point (10).
    expect(tried).toEqual([2, 4, 8, 16, 11, 13, 12]);
    expect(result.steps.map((x) => [x.value, x.verdict])).toEqual([
      [2, 'held'],
      [4, 'held'],
      [8, 'held'],
      [16, 'failed'],
      [11, 'held'],
      [13, 'failed'],
      [12, 'failed'],
    ]);
    expect(result.steps.every((x) => x.dimension === 'connections' && x.rate === null)).toBe(true);
    expect(result.minScaling).toBe(0.5);
    expect(result.knees.tcp).toMatchObject({ found: true, dimension: 'connections', value: 11, rate: null, achieved: 1000 });
    expect(result.knees.tcp!.reason).toBe('knee between 11 connections (held) and 12 connections (failed: throughput grew 0% for 9% more than 11 connections (--min-scaling 50%: at least 5%))');
    const table = renderSweepTable(result);
    expect(table.split('\n')[0]).toMatch(/^transport +step +phase +connections +achieved +p50 +p99 +loss +verdict$/);
    expect(table).toContain('tcp: knee 11 connections (achieved 1,000 req/s, p50 100 µs, p99 100 µs, loss 0.00%)');
    const page = renderSweepHtml(result, '2026-01-01T00:00:00Z');
    expect(page).toContain('connections (closed loop), log scale, one point per step');
    expect(page).toContain('connections 2, 4, 8, 16, 32, bisected to 5.00%, at most 20 steps per transport; SLOs loss&lt;1%, each step\'s throughput growing by at least 50% of its growth in concurrency (--min-scaling)');
  });
});
