// Step 3, UDP at saturation. sockperf under-load --mps=max --reply-every=1 (64 B) against sockperf's
// own server and against sockbench-server's raw UDP echo; then `sockbench-loadgen sweep` over UDP
// against the framed UDP port: the knee, the highest rate that kept loss under 1 % and completed
// 95 % of what was offered (its default SLOs), bisected to 5 %; none when the generator was the limit.
// Then one open-loop run at the knee's rate with the CPU of both sides sampled: CPU µs per datagram
// on each side, and so which side sets the limit.
//
// The generator paces with `--pacing timer`: with `spin` (the default, for a generator on a machine
// of its own) each of its threads busy-waits a core between sends, and on a 2-core box that the
// server shares those are the server's cores: the knee then measured the spinning, not the server
// (about twice the generator CPU per datagram; tools/bench/README.md, step 3).
import { withCpu } from '../cpu.mjs';
import { fmtInt } from '../table.mjs';
import { loadgen, loadgenSweep, sockperfClient } from '../tools-run.mjs';
import { startSockbench, startSockperf, stopServer } from '../servers.mjs';

const LOSS_LIMIT = 1; // percent
const SOCKETS = 16;
const THREADS = 2;
const PACING = 'timer';
/** The knee before issue 16's work (req/s, loss < 1 %, 16 sockets), and the target: a third more. */
export const UDP_KNEE_BEFORE = 46_936;
export const UDP_KNEE_TARGET = Math.round((UDP_KNEE_BEFORE * 4) / 3);
/**
 * `--udp-recv-buffer` that reproduces a socket nobody set, bytes: Linux grants twice what is asked
 * (socket(7)), so 106,496 reports 212,992, a stock net.core.rmem_default: the server before it asked 4 MiB.
 */
const UNSET_RCVBUF_ASK = 106_496;
/** The sweep's ramp: from this rate, ×FACTOR a step (req/s). */
const FROM = 10_000;
const FACTOR = 1.25;

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
      const knee = await stepRate(ctx, srv.port);
      // The knee's rate again (no knee: the highest step that held), both sides' CPU sampled: µs
      // per datagram each, and the cores used.
      const rate = knee.rate === null ? null : Math.round(knee.rate);
      if (rate !== null) {
        const at = await withCpu(srv.workPid, (onSpawn) => loadgen(ctx, kneePlan(ctx, srv.port, rate), { timeoutMs: (ctx.secs + 25) * 1000, onSpawn }));
        figures['udp cpu at the knee'] = { ...at, rate, kneeFound: knee.kneeFound };
      } else figures['udp cpu at the knee'] = { error: 'no step of the sweep held: no rate to run at' };
      return { ...knee, udpRecvBufferBytes: srv.udpRecvBufferBytes };
    } finally {
      await stopServer(srv);
    }
  });
  // The same sweep against the server's socket at Linux's default receive buffer, as before issue
  // 16 (the server asked none; it now asks 4 MiB): what the buffer alone moves, in the same run.
  await ctx.measure(figures, 'loadgen udp step, OS default buffer', async () => {
    const srv = await startSockbench(['--workers', '1', '--udp-recv-buffer', String(UNSET_RCVBUF_ASK)]);
    try {
      ctx.command(srv.cmd);
      return { ...(await stepRate(ctx, srv.port)), udpRecvBufferBytes: srv.udpRecvBufferBytes };
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
      note: kneeNote,
      target: { what: `≥ ${fmtInt(UDP_KNEE_TARGET)} req/s (${fmtInt(UDP_KNEE_BEFORE)} + 33 %)`, needsReference: false, check: (sb) => sb.rps >= UDP_KNEE_TARGET },
    }),
    ctx.valueRow('3 UDP saturation', `the same sweep, server's receive buffer as it asks by default now (4 MiB; ${bufferText(figures['loadgen udp step'])}), knee, req/s`, figures['loadgen udp step'], `same, server's receive buffer as nobody set it (--udp-recv-buffer ${fmtInt(UNSET_RCVBUF_ASK)}; ${bufferText(figures['loadgen udp step, OS default buffer'])}), as before issue 16`, figures['loadgen udp step, OS default buffer'], {
      unit: 'req/s',
      sbKey: 'rps',
      refKey: 'rps',
      note: kneeNote,
    }),
    ...cpuRows(ctx, figures['udp cpu at the knee']),
  ];
  return { figures, rows };
}

