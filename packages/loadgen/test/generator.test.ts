/**
 * Measurement tests: real generator threads (dist/generator/worker.js) against real sockets on
 * 127.0.0.1: the sockbench server in-process, and small odd servers (test/fixtures/servers.ts).
 * Runs are short (≤ 2 s) with few connections. Speed is never asserted: counts and schedules are, and
 * where time matters only lower bounds a slow machine cannot break (a 200 ms stall lasts ≥ 200 ms).
 */
import { createServer, type Server } from '@sockbench/server';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { TargetUnreachable, UsageError } from '../src/errors.js';
import { decodeHistogram, encodeHistogram } from '../src/histogram.js';
import { resolveRunOptions, type RunArgs } from '../src/options.js';
import { mergeReports } from '../src/report/merge.js';
import { makeReport } from '../src/report/output.js';
import { validateReport, type RunReport } from '../src/report/schema.js';
import { runPlan } from '../src/runner.js';
import { dyingServer, freePort, plainTcpEcho, plainUdpEcho, quirkyUdpServer, stallingServer, type TestServer } from './fixtures/servers.js';

function run(args: RunArgs): Promise<RunReport> {
  const opts = resolveRunOptions({ warmup: '0', connections: 2, threads: 1, duration: '1s', ...args });
  return runPlan({ plan: opts.plan, token: opts.token });
}

function expectSound(r: RunReport): void {
  const c = r.counters;
  expect(c.sent).toBe(c.completed + c.errors + c.timeouts);
  expect(c.completed).toBeGreaterThan(0);
  const l = r.results.latencyUs;
  expect(l.count).toBe(c.completed);
  expect(l.p50).toBeLessThanOrEqual(l.p99);
  expect(l.p99).toBeLessThanOrEqual(l.max);
  expect(decodeHistogram(r.histograms.latency).totalCount).toBe(c.completed);
  expect(r.intervals.reduce((n, iv) => n + iv.counters.sent, 0)).toBe(c.sent);
  validateReport(makeReport([r]));
}

let server: Server;
let port: number;
const extra: TestServer[] = [];

beforeAll(async () => {
  server = createServer({ host: '127.0.0.1', port: 0, threads: 1 });
  port = (await server.listen()).tcp.port;
});
afterAll(async () => {
  await server.close();
});
afterEach(async () => {
  await Promise.all(extra.splice(0).map((s) => s.close()));
});

describe('against the sockbench server', () => {
  it('closed loop over TCP: every request is accounted for, percentiles ordered, bytes counted', async () => {
    const r = await run({ port, connections: 4, threads: 2, pipeline: 2, duration: '1500ms', warmup: '200ms' });
    expectSound(r);
    expect(r.counters.errors + r.counters.timeouts).toBe(0);
    expect(r.counters.bytesSent).toBe(r.counters.sent * (12 + 64));
    expect(r.counters.bytesReceived).toBe(r.counters.completed * (12 + 64));
    expect(r.intervals.map((iv) => iv.index)).toEqual([0, 1]);
    expect(r.results.uncorrectedUs).toBeNull();
    expect(r.selfCheck.threads).toHaveLength(2);
  });

  it('closed loop over UDP: every datagram accounted for, no duplicates', async () => {
    const r = await run({ port, transport: 'udp', connections: 2, pipeline: 1 });
    expectSound(r);
    expect(r.counters.duplicates).toBe(0);
  });

  it('--requests sends exactly that many measured requests', async () => {
    const r = await run({ port, connections: 3, requests: 301, pipeline: 4, duration: undefined });
    expectSound(r);
    expect(r.counters.sent).toBe(301);
    expect(r.counters.completed).toBe(301);
  });

  it.each(['spin', 'timer'] as const)('open loop (--pacing %s) sends exactly the scheduled requests and reports corrected and uncorrected latency', async (pacing) => {
    // 400 req/s over 2 connections: each has a 5 ms period, the second shifted by 2.5 ms.
    const r = await run({ port, rate: 400, connections: 2, duration: '1s', pacing });
    expectSound(r);
    expect(r.counters.sent).toBe(400);
    expect(r.plan.pacing).toBe(pacing);
    expect(validateReport(JSON.parse(JSON.stringify(makeReport([r])))).runs[0]!.plan.pacing).toBe(pacing);
    const [t] = r.selfCheck.threads;
    // Work and the pacer's busy wait add up to the event loop's busy time; a timer pacer never busy-waits.
    expect(t!.utilization + t!.pacerWaiting).toBeCloseTo(t!.eventLoopUtilization, 9);
    if (pacing === 'timer') expect(t!.pacerWaiting).toBe(0);
    else expect(t!.pacerWaiting).toBeGreaterThan(0);
    expect(r.results.uncorrectedUs).not.toBeNull();
    expect(r.results.uncorrectedUs!.count).toBe(r.counters.completed);
    expect(r.selfCheck.intendedRate).toBe(400);
    expect(r.selfCheck.sendSlipUs).not.toBeNull();
    // Corrected latency counts from the scheduled time, which is never after the actual send.
    expect(r.results.latencyUs.p50).toBeGreaterThanOrEqual(r.results.uncorrectedUs!.p50);
  });

  it('COMPUTE replies are 32-byte digests, counted as completed', async () => {
    const r = await run({ port, op: 'compute', iterations: 10, size: 100, connections: 1, duration: '500ms' });
    expectSound(r);
    expect(r.counters.errors).toBe(0);
    expect(r.counters.bytesReceived).toBe(r.counters.completed * (12 + 32));
  });

  it('two runs merged hold the histogram of both runs', async () => {
    const a = await run({ port, requests: 200, duration: undefined });
    const b = await run({ port, requests: 200, duration: undefined });
    const merged = mergeReports([makeReport([a]), makeReport([b])]).runs[0]!;
    expect(merged.counters.completed).toBe(400);
    const both = decodeHistogram(a.histograms.latency);
    both.add(decodeHistogram(b.histograms.latency));
    expect(merged.histograms.latency).toBe(encodeHistogram(both));
  });
});

