/** `run|compare --agents N --redis URL`: plans split over agents through Redis. */
import { Controller } from '../agents/controller.js';
import { clockWarnings, renderAgents } from '../agents/format.js';
import { UsageError } from '../errors.js';
import { DISTRIBUTE_OPTIONS, type RunOptions } from '../options.js';
import { Progress } from '../progress.js';
import { makeReport } from '../report/output.js';
import { JsonStream } from '../report/json-stream.js';
import type { RunReport } from '../report/schema.js';
import { evaluateSlos } from '../slo/evaluate.js';
import { NAME, interrupt, say, session } from './context.js';
import { finish } from './finish.js';
import { runHooks } from './run-one.js';

/** `--agents N --redis URL`, checked; null for a local run. @throws UsageError */
export function distributeArgs(argv: Record<string, unknown>): { redis: string; agents: number; timeoutMs: number } | null {
  const d = DISTRIBUTE_OPTIONS.fill(DISTRIBUTE_OPTIONS.fromArgv(argv));
  if (d.agents === undefined) {
    if (d.redis !== undefined) throw new UsageError('--redis is for --agents N (a plan split over agents); a local run needs no Redis');
    return null;
  }
  if (d.redis === undefined) throw new UsageError(`--agents ${d.agents} needs --redis URL (the Redis the agents wait on)`);
  return { redis: d.redis, agents: d.agents, timeoutMs: d.agentsWait };
}

/** Agents that failed, per run, for the last lines (exit 1). */
const agentFailures: string[] = [];

/**
 * Runs one plan over the agents: the same events and hooks as a local run, then the per-agent
 * table and clock warnings; null when no agent reported.
 */
async function runOneDistributed(controller: Controller, opts: RunOptions, progress: Progress, index: number): Promise<RunReport | null> {
  const { plan } = opts;
  session.stream?.start(index, plan);
  let d;
  try {
    d = await controller.run(opts, runHooks(plan, progress, index));
  } finally {
    interrupt.endCurrent = null;
    progress.end();
  }
  say(renderAgents(d));
  for (const w of clockWarnings(d)) say(`${NAME}: warning: ${w}`);
  for (const f of d.failed) agentFailures.push(`${plan.transport}: ${f.reason}`);
  if (d.run === null) return null;
  d.run.slo = evaluateSlos(opts.slo, d.run);
  session.stream?.end(index, d.run);
  return d.run;
}

/** Runs the plans over the agents (one Redis connection pair for all), then the usual finish. */
export async function distributedCommand(plans: RunOptions[], dist: { redis: string; agents: number; timeoutMs: number }): Promise<number> {
  const first = plans[0]!;
  if (first.jsonStream) session.stream = new JsonStream(process.stdout);
  const progress = new Progress(process.stderr, first.quiet);
  const controller = await Controller.connect(dist);
  const runs: RunReport[] = [];
  try {
    for (const opts of plans) {
      if (interrupt.requested || agentFailures.length > 0) break;
      if (!first.quiet) say(`${NAME}: ${opts.plan.transport} over ${dist.agents} agent${dist.agents === 1 ? '' : 's'} …`);
      const run = await runOneDistributed(controller, opts, progress, runs.length);
      if (run !== null) runs.push(run);
    }
  } finally {
    await controller.close();
  }
  let code = 1;
  if (runs.length > 0) code = await finish(makeReport(runs), first, { percentiles: first.percentiles });
  else say(`${NAME}: no agent returned a report: nothing written`);
  for (const f of agentFailures) say(`${NAME}: agent failed: ${f}`);
  if (agentFailures.length > 0 && code !== 130) code = 1;
  session.stream?.done(code);
  return code;
}
