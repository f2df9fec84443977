/** `merge` (add reports of one plan) and `report` (render saved reports). */
import { UsageError } from '../errors.js';
import { MERGE_OPTIONS, OUTPUT_OPTIONS } from '../options.js';
import { mergeReports } from '../report/merge.js';
import { makeReport, readReport, toolInfo } from '../report/output.js';
import { parsePercentiles } from '../report/percentiles.js';
import { finish } from './finish.js';

/** `merge <reports..>`: adds JSON reports of the same plan into one; exit 0 (errors throw). */
export async function mergeCommand(argv: Record<string, unknown>): Promise<number> {
  const files = (argv.reports as unknown[]).map(String);
  if (files.length < 2) throw new UsageError('merge needs at least two reports');
  const reports = await Promise.all(files.map((f) => readReport(f)));
  const merged = mergeReports(reports, files);
  merged.tool = toolInfo();
  const out = OUTPUT_OPTIONS.fill(OUTPUT_OPTIONS.fromArgv(argv));
  await finish(merged, { json: MERGE_OPTIONS.take('output', argv.output), hdrLog: out.hdrLog ?? null, html: out.html ?? null }, { percentiles: parsePercentiles(out.percentiles) });
  return 0;
}

/** `report <files..>`: renders saved JSON reports, several side by side; exit 0 (errors throw). */
export async function reportCommand(argv: Record<string, unknown>): Promise<number> {
  const files = (argv.files as unknown[]).map(String);
  const reports = await Promise.all(files.map((f) => readReport(f)));
  // Several reports are shown side by side (their runs in order), not added: that is `merge`.
  const report = reports.length === 1 ? reports[0]! : makeReport(reports.flatMap((r) => r.runs));
  const out = OUTPUT_OPTIONS.fill(OUTPUT_OPTIONS.fromArgv(argv));
  await finish(report, { json: out.json ?? null, hdrLog: out.hdrLog ?? null, html: out.html ?? null }, { percentiles: parsePercentiles(out.percentiles) });
  return 0;
}
