// Step 1, ping-pong latency: 1 connection, 1 request in flight, 64 B, TCP and UDP. Full round trips
// (sockperf --full-rtt; loadgen and redis-benchmark measure the round trip anyway). Client and server
// of every pair are pinned to the same CPU (taskset -c ctx.pin): on a VM, a wake-up that crosses to
// another vCPU costs tens of µs, and whether the scheduler put a pair on one vCPU or two flipped
// sockperf's own TCP p50 between 9 µs and 100 µs from one run to the next.
import { loadgen, nodeEchoClient, redisBenchmark, sockperfClient } from '../tools-run.mjs';
import { startNodeEcho, startRedis, startSockbench, startSockperf, stopServer } from '../servers.mjs';

/** Issue 16's targets for the framed pair against the bare Node pair: p50 and p99 ratios. */
const FLOOR_TARGETS = {
  tcp: floorTarget(1.05, 1.5),
  udp: floorTarget(1.1, 1.5),
};

function floorTarget(p50, p99) {
  return { what: `p50 ≤ ${p50.toFixed(2)}× / p99 ≤ ${p99.toFixed(1)}× the floor`, check: (sb, r) => sb.p50 <= p50 * r.p50 && sb.p99 <= p99 * r.p99 };
}

/** Runs the step; returns { figures, rows } (figures: every measurement, by key). */
export async function latency(ctx) {
  const secs = ctx.secs;
  const figures = {};
  for (const transport of ['tcp', 'udp']) {
    const tcp = transport === 'tcp';
    // The reference: sockperf against its own server.
    await ctx.measure(figures, `sockperf→sockperf ${transport}`, async () => {
      const srv = await startSockperf(tcp, { pin: ctx.pin });
      try {
        ctx.command(srv.cmd);
        return await sockperfClient(ctx, { port: srv.port, tcp, seconds: secs, pin: ctx.pin });
      } finally {
        await stopServer(srv);
      }
    });
    // sockperf's client against sockbench's raw echo, which must clear sockperf's client flag.
    if (ctx.sockperfMode) {
      await ctx.measure(figures, `sockperf→sockbench-raw ${transport}`, async () => {
        const srv = await startSockbench(['--workers', '1', '--raw-mode', 'sockperf'], { pin: ctx.pin });
        try {
          ctx.command(srv.cmd);
          return await sockperfClient(ctx, { port: srv.rawPort, tcp, seconds: secs, pin: ctx.pin });
        } finally {
          await stopServer(srv);
        }
      });
    } else ctx.skip(`sockperf→sockbench-raw ${transport}`, 'server lacks --raw-mode sockperf');
    // Node's own floor: the smallest Node echo pair (node-echo.mjs), no sockbench code at all.
    await ctx.measure(figures, `node-echo ${transport}`, async () => {
      const srv = await startNodeEcho(tcp, { pin: ctx.pin });
      try {
        ctx.command(srv.cmd);
        return await nodeEchoClient(ctx, { port: srv.port, tcp, seconds: secs, pin: ctx.pin });
      } finally {
        await stopServer(srv);
      }
    });
    // The load generator against the server, framed and raw.
    await ctx.measure(figures, `loadgen→sockbench ${transport}`, async () => {
      const srv = await startSockbench(['--workers', '1'], { pin: ctx.pin });
      try {
        ctx.command(srv.cmd);
        const framed = await loadgen(ctx, lgPlan(transport, srv.port, secs), { timeoutMs: (secs + 20) * 1000, pin: ctx.pin });
        figures[`loadgen→sockbench-raw ${transport}`] = await loadgen(ctx, lgPlan(`raw-${transport}`, srv.rawPort, secs), {
          timeoutMs: (secs + 20) * 1000,
          pin: ctx.pin,
        });
        return framed;
      } finally {
        await stopServer(srv);
      }
    });
  }
  // redis-benchmark's round trip over TCP, PING with one client and no pipelining.
  await ctx.measure(figures, 'redis-benchmark→redis tcp', async () => {
    const srv = await startRedis({ pin: ctx.pin });
    try {
      ctx.command(srv.cmd);
      return await redisBenchmark(ctx, { port: srv.port, connections: 1, pipeline: 1, requests: ctx.quick ? 20_000 : 200_000, timeoutMs: 60_000, pin: ctx.pin });
    } finally {
      await stopServer(srv);
    }
  });

  const rows = [];
  for (const transport of ['tcp', 'udp']) {
    const ref = figures[`sockperf→sockperf ${transport}`];
    const T = transport.toUpperCase();
    const refLabel = `sockperf → sockperf server, ${T}`;
    rows.push(
      ctx.latencyRow(`1 ping-pong ${T}`, `sockperf → sockbench-server raw (--raw-mode sockperf), RTT p50/p99/p99.9`, figures[`sockperf→sockbench-raw ${transport}`], refLabel, ref, {
        skipped: ctx.skipped(`sockperf→sockbench-raw ${transport}`),
      }),
      ctx.latencyRow(`1 ping-pong ${T}`, `sockbench-loadgen → sockbench-server (framed, ECHO), RTT p50/p99/p99.9`, figures[`loadgen→sockbench ${transport}`], refLabel, ref, {
        target: { what: 'p50 ≤ 1.5× sockperf', check: (sb, r) => sb.p50 <= 1.5 * r.p50 },
      }),
      ctx.latencyRow(`1 ping-pong ${T}`, `sockbench-loadgen → sockbench-server raw port, RTT p50/p99/p99.9`, figures[`loadgen→sockbench-raw ${transport}`], refLabel, ref),
      ctx.latencyRow(`1 ping-pong ${T}`, `bare Node echo pair (node-echo.mjs: ${transport === 'tcp' ? 'net.Socket' : 'dgram'}, no framing), RTT p50/p99/p99.9`, figures[`node-echo ${transport}`], refLabel, ref),
      ctx.latencyRow(
        `1 ping-pong ${T}`,
        `sockbench-loadgen → sockbench-server (framed, ECHO), RTT p50/p99/p99.9`,
        figures[`loadgen→sockbench ${transport}`],
        `bare Node echo pair (node-echo.mjs), the Node floor`,
        figures[`node-echo ${transport}`],
        { target: FLOOR_TARGETS[transport] },
      ),
    );
  }
  rows.push(
    ctx.latencyRow(
      '1 ping-pong TCP',
      'sockbench-loadgen → sockbench-server (framed, ECHO), RTT p50/p99 (redis-benchmark prints no p99.9)',
      figures['loadgen→sockbench tcp'],
      'redis-benchmark -c 1 -P 1 PING → redis-server',
      figures['redis-benchmark→redis tcp'],
      { noP999: true },
    ),
  );
  return { figures, rows };
}

function lgPlan(transport, port, secs) {
  return {
    port,
    transport,
    connections: 1,
    threads: 1,
    op: 'echo',
    size: 64,
    pipeline: 1,
    duration: `${secs}s`,
    warmup: '1s',
    timeout: 1000,
  };
}
