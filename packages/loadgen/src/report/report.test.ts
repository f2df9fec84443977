import fc from 'fast-check';
import * as hdr from 'hdr-histogram-js';
import { describe, expect, it } from 'vitest';
import { planOf, syntheticReport, syntheticRun } from '../../test/synthetic.js';
import { PlanMismatchError, ReportFormatError } from '../errors.js';
import { createHistogram, decodeHistogram, encodeHistogram, summarize } from '../histogram.js';
import { renderHdrLog } from './hdr-log.js';
import { renderHtml } from './html.js';
import { mergeReports } from './merge.js';
import { makeReport } from './output.js';
import { parseReport, REPORT_SCHEMA, REPORT_VERSION, validateReport } from './schema.js';
import { renderTable } from './text.js';

const lat = (n: number, base: number): number[] => Array.from({ length: n }, (_, i) => base + i);

describe('JSON report schema', () => {
  it('a run report holds plan, results, intervals and the compressed histogram', () => {
    const report = syntheticReport(planOf(), [[lat(100, 50), lat(100, 60)], [lat(50, 70), lat(50, 80)]]);
    const back = parseReport(JSON.stringify(report), 'r.json');
    expect(back.schema).toBe(REPORT_SCHEMA);
    expect(back.version).toBe(REPORT_VERSION);
    const run = back.runs[0]!;
    expect(run.plan.connections).toBe(4);
    expect(run.counters.sent).toBe(300);
    expect(run.intervals.map((iv) => iv.counters.completed)).toEqual([150, 150]);
    expect(decodeHistogram(run.histograms.latency).totalCount).toBe(300);
    expect(run.results.requestsPerSec).toBe(150);
    expect(run.results.latencyUs.p50).toBeLessThanOrEqual(run.results.latencyUs.p99);
    expect(run.results.latencyUs.p99).toBeLessThanOrEqual(run.results.latencyUs.max);
  });

  it('refuses what is not a report, naming the source and the field', () => {
    const good = syntheticReport(planOf(), [[lat(10, 5)]]);
    expect(() => parseReport('{nope', 'x.json')).toThrow(ReportFormatError);
    expect(() => parseReport('{nope', 'x.json')).toThrow(/^x\.json: not JSON/);
    expect(() => validateReport({ ...good, schema: 'other' }, 'a.json')).toThrow('a.json: schema must be "sockbench.loadgen.report"');
    expect(() => validateReport({ ...good, version: 2 }, 'a.json')).toThrow('a.json: report version 2 is not supported (this tool reads version 1)');
    const noHist = structuredClone(good) as unknown as { runs: { histograms: { latency: unknown } }[] };
    noHist.runs[0]!.histograms.latency = 42;
    expect(() => validateReport(noHist, 'b.json')).toThrow('b.json: runs[0].histograms.latency must be a string');
    const badPlan = structuredClone(good) as unknown as { runs: { plan: { transport: string } }[] };
    badPlan.runs[0]!.plan.transport = 'sctp';
    expect(() => validateReport(badPlan, 'c.json')).toThrow('c.json: runs[0].plan.transport must be one of tcp, udp, raw-tcp, raw-udp');
    const badHist = structuredClone(good);
    badHist.runs[0]!.histograms.latency = 'bm90IGEgaGlzdG9ncmFt';
    expect(() => validateReport(badHist, 'd.json')).toThrow('d.json: runs[0].histograms.latency must be a compressed base64 HdrHistogram');
  });
});

