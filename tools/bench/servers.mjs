// The servers a step measures against, each started on 127.0.0.1 and a free port, each returned as
// { child, pid, port, cmd } so the step can stop it (proc.stop) in its finally.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { freePort, HOST, waitTcp, waitUdpBound } from './net.mjs';
import { commandLine, start, stop, wrap } from './proc.mjs';
import { ROOT } from './paths.mjs';
import { waitForBuild } from './build.mjs';

export const SERVER_BIN = 'packages/server/bin/sockbench-server.js';
export const LOADGEN_BIN = 'packages/loadgen/bin/sockbench-loadgen.js';
export const NODE_ECHO = 'tools/bench/node-echo.mjs';
export const NODE_PIPELINED = 'tools/bench/node-pipelined.mjs';

/** Waits for `predicate(line)` to hold on one of the child's lines, or rejects on exit / timeout. */
function waitLine(child, predicate, timeoutMs, what) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => done(new Error(`${what}: not ready within ${timeoutMs} ms:\n${child.tail.join('\n')}`)), timeoutMs);
    const onExit = (code, signal) => done(new Error(`${what}: exited before it was ready (code ${code}, signal ${signal}):\n${child.tail.join('\n')}`));
    const onLine = (line) => {
      const v = predicate(line);
      if (v !== undefined && v !== null && v !== false) done(null, v);
    };
    function done(err, v) {
      clearTimeout(timer);
      child.off('exit', onExit);
      child.lineListeners.delete(onLine);
      if (err) reject(err);
      else resolve(v);
    }
    child.once('exit', onExit);
    child.lineListeners.add(onLine);
    for (const l of child.tail) onLine(l);
  });
}

function startWithLines(name, cmd, args, opts = {}) {
  const listeners = new Set();
  const child = start(name, cmd, args, { ...opts, onLine: (l) => listeners.forEach((f) => f(l)) });
  child.lineListeners = listeners;
  return child;
}

/** Whether this server build has `--raw-mode` with a `sockperf` choice. */
export function serverHasSockperfMode() {
  const r = spawnSync(process.execPath, [join(ROOT, SERVER_BIN), '--help'], { encoding: 'utf8', timeout: 10_000 });
  const help = `${r.stdout ?? ''}${r.stderr ?? ''}`;
  return /--raw-mode\b/.test(help) && /sockperf/.test(help.slice(help.indexOf('--raw-mode')));
}

/**
 * Starts sockbench-server with `extra` flags (e.g. ['--workers', '1']) on free ports (--port 0
 * --raw-port 0) and resolves once it logs "listening": the framed port, the raw port, `pid` (the
 * process started: the primary, or the single process with --workers 0) and `workPid` (the process
 * that owns the sockets: the single process, or the worker when there is exactly one).
 */
export async function startSockbench(extra, { noFile, pin } = {}) {
  // --port 0 and --raw-port 0 let the kernel pick, and a picked TCP port can still be taken for UDP
  // by someone else (the server then exits "cannot start"): try again, a few times.
  for (let attempt = 1; ; attempt++) {
    try {
      return await startSockbenchOnce(extra, { noFile, pin });
    } catch (err) {
      if (attempt >= 3 || !/EADDRINUSE/.test(err.message)) throw err;
    }
  }
}

