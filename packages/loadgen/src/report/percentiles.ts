/**
 * `--percentiles`: which latency percentiles the table shows (the JSON keeps its fixed summary and
 * the histogram, so any percentile can be read back later).
 */
import { UsageError } from '../errors.js';

/** The table's latency rows when `--percentiles` is not given (what it always showed). */
export const DEFAULT_PERCENTILES = '50,75,90,99,99.9,99.99';

/**
 * Parses `50,90,99,99.9,99.999`: numbers in (0, 100], increasing, each once.
 * @throws UsageError naming the bad entry, e.g. `--percentiles: 0 is not a number in (0,100]`
 */
export function parsePercentiles(text: string): number[] {
  const entries = text.split(',').map((s) => s.trim());
  if (entries.every((e) => e === '')) throw new UsageError(`--percentiles needs at least one percentile, e.g. 50,90,99,99.9, got ${JSON.stringify(text)}`);
  const out: number[] = [];
  for (const e of entries) {
    const p = /^(?:\d+(?:\.\d+)?|\.\d+)$/.test(e) ? Number(e) : Number.NaN;
    if (!(p > 0 && p <= 100)) throw new UsageError(`--percentiles: ${JSON.stringify(e)} is not a number in (0,100] (e.g. 50,90,99,99.9)`);
    const last = out.at(-1);
    if (last !== undefined && p === last) throw new UsageError(`--percentiles lists ${e} twice`);
    if (last !== undefined && p < last) throw new UsageError(`--percentiles must be in increasing order, got ${e} after ${String(last)}`);
    out.push(p);
  }
  return out;
}

/** A percentile's row label: `p50`, `p99.9`, `p99.999`. */
export function percentileLabel(p: number): string {
  return `p${String(p)}`;
}
