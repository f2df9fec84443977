/**
 * The HdrHistogram interval log (format 1.3, as written by HdrHistogram's `HistogramLogWriter`): one
 * line per second per run, tagged with the transport, values in µs and the max column in ms. Readable by
 * HdrHistogram's own tools (HistogramLogProcessor, the log analyzer, hdr-histogram-js's reader).
 */
import * as hdr from 'hdr-histogram-js';
import { decodeHistogram } from '../histogram.js';
import { describePlan } from './text.js';
import type { Report } from './schema.js';

/** Renders a report's intervals as an HdrHistogram log. */
export function renderHdrLog(report: Report): string {
  let out = '';
  const writer = new hdr.HistogramLogWriter((s) => {
    out += s;
  });
  const startMs = Math.min(...report.runs.map((r) => Date.parse(r.startedAt)));
  writer.outputLogFormatVersion();
  writer.outputComment(`sockbench-loadgen, values in microseconds; Interval_Max in milliseconds`);
  for (const r of report.runs) writer.outputComment(`Tag=${r.plan.transport}: ${describePlan(r.plan)}`);
  writer.outputStartTime(startMs);
  writer.outputLegend();
  for (const run of report.runs) {
    const offsetSec = (Date.parse(run.startedAt) - startMs) / 1000;
    for (const iv of run.intervals) {
      const h = decodeHistogram(iv.histogram);
      h.tag = run.plan.transport;
      // Values are µs: a ratio of 1000 makes the Interval_Max column milliseconds, as the tools expect.
      writer.outputIntervalHistogram(h, offsetSec + iv.startMs / 1000, offsetSec + iv.endMs / 1000, 1000);
    }
  }
  return out;
}
