/** `run` (the default command) and `compare` (the same plan over each transport in turn). */
import { UsageError } from '../errors.js';
import { COMPARE_OPTIONS, PLAN_OPTIONS, TRANSPORTS, resolveRunOptions, type RunOptions, type Transport } from '../options.js';
import { Progress } from '../progress.js';
import { JsonStream } from '../report/json-stream.js';
import type { RunReport } from '../report/schema.js';
import { NAME, interrupt, runArgs, say, session } from './context.js';
import { distributeArgs, distributedCommand } from './distributed.js';
import { finishRuns } from './finish.js';
import { runOne } from './run-one.js';
import { compareStreamCommand } from './stream.js';
import { STREAM_OPTIONS } from '../stream/stream-options.js';

/** Refuses the stream flags in a request/response command. @throws UsageError */
function refuseStreamFlags(argv: Record<string, unknown>, hint: string): void {
  for (const row of STREAM_OPTIONS.rows) {
    if (argv[row.flag] !== undefined) throw new UsageError(`--${row.flag} is a stream flag: ${hint}`);
  }
}

/** `--bind` names an address of this host, which the agents' machines do not have. @throws UsageError */
function refuseBindOverAgents(opts: RunOptions): void {
  if (opts.plan.socket?.bind) throw new UsageError(`--bind ${opts.plan.socket.bind.address} is an address of this host; with --agents the load leaves from the agents' machines (bind there is not supported)`);
}

/** `run`: one plan, locally or over agents; returns the exit status. */
export async function runCommand(argv: Record<string, unknown>): Promise<number> {
  const opts = resolveRunOptions(runArgs(argv));
  const dist = distributeArgs(argv);
  if (dist !== null) refuseBindOverAgents(opts);
  if (dist !== null) return distributedCommand([opts], dist);
  if (opts.jsonStream) session.stream = new JsonStream(process.stdout);
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

/** `compare`: the same plan over each of `--transports`, side by side; returns the exit status. */
export async function compareCommand(argv: Record<string, unknown>): Promise<number> {
  const transports = parseTransports(COMPARE_OPTIONS.take('transports', argv.transports));
  if (COMPARE_OPTIONS.take('mode', argv.mode) === 'stream') return compareStreamCommand(argv, transports);
  refuseStreamFlags(argv, 'it needs compare --mode stream');
  if (argv.transport !== undefined && argv.transport !== PLAN_OPTIONS.defaultOf('transport')) {
    throw new UsageError('compare takes --transports (a list), not --transport');
  }
  // Every plan is validated before the first run starts: a size UDP cannot carry fails now, not later.
  const plans = transports.map((transport) => resolveRunOptions({ ...runArgs(argv), transport }, { mixed: true }));
  const dist = distributeArgs(argv);
  if (dist !== null) refuseBindOverAgents(plans[0]!);
  if (dist !== null) return distributedCommand(plans, dist);
  const first = plans[0]!;
  if (first.jsonStream) session.stream = new JsonStream(process.stdout);
  const progress = new Progress(process.stderr, first.quiet);
  const runs: RunReport[] = [];
  for (const opts of plans) {
    if (interrupt.requested) break;
    if (!first.quiet) say(`${NAME}: ${opts.plan.transport} …`);
    runs.push(await runOne(opts, progress, runs.length));
  }
  return finishRuns(runs, first);
}
