import { describe, expect, it } from 'vitest';
import { nextStep, type NextStep, type StepOutcome, type StepVerdict, type SweepSchedule } from './schedule.js';

const BASE: SweepSchedule = { dimension: 'rate', from: 1000, factor: 1.5, to: null, list: null, resolution: 0.05, maxSteps: 20 };

/** Runs the rule against a target that holds up to `capacity` req/s (and `verdictAt` overriding steps), returning every rate tried and the end. */
function drive(s: SweepSchedule, capacity: number, verdictAt: (rate: number) => StepVerdict | null = () => null): { rates: number[]; end: Extract<NextStep, { kind: 'done' }>; outcomes: StepOutcome[] } {
  const outcomes: StepOutcome[] = [];
  for (let i = 0; i < 100; i++) {
    const next = nextStep(s, outcomes);
    if (next.kind === 'done') return { rates: outcomes.map((o) => o.value), end: next, outcomes };
    const verdict = verdictAt(next.value) ?? (next.value <= capacity ? 'held' : 'failed');
    outcomes.push({ value: next.value, verdict, reason: verdict === 'held' ? 'every SLO held' : `${verdict} at ${next.value}` });
  }
  throw new Error('the rule did not stop in 100 steps');
}

describe('nextStep', () => {
  it('ramps ×factor from --from, then bisects at the geometric midpoint until within --resolution', () => {
    const { rates, end, outcomes } = drive(BASE, 2000);
    expect(rates).toEqual([1000, 1500, 2250, 1837, 2033, 1933, 1982]);
    expect(end).toEqual({ kind: 'done', found: true, knee: 6, reason: 'knee between 1,982 req/s (held) and 2,033 req/s (failed: failed at 2033)' });
    expect(outcomes[end.knee!]!.value).toBe(1982);
  });

  it('a finer --resolution takes more bisection steps and ends closer', () => {
    const { rates, end } = drive({ ...BASE, resolution: 0.01 }, 2000);
    expect(rates).toEqual([1000, 1500, 2250, 1837, 2033, 1933, 1982, 2007, 1994]);
    expect(end.found).toBe(true);
    expect(rates[end.knee!]).toBe(1994);
  });

  it('tells ramp and bisect steps apart', () => {
    expect(nextStep(BASE, [])).toEqual({ kind: 'step', value: 1000, phase: 'ramp' });
    expect(nextStep(BASE, [{ value: 1000, verdict: 'held', reason: '' }])).toEqual({ kind: 'step', value: 1500, phase: 'ramp' });
    expect(nextStep(BASE, [{ value: 1000, verdict: 'held', reason: '' }, { value: 1500, verdict: 'failed', reason: 'x' }])).toEqual({ kind: 'step', value: 1225, phase: 'bisect' });
  });

  it('stops at --to without a knee when every step held', () => {
    const { rates, end } = drive({ ...BASE, factor: 2, to: 5000 }, 1e9);
    expect(rates).toEqual([1000, 2000, 4000, 5000]);
    expect(end).toEqual({ kind: 'done', found: false, knee: 3, reason: 'held up to --to 5,000 req/s: the knee is higher' });
  });

  it('stops at --max-steps: still ramping, or bracketed wider than --resolution, never calling it a knee', () => {
    const ramping = drive({ ...BASE, maxSteps: 3 }, 1e9);
    expect(ramping.rates).toEqual([1000, 1500, 2250]);
    expect(ramping.end).toEqual({ kind: 'done', found: false, knee: 2, reason: '--max-steps 3 reached while still holding at 2,250 req/s' });
    const bisecting = drive({ ...BASE, maxSteps: 4 }, 2000);
    expect(bisecting.rates).toEqual([1000, 1500, 2250, 1837]);
    expect(bisecting.end).toEqual({
      kind: 'done',
      found: false,
      knee: 3,
      reason: '--max-steps 4 reached with the knee between 1,837 req/s (held) and 2,250 req/s (failed: failed at 2250), wider than --resolution',
    });
  });

  it('a first step that fails finds no knee and says to start lower', () => {
    const { rates, end } = drive(BASE, 500);
    expect(rates).toEqual([1000]);
    expect(end).toEqual({ kind: 'done', found: false, knee: null, reason: 'the first step (1,000 req/s) already failed: failed at 1000; start lower (--from)' });
  });

  it('a generator-bound step ends the transport with no knee, the highest held step kept as a lower bound', () => {
    // Generator-bound from 2000 req/s up: the 2250 step never says anything about the target.
    const { rates, end } = drive(BASE, 1e9, (rate) => (rate >= 2000 ? 'generator-bound' : null));
    expect(rates).toEqual([1000, 1500, 2250]);
    expect(end).toEqual({ kind: 'done', found: false, knee: 1, reason: 'generator-bound at 2,250 req/s: generator-bound at 2250' });
    // Also during bisection: a knee is never reported from a bracket the generator broke.
    const mid = drive(BASE, 2000, (rate) => (rate === 1837 ? 'generator-bound' : null));
    expect(mid.rates).toEqual([1000, 1500, 2250, 1837]);
    expect(mid.end).toMatchObject({ found: false, knee: 1 });
  });

  it('a step that could not run, or Ctrl-C, ends the transport with no knee', () => {
    expect(drive(BASE, 2000, (rate) => (rate === 1500 ? 'error' : null)).end).toEqual({ kind: 'done', found: false, knee: 0, reason: 'the step at 1,500 req/s could not run: error at 1500' });
    expect(drive(BASE, 2000, (rate) => (rate === 1000 ? 'interrupted' : null)).end).toEqual({ kind: 'done', found: false, knee: null, reason: 'interrupted at 1,000 req/s' });
  });

  it('ends when whole req/s cannot split the bracket further', () => {
    const s = { ...BASE, from: 10, factor: 1.5, resolution: 0.001 };
    const { rates, end } = drive(s, 15);
    // 10, 15, 23 (fails), then 19, 17, 16: 16 fails next to 15, and no whole rate lies between.
    expect(rates).toEqual([10, 15, 23, 19, 17, 16]);
    expect(end).toMatchObject({ found: true, knee: 1 });
  });
});

