/**
 * `sockbench-loadgen`: run (default), compare, merge, report. Human output (progress, tables, notes)
 * goes to stderr; stdout carries only the JSON report, and only with `--json -`, or the NDJSON
 * events of `--json-stream`.
 *
 * Exit status: 0 done; 130 interrupted by Ctrl-C (reports of the time measured are still written); 1 the
 * run finished but had errors, lost connections, unexpected replies or no completed request (its
 * reports are still written; the last line says which), or a generator thread failed; 2 usage (unknown, malformed or conflicting
 * flags, plans that differ in `merge`, a file that is not a report); 3 the target is unreachable;
 * 4 a `--slo` failed and nothing above did (the last lines name each failed SLO and its value).
 */
import { isOptionError, yargsOptions } from '@sockbench/options';
import yargs, { type Argv } from 'yargs';
import { hideBin } from 'yargs/helpers';
import { LoadgenError, UsageError } from './errors.js';
import { defaultAgentName, runAgent } from './agents/agent.js';
import { Controller } from './agents/controller.js';
import { clockWarnings, renderAgents } from './agents/format.js';
import {
  AGENT_OPTIONS,
  COMPARE_OPTIONS,
  DISTRIBUTE_OPTIONS,
  MERGE_OPTIONS,
  OUTPUT_OPTIONS,
  PLAN_OPTIONS,
  SLO_OPTIONS,
  SWEEP_OPTIONS,
  TRANSPORTS,
  resolveRunOptions,
  type RunArgs,
  type RunOptions,
  type Transport,
} from './options.js';
import { Progress } from './progress.js';
import { mergeReports } from './report/merge.js';
import { makeReport, readReport, toolInfo, writeOutputs } from './report/output.js';
import { failureReason } from './report/failure.js';
import { JsonStream } from './report/json-stream.js';
import { parsePercentiles } from './report/percentiles.js';
import type { IntervalReport, Report, RunReport } from './report/schema.js';
import { renderTable, type TableOptions } from './report/text.js';
import { runPlan } from './runner.js';
import { evaluateSlos, failedSlos } from './slo/evaluate.js';
import { formatFailed } from './slo/format.js';
import { parseResolution, sweepSlos } from './sweep/args.js';
import { renderSweepHtml, renderSweepTable } from './sweep/render.js';
import { runSweep, type SweepStep } from './sweep/sweep.js';
import { formatDuration } from '@sockbench/options';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, resolve as resolvePath } from 'node:path';
import { formatInt, formatPercent, formatUs } from './report/format.js';

const NAME = 'sockbench-loadgen';

function say(line: string): void {
  process.stderr.write(`${line}\n`);
}

function runArgs(argv: Record<string, unknown>): RunArgs {
  return { ...PLAN_OPTIONS.fromArgv(argv), ...OUTPUT_OPTIONS.fromArgv(argv), ...SLO_OPTIONS.fromArgv(argv) };
}

/** The `--json-stream` of the command under way, once its options are valid (errors after that go there too). */
let stream: JsonStream | null = null;

/**
 * The table, the files, and one last line per failed run and per run with a failed SLO; returns the
 * exit status: 130 interrupted, else 1 a run failed, else 4 an SLO failed, else 0.
 */
async function finish(report: Report, targets: { json: string | null; hdrLog: string | null; html: string | null }, table: TableOptions = {}): Promise<number> {
  say(renderTable(report.runs, table));
  await writeOutputs(report, targets, table);
  for (const [what, path] of [['JSON', targets.json], ['HdrHistogram log', targets.hdrLog], ['HTML', targets.html]] as const) {
    if (path !== null && path !== '-') say(`${NAME}: wrote ${what} report ${path}`);
  }
  let failed = false;
  let sloFailed = false;
  for (const r of report.runs) {
    const why = failureReason(r);
    if (why === null) continue;
    failed = true;
    say(`${NAME}: ${r.plan.transport} run failed: ${why}`);
  }
  for (const r of report.runs) {
    const missed = failedSlos(r.slo);
    if (missed.length === 0) continue;
    sloFailed = true;
    say(`${NAME}: ${r.plan.transport} SLO${missed.length === 1 ? '' : 's'} failed: ${formatFailed(missed)}`);
  }
  if (report.runs.some((r) => r.interrupted === true)) return 130;
  return failed ? 1 : sloFailed ? 4 : 0;
}

/**
 * Ctrl-C: the first ends the current run early (it drains and its reports are written, and `compare`
 * skips the transports not yet run); a second quits at once.
 */