describe('open-loop schedules', () => {
  it('every socket sends its share, across threads too', async () => {
    // 200 req/s over 4 sockets on 2 threads: each socket every 20 ms, socket i shifted by 5·i ms (the
    // phases themselves are checked on a fake clock in src/generator/schedule.test.ts and
    // test/load-loop.test.ts); here the server must see 50 measured datagrams from each socket.
    const s = await plainUdpEcho();
    extra.push(s);
    const r = await run({ port: s.port, transport: 'raw-udp', size: 16, rate: 200, connections: 4, threads: 2, duration: '1s' });
    expectSound(r);
    expect(r.counters.sent).toBe(200);
    const measured = s.arrivals.slice(-200); // the probes came first
    const perSocket = new Map<number, number>();
    for (const a of measured) perSocket.set(a.from, (perSocket.get(a.from) ?? 0) + 1);
    expect([...perSocket.values()]).toEqual([50, 50, 50, 50]);
  });
});

describe('coordinated omission', () => {
  it('a server that stalls for 200 ms: the requests scheduled during the stall carry it, the stalled reply alone in the uncorrected max', async () => {
    // 200 req/s on one connection for 2 s: 400 requests. The stall at the 150th holds its reply for
    // 200 ms; the ~40 requests scheduled meanwhile leave late, once the reply arrives. Only lower
    // bounds are real-time facts (a stall cannot be shorter than the server made it); the exact
    // arithmetic, and that the uncorrected values stay small, is test/load-loop.test.ts on a fake clock.
    const s = await stallingServer(150, 200);
    extra.push(s);
    const r = await run({ port: s.port, rate: 200, connections: 1, duration: '2s' });
    expectSound(r);
    expect(s.stalls).toBe(1);
    expect(r.counters.sent).toBe(400);
    // The 10 requests scheduled in the stall's first 50 ms each waited ≥ 150 ms: 2.5 % of 400.
    expect(decodeHistogram(r.histograms.latency).getValueAtPercentile(97.5)).toBeGreaterThanOrEqual(150_000);
    expect(r.results.latencyUs.p99).toBeGreaterThanOrEqual(150_000);
    expect(r.results.uncorrectedUs!.max).toBeGreaterThanOrEqual(190_000);
    expect(r.selfCheck.sendSlipUs!.max).toBeGreaterThanOrEqual(150_000);
  });
});

