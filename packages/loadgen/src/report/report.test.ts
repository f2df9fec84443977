import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import * as hdr from 'hdr-histogram-js';
import { describe, expect, it } from 'vitest';
import { planOf, syntheticReport, syntheticRun } from '../../test/synthetic.js';
import { PlanMismatchError, ReportFormatError } from '../errors.js';
import { createHistogram, decodeHistogram, encodeHistogram, summarize } from '../histogram.js';
import { failureReason, runFailed } from './failure.js';
import { renderHdrLog } from './hdr-log.js';
import { renderHtml } from './html.js';
import { MERGED_SERVER_MISSING, mergeReports } from './merge.js';
import { makeReport } from './output.js';
import { parseReport, REPORT_SCHEMA, REPORT_VERSION, V1_SERVER_MISSING, validateReport, type RunReport } from './schema.js';
import { renderTable } from './text.js';

const lat = (n: number, base: number): number[] => Array.from({ length: n }, (_, i) => base + i);

/** `run` with a server view whose ECHO service times are `serviceUs` (and made-up CPU, retransmits). */
function withServer(run: RunReport, serviceUs: number[]): RunReport {
  const h = createHistogram();
  for (const v of serviceUs) h.recordValue(v);
  const s = summarize(h);
  const { serverMissing: _, ...rest } = run;
  return {
    ...rest,
    server: {
      address: '127.0.0.1:7878',
      windowMs: 2000,
      serviceTimeUs: { ECHO: { count: s.count, p50: s.p50, p99: s.p99, p999: s.p999, max: s.max } },
      serviceTimeHistograms: { ECHO: encodeHistogram(h) },
      udp: null,
      cpu: { userUs: 1_500_000, systemUs: 500_000, usPerRequest: 20, cores: 0.5 },
      tcpRetransmits: 3,
      notes: [],
    },
  };
}

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
    expect(() => validateReport({ ...good, version: 3 }, 'a.json')).toThrow('a.json: report version 3 is not supported (this tool reads versions 1, 2)');
    const badServer = structuredClone(good) as unknown as { runs: { server: unknown; serverMissing?: string }[] };
    delete badServer.runs[0]!.serverMissing;
    expect(() => validateReport(badServer, 'e.json')).toThrow('e.json: runs[0].serverMissing must be a string');
    badServer.runs[0]!.server = { address: 'x:1', windowMs: 1, tcpRetransmits: null, serviceTimeUs: {}, serviceTimeHistograms: {}, udp: { source: 'nat' }, cpu: null, notes: [] };
    expect(() => validateReport(badServer, 'f.json')).toThrow('f.json: runs[0].server.udp.source must be "peers" or "totals"');
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

