/**
 * The server's view of a run, through real generator threads and real sockets on 127.0.0.1: servers
 * that cannot give it (no STATS, an older STATS, silence, a plain echo server), and a UDP relay
 * between generator and server that drops known datagrams each way.
 */
import { createServer, type Server } from '@sockbench/server';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { resolveRunOptions, type RunArgs } from '../src/options.js';
import { makeReport } from '../src/report/output.js';
import { validateReport, type RunReport } from '../src/report/schema.js';
import { renderTable } from '../src/report/text.js';
import { rawMissing, runPlan } from '../src/runner.js';
import { WARMUP_SPAN_NOTE } from '../src/window/window-view.js';
import { framedServer, plainTcpEcho, udpRelay, type TestServer } from './fixtures/servers.js';

const servers: TestServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

function keep<T extends TestServer>(s: T): T {
  servers.push(s);
  return s;
}

function run(args: RunArgs, stats?: { host: string; port: number; timeoutMs?: number }): Promise<RunReport> {
  const opts = resolveRunOptions({ warmup: '0', connections: 2, threads: 1, duration: '500ms', ...args });
  return runPlan({ plan: opts.plan, token: opts.token, ...(stats !== undefined ? { stats } : {}) });
}

function tableLines(r: RunReport): string[] {
  return renderTable([r]).split('\n');
}

describe('a server that cannot give its view: the run still runs and reports, with one line saying why', () => {
  it('no STATS (UNKNOWN_TYPE): no server view, the reason on one line, the run complete', async () => {
    const s = keep(await framedServer('unknown-type'));
    const r = await run({ port: s.port });
    expect(r.counters.completed).toBeGreaterThan(0);
    expect(r.counters.errors).toBe(0);
    expect(r.server).toBeNull();
    const why = `127.0.0.1:${s.port} does not serve STATS: UNKNOWN_TYPE (not a sockbench server, or an older one)`;
    expect(r.serverMissing).toBe(why);
    expect(tableLines(r).filter((l) => l.includes('server view'))).toEqual([`tcp: no server view: ${why}`]);
    expect(r.generatorCpu?.usPerRequest).toBeGreaterThan(0);
    // Asked once, at the window's start: with no view there, nothing is asked after the drain.
    expect(s.statsAsked).toEqual({ empty: 0, query: 1 });
    validateReport(makeReport([r]));
  });

  it('an older server (BAD_PAYLOAD for the query): asked again with an empty STATS, and the report has what it holds', async () => {
    const s = keep(await framedServer('empty-only'));
    const r = await run({ port: s.port, transport: 'udp' });
    expect(s.statsAsked).toEqual({ empty: 2, query: 1 });
    const v = r.server!;
    expect(v).not.toBeNull();
    expect(v.serviceTimeUs).toEqual({});
    expect([v.cpu, v.tcpRetransmits]).toEqual([null, null]);
    // Without a warm-up the first snapshot is taken before any load: every count is exact.
    expect(v.udp).toEqual({
      source: 'totals',
      received: r.counters.sent,
      answered: r.counters.sent,
      lostToServer: 0,
      droppedAtServer: {},
      kernelDrops: null,
      lostFromServer: 0,
    });
    expect(v.notes[0]).toBe(
      `127.0.0.1:${s.port} takes no STATS query (an older server): no service-time histograms and no per-peer counters, so no service time for the window and UDP from the server's totals`,
    );
    validateReport(makeReport([r]));
  });

  it('a server that never answers STATS: the reason names the timeout', async () => {
    const s = keep(await framedServer('silent'));
    const r = await run({ port: s.port }, { host: '127.0.0.1', port: s.port, timeoutMs: 150 });
    expect(r.counters.completed).toBeGreaterThan(0);
    expect(r.serverMissing).toBe(`127.0.0.1:${s.port} sent no STATS reply within 150 ms`);
  });

  it('nothing listening on the STATS port: the reason names the OS error', async () => {
    const s = keep(await framedServer('unknown-type'));
    const other = keep(await plainTcpEcho());
    await other.close();
    servers.pop();
    const r = await run({ port: s.port }, { host: '127.0.0.1', port: other.port });
    expect(r.serverMissing).toBe(`cannot connect to 127.0.0.1:${other.port} for STATS: ECONNREFUSED`);
  });

  it('a raw target: one line, no server view for a plain echo server', async () => {
    const s = keep(await plainTcpEcho());
    const r = await run({ port: s.port, transport: 'raw-tcp' });
    expect(r.serverMissing).toBe(rawMissing('raw-tcp'));
    expect(tableLines(r)).toContain('raw-tcp: no server view: no server view for a plain echo server (--transport raw-tcp)');
  });
});

