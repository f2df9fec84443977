/**
 * Reading a saved stream report (schema `sockbench.loadgen.stream`, version 1) for `report`: the
 * fields the table and the HTML page use are checked, so a damaged file fails with the first bad
 * field named instead of a crash half-way through the page.
 */
import { ReportFormatError } from '../errors.js';
import { fail, isObject, num, str } from '../report/json-checks.js';
import { STREAM_REPORT_SCHEMA, STREAM_REPORT_VERSION, type StreamReport } from './stream-report.js';

/** True when `value` says it is a stream report (its `schema`), whatever else it holds. */
export function isStreamReportLike(value: unknown): boolean {
  return isObject(value) && value.schema === STREAM_REPORT_SCHEMA;
}

const SENDER = ['bitsPerSec', 'messages', 'bytes', 'messagesPerSec', 'wireBitsPerSec'];
const RECEIVER = [...SENDER, 'lost', 'lossPercent', 'outOfOrder', 'duplicates', 'jitterMs', 'waitedMs'];
const INTERVAL = ['index', 'startMs', 'bitsPerSec', 'messages', 'jitterMs'];

/**
 * Checks a parsed stream report.
 * @param source a name for messages (a file name)
 * @throws ReportFormatError naming the source and the first bad field, or a version this tool does not read
 */
export function validateStreamReport(value: unknown, source: string): StreamReport {
  if (!isObject(value) || value.schema !== STREAM_REPORT_SCHEMA) fail(source, 'schema', `"${STREAM_REPORT_SCHEMA}"`);
  if (value.version !== STREAM_REPORT_VERSION) throw new ReportFormatError(`${source}: stream report version ${String(value.version)} is not supported (this tool reads version ${STREAM_REPORT_VERSION})`);
  str(value, 'createdAt', source, 'report');
  if (!isObject(value.tool)) fail(source, 'tool', 'an object');
  if (!Array.isArray(value.runs) || value.runs.length === 0) fail(source, 'runs', 'a non-empty array');
  value.runs.forEach((r: unknown, i: number) => {
    const at = `runs[${i}]`;
    if (!isObject(r)) fail(source, at, 'an object');
    if (!isObject(r.plan)) fail(source, `${at}.plan`, 'an object');
    for (const k of ['host', 'transport', 'direction']) str(r.plan, k, source, `${at}.plan`);
    for (const k of ['port', 'size', 'durationMs', 'parallel']) num(r.plan, k, source, `${at}.plan`);
    num(r.plan, 'bitrate', source, `${at}.plan`, true);
    if (!isObject(r.stream) || !isObject(r.stream.sender) || !isObject(r.stream.receiver)) fail(source, `${at}.stream`, 'an object with sender and receiver');
    for (const k of SENDER) num(r.stream.sender, k, source, `${at}.stream.sender`);
    for (const k of RECEIVER) num(r.stream.receiver, k, source, `${at}.stream.receiver`);
    if (!isObject(r.wire)) fail(source, `${at}.wire`, 'an object');
    str(r.wire, 'note', source, `${at}.wire`);
    if (!Array.isArray(r.intervals)) fail(source, `${at}.intervals`, 'an array');
    r.intervals.forEach((iv: unknown, k: number) => {
      if (!isObject(iv)) fail(source, `${at}.intervals[${k}]`, 'an object');
      for (const f of INTERVAL) num(iv, f, source, `${at}.intervals[${k}]`);
    });
    if (!Array.isArray(r.slo)) fail(source, `${at}.slo`, 'an array');
  });
  return value as unknown as StreamReport;
}
