// Step 4, scale: 10,000 concurrent idle TCP connections. RSS (VmRSS, /proc/PID/status) per connection
// = (RSS holding them − RSS before) ÷ connections, for
//   - sockbench-server (one process, --workers 0) vs redis-server holding the same connections, both
//     opened by idle-conns.mjs (a child that connects and sends nothing);
//   - sockbench-loadgen holding them (open loop at 1,000 req/s over 10,000 connections, so each one
//     sends a request every 10 s: nearly idle) vs idle-conns.mjs itself (bare Node sockets), each
//     measured as the difference between holding 10,000 and holding 100; and the same two at 100
//     and 1,000 connections, each against holding 2 (the loadgen runs 2 threads).
// Every process that holds them gets `ulimit -n` raised (Node cannot raise its own).
import { join } from 'node:path';
import { rssKiB } from '../net.mjs';
import { commandLine, start, stop, withNoFile } from '../proc.mjs';
import { ROOT } from '../paths.mjs';
import { loadgen } from '../tools-run.mjs';
import { startRedis, startSockbench, stopServer } from '../servers.mjs';

const IDLE = join(ROOT, 'tools/bench/idle-conns.mjs');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Opens `count` idle connections from a child; resolves with the child and its report line. */
async function openIdle(ctx, port, count) {
  const noFile = count + 1024;
  const args = [IDLE, String(port), String(count), '120'];
  ctx.command(`(ulimit -n ${noFile}; ${commandLine('node', ['tools/bench/idle-conns.mjs', String(port), String(count), '120'])})`);
  const { cmd, args: a } = withNoFile(noFile, process.execPath, args);
  let resolveLine;
  const line = new Promise((r) => (resolveLine = r));
  const child = start('idle-conns', cmd, a, { cwd: ROOT, onLine: (l) => l.startsWith('{') && resolveLine(JSON.parse(l)) });
  const timeout = sleep(60_000).then(() => null);
  const exited = new Promise((r) => child.once('exit', () => r(null)));
  const report = await Promise.race([line, timeout, exited]);
  if (!report) {
    await stop(child);
    throw new Error(`idle-conns.mjs gave no report within 60 s:\n${child.tail.join('\n')}`);
  }
  return { child, report };
}

/** RSS of `pid` before and while `count` idle connections are held; per connection in KiB. */
async function holdAndMeasure(ctx, pid, port, count) {
  await sleep(500);
  const before = rssKiB(pid);
  const { child, report } = await openIdle(ctx, port, count);
  try {
    if (report.open < count) throw new Error(`only ${report.open} of ${count} connections opened (${report.failed} failed: ${report.firstError})`);
    await sleep(1500); // let the server finish accepting and allocating
    const after = rssKiB(pid);
    return { connections: report.open, rssBeforeKiB: before, rssAfterKiB: after, value: (after - before) / report.open, connectMs: report.ms, childRssKiB: report.rssKiB };
  } finally {
    await stop(child);
  }
}

