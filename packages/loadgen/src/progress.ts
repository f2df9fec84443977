/**
 * Live progress on stderr: on a TTY one status line rewritten in place (elapsed/total, req/s, p50,
 * p99, errors, and timeouts and unexpected replies when there are any); otherwise one plain line per
 * interval; nothing with `--quiet`.
 */
import { formatDuration } from '@sockbench/options';
import type { LoadPlan } from './options.js';
import { formatInt, formatUs } from './report/format.js';
import type { IntervalReport } from './report/schema.js';

/** Where progress goes (stderr in the CLI). */
export interface ProgressStream {
  write(text: string): unknown;
  isTTY?: boolean;
}

/** One line for one interval. */
export function progressLine(plan: LoadPlan, iv: IntervalReport): string {
  const total = plan.durationMs !== null ? formatDuration(plan.durationMs) : `${formatInt(plan.requests ?? 0)} req`;
  const c = iv.counters;
  const elapsed = `${(iv.endMs / 1000).toFixed(0)}s/${total}`;
  const loss = c.timeouts > 0 ? `  timeouts ${formatInt(c.timeouts)}` : '';
  const unexpected = c.unexpected > 0 ? `  unexpected ${formatInt(c.unexpected)}` : '';
  return `${plan.transport.padEnd(7)} ${elapsed.padStart(9)}  ${formatInt(iv.requestsPerSec).padStart(9)} req/s  p50 ${formatUs(iv.latencyUs.p50).padStart(8)}  p99 ${formatUs(iv.latencyUs.p99).padStart(8)}  errors ${formatInt(c.errors)}${loss}${unexpected}`;
}

/** Progress printer for one run. */
export class Progress {
  readonly #out: ProgressStream;
  readonly #quiet: boolean;
  #live = false;
  #label = '';

  constructor(out: ProgressStream, quiet: boolean) {
    this.#out = out;
    this.#quiet = quiet;
  }

  /**
   * Text before each line until changed (`''`: none), e.g. `sweep step 3 (ramp, 8,000 req/s)`, so a
   * live line also says which run of several it is.
   */
  label(text: string): void {
    this.#label = text;
  }

  /** Shows one interval. */
  interval(plan: LoadPlan, iv: IntervalReport): void {
    if (this.#quiet) return;
    const line = `${this.#label === '' ? '' : `${this.#label}  `}${progressLine(plan, iv)}`;
    if (this.#out.isTTY) {
      this.#out.write(`\r\x1b[2K${line}`);
      this.#live = true;
    } else this.#out.write(`${line}\n`);
  }

  /** Ends the live line (before other output). */
  end(): void {
    if (this.#live) this.#out.write('\n');
    this.#live = false;
  }
}
