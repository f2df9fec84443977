// Step 2, pipelined throughput: 50 connections × 16 requests in flight, ECHO 64 B and 1 KiB, against
// redis-benchmark PING (ping_mbulk) at the same connections × depth, and iperf3's one TCP stream as
// the bandwidth ceiling of this machine's loopback; and the bare Node pipelined echo pair
// (node-pipelined.mjs → node-echo.mjs, the same bytes per request) as the Node floor under both.
import { withCpu } from '../cpu.mjs';
import { fmtInt } from '../table.mjs';
import { iperf3Client, loadgen, nodePipelinedClient, redisBenchmark } from '../tools-run.mjs';
import { startIperf3, startNodeEcho, startRedis, startSockbench, stopServer } from '../servers.mjs';

export const CONNECTIONS = 50;
/** The sockbench frame header, bytes (docs/protocol.md): the floor pair's messages carry as many bytes as a frame. */
const HEADER_BYTES = 12;
export const DEPTH = 16;

export async function throughput(ctx) {
  const secs = ctx.secs;
  const figures = {};
  await ctx.measure(figures, 'loadgen→sockbench echo 64', async () => {
    const srv = await startSockbench(['--workers', '1']);
    try {
      ctx.command(srv.cmd);
      const plan = (size) => ({
        port: srv.port,
        transport: 'tcp',
        connections: CONNECTIONS,
        // One generator thread, as redis-benchmark runs by default: same generator CPU on both sides.
        threads: 1,
        op: 'echo',
        size,
        pipeline: DEPTH,
        duration: `${secs}s`,
        warmup: '1s',
        timeout: 2000,
      });
      const run = (size) => withCpu(srv.workPid, (onSpawn) => loadgen(ctx, plan(size), { timeoutMs: (secs + 25) * 1000, onSpawn }));
      const small = await run(64);
      await ctx.measure(figures, 'loadgen→sockbench echo 1024', () => run(1024));
      return small;
    } finally {
      await stopServer(srv);
    }
  });
  await ctx.measure(figures, 'redis-benchmark→redis pipelined', async () => {
    const srv = await startRedis();
    try {
      ctx.command(srv.cmd);
      return await withCpu(srv.pid, (onSpawn) =>
        redisBenchmark(ctx, {
          port: srv.port,
          connections: CONNECTIONS,
          pipeline: DEPTH,
          requests: ctx.quick ? 500_000 : 4_000_000,
          timeoutMs: 60_000,
          onSpawn,
        }),
      );
    } finally {
      await stopServer(srv);
    }
  });
  // The Node floor: messages of a sockbench frame's size (payload + 12 B header), no framing.
  await ctx.measure(figures, 'bare node pipelined 64', async () => {
    const srv = await startNodeEcho(true);
    try {
      ctx.command(srv.cmd);
      const run = (size) => nodePipelinedClient(ctx, { port: srv.port, seconds: secs, size: size + HEADER_BYTES, connections: CONNECTIONS, depth: DEPTH });
      const small = await run(64);
      await ctx.measure(figures, 'bare node pipelined 1024', () => run(1024));
      return small;
    } finally {
      await stopServer(srv);
    }
  });
  await ctx.measure(figures, 'iperf3 one stream', async () => {
    const srv = await startIperf3();
    try {
      ctx.command(srv.cmd);
      const r = await iperf3Client(ctx, { port: srv.port, seconds: secs });
      return { ...r, mbPerSec: r.bitsPerSec / 8 / 1e6 };
    } finally {
      await stopServer(srv);
    }
  });

  const redisLabel = `redis-benchmark -t ping_mbulk -c ${CONNECTIONS} -P ${DEPTH} → redis-server, PING/s`;
  const iperfLabel = 'iperf3 → iperf3, 1 TCP stream, MB/s';
  const mb = (v) => `${v >= 100 ? fmtInt(v) : v.toFixed(1)} MB/s`;
  const small = figures['loadgen→sockbench echo 64'];
  const big = figures['loadgen→sockbench echo 1024'];
  const redis = figures['redis-benchmark→redis pipelined'];
  const iperf = figures['iperf3 one stream'];
  const bareSmall = figures['bare node pipelined 64'];
  const bareBig = figures['bare node pipelined 1024'];
  const bareLabel = (size) => `bare Node echo pair (node-pipelined.mjs → node-echo.mjs), ${size + HEADER_BYTES} B messages`;
  const rows = [
    ctx.valueRow('2 pipelined', `sockbench-loadgen → sockbench-server, ECHO 64 B, ${CONNECTIONS}×${DEPTH}, req/s`, small, redisLabel, redis, {
      unit: 'req/s',
      sbKey: 'rps',
      refKey: 'rps',
      target: { what: '≥ 0.75× redis', check: (sb, r) => sb.rps >= 0.75 * r.rps },
    }),
    ctx.valueRow('2 pipelined', `sockbench-loadgen → sockbench-server, ECHO 1 KiB, ${CONNECTIONS}×${DEPTH}, req/s`, big, redisLabel, redis, {
      unit: 'req/s',
      sbKey: 'rps',
      refKey: 'rps',
    }),
    ctx.valueRow('2 pipelined', `sockbench-loadgen → sockbench-server, ECHO 64 B, ${CONNECTIONS}×${DEPTH}, req/s`, small, `${bareLabel(64)}, req/s, the Node floor`, bareSmall, { unit: 'req/s', sbKey: 'rps', refKey: 'rps' }),
    ctx.valueRow('2 pipelined', 'ECHO 64 B, MB/s each way (frames incl. 12 B header)', small, iperfLabel, iperf, { fmt: mb, sbKey: 'mbSent', refKey: 'mbPerSec' }),
    ctx.valueRow('2 pipelined', 'ECHO 1 KiB, MB/s each way (frames incl. 12 B header)', big, iperfLabel, iperf, {
      fmt: mb,
      sbKey: 'mbSent',
      refKey: 'mbPerSec',
      target: { what: '≥ 0.45× iperf3', check: (sb, r) => sb.mbSent >= 0.45 * r.mbPerSec },
    }),
    // No Node echo server reaches much more: the floor pair against the same ceiling.
    ctx.valueRow('2 pipelined', `${bareLabel(1024)}, MB/s each way`, bareBig, iperfLabel, iperf, { fmt: mb, sbKey: 'mbPerSec', refKey: 'mbPerSec' }),
    ctx.valueRow('2 pipelined', 'ECHO 1 KiB, MB/s each way (frames incl. 12 B header)', big, `${bareLabel(1024)}, the Node floor`, bareBig, { fmt: mb, sbKey: 'mbSent', refKey: 'mbPerSec' }),
  ];
  return { figures, rows };
}
