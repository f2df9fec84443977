/** One local run of a plan, and the progress/stream/Ctrl-C hooks every run (local or distributed) uses. */
import type { RunOptions } from '../options.js';
import type { Progress } from '../progress.js';
import type { IntervalReport, RunReport } from '../report/schema.js';
import { runPlan } from '../runner.js';
import { evaluateSlos } from '../slo/evaluate.js';
import { interrupt, session } from './context.js';

/** The hooks of run `index`: each interval to the progress line and the stream; Ctrl-C ends it. */
export function runHooks(plan: RunOptions['plan'], progress: Progress, index: number): { onInterval: (iv: IntervalReport) => void; onStart: (endNow: () => void) => void } {
  return {
    onInterval: (iv: IntervalReport) => {
      progress.interval(plan, iv);
      session.stream?.interval(index, plan, iv);
    },
    onStart: (endNow: () => void) => {
      interrupt.endCurrent = endNow;
      if (interrupt.requested) endNow();
    },
  };
}

/** Runs one plan (run `index` of the command), streams its events, and judges it by the SLOs. */
export async function runOne(opts: RunOptions, progress: Progress, index: number): Promise<RunReport> {
  const { plan } = opts;
  session.stream?.start(index, plan);
  const hooks = runHooks(plan, progress, index);
  let run: RunReport;
  try {
    run = await runPlan({ plan, token: opts.token, stats: opts.stats }, hooks);
  } finally {
    interrupt.endCurrent = null;
    progress.end();
  }
  run.slo = evaluateSlos(opts.slo, run);
  session.stream?.end(index, run);
  return run;
}
