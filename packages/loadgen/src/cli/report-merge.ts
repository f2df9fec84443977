/** `merge` (add reports of one plan) and `report` (render saved reports, request/response or stream). */
import { readFile } from 'node:fs/promises';
import { ReportFormatError, UsageError } from '../errors.js';
import { MERGE_OPTIONS, OUTPUT_OPTIONS } from '../options.js';
import { mergeReports } from '../report/merge.js';
import { makeReport, toolInfo } from '../report/output.js';
import { parsePercentiles } from '../report/percentiles.js';
import { parseReport } from '../report/read-report.js';
import type { Report } from '../report/schema.js';
import { isStreamReportLike, validateStreamReport } from '../stream/read-stream-report.js';
import { STREAM_REPORT_SCHEMA, STREAM_REPORT_VERSION, type StreamReport } from '../stream/stream-report.js';
import { writeStreamFiles } from './stream.js';
import { finish } from './finish.js';

/** A saved report of either kind. */
type Saved = { kind: 'requests'; file: string; report: Report } | { kind: 'stream'; file: string; report: StreamReport };

async function readSaved(file: string): Promise<Saved> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new ReportFormatError(`${file}: cannot read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  let value: unknown = null;
  try {
    value = JSON.parse(text);
  } catch {
    // parseReport names the JSON error.
  }
  if (isStreamReportLike(value)) return { kind: 'stream', file, report: validateStreamReport(value, file) };
  return { kind: 'requests', file, report: parseReport(text, file) };
}

/** `merge <reports..>`: adds JSON reports of the same plan into one; exit 0 (errors throw). */
export async function mergeCommand(argv: Record<string, unknown>): Promise<number> {
  const files = (argv.reports as unknown[]).map(String);
  if (files.length < 2) throw new UsageError('merge needs at least two reports');
  const saved = await Promise.all(files.map((f) => readSaved(f)));
  const stream = saved.find((s) => s.kind === 'stream');
  if (stream !== undefined) throw new UsageError(`merge adds request/response reports of one plan from several machines; ${stream.file} is a stream report (schema ${STREAM_REPORT_SCHEMA}), which it cannot add: render it with report ${stream.file}`);
  const merged = mergeReports(saved.map((s) => s.report as Report), files);
  merged.tool = toolInfo();
  const out = OUTPUT_OPTIONS.fill(OUTPUT_OPTIONS.fromArgv(argv));
  await finish(merged, { json: MERGE_OPTIONS.take('output', argv.output), hdrLog: out.hdrLog ?? null, html: out.html ?? null }, { percentiles: parsePercentiles(out.percentiles) });
  return 0;
}

/**
 * `report <files..>`: renders saved JSON reports, several side by side; exit 0 (errors throw).
 * Stream reports render as `stream` does (the table, `--html`, `--json`); they do not mix with
 * request/response reports, and have no latency histograms for `--hdr-log`.
 */
export async function reportCommand(argv: Record<string, unknown>): Promise<number> {
  const files = (argv.files as unknown[]).map(String);
  const saved = await Promise.all(files.map((f) => readSaved(f)));
  const out = OUTPUT_OPTIONS.fill(OUTPUT_OPTIONS.fromArgv(argv));
  const streams = saved.filter((s) => s.kind === 'stream');
  if (streams.length > 0) {
    const other = saved.find((s) => s.kind === 'requests');
    if (other !== undefined) throw new UsageError(`report shows reports of one kind side by side: ${streams[0]!.file} is a stream report (schema ${STREAM_REPORT_SCHEMA}), ${other.file} a request/response report`);
    if (out.hdrLog !== undefined) throw new UsageError(`--hdr-log writes latency histograms, which a stream report (schema ${STREAM_REPORT_SCHEMA}) does not hold`);
    const runs = streams.flatMap((s) => s.report.runs);
    const report: StreamReport = streams.length === 1 ? streams[0]!.report : { schema: STREAM_REPORT_SCHEMA, version: STREAM_REPORT_VERSION, createdAt: new Date().toISOString(), tool: toolInfo(), runs };
    await writeStreamFiles(report, { json: out.json ?? null, html: out.html ?? null });
    return 0;
  }
  const reports = saved.map((s) => s.report as Report);
  // Several reports are shown side by side (their runs in order), not added: that is `merge`.
  const report = reports.length === 1 ? reports[0]! : makeReport(reports.flatMap((r) => r.runs));
  await finish(report, { json: out.json ?? null, hdrLog: out.hdrLog ?? null, html: out.html ?? null }, { percentiles: parsePercentiles(out.percentiles) });
  return 0;
}
