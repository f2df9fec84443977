#!/usr/bin/env node
// Step 1's ping-pong, A against B: two builds of sockbench (two checkouts, each built) measured in
// alternating rounds on one CPU, with the bare Node pair (node-echo.mjs) in every round as the floor.
// Prints each run and then the medians: RTT p50/p99/p99.9 (µs), and the CPU time per request on
// each side (µs, user + kernel, utime + stime of every thread from /proc/PID/stat, over the
// steady middle of the run), so a change to the reply path is judged against the same machine state.
//
//   node tools/bench/ab-pingpong.mjs --a DIR --b DIR [--rounds 5] [--secs 3] [--transports tcp,udp]
//       [--pin CPU|none] [--size 64] [--json FILE]
//
// DIR: a repository root with packages/*/dist built. --pin: the CPU both sides run on (taskset -c;
// default the last one, as the bench). Only 127.0.0.1; every process started is stopped by PID.
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import { join, resolve } from 'node:path';
import { cpuSampler } from './cpu.mjs';
import { freePort, HOST, waitUdpBound, waitTcp } from './net.mjs';
import { parseLoadgen } from './parse.mjs';
import { killAllSync, run, start, stop, wrap } from './proc.mjs';
import { NODE_ECHO } from './servers.mjs';
import { ROOT } from './paths.mjs';

const USAGE = 'usage: node tools/bench/ab-pingpong.mjs --a DIR --b DIR [--rounds N] [--secs S] [--transports tcp,udp] [--pin CPU|none] [--size B] [--json FILE]';

function parseArgs(argv) {
  const o = { a: null, b: null, rounds: 5, secs: 3, transports: ['tcp', 'udp'], pin: os.cpus().length - 1, size: 64, json: null };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i];
    const v = argv[i + 1];
    if (v === undefined) throw new Error(`${k} needs a value\n${USAGE}`);
    i++;
    if (k === '--a') o.a = resolve(v);
    else if (k === '--b') o.b = resolve(v);
    else if (k === '--rounds') o.rounds = Number(v);
    else if (k === '--secs') o.secs = Number(v);
    else if (k === '--transports') o.transports = v.split(',');
    else if (k === '--pin') o.pin = v === 'none' ? null : Number(v);
    else if (k === '--size') o.size = Number(v);
    else if (k === '--json') o.json = v;
    else throw new Error(`unknown argument ${k}\n${USAGE}`);
  }
  if (!o.a || !o.b) throw new Error(USAGE);
  return o;
}

const say = (s) => process.stderr.write(`${s}\n`);

/** Starts `dir`'s server (--workers 1); resolves { child, port, workPid } once it listens. */
function startServer(dir, pin) {
  const { cmd, args } = wrap(process.execPath, [join(dir, 'packages/server/bin/sockbench-server.js'), '--host', HOST, '--port', '0', '--workers', '1', '--log-level', 'info'], { pin });
  let workPid = null;
  return new Promise((res, rej) => {
    const timer = setTimeout(() => rej(new Error(`server in ${dir} not ready:\n${child.tail.join('\n')}`)), 20_000);
    const child = start('sockbench-server', cmd, args, {
      cwd: dir,
      onLine: (line) => {
        const w = /"workerPid":(\d+)[^\n]*"msg":"worker up"/.exec(line);
        if (w) workPid = Number(w[1]);
        let rec;
        try {
          rec = JSON.parse(line);
        } catch {
          return;
        }
        if (rec.msg === 'listening' && rec.role === 'primary' && typeof rec.tcp?.port === 'number') {
          clearTimeout(timer);
          // The worker's "worker up" line may come after the primary's: wait for it briefly.
          const t0 = Date.now();
          const wait = () => (workPid !== null || Date.now() - t0 > 2000 ? res({ child, port: rec.tcp.port, workPid }) : setTimeout(wait, 20));
          wait();
        }
      },
    });
  });
}

/** Runs `cmd args` pinned while sampling the CPU of the client and `serverPid`. */
async function measured(name, cmd0, args0, serverPid, pin, timeoutMs, cwd) {
  const { cmd, args } = wrap(cmd0, args0, { pin });
  const sampler = cpuSampler(50);
  if (serverPid) sampler.add('server', serverPid);
  const r = await run(name, cmd, args, { timeoutMs, cwd, onSpawn: (child) => sampler.add('client', child.pid) });
  const cores = sampler.stop('client');
  if (r.code !== 0 && r.code !== 1) throw new Error(`${name} exited ${r.code}: ${r.stderr.slice(-500)}`);
  return { r, cores };
}

