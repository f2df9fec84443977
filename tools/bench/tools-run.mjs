// One bounded run of each client tool: the exact command line (for results.md), its output parsed.
// A run that times out or fails throws an Error that names the command and quotes its output's tail.
import { HOST } from './net.mjs';
import { parseIperf3, parseLoadgen, parseRedisCsv, parseSockperf, parseSweep } from './parse.mjs';
import { run, wrap } from './proc.mjs';
import { ROOT } from './paths.mjs';
import { waitForBuild } from './build.mjs';
import { LOADGEN_BIN, NODE_ECHO, NODE_PIPELINED } from './servers.mjs';

async function bounded(ctx, name, cmd0, args0, timeoutMs, { pin, ...opts } = {}) {
  const { cmd, args, shown: line } = wrap(cmd0, args0, { pin });
  ctx.command(line);
  const r = await run(name, cmd, args, { timeoutMs, cwd: ROOT, ...opts });
  if (r.timedOut) throw new Error(`${name}: stopped after ${timeoutMs} ms (timeout): ${line}`);
  return { ...r, line };
}

function failed(name, r) {
  const tail = `${r.stderr}\n${r.stdout}`.trim().split('\n').slice(-8).join('\n');
  return new Error(`${name} exited ${r.code ?? r.signal}: ${r.line}\n${tail}`);
}

/** sockperf ping-pong (or under-load with `underLoad`) for `seconds`, 64 B, full RTT. */
export async function sockperfClient(ctx, { port, tcp, seconds, size = 64, underLoad = false, pin }) {
  const args = underLoad
    ? ['under-load', '-i', HOST, '-p', String(port), ...(tcp ? ['--tcp'] : []), '-m', String(size), '-t', String(seconds), '--mps=max', '--reply-every=1', '--full-rtt']
    : ['ping-pong', '-i', HOST, '-p', String(port), ...(tcp ? ['--tcp'] : []), '-m', String(size), '-t', String(seconds), '--full-rtt'];
  const r = await bounded(ctx, 'sockperf', 'sockperf', args, (seconds + 15) * 1000, { pin });
  if (r.code !== 0) throw failed('sockperf', r);
  return { ...parseSockperf(r.stdout + r.stderr), cmd: r.line };
}

/** node-echo.mjs client: 1 s warm-up, `seconds` of 64-byte ping-pong; { p50, p99, p999, max, count } in µs. */
export async function nodeEchoClient(ctx, { port, tcp, seconds, pin }) {
  const r = await bounded(ctx, 'node-echo', process.execPath, [NODE_ECHO, 'client', tcp ? 'tcp' : 'udp', String(port), String(seconds)], (seconds + 15) * 1000, { pin });
  if (r.code !== 0) throw failed('node-echo', r);
  const line = r.stdout.trim().split('\n').pop() ?? '';
  let out;
  try {
    out = JSON.parse(line);
  } catch {
    throw failed('node-echo', r);
  }
  return { ...out, cmd: r.line };
}

/**
 * node-pipelined.mjs against a node-echo.mjs server: 1 s warm-up, `seconds` measured, `connections` ×
 * `depth` messages of `size` bytes in flight; { rps, mbPerSec (each way, 10⁶ B/s) }.
 */
export async function nodePipelinedClient(ctx, { port, seconds, size, connections, depth }) {
  const args = [NODE_PIPELINED, String(port), String(seconds), String(size), String(connections), String(depth)];
  const r = await bounded(ctx, 'node-pipelined', process.execPath, args, (seconds + 15) * 1000);
  if (r.code !== 0) throw failed('node-pipelined', r);
  try {
    return { ...JSON.parse(r.stdout.trim().split('\n').pop() ?? ''), cmd: r.line };
  } catch {
    throw failed('node-pipelined', r);
  }
}

