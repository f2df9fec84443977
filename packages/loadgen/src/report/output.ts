/** Writing a report: JSON (file or stdout alone), HdrHistogram log, HTML; reading one back. */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ReportFormatError } from '../errors.js';
import { renderHdrLog } from './hdr-log.js';
import { renderHtml } from './html.js';
import type { TableOptions } from './text.js';
import { parseReport, REPORT_SCHEMA, REPORT_VERSION, type Report, type RunReport } from './schema.js';

const PACKAGE_JSON = resolve(dirname(fileURLToPath(import.meta.url)), '../../package.json');

/** `{ name, version, node }` of this tool, as written into reports. */
export function toolInfo(): Report['tool'] {
  const pkg = JSON.parse(readFileSync(PACKAGE_JSON, 'utf8')) as { name: string; version: string };
  return { name: pkg.name, version: pkg.version, node: process.versions.node };
}

/** Wraps runs into a report of the current schema version. */
export function makeReport(runs: RunReport[]): Report {
  return { schema: REPORT_SCHEMA, version: REPORT_VERSION, createdAt: new Date().toISOString(), tool: toolInfo(), runs };
}

/** Where to write a report; null skips a format; json `-` means stdout. */
export interface OutputTargets {
  json: string | null;
  hdrLog: string | null;
  html: string | null;
}

async function writeText(path: string, text: string): Promise<void> {
  await mkdir(dirname(resolve(path)), { recursive: true });
  await writeFile(path, text);
}

/**
 * Writes every requested format; JSON on stdout when `json` is `-` (and nothing else goes there).
 * `table` lays out the HTML's summary table (`--percentiles`).
 */
export async function writeOutputs(report: Report, targets: OutputTargets, table: TableOptions = {}): Promise<void> {
  if (targets.json !== null) {
    const text = `${JSON.stringify(report, null, 2)}\n`;
    if (targets.json === '-') process.stdout.write(text);
    else await writeText(targets.json, text);
  }
  if (targets.hdrLog !== null) await writeText(targets.hdrLog, renderHdrLog(report));
  if (targets.html !== null) await writeText(targets.html, renderHtml(report, table));
}

/**
 * Reads and validates a saved report.
 * @throws ReportFormatError when the file cannot be read or is not a report
 */
export async function readReport(path: string): Promise<Report> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new ReportFormatError(`${path}: cannot read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  return parseReport(text, path);
}
