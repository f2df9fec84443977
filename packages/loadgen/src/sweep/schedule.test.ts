import { describe, expect, it } from 'vitest';
import { nextStep, type NextStep, type StepOutcome, type StepVerdict, type SweepSchedule } from './schedule.js';

const BASE: SweepSchedule = { from: 1000, factor: 1.5, to: null, resolution: 0.05, maxSteps: 20 };

/** Runs the rule against a target that holds up to `capacity` req/s (and `verdictAt` overriding steps), returning every rate tried and the end. */
function drive(s: SweepSchedule, capacity: number, verdictAt: (rate: number) => StepVerdict | null = () => null): { rates: number[]; end: Extract<NextStep, { kind: 'done' }>; outcomes: StepOutcome[] } {
  const outcomes: StepOutcome[] = [];
  for (let i = 0; i < 100; i++) {
    const next = nextStep(s, outcomes);
    if (next.kind === 'done') return { rates: outcomes.map((o) => o.rate), end: next, outcomes };
    const verdict = verdictAt(next.rate) ?? (next.rate <= capacity ? 'held' : 'failed');
    outcomes.push({ rate: next.rate, verdict, reason: verdict === 'held' ? 'every SLO held' : `${verdict} at ${next.rate}` });
  }
  throw new Error('the rule did not stop in 100 steps');
}

describe('nextStep', () => {
  it('ramps ×factor from --from, then bisects at the geometric midpoint until within --resolution', () => {
    const { rates, end, outcomes } = drive(BASE, 2000);
    expect(rates).toEqual([1000, 1500, 2250, 1837, 2033, 1933, 1982]);
    expect(end).toEqual({ kind: 'done', found: true, knee: 6, reason: 'knee between 1,982 req/s (held) and 2,033 req/s (failed: failed at 2033)' });
    expect(outcomes[end.knee!]!.rate).toBe(1982);
  });

  it('a finer --resolution takes more bisection steps and ends closer', () => {
    const { rates, end } = drive({ ...BASE, resolution: 0.01 }, 2000);
    expect(rates).toEqual([1000, 1500, 2250, 1837, 2033, 1933, 1982, 2007, 1994]);
    expect(end.found).toBe(true);
    expect(rates[end.knee!]).toBe(1994);
  });

  it('tells ramp and bisect steps apart', () => {
    expect(nextStep(BASE, [])).toEqual({ kind: 'step', rate: 1000, phase: 'ramp' });
    expect(nextStep(BASE, [{ rate: 1000, verdict: 'held', reason: '' }])).toEqual({ kind: 'step', rate: 1500, phase: 'ramp' });
    expect(nextStep(BASE, [{ rate: 1000, verdict: 'held', reason: '' }, { rate: 1500, verdict: 'failed', reason: 'x' }])).toEqual({ kind: 'step', rate: 1225, phase: 'bisect' });
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