async function startSockbenchOnce(extra, { noFile, pin }) {
  await waitForBuild();
  const base = [SERVER_BIN, '--host', HOST, '--port', '0', '--raw-port', '0', '--log-level', 'info', ...extra];
  const { cmd, args, shown } = wrap(process.execPath, base, { noFile, pin, display: 'node' });
  const child = startWithLines('sockbench-server', cmd, args, { cwd: ROOT });
  const workerPids = [];
  child.lineListeners.add((line) => {
    const m = /"workerPid":(\d+)[^\n]*"msg":"worker up"/.exec(line);
    if (m) workerPids.push(Number(m[1]));
  });
  let udpRecvBufferBytes = null;
  const ready = await waitLine(
    child,
    (line) => {
      let rec;
      try {
        rec = JSON.parse(line);
      } catch {
        return null;
      }
      if (rec.msg !== 'listening' || typeof rec.tcp?.port !== 'number') return null;
      // The serving process's line (a worker's, or the single process's) says what the kernel granted.
      if (typeof rec.udpRecvBufferBytes === 'number') udpRecvBufferBytes = rec.udpRecvBufferBytes;
      if (rec.role === 'primary' || rec.role === 'single') return rec;
      return null;
    },
    20_000,
    'sockbench-server',
  ).catch(async (err) => {
    await stop(child);
    throw err;
  });
  // The process that serves: the single process (--workers 0) or the one worker (--workers 1).
  const workPid = ready.role === 'single' ? child.pid : workerPids.length === 1 ? workerPids[0] : null;
  return { child, pid: child.pid, workPid, workerPids, port: ready.tcp.port, rawPort: ready.raw?.tcp?.port ?? null, udpRecvBufferBytes, cmd: shown };
}

/**
 * Starts `argsFor(port)` on a free port and resolves once the kernel shows it listening (TCP) or
 * bound (UDP): a server's stdout may be block-buffered into the pipe, so it is not waited on.
 */
async function startOnFreePort(name, cmd0, argsFor, tcp, { pin, display, cwd } = {}) {
  const port = await freePort();
  const { cmd, args, shown } = wrap(cmd0, argsFor(port), { pin, display });
  const child = startWithLines(name, cmd, args, cwd ? { cwd } : {});
  try {
    if (tcp) await waitTcp(port);
    else await waitUdpBound(port);
  } catch (err) {
    await stop(child);
    throw err;
  }
  return { child, pid: child.pid, port, cmd: shown };
}

/** sockperf server (UDP, or TCP with tcp=true) on a free port. */
export function startSockperf(tcp, { pin } = {}) {
  return startOnFreePort('sockperf server', 'sockperf', (port) => ['server', '-i', HOST, '-p', String(port), ...(tcp ? ['--tcp'] : [])], tcp, { pin });
}

/** The bare Node echo server of node-echo.mjs (UDP, or TCP with tcp=true) on a free port. */
export function startNodeEcho(tcp, { pin } = {}) {
  return startOnFreePort('node-echo server', process.execPath, (port) => [NODE_ECHO, 'server', tcp ? 'tcp' : 'udp', String(port)], tcp, {
    pin,
    display: 'node',
    cwd: ROOT,
  });
}

/** redis-server with no persistence on a free port (maxclients raised for the scale step). */
export async function startRedis({ maxclients, noFile, pin } = {}) {
  const port = await freePort();
  const base = ['--port', String(port), '--save', '', '--appendonly', 'no', '--bind', HOST, ...(maxclients ? ['--maxclients', String(maxclients)] : [])];
  const { cmd, args, shown } = wrap('redis-server', base, { noFile, pin });
  const child = startWithLines('redis-server', cmd, args);
  try {
    await waitLine(child, (l) => /Ready to accept connections/.test(l), 10_000, 'redis-server');
    await waitTcp(port);
  } catch (err) {
    await stop(child);
    throw err;
  }
  return { child, pid: child.pid, port, cmd: shown };
}

/** iperf3 server for one test (-1) on a free port. */
export async function startIperf3() {
  const port = await freePort();
  const args = ['-s', '-1', '--forceflush', '-B', HOST, '-p', String(port)];
  const child = startWithLines('iperf3 server', 'iperf3', args);
  try {
    await waitLine(child, (l) => /Server listening/.test(l), 10_000, 'iperf3 server');
  } catch (err) {
    await stop(child);
    throw err;
  }
  return { child, pid: child.pid, port, cmd: commandLine('iperf3', args) };
}

/** Stops a server started above; resolves when it has exited. */
export async function stopServer(server) {
  if (server) await stop(server.child);
}
