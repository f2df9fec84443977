import { describe, expect, it } from 'vitest';
import { UsageError } from '../errors.js';
import { parseSlo, parseSlos, SLO_OPERATORS, type Slo } from './parse.js';

/** The parsed fields other than `expr`. */
function fields(text: string): Omit<Slo, 'expr'> {
  const { expr: _, ...rest } = parseSlo(text);
  return rest;
}

describe('parseSlo: what it accepts', () => {
  it('latency percentiles in every unit: us, µs (micro sign and Greek mu), ms, s', () => {
    expect(fields('p99<5ms')).toEqual({ metric: 'percentile', percentile: 99, op: '<', threshold: 5, unit: 'ms', scale: 1000 });
    expect(fields('p50<800us')).toEqual({ metric: 'percentile', percentile: 50, op: '<', threshold: 800, unit: 'us', scale: 1 });
    expect(fields('p50<800µs')).toMatchObject({ unit: 'µs', scale: 1 });
    expect(fields('p50<800μs')).toMatchObject({ unit: 'μs', scale: 1 });
    expect(fields('p99.9<=1.5s')).toEqual({ metric: 'percentile', percentile: 99.9, op: '<=', threshold: 1.5, unit: 's', scale: 1_000_000 });
    expect(fields('p99.999<20ms')).toMatchObject({ percentile: 99.999 });
    expect(fields('p95<.5ms')).toMatchObject({ percentile: 95, threshold: 0.5 });
    expect(fields('p100<1s')).toMatchObject({ percentile: 100 });
    expect(fields('p0.1<1s')).toMatchObject({ percentile: 0.1 });
  });

  it('jitter (stream runs) in a time unit, scaled to µs', () => {
    expect(fields('jitter<1ms')).toEqual({ metric: 'jitter', percentile: null, op: '<', threshold: 1, unit: 'ms', scale: 1000 });
    expect(fields('jitter<=250us')).toMatchObject({ metric: 'jitter', threshold: 250, scale: 1 });
  });

  it('loss and rate in %, errors as a bare count, throughput in bit/s with SI prefixes', () => {
    expect(fields('loss<1%')).toEqual({ metric: 'loss', percentile: null, op: '<', threshold: 1, unit: '%', scale: 1 });
    expect(fields('loss<=0.5%')).toMatchObject({ threshold: 0.5 });
    expect(fields('rate>=95%')).toEqual({ metric: 'rate', percentile: null, op: '>=', threshold: 95, unit: '%', scale: 1 });
    expect(fields('errors==0')).toEqual({ metric: 'errors', percentile: null, op: '==', threshold: 0, unit: '', scale: 1 });
    expect(fields('errors<10')).toMatchObject({ threshold: 10 });
    const bits = { 'bit/s': 1, 'kbit/s': 1e3, 'Mbit/s': 1e6, 'Gbit/s': 1e9, 'Tbit/s': 1e12 };
    for (const [unit, scale] of Object.entries(bits)) {
      expect(fields(`throughput>=500${unit}`)).toEqual({ metric: 'throughput', percentile: null, op: '>=', threshold: 500, unit, scale });
    }
  });

  it('every operator', () => {
    expect(SLO_OPERATORS).toEqual(['<=', '>=', '==', '<', '>']);
    for (const op of SLO_OPERATORS) expect(parseSlo(`p99${op}5ms`).op).toBe(op);
    expect(parseSlo('throughput>1Gbit/s').op).toBe('>');
  });

  it('spaces around the operator and before the unit; expr is the trimmed text', () => {
    const slo = parseSlo('  p99 <= 5 ms ');
    expect(slo).toEqual({ expr: 'p99 <= 5 ms', metric: 'percentile', percentile: 99, op: '<=', threshold: 5, unit: 'ms', scale: 1000 });
  });

  it('parseSlos reads the flag absent, once, or repeated', () => {
    expect(parseSlos(undefined)).toEqual([]);
    expect(parseSlos('errors==0').map((s) => s.expr)).toEqual(['errors==0']);
    expect(parseSlos(['p99<5ms', 'loss<1%']).map((s) => s.metric)).toEqual(['percentile', 'loss']);
  });
});

