// Step 3, UDP at saturation. sockperf under-load --mps=max --reply-every=1 (64 B) against sockperf's
// own server and against sockbench-server's raw UDP echo; then sockbench-loadgen's UDP open loop
// against the framed UDP port, stepping the intended rate up until loss passes 1 %: the result is
// the highest rate that kept loss under 1 % (and that the generator actually sent, within 10 %).
import { fmtInt } from '../table.mjs';
import { loadgen, sockperfClient } from '../tools-run.mjs';
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
    ctx.valueRow('3 UDP saturation', `sockbench-loadgen UDP open loop → sockbench-server, highest rate with loss < ${LOSS_LIMIT} %, req/s`, figures['loadgen udp step'], refLabel, ref, {
      unit: 'req/s',
      sbKey: 'rps',
      refKey: 'receivedPerSec',
      note: lossNote,
    }),
  ];
  return { figures, rows };
}

function lossNote(m) {
  return typeof m.lossPercent === 'number' ? `loss ${m.lossPercent.toFixed(m.lossPercent < 10 ? 2 : 0)} %` : null;
}

/**
 * Open-loop runs at rising rates (×1.5 from 5,000 req/s), then one bisection between the last rate
 * that held and the first that did not. A rate holds when loss < 1 % and the achieved rate is within
 * 10 % of the intended one (past that the generator, not the server, set the pace).
 */
async function stepRate(ctx, port) {
  const secs = ctx.quick ? 1 : 2;
  const steps = [];
  const tryRate = async (rate) => {
    const r = await loadgen(
      ctx,
      {
        port,
        transport: 'udp',
        connections: SOCKETS,
        threads: 2,
        op: 'echo',
        size: 64,
        rate,
        duration: `${secs}s`,
        warmup: '500ms',
        timeout: 200,
      },
      { timeoutMs: (secs + 20) * 1000 },
    );
    const held = r.lossPercent < LOSS_LIMIT && r.rps >= 0.9 * rate;
    steps.push({ rate, rps: r.rps, lossPercent: r.lossPercent, p50: r.p50, p99: r.p99, held, verdict: r.verdict, cmd: r.cmd });
    ctx.say(`  udp ${fmtInt(rate)} req/s intended: ${fmtInt(r.rps)} req/s, loss ${r.lossPercent.toFixed(2)} % → ${held ? 'holds' : 'does not hold'}`);
    return held;
  };
  let good = null;
  let badRate = null;
  const maxSteps = ctx.quick ? 6 : 10;
  for (let rate = 5000; steps.length < maxSteps; rate = Math.round(rate * 1.5)) {
    if (await tryRate(rate)) good = rate;
    else {
      badRate = rate;
      break;
    }
  }
  if (good !== null && badRate !== null) {
    const mid = Math.round((good + badRate) / 2 / 1000) * 1000;
    if (mid > good && mid < badRate && (await tryRate(mid))) good = mid;
  }
  const best = steps.filter((s) => s.held).sort((a, b) => b.rate - a.rate)[0];
  if (!best) return { rps: 0, lossPercent: steps[0]?.lossPercent ?? null, steps, note: 'no rate held (not even 5,000 req/s)' };
  return { ...best, steps };
}
