/** `sweep`: each transport stepped to its knee, its step lines, JSON and HTML. */
import { formatDuration } from '@sockbench/options';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, resolve as resolvePath } from 'node:path';
import { LoadgenError, UsageError } from '../errors.js';
import { OUTPUT_OPTIONS, PLAN_OPTIONS, SWEEP_OPTIONS, TRANSPORTS, resolveRunOptions, type RunOptions, type Transport } from '../options.js';
import { Progress } from '../progress.js';
import { formatInt, formatPercent, formatUs } from '../report/format.js';
import { makeReport } from '../report/output.js';
import { checkSlosApply } from '../slo/evaluate.js';
import { parseMinScaling, parseResolution, sweepSlos } from '../sweep/args.js';
import { LIST_BOUNDS, chooseDimension, sizeBounds } from '../sweep/dimension.js';
import { renderSweepHtml, renderSweepTable } from '../sweep/render.js';
import { DIMENSION_FLAGS, formatStepValue, type SweepDimension, type SweepSchedule } from '../sweep/schedule.js';
import { runSweep, type SweepStep } from '../sweep/sweep.js';
import { NAME, interrupt, say } from './context.js';
import { runOne } from './run-one.js';

/** Plan flags `sweep` does not take: it sets the transport and the time of each step itself. */
export const NOT_IN_SWEEP = ['transport', 'duration', 'requests'];

/** The plan key each dimension sets on every step. */
const PLAN_KEY: Readonly<Record<SweepDimension, 'rate' | 'connections' | 'pipeline' | 'size'>> = { rate: 'rate', connections: 'connections', pipeline: 'pipeline', size: 'size' };

/**
 * Refuses the plan flags the dimension sets itself, and the loop it does not run.
 * @throws UsageError naming both flags
 */
function refuseTaken(dimension: SweepDimension, plan: Record<string, unknown>): void {
  const flag = DIMENSION_FLAGS[dimension];
  if (dimension === 'rate') {
    if (plan.rate !== undefined) throw new UsageError('a rate sweep sets --rate itself (--from, --factor, --to); --rate fixes the rate of a --sizes sweep');
    if (plan.pipeline !== undefined) throw new UsageError('--pipeline is closed loop and a rate sweep open loop: --pipeline goes with --connections-list or --sizes');
    return;
  }
  const key = PLAN_KEY[dimension];
  if (plan[key] !== undefined) throw new UsageError(`${flag} sets --${key} of each step: give one of them, not both`);
  if (dimension !== 'size' && plan.rate !== undefined) throw new UsageError(`${flag} sweeps the closed loop: --rate (open loop) does not go with it`);
}

async function writeFileMade(path: string, text: string): Promise<void> {
  await mkdir(dirname(resolvePath(path)), { recursive: true });
  await writeFile(path, text);
}

/** One stderr line after a step: its verdict and figures. */
function stepLine(s: SweepStep): string {
  const r = s.run?.results;
  const figures = r ? `achieved ${formatInt(r.requestsPerSec)} req/s, p50 ${formatUs(r.latencyUs.p50)}, p99 ${formatUs(r.latencyUs.p99)}, loss ${formatPercent(r.lossPercent)}` : 'no run';
  return `${NAME}: sweep ${s.transport} step ${s.step} ${s.verdict}: ${figures}${s.verdict === 'held' ? '' : ` (${s.reason})`}`;
}

/**
 * `sweep`: each transport stepped to its knee (sweep/schedule.ts) in one dimension (the open-loop
 * rate, or the connections, pipeline or size: sweep/dimension.ts), every step a run judged by the
 * SLOs (defaults loss<1%, and rate>=95% in open loop), the self-check and, for connections and
 * pipeline, --min-scaling. Exit: 130 on Ctrl-C (what was
 * measured is written), else the exit status of a step that could not run (3 unreachable, 1 a
 * generator thread failed), else 0: an SLO failing is how a sweep finds its knee, not an error.
 */
