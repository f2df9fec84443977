// Step 5, threads: ECHO 64 B with --dispatch inline vs --dispatch pool (the cost of the thread
// hand-off, batched per event-loop turn), COMPUTE (1000 SHA-256 iterations) with --threads 1 vs 2
// (the pool's scaling), and PING on other connections while COMPUTE saturates the pool against PING
// alone (does one slow request stall the others?). One server process (--workers 1) each time, so the
// threads are the only thing that changes.
import { fmtUs } from '../table.mjs';
import { loadgen } from '../tools-run.mjs';
import { startSockbench, stopServer } from '../servers.mjs';

async function against(ctx, serverFlags, plan) {
  const srv = await startSockbench(['--workers', '1', ...serverFlags]);
  try {
    ctx.command(srv.cmd);
    return await loadgen(ctx, { port: srv.port, transport: 'tcp', threads: 2, duration: `${ctx.secs}s`, warmup: '1s', timeout: 2000, ...plan }, { timeoutMs: (ctx.secs + 25) * 1000 });
  } finally {
    await stopServer(srv);
  }
}

/**
 * PING (4 connections × 1 in flight) measured while COMPUTE (8 × 2, 1000 iterations) keeps both
 * threads busy: two generators at once, the COMPUTE one running 2 s longer so PING's measured window
 * lies inside it. Returns PING's figures.
 */
async function pingUnderCompute(ctx, serverFlags, ping, compute) {
  const srv = await startSockbench(['--workers', '1', '--threads', '2', ...serverFlags]);
  try {
    ctx.command(srv.cmd);
    const base = { port: srv.port, transport: 'tcp', warmup: '1s', timeout: 5000 };
    const timeoutMs = (ctx.secs + 30) * 1000;
    const [, under] = await Promise.all([
      loadgen(ctx, { ...base, ...compute, duration: `${ctx.secs + 2}s` }, { timeoutMs }),
      loadgen(ctx, { ...base, ...ping, duration: `${ctx.secs}s` }, { timeoutMs }),
    ]);
    return under;
  } finally {
    await stopServer(srv);
  }
}

export async function threads(ctx) {
  const figures = {};
  const echo = { op: 'echo', size: 64, connections: 32, pipeline: 4 };
  const compute = { op: 'compute', iterations: 1000, size: 32, connections: 8, pipeline: 2 };
  await ctx.measure(figures, 'echo inline', () => against(ctx, ['--dispatch', 'inline'], echo));
  await ctx.measure(figures, 'echo pool', () => against(ctx, ['--dispatch', 'pool'], echo));
  await ctx.measure(figures, 'compute threads 1', () => against(ctx, ['--threads', '1'], compute));
  await ctx.measure(figures, 'compute threads 2', () => against(ctx, ['--threads', '2'], compute));
  const ping = { op: 'ping', connections: 4, pipeline: 1, threads: 1 };
  const saturating = { ...compute, threads: 1 };
  await ctx.measure(figures, 'ping alone', () => against(ctx, ['--threads', '2'], { ...ping, timeout: 5000 }));
  await ctx.measure(figures, 'ping under compute inline', () => pingUnderCompute(ctx, ['--dispatch', 'inline'], ping, saturating));
  await ctx.measure(figures, 'ping under compute pool', () => pingUnderCompute(ctx, ['--dispatch', 'pool'], ping, saturating));

  const rows = [
    ctx.valueRow('5 threads', 'ECHO 64 B, 32×4, --dispatch pool, req/s', figures['echo pool'], 'same with --dispatch inline', figures['echo inline'], {
      unit: 'req/s',
      sbKey: 'rps',
      refKey: 'rps',
      target: { what: '≥ 0.30× inline', check: (sb, r) => sb.rps >= 0.3 * r.rps },
    }),
    ctx.valueRow('5 threads', 'ECHO 64 B, 32×4, --dispatch pool, p99', figures['echo pool'], 'same with --dispatch inline', figures['echo inline'], {
      fmt: fmtUs,
      sbKey: 'p99',
      refKey: 'p99',
      lowerIsBetter: true,
      target: { what: '≤ 3× inline', check: (sb, r) => sb.p99 <= 3 * r.p99 },
    }),
    ctx.valueRow('5 threads', 'COMPUTE 1000 iterations, 8×2, --threads 2, req/s', figures['compute threads 2'], 'same with --threads 1', figures['compute threads 1'], {
      unit: 'req/s',
      sbKey: 'rps',
      refKey: 'rps',
    }),
    ctx.valueRow('5 threads', 'COMPUTE 1000 iterations, 8×2, --threads 2, p99', figures['compute threads 2'], 'same with --threads 1', figures['compute threads 1'], {
      fmt: fmtUs,
      sbKey: 'p99',
      refKey: 'p99',
      lowerIsBetter: true,
    }),
    ctx.valueRow('5 threads', 'PING p99, 4×1, while COMPUTE 8×2 saturates the pool on other connections (--dispatch inline)', figures['ping under compute inline'], 'PING alone, same server', figures['ping alone'], {
      fmt: fmtUs,
      sbKey: 'p99',
      refKey: 'p99',
      lowerIsBetter: true,
      target: { what: '≤ 2× alone', check: (sb, r) => sb.p99 <= 2 * r.p99 },
    }),
    // No target: with --dispatch pool every PING crosses to a thread, so it waits for a thread to
    // finish the COMPUTE it runs (batches pass the COMPUTEs queued, not the running ones).
    ctx.valueRow('5 threads', 'same, --dispatch pool (PING waits for a running COMPUTE)', figures['ping under compute pool'], 'PING alone, --dispatch inline', figures['ping alone'], {
      fmt: fmtUs,
      sbKey: 'p99',
      refKey: 'p99',
      lowerIsBetter: true,
    }),
  ];
  return { figures, rows };
}
