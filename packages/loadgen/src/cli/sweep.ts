/** `sweep`: each transport stepped to its knee, its step lines, JSON and HTML. */
import { formatDuration } from '@sockbench/options';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, resolve as resolvePath } from 'node:path';
import { LoadgenError, UsageError } from '../errors.js';
import { OUTPUT_OPTIONS, PLAN_OPTIONS, SWEEP_OPTIONS, TRANSPORTS, resolveRunOptions, type RunOptions, type Transport } from '../options.js';
import { Progress } from '../progress.js';
import { formatInt, formatPercent, formatUs } from '../report/format.js';
import { makeReport } from '../report/output.js';
import { parseResolution, sweepSlos } from '../sweep/args.js';
import { renderSweepHtml, renderSweepTable } from '../sweep/render.js';
import { runSweep, type SweepStep } from '../sweep/sweep.js';
import { NAME, interrupt, say } from './context.js';
import { runOne } from './run-one.js';

/** Plan flags `sweep` does not take: it sets the transport, the rate and the time of each step itself. */
export const NOT_IN_SWEEP = ['transport', 'rate', 'pipeline', 'duration', 'requests'];

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
 * `sweep`: each transport stepped to its knee (sweep/schedule.ts), every step an open-loop run
 * judged by the SLOs (defaults loss<1%, rate>=95%) and the self-check. Exit: 130 on Ctrl-C (what was
 * measured is written), else the exit status of a step that could not run (3 unreachable, 1 a
 * generator thread failed), else 0: an SLO failing is how a sweep finds its knee, not an error.
 */
export async function sweepCommand(argv: Record<string, unknown>): Promise<number> {
  const S = SWEEP_OPTIONS;
  SWEEP_OPTIONS.refuseRepeats(SWEEP_OPTIONS.fromArgv(argv));
  const transports = parseSweepTransports(S.take('transports', argv.transports));
  const schedule = {
    from: S.take('from', argv.from),
    factor: S.take('factor', argv.factor),
    to: S.take('to', argv.to) ?? null,
    resolution: parseResolution(S.take('resolution', argv.resolution)),
    maxSteps: S.take('maxSteps', argv['max-steps']),
  };
  if (schedule.to !== null && schedule.to < schedule.from) throw new UsageError(`--to (${schedule.to} req/s) is below --from (${schedule.from} req/s)`);
  const stepMs = S.take('stepDuration', argv['step-duration']);
  const out = OUTPUT_OPTIONS.fill(OUTPUT_OPTIONS.fromArgv(argv));
  const slo = sweepSlos(argv.slo);
  const plan = PLAN_OPTIONS.fromArgv(argv) as Record<string, unknown>;
  for (const k of NOT_IN_SWEEP) delete plan[k];
  const optsFor = (transport: Transport, rate: number): RunOptions => ({ ...resolveRunOptions({ ...plan, transport, rate, duration: `${stepMs}ms`, quiet: out.quiet }), slo });
  // Every transport's plan is checked before the first step runs (a size UDP cannot carry fails now).
  for (const t of transports) optsFor(t, schedule.from);
  const progress = new Progress(process.stderr, out.quiet);
  let errorExit = 0;
  const result = await runSweep({
    transports,
    schedule,
    slo: slo.map((x) => x.expr),
    stopped: () => interrupt.requested,
    runStep: async (transport, rate, step, phase) => {
      say(`${NAME}: sweep ${transport} step ${step} of at most ${schedule.maxSteps} (${phase}): ${formatInt(rate)} req/s for ${formatDuration(stepMs)} …`);
      try {
        return await runOne(optsFor(transport, rate), progress, step - 1);
      } catch (err) {
        if (err instanceof LoadgenError) errorExit = Math.max(errorExit, err.exitCode);
        throw err;
      }
    },
    onStep: (s) => say(stepLine(s)),
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