export async function sweepCommand(argv: Record<string, unknown>): Promise<number> {
  const S = SWEEP_OPTIONS;
  SWEEP_OPTIONS.refuseRepeats(SWEEP_OPTIONS.fromArgv(argv));
  const transports = parseSweepTransports(S.take('transports', argv.transports));
  const plan = PLAN_OPTIONS.fromArgv(argv) as Record<string, unknown>;
  for (const k of NOT_IN_SWEEP) delete plan[k];
  const factor = S.take('factor', argv.factor);
  const op = PLAN_OPTIONS.take('op', plan.op);
  const dims = { from: argv.from, to: argv.to, connectionsList: argv['connections-list'], pipelineList: argv['pipeline-list'], sizes: argv.sizes };
  const chosen = chooseDimension(dims, factor, argv.factor !== undefined, (d) => (d === 'size' ? sizeBounds(transports, op) : LIST_BOUNDS[d]));
  const dimension = chosen?.dimension ?? 'rate';
  refuseTaken(dimension, plan);
  const limits = { resolution: parseResolution(S.take('resolution', argv.resolution)), maxSteps: S.take('maxSteps', argv['max-steps']) };
  const schedule: SweepSchedule = chosen ? { ...chosen, ...limits } : { dimension, from: S.take('from', argv.from), factor, to: S.take('to', argv.to) ?? null, list: null, ...limits };
  if (schedule.dimension === 'rate' && schedule.to !== null && schedule.to < schedule.from) throw new UsageError(`--to (${schedule.to} req/s) is below --from (${schedule.from} req/s)`);
  const concurrency = dimension === 'connections' || dimension === 'pipeline';
  if (!concurrency && argv['min-scaling'] !== undefined) throw new UsageError('--min-scaling judges closed-loop --connections-list and --pipeline-list sweeps, not this one');
  const minScaling = concurrency ? parseMinScaling(S.take('minScaling', argv['min-scaling'])) : null;
  const stepMs = S.take('stepDuration', argv['step-duration']);
  const out = OUTPUT_OPTIONS.fill(OUTPUT_OPTIONS.fromArgv(argv));
  const slo = sweepSlos(argv.slo, dimension === 'rate' || plan.rate !== undefined);
  const optsFor = (transport: Transport, value: number): RunOptions => {
    const opts = resolveRunOptions({ ...plan, transport, [PLAN_KEY[dimension]]: value, duration: `${stepMs}ms`, quiet: out.quiet });
    checkSlosApply(slo, opts.plan);
    return { ...opts, slo };
  };
  // Every transport's plan is checked before the first step runs (a size UDP cannot carry fails now).
  for (const t of transports) optsFor(t, schedule.from);
  const fixedRate = dimension === 'size' ? optsFor(transports[0]!, schedule.from).plan.rate : null;
  const progress = new Progress(process.stderr, out.quiet);
  let errorExit = 0;
  let lastError: LoadgenError | null = null;
  const result = await runSweep({
    transports,
    schedule,
    slo: slo.map((x) => x.expr),
    minScaling,
    fixedRate,
    stopped: () => interrupt.requested,
    runStep: async (transport, value, step, phase) => {
      say(`${NAME}: sweep ${transport} step ${step} of at most ${schedule.maxSteps} (${phase}): ${formatStepValue(dimension, value)} for ${formatDuration(stepMs)} …`);
      lastError = null;
      progress.label(`step ${step} (${phase}, ${formatStepValue(dimension, value)})`);
      try {
        return await runOne(optsFor(transport, value), progress, step - 1);
      } catch (err) {
        if (err instanceof LoadgenError) lastError = err;
        throw err;
      }
    },
    onStep: (s) => {
      // Only a step that could not run sets the exit status (not a size that did not get through).
      if (s.verdict === 'error' && lastError !== null) errorExit = Math.max(errorExit, lastError.exitCode);
      say(stepLine(s));
    },
  });
  say(renderSweepTable(result));
  const runs = result.steps.flatMap((s) => (s.run === null ? [] : [s.run]));
  const report = { ...makeReport(runs), sweep: result };
  if (out.json !== undefined) {
    const text = `${JSON.stringify(report, null, 2)}\n`;
    if (out.json === '-') process.stdout.write(text);
    else {
      await writeFileMade(out.json, text);
      say(`${NAME}: wrote JSON report ${out.json}`);
    }
  }
  if (out.html !== undefined) {
    await writeFileMade(out.html, renderSweepHtml(result, report.createdAt));
    say(`${NAME}: wrote HTML report ${out.html}`);
  }
  if (result.interrupted) return 130;
  return errorExit;
}

/** `--transports` of a sweep: one or more, each once. @throws UsageError naming a bad entry */
function parseSweepTransports(text: string): Transport[] {
  const list = text.split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (list.length === 0) throw new UsageError(`--transports needs at least one of ${TRANSPORTS.join(', ')}, got ${JSON.stringify(text)}`);
  for (const t of list) if (!(TRANSPORTS as readonly string[]).includes(t)) throw new UsageError(`--transports: ${t} is not one of ${TRANSPORTS.join(', ')}`);
  if (new Set(list).size !== list.length) throw new UsageError(`--transports lists a transport twice: ${list.join(',')}`);
  return list as Transport[];
}
