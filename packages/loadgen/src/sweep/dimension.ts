/**
 * Which dimension a sweep steps, read from its flags: the open-loop rate (`--from/--factor/--to`,
 * the default), or `--connections-list`, `--pipeline-list` or `--sizes`, each a list of whole
 * numbers (`1,4,16,64`) or a range `START..LIMIT` stepped ×`--factor`. One dimension per sweep.
 */
import { UsageError } from '../errors.js';
import { maxSize, minSize, type Op, type Transport } from '../options.js';
import { DIMENSION_FLAGS, type SweepDimension, type SweepSchedule } from './schedule.js';

/** The steps as the flags give them: the schedule less `resolution` and `maxSteps`. */
export type DimensionSteps = Pick<SweepSchedule, 'dimension' | 'from' | 'factor' | 'to' | 'list'>;

/** The dimension flags as parsed (strings for the lists, numbers for the rate's), each maybe absent. */
export interface DimensionArgs {
  from?: unknown;
  factor?: unknown;
  to?: unknown;
  connectionsList?: unknown;
  pipelineList?: unknown;
  sizes?: unknown;
}

/** Whole-number bounds of a dimension's values and their unit (for messages). */
export interface StepBounds {
  min: number;
  max: number;
  unit: string;
}

/** Bounds of `--connections-list` and `--pipeline-list` (those of `--connections` and `--pipeline`). */
export const LIST_BOUNDS: Readonly<Record<'connections' | 'pipeline', StepBounds>> = {
  connections: { min: 1, max: 100_000, unit: 'connections' },
  pipeline: { min: 1, max: 65_536, unit: 'requests in flight per connection' },
};

const FORM = 'a list such as 1,4,16,64 or a range START..LIMIT';

/**
 * A dimension's steps from its flag: `1,4,16,64` (increasing) or `START..LIMIT` (START < LIMIT,
 * stepped ×factor by the rule). Values are whole numbers within `bounds`.
 * @throws UsageError naming the flag and the bad entry: `--sizes: "x" is not a whole number (…)`,
 *   `--connections-list: 0 is out of range 1..100000 connections`, `--sizes must increase: 64 after 512`,
 *   `--connections-list needs a list such as 1,4,16,64 or a range START..LIMIT, got ""`
 */
export function parseStepList(flag: string, text: unknown, bounds: StepBounds): { list: number[] } | { from: number; to: number } {
  if (typeof text !== 'string' || text.trim() === '' || /^[\s,.]*$/.test(text)) throw new UsageError(`${flag} needs ${FORM}, got ${JSON.stringify(typeof text === 'string' ? text : String(text))}`);
  const whole = (entry: string): number => {
    const t = entry.trim();
    if (!/^\d+$/.test(t)) throw new UsageError(`${flag}: ${JSON.stringify(t)} is not a whole number (${FORM})`);
    const n = Number(t);
    if (n < bounds.min || n > bounds.max) throw new UsageError(`${flag}: ${n} is out of range ${bounds.min}..${bounds.max} ${bounds.unit}`);
    return n;
  };
  const range = /^\s*([^.]*)\.\.([^.]*)\s*$/.exec(text);
  if (range) {
    const from = whole(range[1]!);
    const to = whole(range[2]!);
    if (to <= from) throw new UsageError(`${flag} ${text.trim()}: the range must go up (START < LIMIT)`);
    return { from, to };
  }
  const list = text.split(',').map(whole);
  for (let i = 1; i < list.length; i++) if (list[i]! <= list[i - 1]!) throw new UsageError(`${flag} must increase: ${list[i]} after ${list[i - 1]}`);
  return { list };
}

/** The flag of each list dimension as given in `DimensionArgs`. */
const LIST_KEYS = [
  ['connections', 'connectionsList'],
  ['pipeline', 'pipelineList'],
  ['size', 'sizes'],
] as const;

/**
 * The sizes every swept transport can carry with `op`: the tightest bounds over the transports.
 * @throws UsageError for `--op ping` (its payload is empty)
 */
export function sizeBounds(transports: readonly Transport[], op: Op): StepBounds {
  if (op === 'ping') throw new UsageError('--sizes does not apply to --op ping (PING has an empty payload): use --op echo or compute');
  const max = Math.min(...transports.map((t) => maxSize(t, op)));
  const min = Math.max(...transports.map((t) => minSize(t, op)));
  const which = transports.find((t) => maxSize(t, op) === max)!;
  return { min, max, unit: `bytes (the most --transport ${which} --op ${op} carries is ${max.toLocaleString('en-US')} bytes)` };
}

/**
 * The sweep's dimension and steps from its flags. The rate is the default; a list flag chooses its
 * dimension, takes `--factor` only with a range, and refuses `--from`/`--to` (the rate's).
 * `factor` is the already validated `--factor` (default 1.5), `factorGiven` whether it was given.
 * @throws UsageError `only one dimension per sweep: --connections-list and --sizes both given`, and
 *   those of {@link parseStepList}
 */
export function chooseDimension(args: DimensionArgs, factor: number, factorGiven: boolean, boundsOf: (d: Exclude<SweepDimension, 'rate'>) => StepBounds): DimensionSteps | null {
  const given = LIST_KEYS.filter(([, key]) => args[key] !== undefined);
  if (given.length > 1) {
    const flags = given.map(([d]) => DIMENSION_FLAGS[d]);
    throw new UsageError(`only one dimension per sweep: ${flags.slice(0, -1).join(', ')} and ${flags.at(-1)!} ${flags.length === 2 ? 'both ' : ''}given`);
  }
  if (given.length === 0) return null;
  const [dimension, key] = given[0]!;
  const flag = DIMENSION_FLAGS[dimension];
  if (args.from !== undefined || args.to !== undefined) throw new UsageError(`--from and --to bound a rate sweep; ${flag} gives its own steps (${FORM}, e.g. ${flag} 1..64)`);
  const steps = parseStepList(flag, args[key], boundsOf(dimension));
  if ('list' in steps) {
    if (factorGiven) throw new UsageError(`--factor steps a rate sweep or a START..LIMIT range; ${flag} ${String(args[key])} lists its steps`);
    return { dimension, from: steps.list[0]!, factor: null, to: steps.list[steps.list.length - 1]!, list: steps.list };
  }
  return { dimension, from: steps.from, factor, to: steps.to, list: null };
}
