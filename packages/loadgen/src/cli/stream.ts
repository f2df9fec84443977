/**
 * `stream` and `compare --mode stream`: one-way throughput tests through `@sockbench/client`'s
 * {@link runStreams}, one live line per second and direction on stderr, the table, the JSON and HTML
 * reports, and the exit status (0; 1 nothing received or the test could not run; 2 usage; 3
 * unreachable; 4 an SLO failed; 130 Ctrl-C).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, resolve as resolvePath } from 'node:path';
import { ConnectError, ErrorReply, StreamError, StreamUnsupportedError, runStreams, type StreamSessionResult } from '@sockbench/client';
import type { DelayVariationRecorder } from '@sockbench/protocol';
import { StreamFailed, TargetUnreachable, UsageError } from '../errors.js';
import { createHistogram, encodeHistogram, recordClamped } from '../histogram.js';
import { toolInfo } from '../report/output.js';
import { evaluateStreamSlos } from '../slo/stream.js';
import { socketOptions } from '../socket-plan.js';
import { renderStreamHtml } from '../stream/stream-html.js';
import { resolveStreamOptions, streamArgs, type StreamOptions, type StreamPlan } from '../stream/stream-options.js';
import { STREAM_REPORT_SCHEMA, STREAM_REPORT_VERSION, buildStreamRun, type StreamReport, type StreamRunReport } from '../stream/stream-report.js';
import { liveLine, renderStreamTable, runName } from '../stream/stream-text.js';
import { failedSlos } from '../slo/evaluate.js';
import { formatFailed } from '../slo/format.js';
import { StreamEvents } from '../stream/stream-events.js';
import { NAME, interrupt, say, session } from './context.js';

/** An |D| recorder on the load generator's histogram (µs, 1 µs..60 s, 3 digits). */
function recorder(): DelayVariationRecorder {
  const h = createHistogram();
  return { recordValue: (v) => void recordClamped(h, v), encode: () => encodeHistogram(h) };
}

/** What the client library's failures mean for the command. */
function translate(err: unknown, plan: StreamPlan): Error {
  if (err instanceof StreamUnsupportedError) return new StreamFailed(err.message, { cause: err });
  if (err instanceof ErrorReply) {
    if (err.codeName === 'UNAUTHORIZED') return new UsageError(`${plan.host}:${plan.port} refused the token: UNAUTHORIZED (${err.message})`);
    return new StreamFailed(`${plan.host}:${plan.port} refused the ${plan.transport} stream session: ${err.codeName} (${err.message})`, { cause: err });
  }
  if (err instanceof ConnectError) return new TargetUnreachable(plan.host, plan.port, err.osCode, (err.cause as Error | undefined)?.message ?? '');
  if (err instanceof StreamError) return new StreamFailed(err.message, { cause: err });
  return err instanceof Error ? err : new Error(String(err));
}

/** The `--json-stream` of the command, when it writes one. */
function events(): StreamEvents | null {
  return session.stream instanceof StreamEvents ? session.stream : null;
}

/**
 * Runs the plans of one transport (one per direction, at once) and returns one run per plan;
 * `firstRun` is the index of its first run in the command (the `--json-stream` events' `run`).
 */
async function runTransport(plans: StreamPlan[], opts: StreamOptions, firstRun = 0): Promise<StreamRunReport[]> {
  const first = plans[0]!;
  const startedAt = new Date();
  const out = events();
  plans.forEach((p, i) => out?.startRun(firstRun + i, p));
  const runOf = (direction: string): number => firstRun + plans.findIndex((p) => p.direction === direction);
  let results: StreamSessionResult[];
  try {
    results = await runStreams({
      host: first.host,
      port: first.port,
      token: opts.token,
      transport: first.transport,
      directions: plans.map((p) => p.direction),
      size: first.size,
      bitrate: first.bitrate,
      durationMs: first.durationMs,
      parallel: first.parallel,
      socket: socketOptions(first),
      recorder,
      ...(opts.quiet && out === null
        ? {}
        : {
            onInterval: (iv) => {
              if (!opts.quiet) say(`${NAME}: ${liveLine(first.transport, iv)}`);
              out?.second(runOf(iv.direction), plans[runOf(iv.direction) - firstRun]!, iv);
            },
          }),
      onStart: (stop) => {
        interrupt.endCurrent = stop;
        if (interrupt.requested) stop();
      },
    });
  } catch (err) {
    throw translate(err, first);
  } finally {
    interrupt.endCurrent = null;
  }
  return plans.map((plan) => {
    const run = buildStreamRun(plan, startedAt, results.filter((r) => r.direction === plan.direction), interrupt.requested);
    run.slo = evaluateStreamSlos(opts.slo, run);
    return run;
  });
}

