/**
 * Service-level objectives as `--slo` takes them: `METRIC OP THRESHOLD`, e.g. `p99<5ms`,
 * `p99.9<=20ms`, `loss<1%`, `errors==0`, `rate>=95%`, `throughput>=500Mbit/s`. Parsing is pure
 * (no plan, no run): `run`, `compare` and `sweep` parse once and judge each run with
 * {@link ./evaluate.ts}. A threshold carries its unit wherever a unit makes sense, so `p99<5` (5 what?)
 * is refused rather than guessed.
 *
 * | metric          | measures                                                   | units                                 |
 * |-----------------|------------------------------------------------------------|---------------------------------------|
 * | `pN` (0<N≤100)  | latency percentile N (open loop: corrected), histogram     | `us`, `µs`, `ms`, `s`                 |
 * | `loss`          | timeouts ÷ sent                                            | `%`                                   |
 * | `errors`        | requests answered with ERROR or lost with their connection | none (a whole count)                  |
 * | `rate`          | completed req/s ÷ intended req/s (open loop only)          | `%`                                   |
 * | `throughput`    | payload bit/s of the measured requests (the table's row)   | `bit/s`, `kbit/s`, `Mbit/s`, `Gbit/s`, `Tbit/s` (SI: 10^3 steps) |
 */
import { UsageError } from '../errors.js';

/** The comparison operators, longest first where one is a prefix of another. */
export const SLO_OPERATORS = ['<=', '>=', '==', '<', '>'] as const;
/** One of {@link SLO_OPERATORS}. */
export type SloOperator = (typeof SLO_OPERATORS)[number];

/** What an SLO measures (see the table above). */
export type SloMetric = 'percentile' | 'loss' | 'errors' | 'rate' | 'throughput' | 'jitter';

/** One parsed `--slo` expression. */
export interface Slo {
  /** The expression as given, trimmed (what the table and `slo[].expr` show). */
  expr: string;
  metric: SloMetric;
  /** The latency percentile, in (0, 100]; null for other metrics. */
  percentile: number | null;
  op: SloOperator;
  /** The threshold in the expression's unit (`5` for `p99<5ms`). */
  threshold: number;
  /** The expression's unit as written (`ms`, `%`, `Mbit/s`); `''` for `errors`. */
  unit: string;
  /**
   * Base units per expression unit: latencies are measured in µs (`ms` → 1000), throughput in bit/s
   * (`Mbit/s` → 10^6), loss and rate in percent, errors in requests (all 1).
   */
  scale: number;
}

const LATENCY_UNITS: Readonly<Record<string, number>> = { us: 1, 'µs': 1, 'μs': 1, ms: 1000, s: 1_000_000 };
const BIT_RATE_UNITS: Readonly<Record<string, number>> = { 'bit/s': 1, 'kbit/s': 1e3, 'Mbit/s': 1e6, 'Gbit/s': 1e9, 'Tbit/s': 1e12 };
const METRICS_TEXT = 'p<percentile> (p50, p99.9), loss, errors, rate, throughput or jitter (stream)';
const OPERATORS_TEXT = '<, <=, >, >= or ==';
const EXAMPLES = 'p99<5ms, loss<1%, errors==0, rate>=95%, throughput>=500Mbit/s';

/** A number as a threshold or percentile is written: `5`, `0.5`, `.5`, `99.999` (no sign, no exponent). */
const NUMBER = /^(?:\d+(?:\.\d+)?|\.\d+)/;

/**
 * Parses one `--slo` expression. Spaces around the operator and before the unit are allowed
 * (`"p99 < 5 ms"`); names and units are case-sensitive (`Mbit/s`, not `mbit/s`, which would read milli).
 * @throws UsageError `--slo "EXPR": …` naming what was expected, e.g.
 *   `--slo "p99<5": p99 needs a latency unit: us, µs, ms or s (e.g. p99<5ms), got 5`
 */