const interrupt = {
  requested: false,
  endCurrent: null as (() => void) | null,
  install(): void {
    process.once('SIGINT', () => {
      this.requested = true;
      process.stderr.write(`\n${NAME}: interrupted: stopping, draining, writing reports (Ctrl-C again to quit)\n`);
      this.endCurrent?.();
      process.once('SIGINT', () => process.exit(130));
    });
  },
};

/** Runs one plan (run `index` of the command), streams its events, and judges it by the SLOs. */
async function runOne(opts: RunOptions, progress: Progress, index: number): Promise<RunReport> {
  const { plan } = opts;
  stream?.start(index, plan);
  const hooks = {
    onInterval: (iv: IntervalReport) => {
      progress.interval(plan, iv);
      stream?.interval(index, plan, iv);
    },
    onStart: (endNow: () => void) => {
      interrupt.endCurrent = endNow;
      if (interrupt.requested) endNow();
    },
  };
  let run: RunReport;
  try {
    run = await runPlan({ plan, token: opts.token, stats: opts.stats }, hooks);
  } finally {
    interrupt.endCurrent = null;
    progress.end();
  }
  run.slo = evaluateSlos(opts.slo, run);
  stream?.end(index, run);
  return run;
}

/** `--agents N --redis URL`, checked; null for a local run. @throws UsageError */
function distributeArgs(argv: Record<string, unknown>): { redis: string; agents: number; timeoutMs: number } | null {
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
 * Runs one plan over the agents: the same events and hooks as {@link runOne}, then the per-agent
 * table and clock warnings; null when no agent reported.
 */
async function runOneDistributed(controller: Controller, opts: RunOptions, progress: Progress, index: number): Promise<RunReport | null> {
  const { plan } = opts;
  stream?.start(index, plan);
  let d;
  try {
    d = await controller.run(opts, {
      onInterval: (iv: IntervalReport) => {
        progress.interval(plan, iv);
        stream?.interval(index, plan, iv);
      },
      onStart: (endNow: () => void) => {
        interrupt.endCurrent = endNow;
        if (interrupt.requested) endNow();
      },
    });
  } finally {
    interrupt.endCurrent = null;
    progress.end();
  }
  say(renderAgents(d));
  for (const w of clockWarnings(d)) say(`${NAME}: warning: ${w}`);
  for (const f of d.failed) agentFailures.push(`${plan.transport}: ${f.reason}`);
  if (d.run === null) return null;
  d.run.slo = evaluateSlos(opts.slo, d.run);
  stream?.end(index, d.run);
  return d.run;
}

/** Runs the plans over the agents (one Redis connection pair for all), then the usual finish. */
async function distributedCommand(plans: RunOptions[], dist: { redis: string; agents: number; timeoutMs: number }): Promise<number> {
  const first = plans[0]!;
  if (first.jsonStream) stream = new JsonStream(process.stdout);
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
  stream?.done(code);
  return code;
}

/** The table, the files, the last lines, and the stream's `done` line. */
async function finishRuns(runs: RunReport[], opts: RunOptions): Promise<number> {
  const code = await finish(makeReport(runs), opts, { percentiles: opts.percentiles });
  stream?.done(code);
  return code;
}

async function runCommand(argv: Record<string, unknown>): Promise<number> {
  const opts = resolveRunOptions(runArgs(argv));
  const dist = distributeArgs(argv);
  if (dist !== null) return distributedCommand([opts], dist);
  if (opts.jsonStream) stream = new JsonStream(process.stdout);
  const progress = new Progress(process.stderr, opts.quiet);
  const run = await runOne(opts, progress, 0);
  return finishRuns([run], opts);
}

/** Parses `--transports` (`tcp,udp`). @throws UsageError naming a bad entry */
function parseTransports(text: unknown): Transport[] {
  const list = String(text ?? '').split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (list.length < 2) throw new UsageError(`--transports needs at least two of ${TRANSPORTS.join(', ')}, got ${JSON.stringify(text)}`);
  for (const t of list) {
    if (!(TRANSPORTS as readonly string[]).includes(t)) throw new UsageError(`--transports: ${t} is not one of ${TRANSPORTS.join(', ')}`);
  }
  if (new Set(list).size !== list.length) throw new UsageError(`--transports lists a transport twice: ${list.join(',')}`);
  return list as Transport[];
}

async function compareCommand(argv: Record<string, unknown>): Promise<number> {
  const transports = parseTransports(COMPARE_OPTIONS.take('transports', argv.transports));
  if (argv.transport !== undefined && argv.transport !== PLAN_OPTIONS.defaultOf('transport')) {
    throw new UsageError('compare takes --transports (a list), not --transport');
  }
  // Every plan is validated before the first run starts: a size UDP cannot carry fails now, not later.
  const plans = transports.map((transport) => resolveRunOptions({ ...runArgs(argv), transport }));
  const dist = distributeArgs(argv);
  if (dist !== null) return distributedCommand(plans, dist);
  const first = plans[0]!;
  if (first.jsonStream) stream = new JsonStream(process.stdout);
  const progress = new Progress(process.stderr, first.quiet);
  const runs: RunReport[] = [];
  for (const opts of plans) {
    if (interrupt.requested) break;
    if (!first.quiet) say(`${NAME}: ${opts.plan.transport} …`);
    runs.push(await runOne(opts, progress, runs.length));
  }
  return finishRuns(runs, first);
}

/** Plan flags `sweep` does not take: it sets the transport, the rate and the time of each step itself. */
const NOT_IN_SWEEP = ['transport', 'rate', 'pipeline', 'duration', 'requests'];

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
async function sweepCommand(argv: Record<string, unknown>): Promise<number> {
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

async function mergeCommand(argv: Record<string, unknown>): Promise<number> {
  const files = (argv.reports as unknown[]).map(String);
  if (files.length < 2) throw new UsageError('merge needs at least two reports');
  const reports = await Promise.all(files.map((f) => readReport(f)));
  const merged = mergeReports(reports, files);
  merged.tool = toolInfo();
  const out = OUTPUT_OPTIONS.fill(OUTPUT_OPTIONS.fromArgv(argv));
  await finish(merged, { json: MERGE_OPTIONS.take('output', argv.output), hdrLog: out.hdrLog ?? null, html: out.html ?? null }, { percentiles: parsePercentiles(out.percentiles) });
  return 0;
}

async function reportCommand(argv: Record<string, unknown>): Promise<number> {
  const files = (argv.files as unknown[]).map(String);
  const reports = await Promise.all(files.map((f) => readReport(f)));
  // Several reports are shown side by side (their runs in order), not added: that is `merge`.
  const report = reports.length === 1 ? reports[0]! : makeReport(reports.flatMap((r) => r.runs));
  const out = OUTPUT_OPTIONS.fill(OUTPUT_OPTIONS.fromArgv(argv));
  await finish(report, { json: out.json ?? null, hdrLog: out.hdrLog ?? null, html: out.html ?? null }, { percentiles: parsePercentiles(out.percentiles) });
  return 0;
}

/** `agent`: waits for plans until SIGINT or SIGTERM (the run under way is ended, drained and reported). */
async function agentCommand(argv: Record<string, unknown>): Promise<number> {
  const a = AGENT_OPTIONS.fill(AGENT_OPTIONS.fromArgv(argv));
  const name = a.name ?? defaultAgentName();
  if (!/^[A-Za-z0-9._:@-]{1,200}$/.test(name)) throw new UsageError(`--name must be 1..200 of A-Z a-z 0-9 . _ : @ -, got ${JSON.stringify(name)}`);
  const quit = new Promise<void>((resolveQuit) => {
    interrupt.endCurrent = resolveQuit;
    process.once('SIGTERM', () => resolveQuit());
  });
  await runAgent({ redis: a.redis, name, log: (line) => say(`${NAME}: ${line}`), quit });
  return 0;
}

function handle(fn: (argv: Record<string, unknown>) => Promise<number>) {
  return async (argv: Record<string, unknown>): Promise<void> => {
    try {
      process.exitCode = await fn(argv);
    } catch (err) {
      if (err instanceof LoadgenError) {
        say(`${NAME}: ${err.message}`);
        process.exitCode = err.exitCode;
        stream?.error(err.code, err.message, err.exitCode);
      } else if (isOptionError(err)) {
        say(`${NAME}: ${err.message}`);
        process.exitCode = 2;
        stream?.error(null, err.message, 2);
      } else {
        say(`${NAME}: ${(err as Error).stack ?? String(err)}`);
        process.exitCode = 1;
        stream?.error(null, (err as Error).message ?? String(err), 1);
      }
    }
  };
}

/** Builds the yargs parser: the commands, the option tables (which also generate `--help`), usage errors. */
function buildCli(args: string[]): Argv {
  const planOptions = yargsOptions(PLAN_OPTIONS);
  const outputOptions = yargsOptions(OUTPUT_OPTIONS);
  const sloOptions = yargsOptions(SLO_OPTIONS);
  const distributeOptions = yargsOptions(DISTRIBUTE_OPTIONS);
  return yargs(args)
    .scriptName(NAME)
    .usage(`${NAME} [run] --port P [options]`)
    .command(['run', '$0'], 'run one load plan (the default command)', (y) => y.options(planOptions).options(outputOptions).options(sloOptions).options(distributeOptions), handle(runCommand))
    .command(
      'agent',
      'a generator machine: wait on Redis for plans from `run|compare --agents N --redis URL` and run each share (until SIGINT/SIGTERM)',
      (y) => y.options(yargsOptions(AGENT_OPTIONS)),
      handle(agentCommand),
    )
    .command(
      'compare',
      'run the same plan over each transport in turn and print them side by side with ratios',
      (y) =>
        y
          .options(planOptions)
          .options(yargsOptions(COMPARE_OPTIONS))
          .options(outputOptions)
          .options(sloOptions)
          .options(distributeOptions),
      handle(compareCommand),
    )
    .command(
      'sweep',
      'step the open-loop rate over each transport until an SLO fails (default loss<1%, rate>=95%), then bisect to the knee',
      (y) =>
        y
          .options(Object.fromEntries(Object.entries(planOptions).filter(([flag]) => !NOT_IN_SWEEP.includes(flag))) as typeof planOptions)
          .options(yargsOptions(SWEEP_OPTIONS))
          .option('json', outputOptions['json']!)
          .option('html', outputOptions['html']!)
          .option('quiet', outputOptions['quiet']!)
          .options(sloOptions),
      handle(sweepCommand),
    )
    .command(
      'merge <reports..>',
      'add JSON reports of the same plan (from several generator machines) into one',
      (y) =>
        y
          .positional('reports', { type: 'string', array: true, describe: 'JSON reports to add' })
          .options(yargsOptions(MERGE_OPTIONS))
          .option('html', outputOptions['html']!)
          .option('hdr-log', outputOptions['hdr-log']!)
          .option('percentiles', outputOptions['percentiles']!),
      handle(mergeCommand),
    )
    .command(
      'report <files..>',
      'render saved JSON reports (table on stderr, and --html / --hdr-log / --json files); several are shown side by side',
      (y) =>
        y
          .positional('files', { type: 'string', array: true, describe: 'JSON reports; two or more are compared, run by run, with ratios against the first' })
          .option('html', outputOptions['html']!)
          .option('hdr-log', outputOptions['hdr-log']!)
          .option('json', outputOptions['json']!)
          .option('percentiles', outputOptions['percentiles']!),
      handle(reportCommand),
    )
    .example(`${NAME} -c 50 -d 10s`, 'closed loop, 50 connections, 1 in flight each')
    .example(`${NAME} --transport udp -R 20000`, 'open loop, 20,000 req/s over UDP')
    .example(`${NAME} compare -c 16 --json both.json`, 'TCP then UDP, side by side')
    .example(`${NAME} -R 5000 --slo 'p99<5ms'`, 'exit 4 unless p99 < 5 ms')
    .example(`${NAME} agent --redis redis://r:6379`, 'a generator machine waiting for plans')
    .example(`${NAME} -R 50000 --agents 4 --redis redis://r`, "one plan over four machines' agents")
    .example(`${NAME} sweep --from 5000 --to 200000 --json sweep.json --html sweep.html`, 'each transport to its knee')
    .example(`${NAME} merge a.json b.json -o all.json`, 'add reports of two machines')
    .example(`${NAME} report tcp.json udp.json --html both.html`, 'show saved runs side by side')
    .epilogue('Load generator for sockbench servers and plain echo servers: closed loop (--pipeline) or open loop\n(--rate, coordinated omission corrected), latency in HdrHistogram (µs), TCP vs UDP.\n\nUnits: sizes in bytes, times in ms unless a duration (10s, 500ms), rates in req/s, latencies in µs.\nExit status: 0 ok; 1 errors, lost connections, unexpected replies or nothing completed (reports still\nwritten; the last line says why); 2 usage; 3 target unreachable;\n4 an --slo failed and nothing worse happened; 130 interrupted (the first Ctrl-C stops, drains and still\nwrites the reports).')
    .strict()
    .help()
    .alias('help', 'h')
    .version(toolInfo().version)
    .wrap(Math.min(110, process.stdout.columns ?? 110))
    .fail((msg, err) => {
      if (err) throw err;
      say(`${NAME}: ${msg.split('\n')[0]} (see --help)`);
      process.exit(2);
    });
}

interrupt.install();
await buildCli(hideBin(process.argv)).parseAsync();