describe('merge', () => {
  it('merging two reports gives the histogram of recording both, counts summed', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 5_000_000 }), { minLength: 1, maxLength: 200 }),
        fc.array(fc.integer({ min: 1, max: 5_000_000 }), { minLength: 1, maxLength: 200 }),
        (a, b) => {
          const plan = planOf({ threads: 1 });
          const merged = mergeReports([syntheticReport(plan, [[a]]), syntheticReport(plan, [[b]])]);
          const both = createHistogram();
          for (const v of [...a, ...b]) both.recordValue(v);
          const run = merged.runs[0]!;
          expect(encodeHistogram(decodeHistogram(run.histograms.latency))).toBe(encodeHistogram(both));
          expect(run.counters.completed).toBe(a.length + b.length);
          expect(run.generators).toBe(2);
          expect(run.results.latencyUs).toEqual(summarize(both));
        },
      ),
      { numRuns: 15 },
    );
  });

  it('adds intervals second by second', () => {
    const plan = planOf();
    const merged = mergeReports([syntheticReport(plan, [[lat(10, 1), lat(20, 1)]]), syntheticReport(plan, [[lat(5, 1)]])]);
    expect(merged.runs[0]!.intervals.map((iv) => iv.counters.completed)).toEqual([15, 20]);
  });

  it('refuses reports of different plans, saying what differs', () => {
    const a = syntheticReport(planOf({ connections: 4 }), [[lat(5, 1)]]);
    const b = syntheticReport(planOf({ connections: 8, size: 128 }), [[lat(5, 1)]]);
    expect(() => mergeReports([a, b], ['a.json', 'b.json'])).toThrow(PlanMismatchError);
    expect(() => mergeReports([a, b], ['a.json', 'b.json'])).toThrow('cannot merge a.json and b.json: plans differ in connections: 4 vs 8; size: 64 vs 128');
    const c = syntheticReport(planOf({ threads: 1 }), [[lat(5, 1)]]);
    expect(mergeReports([a, c]).runs[0]!.plan.threads).toBe(3);
    const udp = syntheticReport(planOf({ transport: 'udp' }), [[lat(5, 1)]]);
    expect(() => mergeReports([a, udp], ['a.json', 'u.json'])).toThrow('cannot merge a.json and u.json: plans differ in transports: tcp vs udp');
  });
});

describe('text table', () => {
  it('shows the percentiles, throughput and loss, with a ratio column in a comparison', () => {
    const tcp = syntheticRun(planOf(), [[lat(100, 100)]]);
    const udp = syntheticRun(planOf({ transport: 'udp' }), [[lat(200, 50)]], { BUSY: 3 });
    const text = renderTable([tcp, udp]);
    for (const row of ['requests/s', 'MB/s sent', 'latency p50', 'latency p75', 'latency p90', 'latency p99 ', 'latency p99.9 ', 'latency p99.99', 'latency max', 'latency mean', 'latency stdev', 'loss', 'reordered', 'duplicates']) {
      expect(text).toContain(row);
    }
    expect(text).toMatch(/requests\/s\s+50\.0\s+100\s+2\.00×/);
    expect(text).toContain('udp/tcp');
    expect(text).toContain('udp errors: BUSY 3');
    expect(text).toContain('tcp self-check: generator kept up');
  });
});

describe('HdrHistogram log', () => {
  it("is read back by HdrHistogram's own log reader, interval by interval, tagged by transport", () => {
    const report = makeReport([syntheticRun(planOf(), [[lat(100, 100), lat(50, 1000)]]), syntheticRun(planOf({ transport: 'udp' }), [[lat(30, 10)]])]);
    const log = renderHdrLog(report);
    expect(log.startsWith('#[Histogram log format version 1.3]')).toBe(true);
    const reader = new hdr.HistogramLogReader(log);
    const counts: [string, number][] = [];
    for (let h = reader.nextIntervalHistogram(); h !== null; h = reader.nextIntervalHistogram()) counts.push([h.tag, h.totalCount]);
    expect(counts).toEqual([
      ['tcp', 100],
      ['tcp', 50],
      ['udp', 30],
    ]);
  });
});

describe('HTML report', () => {
  it('is one self-contained file with both charts holding every transport', () => {
    const report = makeReport([syntheticRun(planOf(), [[lat(100, 100), lat(100, 120)]]), syntheticRun(planOf({ transport: 'udp' }), [[lat(100, 80), lat(100, 90)]])]);
    const html = renderHtml(report);
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html).not.toMatch(/<script|<link|src=|href=|url\(|@import/i);
    expect(html.match(/<svg /g)).toHaveLength(2);
    expect(html.match(/<polyline /g)).toHaveLength(4);
    expect(html).toContain('99.9%');
    expect(html).toContain('tcp vs udp');
    // Every http URL in it is an XML namespace, never something fetched.
    for (const url of html.match(/https?:\/\/[^"' ]+/g) ?? []) expect(url).toBe('http://www.w3.org/2000/svg');
  });

  it('draws the uncorrected service time dashed beside the corrected latency of an open-loop run', () => {
    const run = syntheticRun(planOf({ rate: 100 }), [[lat(100, 100)]]);
    const h = createHistogram();
    for (const v of lat(100, 50)) h.recordValue(v);
    run.histograms.uncorrected = encodeHistogram(h);
    run.results.uncorrectedUs = summarize(h);
    const html = renderHtml(makeReport([run]));
    expect(html.match(/<polyline [^>]*stroke-dasharray/g)).toHaveLength(1);
    expect(html).toContain('tcp uncorrected: p50');
    expect(html).toContain('tcp (corrected): p50');
  });
});
