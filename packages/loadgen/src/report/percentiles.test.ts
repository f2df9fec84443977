import { describe, expect, it } from 'vitest';
import { planOf, syntheticRun } from '../../test/synthetic.js';
import { ReportFormatError, UsageError } from '../errors.js';
import { resolveRunOptions } from '../options.js';
import { evaluateSlos } from '../slo/evaluate.js';
import { parseSlos } from '../slo/parse.js';
import { renderHtml } from './html.js';
import { makeReport } from './output.js';
import { DEFAULT_PERCENTILES, parsePercentiles, percentileLabel } from './percentiles.js';
import { validateReport } from './schema.js';
import { renderTable } from './text.js';

/** Latencies 1..n µs (exact in the histogram: under 2048 µs). */
const upTo = (n: number): number[] => Array.from({ length: n }, (_, i) => i + 1);

/** The table's rows whose label starts with `prefix`, as [label, cells…]. */
function rowsOf(table: string, prefix: string): string[][] {
  return table
    .split('\n')
    .filter((l) => l.startsWith(prefix))
    .map((l) => l.split(/ {2,}/));
}

describe('--percentiles', () => {
  it('parses increasing numbers in (0,100]', () => {
    expect(parsePercentiles('50,90,99,99.9,99.99,99.999')).toEqual([50, 90, 99, 99.9, 99.99, 99.999]);
    expect(parsePercentiles(' 95 , 100')).toEqual([95, 100]);
    expect(parsePercentiles('0.1')).toEqual([0.1]);
    expect(parsePercentiles(DEFAULT_PERCENTILES)).toEqual([50, 75, 90, 99, 99.9, 99.99]);
    expect([50, 99.9, 99.999].map(percentileLabel)).toEqual(['p50', 'p99.9', 'p99.999']);
  });

  const bad: [string, string][] = [
    ['', '--percentiles needs at least one percentile, e.g. 50,90,99,99.9, got ""'],
    [',', '--percentiles needs at least one percentile, e.g. 50,90,99,99.9, got ","'],
    ['0', '--percentiles: "0" is not a number in (0,100] (e.g. 50,90,99,99.9)'],
    ['50,100.5', '--percentiles: "100.5" is not a number in (0,100] (e.g. 50,90,99,99.9)'],
    ['50,-1', '--percentiles: "-1" is not a number in (0,100] (e.g. 50,90,99,99.9)'],
    ['50,p99', '--percentiles: "p99" is not a number in (0,100] (e.g. 50,90,99,99.9)'],
    ['50,,99', '--percentiles: "" is not a number in (0,100] (e.g. 50,90,99,99.9)'],
    ['1e2', '--percentiles: "1e2" is not a number in (0,100] (e.g. 50,90,99,99.9)'],
    ['99,50', '--percentiles must be in increasing order, got 50 after 99'],
    ['50,99,99', '--percentiles lists 99 twice'],
    ['50,99,99.0', '--percentiles lists 99.0 twice'],
  ];
  for (const [text, message] of bad) {
    it(`refuses ${JSON.stringify(text)}`, () => {
      expect(() => parsePercentiles(text)).toThrow(UsageError);
      expect(() => parsePercentiles(text)).toThrow(message);
      // An empty flag is refused by the option table before the list is read.
      const flagMessage = text === '' ? '--percentiles must be a list such as 50,90,99,99.9, got ""' : message;
      expect(() => resolveRunOptions({ port: 1, percentiles: text })).toThrow(flagMessage);
    });
  }

  it('chooses the table\'s latency rows (values from the histogram); max, mean and stdev stay', () => {
    const run = syntheticRun(planOf({ threads: 1 }), [[upTo(1000)]]);
    const table = renderTable([run], { percentiles: [50, 95, 99.999] });
    expect(rowsOf(table, 'latency ')).toEqual([
      ['latency p50', '500 µs'],
      ['latency p95', '950 µs'],
      ['latency p99.999', '1.00 ms'],
      ['latency max', '1.00 ms'],
      ['latency mean', '501 µs'],
      ['latency stdev', '289 µs'],
    ]);
    // The default is the rows the table always had.
    expect(rowsOf(renderTable([run]), 'latency ').map((r) => r[0])).toEqual(['latency p50', 'latency p75', 'latency p90', 'latency p99', 'latency p99.9', 'latency p99.99', 'latency max', 'latency mean', 'latency stdev']);
  });

  it('the JSON summary has p95 and p99.999 besides the others', () => {
    const run = syntheticRun(planOf({ threads: 1 }), [[upTo(1000)]]);
    expect(run.results.latencyUs).toMatchObject({ p50: 500, p75: 750, p90: 900, p95: 950, p99: 990, p999: 999, p9999: 1000, p99999: 1000 });
  });
});

