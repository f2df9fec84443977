import fc from 'fast-check';
import * as hdr from 'hdr-histogram-js';
import { describe, expect, it } from 'vitest';
import { planOf, syntheticReport, syntheticRun } from '../../test/synthetic.js';
import { PlanMismatchError, ReportFormatError } from '../errors.js';
import { createHistogram, decodeHistogram, encodeHistogram, summarize } from '../histogram.js';
import { failureReason, runFailed } from './failure.js';
import { renderHdrLog } from './hdr-log.js';
import { renderHtml } from './html.js';
import { mergeReports } from './merge.js';
import { makeReport } from './output.js';
import { parseReport, REPORT_SCHEMA, REPORT_VERSION, validateReport, type RunReport } from './schema.js';
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

describe('reports written before the unexpected-reply counters', () => {
  it('still read, render and merge: the counters they lack read as zero', () => {
    const report = syntheticReport(planOf(), [[lat(10, 5)], [lat(10, 6)]]);
    const old = JSON.parse(JSON.stringify(report)) as { runs: { counters: Record<string, unknown>; intervals: { counters: Record<string, unknown> }[] }[] };
    for (const r of old.runs) {
      for (const c of [r.counters, ...r.intervals.map((iv) => iv.counters)]) {
        delete c.unexpected;
        delete c.unexpectedByKind;
      }
    }
    const back = validateReport(old, 'old.json');
    expect([back.runs[0]!.counters.unexpected, back.runs[0]!.counters.unexpectedByKind]).toEqual([0, {}]);
    expect(back.runs[0]!.intervals.map((iv) => iv.counters.unexpected)).toEqual([0]);
    expect(renderTable(back.runs)).toMatch(/^unexpected replies +0$/m);
    expect(mergeReports([back, validateReport(structuredClone(old), 'old2.json')]).runs[0]!.counters.unexpected).toBe(0);
  });

  it('refuses counts by kind that are not numbers, naming the field', () => {
    const report = structuredClone(syntheticReport(planOf(), [[lat(10, 5)]])) as unknown as { runs: { counters: { unexpectedByKind: unknown } }[] };
    report.runs[0]!.counters.unexpectedByKind = { unsentId: 'many' };
    expect(() => validateReport(report, 'e.json')).toThrow('e.json: runs[0].counters.unexpectedByKind.unsentId must be a number');
  });
});

describe('why a run failed', () => {
  const run = (counts: Partial<RunReport['counters']>): RunReport => {
    const r = syntheticRun(planOf({ transport: 'udp' }), [[lat(10, 5)]]);
    Object.assign(r.counters, counts);
    r.results.lossPercent = r.counters.sent > 0 ? (100 * r.counters.timeouts) / r.counters.sent : 0;
    return r;
  };

  it('all 24 requests timed out: the line says so (it once read "0 errors, 0 lost connections, 0 completed requests")', () => {
    const r = run({ sent: 24, completed: 0, timeouts: 24 });
    expect(runFailed(r)).toBe(true);
    expect(failureReason(r)).toBe('0 of 24 requests completed, 24 timeouts (100.00% loss)');
  });

  it('names every cause that is not zero: timeouts, errors by code, lost connections, unexpected replies by kind', () => {
    const r = run({
      sent: 1_200,
      completed: 1_000,
      timeouts: 1,
      errors: 199,
      errorsByCode: { FRAME_TOO_LARGE: 4, ECONNRESET: 195 },
      connectionsLost: 1,
      unexpected: 66_197,
      unexpectedByKind: { frameTooLarge: 97, unsentId: 66_000, badFrame: 100 },
    });
    expect(failureReason(r)).toBe(
      '1,000 of 1,200 requests completed, 1 timeout (0.08% loss), 199 errors (ECONNRESET 195, FRAME_TOO_LARGE 4), 1 lost connection, 66,197 unexpected replies (unsentId 66,000, badFrame 100, frameTooLarge 97)',
    );
  });

  it('unexpected replies alone fail a run; timeouts alone do not', () => {
    expect(failureReason(run({ unexpected: 1, unexpectedByKind: { unsentId: 1 } }))).toBe('10 of 10 requests completed, 1 unexpected reply (unsentId 1)');
    const lossy = run({ sent: 20, timeouts: 10 });
    expect([runFailed(lossy), failureReason(lossy)]).toEqual([false, null]);
  });

  it('the table has the row and the line by kind; the HTML says why the run failed', () => {
    const r = run({ unexpected: 3, unexpectedByKind: { badFrame: 2, unsentId: 1 } });
    const text = renderTable([r]);
    expect(text).toMatch(/^unexpected replies +3$/m);
    expect(text).toContain('\nudp unexpected replies: unsentId 1, badFrame 2\n');
    expect(renderHtml(makeReport([r]))).toContain('<p><strong>udp run failed: 10 of 10 requests completed, 3 unexpected replies (unsentId 1, badFrame 2)</strong></p>');
    expect(renderHtml(makeReport([run({})]))).not.toContain('run failed');
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
