/**
 * `--json-stream`: the run as it happens, one JSON object per line (NDJSON) on stdout, so a pipe or a
 * dashboard can follow a long run. Each line is `{"event": NAME, "data": {…}}`, the shape of
 * iperf3's `--json-stream` (3.17: `start`, `interval`, `end`, `error`); k6's `--out json` is the same
 * idea, one object per line. Per run (one for `run`, one per transport for `compare`):
 *
 * - `start`: `{schema, version, run, transport, plan, tool}`, before the run's connections open;
 * - `interval`: `{run, transport, index, startMs, endMs, counters, requestsPerSec, latencyUs: {p50,
 *   p99, max}, histogram}` every second: the threads' parts added (the progress line's interval, and
 *   the same object as the JSON report's `intervals[]`); the intervals' counters add up to the end's;
 * - `end`: `{run, transport, …}` the run's report as in the JSON report's `runs[]` (counters, results,
 *   selfCheck, server, `slo[]`, histograms) without `intervals` (already streamed).
 *
 * then one last line: `done` `{exitStatus}` (0, 1, 4 or 130, as the process exits), or `error`
 * `{code, message, exitStatus}` when the command failed after the stream began (the target
 * unreachable, a generator thread crashed). Usage errors found before any run starts print nothing here.
 */
import type { LoadPlan } from '../options.js';
import { toolInfo } from './output.js';
import type { IntervalReport, RunReport } from './schema.js';

/** The `schema` of a stream's `start` events. */
export const STREAM_SCHEMA = 'sockbench.loadgen.stream';
/** The `version` of a stream's `start` events. */
export const STREAM_VERSION = 1;

/** The event names, in the order a stream holds them. */
export const STREAM_EVENTS = ['start', 'interval', 'end', 'done', 'error'] as const;

/** Where lines go (stdout in the CLI). */
export interface LineSink {
  write(text: string): unknown;
}

/** Writes one run's (or a `compare`'s) events, one JSON object per line. */
export class JsonStream {
  readonly #out: LineSink;

  constructor(out: LineSink) {
    this.#out = out;
  }

  /** Writes one `{event, data}` line (subclasses add the events of their own mode). */
  protected emit(event: (typeof STREAM_EVENTS)[number], data: object): void {
    this.#out.write(`${JSON.stringify({ event, data })}\n`);
  }

  /** Run `run` (0-based) of the command starts. */
  start(run: number, plan: LoadPlan): void {
    this.emit('start', { schema: STREAM_SCHEMA, version: STREAM_VERSION, run, transport: plan.transport, plan, tool: toolInfo() });
  }

  /** One merged per-second interval of run `run`. */
  interval(run: number, plan: LoadPlan, iv: IntervalReport): void {
    this.emit('interval', { run, transport: plan.transport, ...iv });
  }

  /** Run `run` ended: its report, without the intervals already streamed. */
  end(run: number, report: RunReport): void {
    const { intervals: _streamed, ...rest } = report;
    this.emit('end', { run, transport: report.plan.transport, ...rest });
  }

  /** The command finished with `exitStatus`. */
  done(exitStatus: number): void {
    this.emit('done', { exitStatus });
  }

  /**
   * The command failed after the stream began: `code` is the error's stable `SOCKBENCH_*` code
   * (null for an unexpected crash), `exitStatus` what the process exits with.
   */
  error(code: string | null, message: string, exitStatus: number): void {
    this.emit('error', { code, message, exitStatus });
  }
}