describe('SLOs in the table and the report', () => {
  it('one row per SLO with each run\'s verdict and value, and a summary line per run', () => {
    const tcp = syntheticRun(planOf({ threads: 1 }), [[upTo(1000)]]);
    const udp = syntheticRun(planOf({ threads: 1, transport: 'udp' }), [[upTo(100)]]);
    const slos = parseSlos(['p50<100us', 'errors==0']);
    const table = renderTable([
      { ...tcp, slo: evaluateSlos(slos, tcp) },
      { ...udp, slo: evaluateSlos(slos, udp) },
    ]);
    expect(rowsOf(table, 'SLO ')).toEqual([
      ['SLO p50<100us', 'FAILED 500 µs', 'held 50 µs'],
      ['SLO errors==0', 'held 0', 'held 0'],
    ]);
    expect(table.split('\n').filter((l) => l.includes(' SLOs: '))).toEqual(['tcp SLOs: 1 of 2 failed: p50<100us (500 µs)', 'udp SLOs: all 2 held']);
  });

  it('the HTML report carries the same table (its percentiles) and a line per run whose SLOs failed', () => {
    const tcp = syntheticRun(planOf({ threads: 1 }), [[upTo(1000)]]);
    const html = renderHtml(makeReport([{ ...tcp, slo: evaluateSlos(parseSlos(['p50<100us', 'errors==0']), tcp) }]), { percentiles: [95] });
    expect(html).toContain('<p><strong>tcp SLOs failed: p50&lt;100us (500 µs)</strong></p>');
    expect(html).toMatch(/latency p95 +950 µs/);
    expect(html).not.toContain('latency p50');
  });

  it('a run without slo (an older report, a merge) shows - beside one that has them, and none without any', () => {
    const a = syntheticRun(planOf({ threads: 1 }), [[upTo(10)]]);
    const b = syntheticRun(planOf({ threads: 1, transport: 'udp' }), [[upTo(10)]]);
    expect(rowsOf(renderTable([{ ...a, slo: evaluateSlos(parseSlos(['errors==0']), a) }, b]), 'SLO ')).toEqual([['SLO errors==0', 'held 0', '-']]);
    expect(rowsOf(renderTable([a, b]), 'SLO ')).toEqual([]);
  });

  it('slo[] is validated on reading: each needs expr, value (or null), threshold, unit and held', () => {
    const run = syntheticRun(planOf({ threads: 1 }), [[upTo(10)]]);
    const slo = evaluateSlos(parseSlos(['p99<5ms']), run);
    const ok = makeReport([{ ...run, slo }]);
    expect(validateReport(JSON.parse(JSON.stringify(ok))).runs[0]!.slo).toEqual(slo);
    const withSlo = (s: unknown): unknown => JSON.parse(JSON.stringify({ ...ok, runs: [{ ...run, slo: s }] }));
    expect(() => validateReport(withSlo({}), 'a.json')).toThrow(new ReportFormatError('a.json: runs[0].slo must be an array'));
    expect(() => validateReport(withSlo([{ ...slo[0], held: 'yes' }]), 'a.json')).toThrow('a.json: runs[0].slo[0].held must be true or false');
    expect(() => validateReport(withSlo([{ ...slo[0], value: 'x' }]), 'a.json')).toThrow('a.json: runs[0].slo[0].value must be a number or null');
    expect(() => validateReport(withSlo([{ ...slo[0], expr: 1 }]), 'a.json')).toThrow('a.json: runs[0].slo[0].expr must be a string');
    expect(validateReport(withSlo([{ ...slo[0], value: null, held: false }])).runs[0]!.slo![0]!.value).toBeNull();
  });
});