export function parseSlo(text: string): Slo {
  const expr = text.trim();
  const bad = (why: string): UsageError => new UsageError(`--slo ${JSON.stringify(text)}: ${why}`);
  if (expr === '') throw bad(`expected METRIC OP THRESHOLD, e.g. ${EXAMPLES}`);
  const name = /^[A-Za-z][A-Za-z0-9._]*/.exec(expr)?.[0];
  if (name === undefined) throw bad(`expected a metric first: ${METRICS_TEXT}`);
  let metric: SloMetric;
  let percentile: number | null = null;
  if (name === 'loss' || name === 'errors' || name === 'rate' || name === 'throughput' || name === 'jitter') metric = name;
  else if (/^p[0-9.]*$/.test(name)) {
    const digits = name.slice(1);
    const p = NUMBER.exec(digits)?.[0] === digits ? Number(digits) : Number.NaN;
    if (!(p > 0 && p <= 100)) throw bad(`${name}: the percentile must be a number in (0,100], e.g. p99 or p99.9`);
    metric = 'percentile';
    percentile = p;
  } else throw bad(`unknown metric ${name}; expected ${METRICS_TEXT}`);

  const rest = expr.slice(name.length).trimStart();
  const opText = /^[<>=!]+/.exec(rest)?.[0];
  if (opText === undefined) throw bad(`expected an operator after ${name}: ${OPERATORS_TEXT}`);
  if (!(SLO_OPERATORS as readonly string[]).includes(opText)) throw bad(`unknown operator ${opText}; expected ${OPERATORS_TEXT}`);
  const op = opText as SloOperator;

  const value = rest.slice(opText.length).trim();
  if (value === '') throw bad(`expected a threshold after ${op}, e.g. ${name}${op}${example(metric)}`);
  const digits = NUMBER.exec(value)?.[0];
  if (digits === undefined) throw bad(`the threshold must be a number and its unit, got ${value}`);
  const threshold = Number(digits);
  const unit = value.slice(digits.length).trim();

  switch (metric) {
    case 'jitter': {
      const scale = LATENCY_UNITS[unit];
      if (scale === undefined) throw bad(`jitter needs a time unit: us, µs, ms or s (e.g. jitter<1ms), got ${value}`);
      return { expr, metric, percentile, op, threshold, unit, scale };
    }
    case 'percentile': {
      const scale = LATENCY_UNITS[unit];
      if (scale === undefined) throw bad(`${name} needs a latency unit: us, µs, ms or s (e.g. ${name}<5ms), got ${value}`);
      return { expr, metric, percentile, op, threshold, unit, scale };
    }
    case 'loss':
    case 'rate':
      if (unit !== '%') throw bad(`${name} needs a percentage (e.g. ${name}${metric === 'loss' ? '<1%' : '>=95%'}), got ${value}`);
      if (threshold > 100) throw bad(`${name} must be a percentage in 0..100, got ${value}`);
      return { expr, metric, percentile, op, threshold, unit, scale: 1 };
    case 'errors':
      if (unit !== '') throw bad(`errors is a count and takes no unit (e.g. errors==0), got ${value}`);
      if (!Number.isInteger(threshold)) throw bad(`errors is a count and needs a whole number (e.g. errors==0), got ${value}`);
      return { expr, metric, percentile, op, threshold, unit, scale: 1 };
    case 'throughput': {
      const scale = BIT_RATE_UNITS[unit];
      if (scale === undefined) throw bad(`throughput needs a bit rate: bit/s, kbit/s, Mbit/s, Gbit/s or Tbit/s (e.g. throughput>=500Mbit/s), got ${value}`);
      return { expr, metric, percentile, op, threshold, unit, scale };
    }
  }
}

function example(metric: SloMetric): string {
  return metric === 'percentile' || metric === 'jitter' ? (metric === 'jitter' ? '1ms' : '5ms') : metric === 'loss' ? '1%' : metric === 'rate' ? '95%' : metric === 'errors' ? '0' : '500Mbit/s';
}

/**
 * Parses `--slo` as the CLI collects it: absent, one string, or an array (the flag repeated).
 * @throws UsageError for the first bad expression (see {@link parseSlo}), or a value that is not text
 */
export function parseSlos(given: unknown): Slo[] {
  if (given === undefined) return [];
  const list = Array.isArray(given) ? given : [given];
  return list.map((g) => {
    if (typeof g !== 'string') throw new UsageError(`--slo must be an expression such as ${EXAMPLES}, got ${String(g)}`);
    return parseSlo(g);
  });
}
