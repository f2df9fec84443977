/** Reading a JSON report: parse, validate, and upgrade older versions. */
import { ReportFormatError } from '../errors.js';
import { checkRun, checkWindowFields } from './check-run.js';
import { fail, isObject, str } from './json-checks.js';
import { READABLE_VERSIONS, REPORT_SCHEMA, REPORT_VERSION } from './report-version.js';
import type { Report } from './schema.js';
import { upgradeV1Run } from './upgrade.js';

/**
 * Checks that `value` is a report this version reads (schema, version, every field the code uses);
 * counter fields added within version 1 that it lacks are filled in as zero (in place), and a
 * version 1 report comes back upgraded to version 2 (results recomputed, `server: null`).
 * @param source a name for messages (a file name)
 * @throws ReportFormatError naming the source and the first bad field
 */
export function validateReport(value: unknown, source = 'report'): Report {
  if (!isObject(value)) fail(source, 'the report', 'a JSON object');
  if (value.schema !== REPORT_SCHEMA) fail(source, 'schema', `"${REPORT_SCHEMA}"`);
  if (typeof value.version !== 'number' || !READABLE_VERSIONS.includes(value.version)) {
    throw new ReportFormatError(`${source}: report version ${String(value.version)} is not supported (this tool reads versions ${READABLE_VERSIONS.join(', ')})`);
  }
  str(value, 'createdAt', source, 'report');
  if (!isObject(value.tool)) fail(source, 'tool', 'an object');
  if (!Array.isArray(value.runs) || value.runs.length === 0) fail(source, 'runs', 'a non-empty array');
  const version = value.version;
  value.runs.forEach((r: unknown, i: number) => {
    checkRun(r, source, `runs[${i}]`);
    if (version >= 2) checkWindowFields(r as Record<string, unknown>, source, `runs[${i}]`);
  });
  if (version === REPORT_VERSION) return value as unknown as Report;
  const old = value as unknown as Omit<Report, 'version'>;
  return { ...old, version: REPORT_VERSION, runs: old.runs.map(upgradeV1Run) };
}

/**
 * Parses report text (JSON) and validates it.
 * @throws ReportFormatError when it is not JSON or not a report
 */
export function parseReport(text: string, source = 'report'): Report {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new ReportFormatError(`${source}: not JSON (${(err as Error).message})`);
  }
  return validateReport(value, source);
}