describe('nextStep over whole-number dimensions', () => {
  const LIST: SweepSchedule = { dimension: 'connections', from: 1, factor: null, to: 64, list: [1, 4, 16, 64], resolution: 0.05, maxSteps: 20 };

  it('walks a --connections-list, then bisects between whole values', () => {
    // 16 fails; √(4·16) = 8 holds; √(8·16) = 11.3 → 11 fails; √(8·11) = 9.4 → 9 holds; √(9·11) = 9.95 → 10 holds;
    // 11/10 is wider than 5 % but √(10·11) = 10.5 rounds to 10: no whole value between, so 10 is the knee.
    const { rates, end } = drive(LIST, 10);
    expect(rates).toEqual([1, 4, 16, 8, 11, 9, 10]);
    expect(end).toEqual({ kind: 'done', found: true, knee: 6, reason: 'knee between 10 connections (held) and 11 connections (failed: failed at 11)' });
  });

  it('tells the phases apart and takes the next listed value above the highest that held', () => {
    expect(nextStep(LIST, [])).toEqual({ kind: 'step', value: 1, phase: 'ramp' });
    expect(nextStep(LIST, [{ value: 1, verdict: 'held', reason: '' }])).toEqual({ kind: 'step', value: 4, phase: 'ramp' });
    expect(nextStep(LIST, [{ value: 1, verdict: 'held', reason: '' }, { value: 4, verdict: 'failed', reason: 'x' }])).toEqual({ kind: 'step', value: 2, phase: 'bisect' });
  });

  it('held at every listed step: no knee, the end of the list named', () => {
    const { rates, end } = drive(LIST, 1e9);
    expect(rates).toEqual([1, 4, 16, 64]);
    expect(end).toEqual({ kind: 'done', found: false, knee: 3, reason: 'held up to 64 connections, the end of --connections-list: the knee is higher' });
  });

  it('a first listed step that fails says which flag to start lower', () => {
    const { end } = drive({ ...LIST, dimension: 'pipeline', list: [8, 16], from: 8, to: 16 }, 4);
    expect(end).toEqual({ kind: 'done', found: false, knee: null, reason: 'the first step (pipeline 8) already failed: failed at 8; start lower (--pipeline-list)' });
  });

  it('a --sizes range START..LIMIT ramps ×--factor and bisects to the byte', () => {
    // A path that carries 1,472 B unfragmented: 2,048 fails; √(1024·2048) = 1,448 holds; 1,722 and
    // 1,579 fail; √(1448·1579) = 1,512.1 → 1,512 fails; 1,512/1,448 ≤ 1.05: the knee is 1,448 B.
    const s: SweepSchedule = { dimension: 'size', from: 64, factor: 2, to: 8192, list: null, resolution: 0.05, maxSteps: 20 };
    const { rates, end } = drive(s, 1472);
    expect(rates).toEqual([64, 128, 256, 512, 1024, 2048, 1448, 1722, 1579, 1512]);
    expect(end).toEqual({ kind: 'done', found: true, knee: 6, reason: 'knee between 1,448 B (held) and 1,512 B (failed: failed at 1512)' });
  });

  it('pipeline 1 held and 2 failed: no whole value between, 1 is the knee', () => {
    const { rates, end } = drive({ ...LIST, dimension: 'pipeline', list: [1, 2, 4], to: 4 }, 1);
    expect(rates).toEqual([1, 2]);
    expect(end).toEqual({ kind: 'done', found: true, knee: 0, reason: 'knee between pipeline 1 (held) and pipeline 2 (failed: failed at 2)' });
  });

  it('a range held to its LIMIT names the flag', () => {
    const { rates, end } = drive({ dimension: 'connections', from: 2, factor: 3, to: 50, list: null, resolution: 0.05, maxSteps: 20 }, 1e9);
    expect(rates).toEqual([2, 6, 18, 50]);
    expect(end.reason).toBe('held up to 50 connections, the end of --connections-list: the knee is higher');
  });
});