async function writeMade(path: string, text: string): Promise<void> {
  await mkdir(dirname(resolvePath(path)), { recursive: true });
  await writeFile(path, text);
}

/**
 * The table on stderr, then the JSON (`-`: stdout) and HTML files; `stream`'s and `report`'s.
 * @throws (rejects) a file that cannot be written
 */
export async function writeStreamFiles(report: StreamReport, to: { json: string | null; html: string | null }): Promise<void> {
  say(renderStreamTable(report.runs));
  if (to.json === '-') process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  else if (to.json !== null) {
    await writeMade(to.json, `${JSON.stringify(report, null, 2)}\n`);
    say(`${NAME}: wrote JSON report ${to.json}`);
  }
  if (to.html !== null) {
    await writeMade(to.html, renderStreamHtml(report));
    say(`${NAME}: wrote HTML report ${to.html}`);
  }
}

/** The table, the files, the last lines; returns the exit status. */
async function finishStream(runs: StreamRunReport[], opts: StreamOptions): Promise<number> {
  const code = await writeStream(runs, opts);
  events()?.done(code);
  return code;
}

async function writeStream(runs: StreamRunReport[], opts: StreamOptions): Promise<number> {
  runs.forEach((r, i) => events()?.endRun(i, r));
  const report: StreamReport = { schema: STREAM_REPORT_SCHEMA, version: STREAM_REPORT_VERSION, createdAt: new Date().toISOString(), tool: toolInfo(), runs };
  await writeStreamFiles(report, opts);
  let failed = false;
  for (const r of runs) {
    if (r.stream.receiver.messages > 0) continue;
    failed = true;
    say(`${NAME}: ${runName(r)} stream failed: the receiver got no message (${r.stream.sender.messages} sent)`);
  }
  let sloFailed = false;
  for (const r of runs) {
    const missed = failedSlos(r.slo);
    if (missed.length === 0) continue;
    sloFailed = true;
    say(`${NAME}: ${runName(r)} SLO${missed.length === 1 ? '' : 's'} failed: ${formatFailed(missed)}`);
  }
  if (runs.some((r) => r.interrupted === true)) return 130;
  return failed ? 1 : sloFailed ? 4 : 0;
}

/** `stream`: one transport, up (default), down (`--reverse`) or both (`--bidir`). */
export async function streamCommand(argv: Record<string, unknown>): Promise<number> {
  const opts = resolveStreamOptions(streamArgs(argv));
  if (opts.jsonStream) session.stream = new StreamEvents(process.stdout);
  return finishStream(await runTransport(opts.plans, opts), opts);
}

/** `compare --mode stream`: the same stream test over each transport in turn (default tcp,udp). */
export async function compareStreamCommand(argv: Record<string, unknown>, transports: string[]): Promise<number> {
  if (argv.transport !== undefined) throw new UsageError('compare takes --transports (a list), not --transport');
  const all = transports.map((transport) => resolveStreamOptions({ ...streamArgs(argv), transport }, { mixed: true }));
  if (all[0]!.jsonStream) session.stream = new StreamEvents(process.stdout);
  const runs: StreamRunReport[] = [];
  for (const opts of all) {
    if (interrupt.requested) break;
    if (!opts.quiet) say(`${NAME}: stream ${opts.plans[0]!.transport} …`);
    runs.push(...(await runTransport(opts.plans, opts, runs.length)));
  }
  return finishStream(runs, all[0]!);
}
