// Step 5, threads: ECHO 64 B with --dispatch inline vs --dispatch pool (the cost of the thread
// hand-off), and COMPUTE (1000 SHA-256 iterations) with --threads 1 vs 2 (the pool's scaling). One
// server process (--workers 1) each time, so the threads are the only thing that changes.
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

export async function threads(ctx) {
  const figures = {};
  const echo = { op: 'echo', size: 64, connections: 32, pipeline: 4 };
  const compute = { op: 'compute', iterations: 1000, size: 32, connections: 8, pipeline: 2 };
  await ctx.measure(figures, 'echo inline', () => against(ctx, ['--dispatch', 'inline'], echo));
  await ctx.measure(figures, 'echo pool', () => against(ctx, ['--dispatch', 'pool'], echo));
  await ctx.measure(figures, 'compute threads 1', () => against(ctx, ['--threads', '1'], compute));
  await ctx.measure(figures, 'compute threads 2', () => against(ctx, ['--threads', '2'], compute));

  const rows = [
    ctx.valueRow('5 threads', 'ECHO 64 B, 32×4, --dispatch pool, req/s', figures['echo pool'], 'same with --dispatch inline', figures['echo inline'], { unit: 'req/s', sbKey: 'rps', refKey: 'rps' }),
    ctx.valueRow('5 threads', 'ECHO 64 B, 32×4, --dispatch pool, p99', figures['echo pool'], 'same with --dispatch inline', figures['echo inline'], {
      fmt: fmtUs,
      sbKey: 'p99',
      refKey: 'p99',
      lowerIsBetter: true,
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
  ];
  return { figures, rows };
}