describe('UDP loss, reorder and duplicates', () => {
  it('counts every dropped datagram as lost', async () => {
    const s = await quirkyUdpServer({ dropEvery: 10 });
    extra.push(s);
    const r = await run({ port: s.port, transport: 'udp', rate: 500, connections: 2, duration: '1s', timeout: 200 });
    expectSound(r);
    expect(r.counters.sent).toBe(500);
    expect(r.counters.timeouts).toBe(s.quirks.dropped);
    expect(s.quirks.dropped).toBe(50);
    expect(r.results.lossPercent).toBeCloseTo(10, 5);
  });

  it('counts reordered and duplicate replies', async () => {
    const s = await quirkyUdpServer({ doubleEvery: 7, holdEvery: 5 });
    extra.push(s);
    const r = await run({ port: s.port, transport: 'udp', connections: 1, pipeline: 4, requests: 300, duration: undefined, timeout: 500 });
    expectSound(r);
    expect(r.counters.completed).toBe(300);
    expect(s.quirks.doubled).toBeGreaterThan(0);
    expect(s.quirks.reordered).toBeGreaterThan(0);
    expect(r.counters.duplicates).toBe(s.quirks.doubled);
    expect(r.counters.reordered).toBe(s.quirks.reordered);
  });
});

describe('raw echo', () => {
  it('raw-tcp against a plain echo server: a reply is complete when size bytes came back', async () => {
    const s = await plainTcpEcho();
    extra.push(s);
    const r = await run({ port: s.port, transport: 'raw-tcp', size: 1000, pipeline: 3 });
    expectSound(r);
    expect(r.counters.errors + r.counters.timeouts).toBe(0);
    expect(r.counters.bytesReceived).toBe(r.counters.completed * 1000);
  });

  it('raw-udp against a plain echo server', async () => {
    const s = await plainUdpEcho();
    extra.push(s);
    const r = await run({ port: s.port, transport: 'raw-udp', size: 200, duration: '500ms' });
    expectSound(r);
    expect(r.counters.bytesSent).toBe(r.counters.sent * 200);
    expect(s.received()).toBeGreaterThanOrEqual(r.counters.sent);
  });
});

describe('failures', () => {
  it('the server dying mid-run: the run finishes and counts the lost requests as errors', async () => {
    const s = await dyingServer(300);
    extra.push(s);
    const r = await run({ port: s.port, connections: 3, pipeline: 2, duration: '1s' });
    const c = r.counters;
    expect(c.sent).toBe(c.completed + c.errors + c.timeouts);
    expect(c.connectionsLost).toBe(3);
    expect(c.errors).toBeGreaterThan(0);
    expect(Object.keys(c.errorsByCode).every((k) => /^E[A-Z]+$|^CONNECTION_CLOSED$/.test(k))).toBe(true);
  });

  it("a size over the server's own limit (its WELCOME maxPayload) is a usage error before any load", async () => {
    const small = createServer({ host: '127.0.0.1', port: 0, threads: 1, maxPayload: 1000 });
    const p = (await small.listen()).tcp.port;
    try {
      const err = await run({ port: p, size: 2000 }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(UsageError);
      expect((err as Error).message).toBe("--size 2000 makes a 2000-byte payload, over the server's limit of 1000 bytes (its --max-payload)");
    } finally {
      await small.close();
    }
  });

  it('--token opens each connection with HELLO; without it a token server is a usage error', async () => {
    const guarded = createServer({ host: '127.0.0.1', port: 0, threads: 1, token: 's3cret' });
    const p = (await guarded.listen()).tcp.port;
    try {
      const r = await run({ port: p, token: 's3cret', duration: '500ms' });
      expectSound(r);
      expect(r.counters.errors).toBe(0);
      expect(JSON.stringify(makeReport([r]))).not.toContain('s3cret');
      const err = await run({ port: p }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(UsageError);
      expect((err as Error).message).toBe(`127.0.0.1:${p} requires a token (its WELCOME says auth: true): pass --token`);
      const wrong = await run({ port: p, token: 'nope' }).catch((e: unknown) => e);
      expect(wrong).toBeInstanceOf(UsageError);
      expect((wrong as Error).message).toMatch(new RegExp(`^127\\.0\\.0\\.1:${p} refused the token: UNAUTHORIZED \\(.+\\)$`));
    } finally {
      await guarded.close();
    }
  });

  it('an unreachable TCP target names host:port and the OS error', async () => {
    const p = await freePort();
    const err = await run({ port: p }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TargetUnreachable);
    expect((err as TargetUnreachable).message).toMatch(new RegExp(`^cannot connect to 127\\.0\\.0\\.1:${p}: ECONNREFUSED`));
    expect((err as TargetUnreachable).exitCode).toBe(3);
  });

  it('a UDP target that never answers is unreachable, not 100 % loss', async () => {
    const p = await freePort();
    const err = await run({ port: p, transport: 'udp', timeout: 200 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TargetUnreachable);
    expect((err as Error).message).toContain(`cannot connect to 127.0.0.1:${p}: ETIMEDOUT (no reply to 3 udp probes within 200 ms each)`);
  });
});
