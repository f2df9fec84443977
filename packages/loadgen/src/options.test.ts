import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { UsageError } from './errors.js';
import { PLAN_OPTIONS, maxSize, resolveRunOptions, shareOf, threadConnections } from './options.js';

function usage(args: Parameters<typeof resolveRunOptions>[0]): string {
  try {
    resolveRunOptions(args);
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError);
    expect((err as UsageError).exitCode).toBe(2);
    expect((err as Error).message).not.toContain('\n');
    return (err as Error).message;
  }
  throw new Error('expected a UsageError');
}

describe('resolveRunOptions', () => {
  it('merges the defaults once', () => {
    const { plan, token, json, quiet } = resolveRunOptions({ port: 7000 });
    expect(plan).toEqual({
      host: '127.0.0.1',
      port: 7000,
      transport: 'tcp',
      connections: 50,
      threads: Math.min(PLAN_OPTIONS.defaultOf('threads') as number, 50),
      op: 'echo',
      size: 64,
      iterations: 0,
      durationMs: 10_000,
      requests: null,
      warmupMs: 1000,
      pipeline: 1,
      rate: null,
      pacing: null,
      timeoutMs: 1000,
      socket: { bind: null, family: null, sndbuf: null, rcvbuf: null, noDelay: true },
    });
    expect([token, json, quiet]).toEqual([null, null, false]);
  });

  it('--pacing: spin by default in open loop, timer when asked, none in closed loop', () => {
    expect(resolveRunOptions({ port: 1, rate: 100 }).plan.pacing).toBe('spin');
    expect(resolveRunOptions({ port: 1, rate: 100, pacing: 'timer' }).plan.pacing).toBe('timer');
    expect(resolveRunOptions({ port: 1, rate: 100, pacing: 'spin' }).plan.pacing).toBe('spin');
    expect(resolveRunOptions({ port: 1 }).plan.pacing).toBeNull();
  });

  it('refuses an unknown --pacing, and --pacing without --rate', () => {
    expect(usage({ port: 1, rate: 100, pacing: 'sleep' })).toBe('--pacing must be one of spin, timer, got sleep');
    expect(usage({ port: 1, pacing: 'timer' })).toBe('--pacing paces the open loop: it needs --rate (got --pacing timer without it)');
    expect(usage({ port: 1, pacing: 'spin', pipeline: 4 })).toBe('--pacing paces the open loop: it needs --rate (got --pacing spin without it)');
    expect(usage({ port: 1, rate: 100, pacing: ['spin', 'timer'] as unknown as string })).toBe('--pacing was given more than once (spin, timer)');
  });

  it('refuses --pipeline with --rate', () => {
    expect(usage({ port: 1, pipeline: 2, rate: 100 })).toBe('--pipeline (closed loop) and --rate (open loop) cannot be used together');
  });

  it('refuses --duration with --requests', () => {
    expect(usage({ port: 1, duration: '5s', requests: 10 })).toBe('--duration and --requests cannot be used together');
  });

  it('names the flag, its value and the range', () => {
    expect(usage({ port: 1, connections: 0 })).toBe('--connections must be an integer in 1..100000, got 0');
    expect(usage({ port: 70000 })).toBe('--port must be an integer in 1..65535, got 70000');
    expect(usage({ port: 1, connections: Number.NaN })).toBe('--connections must be an integer in 1..100000, got NaN');
    expect(usage({ port: 1, pipeline: 1.5 })).toBe('--pipeline must be an integer in 1..65536, got 1.5');
    expect(usage({ port: 1, rate: -5 })).toBe('--rate must be a number in 1..10000000 req/s, got -5');
    expect(usage({ port: 1, timeout: 0 })).toBe('--timeout must be an integer in 1..600000 ms, got 0');
    expect(usage({ port: 1, transport: 'sctp' })).toBe('--transport must be one of tcp, udp, raw-tcp, raw-udp, got sctp');
    expect(usage({ port: 1, op: 'chat' })).toBe('--op must be one of ping, echo, compute, got chat');
    expect(usage({ port: 1, duration: 'soon' })).toBe('--duration must be a duration like 10s, 500ms or 2m, got "soon"');
  });

  it('refuses a size the transport cannot carry', () => {
    expect(usage({ port: 1, transport: 'udp', size: 65_496 })).toBe('--size must be an integer in 0..65495 bytes for --transport udp --op echo, got 65496');
    expect(resolveRunOptions({ port: 1, transport: 'udp', size: 65_495 }).plan.size).toBe(65_495);
    expect(usage({ port: 1, transport: 'tcp', size: 16 * 1024 * 1024 + 1 })).toBe(
      '--size must be an integer in 0..16777216 bytes for --transport tcp --op echo, got 16777217',
    );
    expect(usage({ port: 1, transport: 'udp', op: 'compute', size: 31 })).toBe('--size must be an integer in 32..65491 bytes for --transport udp --op compute, got 31');
    expect(usage({ port: 1, transport: 'raw-udp', size: 3 })).toBe('--size must be an integer in 4..65507 bytes for --transport raw-udp --op echo, got 3');
    expect(maxSize('udp', 'echo') + 12).toBe(65_507);
  });

  it('refuses a flag given twice', () => {
    expect(usage({ port: 1, connections: [2, 3] })).toBe('--connections was given more than once (2, 3)');
  });

  it('refuses what a transport or op does not do', () => {
    expect(usage({ port: 1, transport: 'raw-tcp', op: 'ping' })).toBe('--op ping needs the sockbench protocol; --transport raw-tcp only echoes bytes (use --op echo)');
    expect(usage({ port: 1, op: 'ping', size: 10 })).toBe('--size does not apply to --op ping (PING has an empty payload), got 10');
    expect(usage({ port: 1, transport: 'raw-udp', token: 's3cret' })).toBe('--token is for sockbench servers; --transport raw-udp talks to a plain echo server');
    expect(usage({ port: 1, transport: 'raw-tcp', serverPort: 9 })).toBe(
      "--server-host and --server-port ask a sockbench server's STATS; --transport raw-tcp talks to a plain echo server, which has none",
    );
    expect(usage({ port: 1, serverPort: 0 })).toBe('--server-port must be an integer in 1..65535, got 0');
  });

  it('asks STATS of the target unless --server-host / --server-port say otherwise; a udp run takes --token for it', () => {
    expect(resolveRunOptions({ host: 'a.example', port: 7 }).stats).toEqual({ host: 'a.example', port: 7 });
    expect(resolveRunOptions({ host: 'a.example', port: 7, serverHost: 'b.example' }).stats).toEqual({ host: 'b.example', port: 7 });
    expect(resolveRunOptions({ port: 7, serverPort: 9 }).stats).toEqual({ host: '127.0.0.1', port: 9 });
    const udp = resolveRunOptions({ port: 7, transport: 'udp', token: 's3cret' });
    expect([udp.token, udp.stats]).toEqual(['s3cret', { host: '127.0.0.1', port: 7 }]);
    expect(resolveRunOptions({ port: 7, transport: 'raw-udp' }).stats).toBeNull();
  });

  it('fills per-op defaults and clamps threads to connections', () => {
    expect(resolveRunOptions({ port: 1, op: 'ping' }).plan.size).toBe(0);
    const c = resolveRunOptions({ port: 1, op: 'compute', connections: 3, threads: 8 }).plan;
    expect([c.size, c.iterations, c.threads]).toEqual([32, 1000, 3]);
    const open = resolveRunOptions({ port: 1, rate: 500, requests: 1000 }).plan;
    expect([open.pipeline, open.rate, open.requests, open.durationMs]).toEqual([null, 500, 1000, null]);
  });

  it('every flag of the table says what it is, with a default where one applies', () => {
    for (const row of PLAN_OPTIONS.rows) {
      expect(row.description.length, row.flag).toBeGreaterThan(4);
    }
    expect(PLAN_OPTIONS.defaultOf('connections')).toBe(50);
    expect(PLAN_OPTIONS.row('timeout').description).toContain('ms');
    expect(PLAN_OPTIONS.row('rate').unit).toBe('req/s');
  });
});