describe('reports written before --pacing', () => {
  it('read as what the generator then did: an open loop spun, a closed loop has no pacing; thread busy shares fill in', () => {
    const open = syntheticReport(planOf({ rate: 1000 }), [[lat(10, 5)]]);
    const closed = syntheticReport(planOf(), [[lat(10, 5)]]);
    const strip = (r: typeof open) => {
      const old = JSON.parse(JSON.stringify(r)) as { runs: { plan: Record<string, unknown>; selfCheck: { threads: Record<string, unknown>[] } }[] };
      delete old.runs[0]!.plan.pacing;
      for (const t of old.runs[0]!.selfCheck.threads) {
        delete t.pacerWaiting;
        delete t.eventLoopUtilization;
      }
      return old;
    };
    const a = validateReport(strip(open), 'open.json').runs[0]!;
    const b = validateReport(strip(closed), 'closed.json').runs[0]!;
    expect([a.plan.pacing, b.plan.pacing]).toEqual(['spin', null]);
    expect(a.selfCheck.threads[0]).toMatchObject({ utilization: 0.3, pacerWaiting: 0, eventLoopUtilization: 0.3 });
    expect(renderTable([a])).toContain('open loop 1,000 req/s, spin pacing');
  });

  it('refuses a pacing it does not know, and a busy share that is not a number, naming the field', () => {
    const r = structuredClone(syntheticReport(planOf({ rate: 1000 }), [[lat(10, 5)], [lat(10, 5)]])) as unknown as { runs: { plan: { pacing: unknown }; selfCheck: { threads: { pacerWaiting: unknown }[] } }[] };
    r.runs[0]!.plan.pacing = 'sleep';
    expect(() => validateReport(r, 'p.json')).toThrow('p.json: runs[0].plan.pacing must be one of spin, timer, or null');
    r.runs[0]!.plan.pacing = 'timer';
    r.runs[0]!.selfCheck.threads[1]!.pacerWaiting = 'lots';
    expect(() => validateReport(r, 'p.json')).toThrow('p.json: runs[0].selfCheck.threads[1].pacerWaiting must be a number');
  });

  it('two reports of different pacings do not merge: their slips mean different things', () => {
    const spin = syntheticReport(planOf({ rate: 1000 }), [[lat(5, 1)]]);
    const timer = syntheticReport(planOf({ rate: 1000, pacing: 'timer' }), [[lat(5, 1)]]);
    expect(() => mergeReports([spin, timer], ['s.json', 't.json'])).toThrow('cannot merge s.json and t.json: plans differ in pacing: spin vs timer');
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

describe('throughput', () => {
  it('bit/s = req/s × bytes × 8 exactly, at each layer, from a report built by the code', () => {
    for (const [args, payload, frame, wire] of [
      [{}, 64, 76, 116],
      [{ transport: 'udp' as const, size: 1000 }, 1000, 1012, 1040],
      [{ op: 'compute' as const, size: 40 }, 44, 56, 96],
      [{ transport: 'raw-udp' as const, size: 100 }, 100, 100, 128],
      [{ host: '::1', transport: 'udp' as const }, 64, 76, 124],
    ] as const) {
      const r = syntheticRun(planOf(args), [[lat(300, 100), lat(200, 100)]]);
      const rps = r.results.requestsPerSec;
      expect(rps).toBe(250);
      expect(r.results.mbitPerSec).toEqual({ payload: (rps * payload * 8) / 1e6, frame: (rps * frame * 8) / 1e6, wire: (rps * wire * 8) / 1e6 });
      expect(r.results.packetsPerSec).toEqual({ sent: 250, received: 250 });
    }
  });

  it('packets/s: requests sent, and every reply received (error replies too, not requests lost with their connection)', () => {
    const r = syntheticRun(planOf(), [[lat(100, 100)]], { BUSY: 10, ECONNRESET: 6 });
    expect(r.results.packetsPerSec).toEqual({ sent: 116 / 2, received: 110 / 2 });
  });
});

describe('old reports', () => {
  it('a version 1 report (no server view, MB/s only) is read, upgraded and rendered', async () => {
    const text = await readFile(fileURLToPath(new URL('../../test/fixtures/report-v1.json', import.meta.url)), 'utf8');
    expect(JSON.parse(text).version).toBe(1);
    const report = parseReport(text, 'v1.json');
    expect(report.version).toBe(REPORT_VERSION);
    const [tcp, udp] = report.runs;
    expect(tcp!.server).toBeNull();
    expect(tcp!.serverMissing).toBe(V1_SERVER_MISSING);
    expect([tcp!.generatorCpu, tcp!.generatorHost]).toEqual([null, null]);
    expect(udp!.results.mbitPerSec.payload).toBe((udp!.counters.sent / (udp!.durationMs / 1000)) * 64 * 8 / 1e6);
    const table = renderTable(report.runs);
    expect(table).toContain(`tcp: no server view: ${V1_SERVER_MISSING}`);
    expect(table).toMatch(/server service time p50\s+-\s+-/);
    expect(renderHtml(report)).toContain('<svg');
    // Written again, it is a version 2 report that reads back the same.
    expect(parseReport(JSON.stringify(report), 'again.json')).toEqual(report);
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

  it("leaves the server views out (each generator's snapshots hold the others' traffic) and adds the generators' CPU", () => {
    const plan = planOf({ threads: 1 });
    const a = withServer(syntheticRun(plan, [[lat(100, 100)]]), [5]);
    const b = withServer(syntheticRun(plan, [[lat(300, 100)]]), [5]);
    a.generatorCpu = { userUs: 30_000, systemUs: 10_000, usPerRequest: 400, cores: 0.02 };
    b.generatorCpu = { userUs: 50_000, systemUs: 30_000, usPerRequest: 800 / 3, cores: 0.04 };
    a.generatorHost = b.generatorHost = { tcpRetransmits: 2 };
    const m = mergeReports([makeReport([a]), makeReport([b])]).runs[0]!;
    expect([m.server, m.serverMissing, m.generatorHost]).toEqual([null, MERGED_SERVER_MISSING, null]);
    expect(m.generatorCpu).toEqual({ userUs: 80_000, systemUs: 40_000, usPerRequest: 300, cores: 0.06 });
    // One report alone keeps its own view.
    expect(mergeReports([makeReport([a])]).runs[0]!.server).toEqual(a.server);
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
    for (const row of ['requests/s', 'packets/s sent', 'packets/s received', 'bit/s payload', 'bit/s frame (+12 B header)', 'bit/s on the wire (estimate)', 'latency p50', 'latency p75', 'latency p90', 'latency p99 ', 'latency p99.9 ', 'latency p99.99', 'latency max', 'latency mean', 'latency stdev', 'loss', 'reordered', 'duplicates']) {
      expect(text).toContain(row);
    }
    expect(text).toMatch(/requests\/s\s+50\.0\s+100\s+2\.00×/);
    // 50 req/s of 64-byte ECHO payloads: 25,600 bit/s; + 12 B header: 30,400; + 40 B TCP/IPv4: 46,400.
    expect(text).toMatch(/bit\/s payload\s+25\.6 kbit\/s/);
    expect(text).toMatch(/bit\/s frame \(\+12 B header\)\s+30\.4 kbit\/s/);
    expect(text).toMatch(/bit\/s on the wire \(estimate\)\s+46\.4 kbit\/s/);
    expect(text).not.toContain('MB/s');
    expect(text).toContain('bit/s: the measured requests, generator → server; wire estimate per request: tcp +40 B TCP/IPv4 (one frame per segment assumed), udp +28 B UDP/IPv4');
    expect(text).toContain('tcp: no server view: the window was not sampled');
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

  it("draws the server's service time dashed beside each run's round trip, and lists the server's rows in the table", () => {
    const run = withServer(syntheticRun(planOf(), [[lat(100, 100)]]), lat(100, 5));
    const other = syntheticRun(planOf({ transport: 'udp' }), [[lat(100, 100)]]);
    const report = makeReport([run, other]);
    const html = renderHtml(report);
    expect(html.match(/<polyline [^>]*stroke-dasharray="4 3"/g)).toHaveLength(1);
    expect(html).toContain('tcp server service time: p50 54 µs, p99 103 µs, max 104 µs');
    // The y axis reaches down to the server's 5 µs.
    expect(html).toContain('>1 µs<');
    const table = renderTable(report.runs);
    expect(table).toMatch(/server service time p50\s+54 µs\s+-/);
    expect(table).toMatch(/server service time p99\.9\s+104 µs\s+-/);
    expect(table).toMatch(/server CPU per request\s+20\.0 µs\s+-/);
    expect(table).toMatch(/server CPU cores\s+0\.50\s+-/);
    expect(table).toMatch(/TCP retransmits, server host\s+3\s+-/);
    expect(table).toContain('udp: no server view: the window was not sampled');
    expect(validateReport(JSON.parse(JSON.stringify(report)))).toEqual(report);
  });
});
