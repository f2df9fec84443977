/** The end of a command: table, files, last lines per failed run or SLO, and the exit status. */
import type { RunOptions } from '../options.js';
import { failureReason } from '../report/failure.js';
import { makeReport, writeOutputs } from '../report/output.js';
import type { Report, RunReport } from '../report/schema.js';
import { renderTable, type TableOptions } from '../report/text.js';
import { failedSlos } from '../slo/evaluate.js';
import { formatFailed } from '../slo/format.js';
import { NAME, say, session } from './context.js';

/**
 * The table, the files, and one last line per failed run and per run with a failed SLO; returns the
 * exit status: 130 interrupted, else 1 a run failed, else 4 an SLO failed, else 0.
 */
export async function finish(report: Report, targets: { json: string | null; hdrLog: string | null; html: string | null }, table: TableOptions = {}): Promise<number> {
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

/** The table, the files, the last lines, and the stream's `done` line. */
export async function finishRuns(runs: RunReport[], opts: RunOptions): Promise<number> {
  const code = await finish(makeReport(runs), opts, { percentiles: opts.percentiles });
  session.stream?.done(code);
  return code;
}