export async function scale(ctx) {
  const count = ctx.quick ? 2000 : 10_000;
  const noFile = count + 1024;
  const figures = {};
  await ctx.measure(figures, 'sockbench-server idle', async () => {
    const srv = await startSockbench(['--workers', '0', '--max-connections', String(count * 2)], { noFile });
    try {
      ctx.command(srv.cmd);
      return await holdAndMeasure(ctx, srv.workPid, srv.port, count);
    } finally {
      await stopServer(srv);
    }
  });
  await ctx.measure(figures, 'redis-server idle', async () => {
    const srv = await startRedis({ maxclients: count + 100, noFile });
    try {
      ctx.command(srv.cmd);
      return await holdAndMeasure(ctx, srv.pid, srv.port, count);
    } finally {
      await stopServer(srv);
    }
  });

  // The load generator: peak RSS while it holds `count` vs 100 connections, same plan otherwise.
  await ctx.measure(figures, 'sockbench-loadgen', async () => {
    const srv = await startSockbench(['--workers', '1', '--max-connections', String(count * 2)], { noFile });
    try {
      ctx.command(srv.cmd);
      const peak = async (connections) => {
        let max = 0;
        let timer;
        const r = await loadgen(
          ctx,
          { port: srv.port, transport: 'tcp', connections, threads: 2, op: 'ping', rate: 1000, duration: ctx.quick ? '2s' : '3s', warmup: '0', timeout: 2000 },
          {
            timeoutMs: 90_000,
            noFile,
            onSpawn: (child) => {
              timer = setInterval(() => (max = Math.max(max, rssKiB(child.pid) ?? 0)), 100);
            },
          },
        );
        clearInterval(timer);
        if (r.counters.connectionsLost > 0) throw new Error(`${r.counters.connectionsLost} connections lost`);
        return { peakRssKiB: max, completed: r.counters.completed };
      };
      const two = await peak(2);
      const few = await peak(100);
      const mid = await peak(1000);
      const many = await peak(count);
      figures['sockbench-loadgen 100'] = { connections: 100, peak2KiB: two.peakRssKiB, peakKiB: few.peakRssKiB, value: (few.peakRssKiB - two.peakRssKiB) / 98 };
      figures['sockbench-loadgen 1000'] = { connections: 1000, peak2KiB: two.peakRssKiB, peakKiB: mid.peakRssKiB, value: (mid.peakRssKiB - two.peakRssKiB) / 998 };
      return { connections: count, peak100KiB: few.peakRssKiB, peakKiB: many.peakRssKiB, value: (many.peakRssKiB - few.peakRssKiB) / (count - 100) };
    } finally {
      await stopServer(srv);
    }
  });
  await ctx.measure(figures, 'bare node sockets', async () => {
    const srv = await startSockbench(['--workers', '0', '--max-connections', String(count * 2)], { noFile });
    try {
      ctx.command(srv.cmd);
      const held = async (n) => {
        const { child, report } = await openIdle(ctx, srv.port, n);
        await stop(child);
        return report;
      };
      const two = await held(2);
      const few = await held(100);
      const mid = await held(1000);
      const many = await held(count);
      figures['bare node sockets 100'] = { connections: 100, rss2KiB: two.rssKiB, rssKiB: few.rssKiB, value: (few.rssKiB - two.rssKiB) / 98 };
      figures['bare node sockets 1000'] = { connections: 1000, rss2KiB: two.rssKiB, rssKiB: mid.rssKiB, value: (mid.rssKiB - two.rssKiB) / 998 };
      return { connections: count, rss100KiB: few.rssKiB, rssKiB: many.rssKiB, value: (many.rssKiB - few.rssKiB) / (count - 100) };
    } finally {
      await stopServer(srv);
    }
  });

  const kib = (v) => `${v.toFixed(1)} KiB`;
  const n = count.toLocaleString('en-US');
  const rows = [
    ctx.valueRow('4 scale', `sockbench-server, ${n} idle TCP connections, RSS per connection`, figures['sockbench-server idle'], `redis-server holding the same ${n}`, figures['redis-server idle'], {
      fmt: kib,
      lowerIsBetter: true,
      target: { what: '≤ 10 KiB', needsReference: false, check: (sb) => sb.value <= 10 },
    }),
    ...[100, 1000].map((k) =>
      ctx.valueRow('4 scale', `sockbench-loadgen, ${k.toLocaleString('en-US')} TCP connections (1,000 req/s in all), RSS per connection (vs 2)`, figures[`sockbench-loadgen ${k}`], `bare Node net.Socket × ${k.toLocaleString('en-US')} (vs 2)`, figures[`bare node sockets ${k}`], {
        fmt: kib,
        lowerIsBetter: true,
      }),
    ),
    ctx.valueRow('4 scale', `sockbench-loadgen, ${n} TCP connections (1,000 req/s in all), RSS per connection`, figures['sockbench-loadgen'], `bare Node net.Socket × ${n} (idle-conns.mjs)`, figures['bare node sockets'], {
      fmt: kib,
      lowerIsBetter: true,
      target: { what: '≤ 8 KiB', needsReference: false, check: (sb) => sb.value <= 8 },
    }),
  ];
  return { figures, rows };
}