describe('parseSlo: every bad expression, with its message', () => {
  const cases: [string, string][] = [
    ['', '--slo "": expected METRIC OP THRESHOLD, e.g. p99<5ms, loss<1%, errors==0, rate>=95%, throughput>=500Mbit/s'],
    ['   ', '--slo "   ": expected METRIC OP THRESHOLD, e.g. p99<5ms, loss<1%, errors==0, rate>=95%, throughput>=500Mbit/s'],
    ['<5ms', '--slo "<5ms": expected a metric first: p<percentile> (p50, p99.9), loss, errors, rate, throughput or jitter (stream)'],
    ['99<5ms', '--slo "99<5ms": expected a metric first: p<percentile> (p50, p99.9), loss, errors, rate, throughput or jitter (stream)'],
    ['latency<5ms', '--slo "latency<5ms": unknown metric latency; expected p<percentile> (p50, p99.9), loss, errors, rate, throughput or jitter (stream)'],
    ['P99<5ms', '--slo "P99<5ms": unknown metric P99; expected p<percentile> (p50, p99.9), loss, errors, rate, throughput or jitter (stream)'],
    ['p99ms<5ms', '--slo "p99ms<5ms": unknown metric p99ms; expected p<percentile> (p50, p99.9), loss, errors, rate, throughput or jitter (stream)'],
    ['p<5ms', '--slo "p<5ms": p: the percentile must be a number in (0,100], e.g. p99 or p99.9'],
    ['jitter<1%', '--slo "jitter<1%": jitter needs a time unit: us, µs, ms or s (e.g. jitter<1ms), got 1%'],
    ['p0<5ms', '--slo "p0<5ms": p0: the percentile must be a number in (0,100], e.g. p99 or p99.9'],
    ['p101<5ms', '--slo "p101<5ms": p101: the percentile must be a number in (0,100], e.g. p99 or p99.9'],
    ['p99..9<5ms', '--slo "p99..9<5ms": p99..9: the percentile must be a number in (0,100], e.g. p99 or p99.9'],
    ['p99.<5ms', '--slo "p99.<5ms": p99.: the percentile must be a number in (0,100], e.g. p99 or p99.9'],
    ['p99', '--slo "p99": expected an operator after p99: <, <=, >, >= or =='],
    ['loss 1%', '--slo "loss 1%": expected an operator after loss: <, <=, >, >= or =='],
    ['p99=5ms', '--slo "p99=5ms": unknown operator =; expected <, <=, >, >= or =='],
    ['p99=<5ms', '--slo "p99=<5ms": unknown operator =<; expected <, <=, >, >= or =='],
    ['errors!=0', '--slo "errors!=0": unknown operator !=; expected <, <=, >, >= or =='],
    ['p99<<5ms', '--slo "p99<<5ms": unknown operator <<; expected <, <=, >, >= or =='],
    ['p99<', '--slo "p99<": expected a threshold after <, e.g. p99<5ms'],
    ['loss<=', '--slo "loss<=": expected a threshold after <=, e.g. loss<=1%'],
    ['rate>=', '--slo "rate>=": expected a threshold after >=, e.g. rate>=95%'],
    ['errors==', '--slo "errors==": expected a threshold after ==, e.g. errors==0'],
    ['throughput>', '--slo "throughput>": expected a threshold after >, e.g. throughput>500Mbit/s'],
    ['p99<fast', '--slo "p99<fast": the threshold must be a number and its unit, got fast'],
    ['errors==-1', '--slo "errors==-1": the threshold must be a number and its unit, got -1'],
    ['p99<ms', '--slo "p99<ms": the threshold must be a number and its unit, got ms'],
    ['p99<5', '--slo "p99<5": p99 needs a latency unit: us, µs, ms or s (e.g. p99<5ms), got 5'],
    ['p99<5%', '--slo "p99<5%": p99 needs a latency unit: us, µs, ms or s (e.g. p99<5ms), got 5%'],
    ['p99.9<5sec', '--slo "p99.9<5sec": p99.9 needs a latency unit: us, µs, ms or s (e.g. p99.9<5ms), got 5sec'],
    ['p99<5MS', '--slo "p99<5MS": p99 needs a latency unit: us, µs, ms or s (e.g. p99<5ms), got 5MS'],
    ['p99<5ms extra', '--slo "p99<5ms extra": p99 needs a latency unit: us, µs, ms or s (e.g. p99<5ms), got 5ms extra'],
    ['p99<1e3us', '--slo "p99<1e3us": p99 needs a latency unit: us, µs, ms or s (e.g. p99<5ms), got 1e3us'],
    ['loss<1', '--slo "loss<1": loss needs a percentage (e.g. loss<1%), got 1'],
    ['loss<0.01', '--slo "loss<0.01": loss needs a percentage (e.g. loss<1%), got 0.01'],
    ['loss<150%', '--slo "loss<150%": loss must be a percentage in 0..100, got 150%'],
    ['rate>=0.95', '--slo "rate>=0.95": rate needs a percentage (e.g. rate>=95%), got 0.95'],
    ['rate>=101%', '--slo "rate>=101%": rate must be a percentage in 0..100, got 101%'],
    ['errors==0ms', '--slo "errors==0ms": errors is a count and takes no unit (e.g. errors==0), got 0ms'],
    ['errors<1%', '--slo "errors<1%": errors is a count and takes no unit (e.g. errors==0), got 1%'],
    ['errors<0.5', '--slo "errors<0.5": errors is a count and needs a whole number (e.g. errors==0), got 0.5'],
    ['throughput>=500', '--slo "throughput>=500": throughput needs a bit rate: bit/s, kbit/s, Mbit/s, Gbit/s or Tbit/s (e.g. throughput>=500Mbit/s), got 500'],
    ['throughput>=500mbit/s', '--slo "throughput>=500mbit/s": throughput needs a bit rate: bit/s, kbit/s, Mbit/s, Gbit/s or Tbit/s (e.g. throughput>=500Mbit/s), got 500mbit/s'],
    ['throughput>=500Mbps', '--slo "throughput>=500Mbps": throughput needs a bit rate: bit/s, kbit/s, Mbit/s, Gbit/s or Tbit/s (e.g. throughput>=500Mbit/s), got 500Mbps'],
    ['throughput>=50MB/s', '--slo "throughput>=50MB/s": throughput needs a bit rate: bit/s, kbit/s, Mbit/s, Gbit/s or Tbit/s (e.g. throughput>=500Mbit/s), got 50MB/s'],
    ['throughput>=500Kbit/s', '--slo "throughput>=500Kbit/s": throughput needs a bit rate: bit/s, kbit/s, Mbit/s, Gbit/s or Tbit/s (e.g. throughput>=500Mbit/s), got 500Kbit/s'],
  ];
  for (const [text, message] of cases) {
    it(`${JSON.stringify(text)}`, () => {
      expect(() => parseSlo(text)).toThrow(UsageError);
      expect(() => parseSlo(text)).toThrow(message);
      try {
        parseSlo(text);
      } catch (err) {
        expect((err as UsageError).message).toBe(message);
        expect((err as UsageError).exitCode).toBe(2);
      }
    });
  }

  it('parseSlos names the first bad one of several, and refuses a value that is not text', () => {
    expect(() => parseSlos(['errors==0', 'p99<5'])).toThrow('--slo "p99<5": p99 needs a latency unit: us, µs, ms or s (e.g. p99<5ms), got 5');
    expect(() => parseSlos([5])).toThrow('--slo must be an expression such as p99<5ms, loss<1%, errors==0, rate>=95%, throughput>=500Mbit/s, got 5');
  });
});