/** redis-benchmark -t ping_mbulk -c C -P P -n N --csv. */
export async function redisBenchmark(ctx, { port, connections, pipeline, requests, timeoutMs, onSpawn, pin }) {
  const args = ['-h', HOST, '-p', String(port), '-t', 'ping_mbulk', '-c', String(connections), '-P', String(pipeline), '-n', String(requests), '--csv'];
  const r = await bounded(ctx, 'redis-benchmark', 'redis-benchmark', args, timeoutMs, { onSpawn, pin });
  if (r.code !== 0) throw failed('redis-benchmark', r);
  return { ...parseRedisCsv(r.stdout, 'PING_MBULK'), cmd: r.line };
}

/** iperf3 client, one TCP stream, `seconds`, JSON. */
export async function iperf3Client(ctx, { port, seconds }) {
  const args = ['-c', HOST, '-p', String(port), '-t', String(seconds), '-P', '1', '-J'];
  const r = await bounded(ctx, 'iperf3', 'iperf3', args, (seconds + 15) * 1000);
  if (r.code !== 0) throw failed('iperf3', r);
  return { ...parseIperf3(r.stdout), cmd: r.line };
}

/**
 * sockbench-loadgen with `flags` (an object of --flag: value) plus --json - --quiet. Exit 1 (the run
 * had errors, e.g. UDP loss counted as timeouts is not an error but lost connections are) still
 * yields the report; other exits throw. `onSpawn` sees the child (the scale step samples its RSS).
 */
export async function loadgen(ctx, flags, { timeoutMs, onSpawn, noFile, pin } = {}) {
  const args = [LOADGEN_BIN, '--host', HOST];
  for (const [k, v] of Object.entries(flags)) args.push(`--${k}`, String(v));
  args.push('--json', '-', '--quiet');
  const { cmd, args: argv, shown } = wrap(process.execPath, args, { noFile, pin, display: 'node' });
  ctx.command(shown);
  await waitForBuild(ctx.say);
  let r = await run('sockbench-loadgen', cmd, argv, { timeoutMs, cwd: ROOT, onSpawn });
  if (r.code === 1 && /not built yet/.test(r.stderr)) {
    // Another engineer rebuilt the package under us: wait for dist/ to come back and run it again.
    await waitForBuild(ctx.say);
    r = await run('sockbench-loadgen', cmd, argv, { timeoutMs, cwd: ROOT, onSpawn });
  }
  const res = { ...r, line: shown };
  if (r.timedOut) throw new Error(`sockbench-loadgen: stopped after ${timeoutMs} ms (timeout): ${shown}`);
  if ((r.code !== 0 && r.code !== 1) || r.stdout.trim() === '') throw failed('sockbench-loadgen', res);
  return { ...parseLoadgen(r.stdout), exitCode: r.code, cmd: shown };
}


/**
 * `sockbench-loadgen sweep` over one transport with `flags` plus --json - --quiet: its steps and knee
 * (parseSweep). Exit 0 is the only success (an SLO failing is how a sweep finds its knee).
 */
export async function loadgenSweep(ctx, transport, flags, { timeoutMs } = {}) {
  const args = [LOADGEN_BIN, 'sweep', '--host', HOST, '--transports', transport];
  for (const [k, v] of Object.entries(flags)) args.push(`--${k}`, String(v));
  args.push('--json', '-', '--quiet');
  const { cmd, args: argv, shown } = wrap(process.execPath, args, { display: 'node' });
  ctx.command(shown);
  await waitForBuild(ctx.say);
  const r = await run('sockbench-loadgen sweep', cmd, argv, { timeoutMs, cwd: ROOT });
  const res = { ...r, line: shown };
  if (r.timedOut) throw new Error(`sockbench-loadgen sweep: stopped after ${timeoutMs} ms (timeout): ${shown}`);
  if (r.code !== 0) throw failed('sockbench-loadgen sweep', res);
  return { ...parseSweep(r.stdout, transport), cmd: shown };
}