describe('throughput in bit/s', () => {
  it('bit/s = req/s × bytes × 8 at each layer (payload, + 12 B frame header, + 28 B UDP/IPv4)', async () => {
    const s = keep(await framedServer('unknown-type'));
    const r = await run({ port: s.port, transport: 'udp', size: 100 });
    expect(r.counters.completed).toBe(r.counters.sent);
    const rps = r.results.requestsPerSec;
    expect(r.results.mbitPerSec).toEqual({ payload: (rps * 100 * 8) / 1e6, frame: (rps * 112 * 8) / 1e6, wire: (rps * 140 * 8) / 1e6 });
    expect(r.results.packetsPerSec).toEqual({ sent: rps, received: rps });
  });
});

describe('against the sockbench server', () => {
  let server: Server;
  let port: number;
  beforeAll(async () => {
    // COMPUTE here must progress while other test files keep the cores busy: SCHED_IDLE threads (the default) would get ~0.3 % of a core.
    server = createServer({ host: '127.0.0.1', port: 0, threads: 1, token: 's3cret', udpWithToken: true, poolPolicy: 'other' });
    port = (await server.listen()).tcp.port;
  });
  afterAll(async () => {
    await server.close();
  });

  it('a token server asked without the token, or with a wrong one: the UDP run reports, with one line saying STATS was refused', async () => {
    const none = await run({ port, transport: 'udp' });
    expect(none.counters.completed).toBeGreaterThan(0);
    expect(none.serverMissing).toBe(`127.0.0.1:${port} requires a token for STATS (its WELCOME says auth: true): pass --token`);
    const wrong = await run({ port, transport: 'udp', token: 'nope' });
    expect(wrong.counters.completed).toBeGreaterThan(0);
    expect(wrong.serverMissing).toBe(`127.0.0.1:${port} refused the token for STATS: UNAUTHORIZED`);
  });

  it('COMPUTE whose service time dominates: the server\'s p50 is at least 80 % of the round trip\'s, one service time per request', async () => {
    const r = await run({ port, token: 's3cret', op: 'compute', iterations: 20_000, connections: 1, duration: '1s' });
    const st = r.server?.serviceTimeUs.COMPUTE;
    expect(st).toBeDefined();
    // No warm-up: the window's snapshots bracket exactly the measured requests.
    expect(st!.count).toBe(r.counters.completed);
    expect(st!.p50).toBeGreaterThanOrEqual(0.8 * r.results.latencyUs.p50);
    expect(st!.p50).toBeLessThanOrEqual(r.results.latencyUs.p50);
    expect(r.server!.cpu!.usPerRequest).toBeGreaterThan(0);
    expect(r.server!.udp).toBeNull();
    expect(tableLines(r).find((l) => l.startsWith('server service time p50'))).toMatch(/ms$/);
  });

  it('ECHO: the server\'s p50 is well under the round trip\'s (the rest is the network stack and the generator)', async () => {
    const r = await run({ port, token: 's3cret', connections: 2, duration: '1s' });
    const st = r.server!.serviceTimeUs.ECHO!;
    expect(st.count).toBe(r.counters.completed);
    expect(st.p50).toBeLessThan(r.results.latencyUs.p50 / 2);
    expect(typeof r.server!.tcpRetransmits).toBe('number');
    expect(typeof r.generatorHost!.tcpRetransmits).toBe('number');
  });

  it('UDP straight to the server: counted from this generator\'s own sockets, nothing lost', async () => {
    const r = await run({ port, transport: 'udp', token: 's3cret', connections: 3 });
    expect(r.counters.timeouts).toBe(0);
    expect(r.server!.udp).toEqual({ source: 'peers', received: r.counters.sent, answered: r.counters.sent, lostToServer: 0, droppedAtServer: {}, kernelDrops: r.server!.udp!.kernelDrops, lostFromServer: 0 });
    expect(r.server!.notes).toEqual([]);
  });

  it('UDP through a relay that drops known datagrams each way: lost on the way there and back equal what it dropped, from the totals', async () => {
    // Never the first datagram (the reachability probe); then every 10th forward, every 13th back.
    const relay = keep(await udpRelay(port, { dropForward: (n) => n > 1 && n % 10 === 0, dropBack: (n) => n > 1 && n % 13 === 0 }));
    // With a warm-up: the split counts from the baseline before the load, so it stays exact.
    const r = await run({ port: relay.port, transport: 'udp', token: 's3cret', connections: 4, duration: '1s', warmup: '200ms', timeout: 300 }, { host: '127.0.0.1', port });
    const u = r.server!.udp!;
    expect(relay.counts.forward.dropped).toBeGreaterThan(0);
    expect(relay.counts.back.dropped).toBeGreaterThan(0);
    expect(u.source).toBe('totals');
    expect(u.lostToServer).toBe(relay.counts.forward.dropped);
    expect(u.lostFromServer).toBe(relay.counts.back.dropped);
    expect(r.server!.notes).toContain(WARMUP_SPAN_NOTE);
    expect(r.server!.notes).toContain(
      "the server saw none of this generator's 4 source addresses (a NAT or proxy in between?): using the server's UDP totals, so other clients' traffic in the window cannot be told apart from this generator's",
    );
    expect(tableLines(r).find((l) => l.startsWith('lost on the way to the server'))?.split(/\s+/).at(-1)).toBe(String(relay.counts.forward.dropped));
  });
});
