/** Reading `sweep`'s own flag values: `--resolution` and the SLO list every step is judged by. */
import { UsageError } from '../errors.js';
import { DEFAULT_SWEEP_SLOS } from '../options.js';
import { parseSlos, type Slo } from '../slo/parse.js';

/**
 * `--resolution 5%` as a fraction (0.05). A percentage in (0, 100) with the `%` written.
 * @throws UsageError `--resolution must be a percentage in (0, 100) such as 5%, got "5"`
 */
export function parseResolution(text: unknown): number {
  const m = typeof text === 'string' ? /^\s*(\d+(?:\.\d+)?|\.\d+)\s*%\s*$/.exec(text) : null;
  const pct = m ? Number(m[1]) : NaN;
  if (!(pct > 0 && pct < 100)) throw new UsageError(`--resolution must be a percentage in (0, 100) such as 5%, got ${JSON.stringify(text)}`);
  return pct / 100;
}

/**
 * `--min-scaling 50%` as a fraction (0.5): a percentage in [0, 100] with the `%` written (0 % turns
 * the rule off).
 * @throws UsageError `--min-scaling must be a percentage in [0, 100] such as 50%, got "50"`
 */
export function parseMinScaling(text: unknown): number {
  const m = typeof text === 'string' ? /^\s*(\d+(?:\.\d+)?|\.\d+)\s*%\s*$/.exec(text) : null;
  const pct = m ? Number(m[1]) : NaN;
  if (!(pct >= 0 && pct <= 100)) throw new UsageError(`--min-scaling must be a percentage in [0, 100] such as 50%, got ${JSON.stringify(text)}`);
  return pct / 100;
}

/**
 * The SLOs of every step: the user's `--slo` expressions, plus each default (`loss<1%`, and in
 * open loop `rate>=95%`) whose metric the user did not give (`--slo loss<0.1%` replaces `loss<1%`;
 * `--slo p99<5ms` adds to both). `openLoop` false: a closed-loop sweep, which has no offered rate.
 * @throws UsageError for a bad expression (see parseSlo)
 */
export function sweepSlos(given: unknown, openLoop = true): Slo[] {
  const user = parseSlos(given);
  const defaults = parseSlos([...DEFAULT_SWEEP_SLOS]).filter((d) => !user.some((u) => u.metric === d.metric) && (openLoop || d.metric !== 'rate'));
  return [...user, ...defaults];
}