async function loadgenRun(dir, transport, o) {
  const srv = await startServer(dir, o.pin);
  try {
    const plan = ['--host', HOST, '--port', String(srv.port), '--transport', transport, '--connections', '1', '--threads', '1', '--op', 'echo', '--size', String(o.size), '--pipeline', '1', '--duration', `${o.secs}s`, '--warmup', '1s', '--timeout', '1000', '--json', '-', '--quiet'];
    const { r, cores } = await measured('loadgen', process.execPath, [join(dir, 'packages/loadgen/bin/sockbench-loadgen.js'), ...plan], srv.workPid, o.pin, (o.secs + 20) * 1000, dir);
    const f = parseLoadgen(r.stdout);
    return { p50: f.p50, p99: f.p99, p999: f.p999, rps: f.rps, ...perRequest(cores, f.rps) };
  } finally {
    await stop(srv.child);
  }
}

async function nodeEchoRun(transport, o) {
  const port = await freePort();
  const { cmd, args } = wrap(process.execPath, [join(ROOT, NODE_ECHO), 'server', transport, String(port)], { pin: o.pin });
  const child = start('node-echo server', cmd, args);
  try {
    if (transport === 'tcp') await waitTcp(port);
    else await waitUdpBound(port);
    const { r, cores } = await measured('node-echo', process.execPath, [join(ROOT, NODE_ECHO), 'client', transport, String(port), String(o.secs), String(o.size)], child.pid, o.pin, (o.secs + 15) * 1000);
    const f = JSON.parse(r.stdout.trim().split('\n').pop());
    const rps = f.count / o.secs;
    return { p50: f.p50, p99: f.p99, p999: f.p999, rps, ...perRequest(cores, rps) };
  } finally {
    await stop(child);
  }
}

/** Cores used ÷ requests per second = CPU µs per request, each side. */
function perRequest(cores, rps) {
  const us = (c) => (c && rps > 0 ? (c.total * 1e6) / rps : null);
  return { serverUs: us(cores.server), clientUs: us(cores.client) };
}

const median = (xs) => {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (s.length === 0) return null;
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const f1 = (v) => (v === null || v === undefined ? '—' : v.toFixed(1));

async function main() {
  const o = parseArgs(process.argv.slice(2));
  const runs = { a: {}, b: {}, bare: {} };
  for (const t of o.transports) for (const k of Object.keys(runs)) runs[k][t] = [];
  say(`A ${o.a}\nB ${o.b}\n${o.rounds} rounds × ${o.secs} s, ${o.transports.join(', ')}, pinned to ${o.pin ?? 'none'}, load ${os.loadavg()[0].toFixed(2)}`);
  for (let round = 0; round < o.rounds; round++) {
    for (const t of o.transports) {
      const order = round % 2 === 0 ? ['a', 'b'] : ['b', 'a'];
      runs.bare[t].push(await nodeEchoRun(t, o));
      for (const k of order) runs[k][t].push(await loadgenRun(k === 'a' ? o.a : o.b, t, o));
      const last = (k) => runs[k][t].at(-1);
      say(`round ${round + 1} ${t}: ` + ['bare', 'a', 'b'].map((k) => `${k} ${f1(last(k).p50)}/${f1(last(k).p99)}/${f1(last(k).p999)} µs cpu ${f1(last(k).serverUs)}+${f1(last(k).clientUs)}`).join(' | '));
    }
  }
  const fields = ['p50', 'p99', 'p999', 'rps', 'serverUs', 'clientUs'];
  const med = {};
  for (const k of Object.keys(runs)) {
    med[k] = {};
    for (const t of o.transports) med[k][t] = Object.fromEntries(fields.map((f) => [f, median(runs[k][t].map((x) => x[f]))]));
  }
  say('\nmedians: RTT p50 / p99 / p99.9 µs, rate req/s, CPU µs per request server / client');
  for (const t of o.transports) {
    for (const k of ['bare', 'a', 'b']) {
      const m = med[k][t];
      const vs = k === 'bare' ? '' : `  ×bare ${(m.p50 / med.bare[t].p50).toFixed(2)} / ${(m.p99 / med.bare[t].p99).toFixed(2)} / ${(m.p999 / med.bare[t].p999).toFixed(2)}`;
      say(`${t} ${k.padEnd(4)} ${f1(m.p50)} / ${f1(m.p99)} / ${f1(m.p999)}  ${Math.round(m.rps)} req/s  cpu ${f1(m.serverUs)} / ${f1(m.clientUs)}${vs}`);
    }
  }
  if (o.json) writeFileSync(o.json, `${JSON.stringify({ options: o, runs, medians: med }, null, 2)}\n`);
}

process.on('exit', killAllSync);
process.on('SIGINT', () => process.exit(130));
try {
  execFileSync('taskset', ['-c', '0', 'true'], { stdio: 'ignore' });
} catch {
  say('no taskset: runs are not pinned');
}
main().then(
  () => process.exit(0),
  (err) => {
    say(err.stack ?? String(err));
    process.exit(1);
  },
);