/** The plan of the CPU run: the sweep's sockets, threads and pacing at one open-loop `rate`. */
function kneePlan(ctx, port, rate) {
  return { port, transport: 'udp', connections: SOCKETS, threads: THREADS, op: 'echo', size: 64, rate, pacing: PACING, duration: `${ctx.secs}s`, warmup: '500ms', timeout: 200 };
}

/**
 * CPU µs per datagram answered at the knee's rate, server against generator (user + kernel), with
 * the cores each used: the side nearer its ceiling (the server has one event loop, the generator
 * THREADS threads) is the limit's side.
 */
function cpuRows(ctx, m) {
  const ok = m && !m.error && m.cpu?.serverUsPerRequest && m.cpu?.clientUsPerRequest;
  const side = (us, c) => (ok ? { value: us.total, us, cores: c } : (m ?? { error: 'not measured' }));
  const server = ok ? side(m.cpu.serverUsPerRequest, m.cpu.serverCores) : side();
  const gen = ok ? side(m.cpu.clientUsPerRequest, m.cpu.clientCores) : side();
  const which = ok && m.kneeFound ? "the knee's rate again" : 'no knee: the highest step that held';
  const at = ok ? ` at ${fmtInt(m.rate)} req/s (${which}; achieved ${fmtInt(m.rps)}, loss ${m.lossPercent.toFixed(2)} %)` : ' at the knee';
  return [
    ctx.valueRow('3 UDP saturation', `CPU µs per datagram${at}: sockbench-server (1 event loop)`, server, `sockbench-loadgen (${THREADS} threads, --pacing ${PACING})`, gen, {
      fmt: (v) => `${v.toFixed(1)} µs`,
      lowerIsBetter: true,
      note: (x) => (x.us ? `${x.us.user.toFixed(1)} user + ${x.us.sys.toFixed(1)} kernel, ${x.cores.total.toFixed(2)} cores` : null),
    }),
  ];
}

function lossNote(m) {
  return typeof m.lossPercent === 'number' ? `loss ${m.lossPercent.toFixed(m.lossPercent < 10 ? 2 : 0)} %` : null;
}

/** What the server's listening line said the kernel granted (Linux reports twice the size granted). */
function bufferText(m) {
  return typeof m?.udpRecvBufferBytes === 'number' ? `${fmtInt(m.udpRecvBufferBytes)} B reported` : 'size not reported';
}

/** The sweep's figure as text: its knee's loss, or why it found none and what held below. */
function kneeNote(m) {
  return m.note ?? lossNote(m);
}

/**
 * `sockbench-loadgen sweep --transports udp` from {@link FROM} req/s ×{@link FACTOR} a step, bisected
 * to 5 %: the knee step's figures, every step for the results' table, and `rate` (the knee's, else the
 * highest step that held, else null). Without a knee `rps` is the highest step that held, a lower
 * bound (0 when none did), and the note says why the sweep stopped (the generator was the limit).
 */
async function stepRate(ctx, port) {
  const secs = ctx.quick ? 1 : 2;
  const maxSteps = ctx.quick ? 6 : 14;
  const flags = { port, connections: SOCKETS, threads: THREADS, pacing: PACING, op: 'echo', size: 64, from: FROM, factor: FACTOR, resolution: '5%', 'max-steps': maxSteps, 'step-duration': `${secs}s`, warmup: '500ms', timeout: 200 };
  const { knee, steps, cmd } = await loadgenSweep(ctx, 'udp', flags, { timeoutMs: maxSteps * (secs + 10) * 1000 });
  for (const s of steps) ctx.say(`  udp ${fmtInt(s.rate)} req/s intended: ${fmtInt(s.rps)} req/s, loss ${s.lossPercent.toFixed(2)} % → ${s.verdict}`);
  if (!knee.found) {
    const held = steps.filter((st) => st.held).reduce((a, st) => (a === null || st.rate > a.rate ? st : a), null);
    const floor = held === null ? 'no step held' : `≥ ${fmtInt(held.rps)} req/s held (loss ${held.lossPercent.toFixed(2)} %)`;
    return { ...(held ?? {}), rps: held?.rps ?? 0, lossPercent: held?.lossPercent ?? steps[0]?.lossPercent ?? null, rate: held?.rate ?? null, kneeFound: false, steps, cmd, note: `no knee: ${floor}; ${knee.reason}` };
  }
  const best = steps.find((s) => s.held && s.rate === knee.rate);
  return { ...best, rps: knee.achieved, rate: knee.rate, kneeFound: true, steps, cmd };
}