describe('durations', () => {
  it('reads units and bare seconds', () => {
    const ms = (duration: unknown): number | null => resolveRunOptions({ port: 1, duration }).plan.durationMs;
    expect([ms('10s'), ms('500ms'), ms('2m'), ms('1.5'), ms(3)]).toEqual([10_000, 500, 120_000, 1500, 3000]);
    expect(resolveRunOptions({ port: 1, warmup: '0' }).plan.warmupMs).toBe(0);
    expect(usage({ port: 1, warmup: '-1s' })).toBe('--warmup must be a duration like 10s, 500ms or 2m, got "-1s"');
    expect(usage({ port: 1, duration: '0s' })).toBe('--duration must be an integer in 1..86400000 ms, got 0');
  });
});

describe('sharing connections and requests', () => {
  it('shares add up to the total and differ by at most one', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1_000_000 }), fc.integer({ min: 1, max: 500 }), (total, n) => {
        const shares = Array.from({ length: n }, (_, i) => shareOf(total, i, n));
        expect(shares.reduce((a, b) => a + b, 0)).toBe(total);
        expect(Math.max(...shares) - Math.min(...shares)).toBeLessThanOrEqual(1);
      }),
    );
  });

  it('threads own disjoint ranges covering every connection', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 256 }), fc.integer({ min: 0, max: 10_000 }), (threads, extra) => {
        const connections = threads + extra;
        let next = 0;
        for (let t = 0; t < threads; t++) {
          const [a, b] = threadConnections(connections, t, threads);
          expect(a).toBe(next);
          expect(b).toBeGreaterThan(a);
          next = b;
        }
        expect(next).toBe(connections);
      }),
    );
  });
});
