// Step 3, UDP at saturation. sockperf under-load --mps=max --reply-every=1 (64 B) against sockperf's
// own server and against sockbench-server's raw UDP echo; then `sockbench-loadgen sweep` over UDP
// against the framed UDP port: the knee, the highest rate that kept loss under 1 % and completed
// 95 % of what was offered (its default SLOs), bisected to 5 %; none when the generator was the limit.
import { fmtInt } from '../table.mjs';
import { loadgenSweep, sockperfClient } from '../tools-run.mjs';
import { startSockbench, startSockperf, stopServer } from '../servers.mjs';

const LOSS_LIMIT = 1; // percent
const SOCKETS = 16;

export async function udp(ctx) {
  const secs = ctx.secs;
  const figures = {};
  await ctx.measure(figures, 'sockperf under-load→sockperf', async () => {
    const srv = await startSockperf(false);
    try {
      ctx.command(srv.cmd);
      return await sockperfClient(ctx, { port: srv.port, tcp: false, seconds: secs, underLoad: true });
    } finally {
      await stopServer(srv);
    }
  });
  if (ctx.sockperfMode) {
    await ctx.measure(figures, 'sockperf under-load→sockbench-raw', async () => {
      const srv = await startSockbench(['--workers', '1', '--raw-mode', 'sockperf']);
      try {
        ctx.command(srv.cmd);
        return await sockperfClient(ctx, { port: srv.rawPort, tcp: false, seconds: secs, underLoad: true });
      } finally {
        await stopServer(srv);
      }
    });
  } else ctx.skip('sockperf under-load→sockbench-raw', 'server lacks --raw-mode sockperf');

  await ctx.measure(figures, 'loadgen udp step', async () => {
    const srv = await startSockbench(['--workers', '1']);
    try {
      ctx.command(srv.cmd);
      return await stepRate(ctx, srv.port);
    } finally {
      await stopServer(srv);
    }
  });

  const ref = figures['sockperf under-load→sockperf'];
  const refLabel = 'sockperf under-load --mps=max → sockperf server, replies/s';
  const rows = [
    ctx.valueRow('3 UDP saturation', 'sockperf under-load --mps=max → sockbench-server raw UDP, replies/s', figures['sockperf under-load→sockbench-raw'], refLabel, ref, {
      unit: 'msg/s',
      sbKey: 'receivedPerSec',
      refKey: 'receivedPerSec',
      skipped: ctx.skipped('sockperf under-load→sockbench-raw'),
      note: lossNote,
    }),
    ctx.valueRow('3 UDP saturation', `sockbench-loadgen sweep UDP → sockbench-server, knee (loss < ${LOSS_LIMIT} %, ≥ 95 % completed), req/s`, figures['loadgen udp step'], refLabel, ref, {
      unit: 'req/s',
      sbKey: 'rps',
      refKey: 'receivedPerSec',
      note: (m) => m.note ?? lossNote(m),
    }),
  ];
  return { figures, rows };
}

function lossNote(m) {
  return typeof m.lossPercent === 'number' ? `loss ${m.lossPercent.toFixed(m.lossPercent < 10 ? 2 : 0)} %` : null;
}

/**
 * `sockbench-loadgen sweep --transports udp` from 5,000 req/s ×1.5 a step, bisected to 5 %: the knee
 * step's figures, every step for the results' table, or `rps: 0` and the sweep's reason when no knee
 * was found (the generator was the limit, or not even 5,000 req/s held).
 */
async function stepRate(ctx, port) {
  const secs = ctx.quick ? 1 : 2;
  const maxSteps = ctx.quick ? 6 : 12;
  const flags = { port, connections: SOCKETS, threads: 2, op: 'echo', size: 64, from: 5000, factor: 1.5, resolution: '5%', 'max-steps': maxSteps, 'step-duration': `${secs}s`, warmup: '500ms', timeout: 200 };
  const { knee, steps, cmd } = await loadgenSweep(ctx, 'udp', flags, { timeoutMs: maxSteps * (secs + 10) * 1000 });
  for (const s of steps) ctx.say(`  udp ${fmtInt(s.rate)} req/s intended: ${fmtInt(s.rps)} req/s, loss ${s.lossPercent.toFixed(2)} % → ${s.verdict}`);
  if (!knee.found) return { rps: 0, lossPercent: steps[0]?.lossPercent ?? null, steps, cmd, note: `no knee: ${knee.reason}` };
  const best = steps.find((s) => s.held && s.rate === knee.rate);
  return { ...best, rps: knee.achieved, steps, cmd };
}
