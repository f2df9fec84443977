// Part of npm test (vitest, tools project): the parsers against outputs captured from the tools on this machine.
import assert from 'node:assert/strict';
import { test } from 'vitest';
import { parseIperf3, parseLoadgen, parseRedisCsv, parseSockperf, parseSweep } from './parse.mjs';

// sockperf 3.7 ping-pong --full-rtt, colour codes included, as it prints them.
const SOCKPERF = `sockperf: \x1b[2;35m== version #3.7-no.git == \x1b[0m
sockperf[CLIENT] send on:sockperf: using recvfrom() to block on socket(s)

[ 0] IP = 127.0.0.1       PORT = 15001 # UDP
sockperf: Warmup stage (sending a few dummy messages)...
sockperf: Starting test...
sockperf: Test end (interrupted by timer)
sockperf: Test ended
sockperf: [Total Run] RunTime=2.000 sec; Warm up time=400 msec; SentMessages=303202; ReceivedMessages=303201
sockperf: ========= Printing statistics for Server No: 0
sockperf: [Valid Duration] RunTime=1.550 sec; SentMessages=236394; ReceivedMessages=236394
sockperf: \x1b[2;35m====> avg-rtt=6.517 (std-dev=26.779)\x1b[0m
sockperf: # dropped messages = 0; # duplicated messages = 0; # out-of-order messages = 0
sockperf: Summary: Round trip is 6.517 usec
sockperf: \x1b[2;35mTotal 236394 observations\x1b[0m; each percentile contains 2363.94 observations
sockperf: ---> <MAX> observation = 5263.880
sockperf: ---> percentile 99.999 = 4785.336
sockperf: ---> percentile 99.990 =  567.642
sockperf: ---> percentile 99.900 =   59.136
sockperf: ---> percentile 99.000 =   11.406
sockperf: ---> percentile 90.000 =    8.261
sockperf: ---> percentile 75.000 =    7.382
sockperf: ---> percentile 50.000 =    5.381
sockperf: ---> percentile 25.000 =    5.258
sockperf: ---> <MIN> observation =    5.056
`;

test('sockperf: percentiles, the valid window and rates', () => {
  const r = parseSockperf(SOCKPERF);
  assert.equal(r.p50, 5.381);
  assert.equal(r.p99, 11.406);
  assert.equal(r.p999, 59.136);
  assert.equal(r.max, 5263.88);
  assert.equal(r.min, 5.056);
  assert.equal(r.avg, 6.517);
  assert.equal(r.sent, 236394);
  assert.equal(r.received, 236394);
  assert.equal(r.lossPercent, 0);
  assert.ok(Math.abs(r.receivedPerSec - 236394 / 1.55) < 1e-6);
});

test('sockperf under-load: loss from the valid window', () => {
  const text = SOCKPERF.replace('[Valid Duration] RunTime=1.550 sec; SentMessages=236394; ReceivedMessages=236394', '[Valid Duration] RunTime=1.554 sec; SentMessages=642815; ReceivedMessages=111546');
  const r = parseSockperf(text);
  assert.ok(Math.abs(r.lossPercent - (100 * (642815 - 111546)) / 642815) < 1e-9);
});

test('sockperf: output without percentiles is an error that quotes it', () => {
  assert.throws(() => parseSockperf('sockperf: ERROR: connection refused\n'), /sockperf: could not read .*\n.*connection refused/);
});

test('redis-benchmark --csv: the row of the test, latencies in µs', () => {
  const csv = `"test","rps","avg_latency_ms","min_latency_ms","p50_latency_ms","p95_latency_ms","p99_latency_ms","max_latency_ms"
"PING_MBULK","924214.38","0.716","0.200","0.639","1.431","1.775","4.807"
`;
  const r = parseRedisCsv(csv, 'PING_MBULK');
  assert.equal(r.rps, 924214.38);
  assert.equal(r.p50, 639);
  assert.equal(r.p99, 1775);
  assert.throws(() => parseRedisCsv(csv, 'SET'), /the SET row/);
  assert.throws(() => parseRedisCsv('Could not connect to Redis at 127.0.0.1:1: Connection refused\n', 'PING_MBULK'), /CSV header/);
});

test('iperf3 -J: received bits per second, and its own error', () => {
  const doc = { start: {}, intervals: [], end: { sum_sent: { retransmits: 0 }, sum_received: { bits_per_second: 13776643198.4, bytes: 3444160800, seconds: 2 } } };
  const r = parseIperf3(JSON.stringify(doc));
  assert.equal(r.bitsPerSec, 13776643198.4);
  assert.equal(r.retransmits, 0);
  assert.throws(() => parseIperf3(JSON.stringify({ error: 'unable to connect to server' })), /iperf3: unable to connect/);
});

test('sockbench-loadgen --json -: first run', () => {
  const doc = {
    schema: 'sockbench.loadgen.report',
    version: 1,
    runs: [
      {
        durationMs: 3000,
        counters: { sent: 10, completed: 10 },
        results: { requestsPerSec: 281429.3, mbPerSecSent: 21.4, mbPerSecReceived: 21.4, lossPercent: 0, latencyUs: { p50: 2351, p99: 12615, p999: 25503, max: 40671, mean: 2832 }, uncorrectedUs: null },
        selfCheck: { intendedRate: null, achievedRate: 281429.3, generatorBound: false, verdict: 'generator kept up' },
      },
    ],
  };
  const r = parseLoadgen(JSON.stringify(doc));
  assert.equal(r.rps, 281429.3);
  assert.equal(r.p99, 12615);
  assert.equal(r.verdict, 'generator kept up');
  assert.throws(() => parseLoadgen('{"schema":"other"}'), /sockbench.loadgen.report/);
});

test('sockbench-loadgen sweep --json -: one transport\'s steps and its knee', () => {
  const run = (rps, loss, p50, p99) => ({ results: { requestsPerSec: rps, lossPercent: loss, latencyUs: { p50, p99 } } });
  const doc = {
    schema: 'sockbench.loadgen.report',
    sweep: {
      knees: { udp: { found: true, rate: 7500, achieved: 7490, p50: 90, p99: 400, lossPercent: 0.1, reason: 'knee between …' } },
      steps: [
        { transport: 'udp', rate: 5000, verdict: 'held', reason: 'every SLO held', run: run(5000, 0, 80, 300) },
        { transport: 'udp', rate: 7500, verdict: 'held', reason: 'every SLO held', run: run(7490, 0.1, 90, 400) },
        { transport: 'udp', rate: 11250, verdict: 'failed', reason: 'loss<1% (4.00%)', run: run(10800, 4, 200, 9000) },
        { transport: 'udp', rate: 9186, verdict: 'error', reason: 'cannot connect', run: null },
      ],
    },
  };
  const r = parseSweep(JSON.stringify(doc), 'udp');
  assert.equal(r.knee.rate, 7500);
  assert.deepEqual(
    r.steps.map((s) => [s.rate, s.rps, s.held, s.verdict]),
    [
      [5000, 5000, true, 'held'],
      [7500, 7490, true, 'held'],
      [11250, 10800, false, 'failed'],
    ],
  );
  assert.throws(() => parseSweep(JSON.stringify(doc), 'tcp'), /sweep\.knees\.tcp/);
});
