#!/usr/bin/env node
// What each TCP connection of the load generator costs in memory, beside a bare Node net.Socket, at
// 100, 1,000 and 10,000 connections (packages/loadgen/README.md, "Memory"). Per connection =
// (RSS with N connections − RSS with 2) ÷ (N − 2), VmRSS from /proc/PID/status:
//   - sockbench-loadgen: the built CLI, the scale bench's plan (tcp, ping, open loop 1,000 req/s in
//     all, 2 threads, 3 s, no warm-up), its RSS sampled every 100 ms, the largest sample;
//   - bare net.Socket: tools/bench/idle-conns.mjs (connects N sockets, reads and discards the WELCOME,
//     sends nothing), its RSS once all are open.
// Then the same connections opened in one thread of a child (`node --expose-gc`), after a full GC:
// JS heap used per connection (v8.getHeapStatistics, which the RSS figure above hides in V8's
// heap sizing at 100) and RSS per connection: the load loop's own connections (LoadLoop.open with
// the frame driver, from the build's dist/generator/, no load) against bare sockets.
// Rounds alternate (bare, then each loadgen build, at every N), medians of --rounds. With --loadgen
// DIR,DIR… several builds of the package (a directory holding bin/, dist/ and package.json, e.g. a
// copy of packages/loadgen from before a change) are measured side by side; the default is this
// checkout's. One sockbench-server (--workers 1) in its own process; every child is stopped by PID;
// each run is bounded (90 s). Linux only (/proc). Build first.
//
//   node tools/limits/loadgen-memory.mjs [--counts 100,1000,10000] [--rounds 3] [--loadgen DIR,DIR]
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import v8 from 'node:v8';
import net from 'node:net';
import { startSockbench } from '../bench/servers.mjs';
import { stop } from '../bench/proc.mjs';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const SELF = fileURLToPath(import.meta.url);
if (process.argv[2] === '--child') await child(process.argv[3], Number(process.argv[4]), Number(process.argv[5]), process.argv[6]);

/**
 * Child (`node --expose-gc loadgen-memory.mjs --child KIND PORT N [DIR]`): opens N connections in this
 * thread (KIND loadgen: a LoadLoop of the build in DIR; bare: net.Socket), a full GC before and after,
 * and prints {heapKiB, rssKiB} per connection; exits.
 */
async function child(kind, port, n, dir) {
  const rss = () => Number(/^VmRSS:\s+(\d+)/m.exec(readFileSync('/proc/self/status', 'utf8'))[1]);
  const heap = () => v8.getHeapStatistics().used_heap_size / 1024;
  const settle = async () => {
    for (let i = 0; i < 3; i++) {
      globalThis.gc();
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  let open;
  if (kind === 'bare') {
    const one = () =>
      new Promise((done, fail) => {
        const s = net.connect({ host: '127.0.0.1', port });
        s.once('error', fail);
        s.once('connect', () => {
          s.resume();
          done(s);
        });
      });
    open = async (k) => {
      const socks = [];
      for (let i = 0; i < k; i += 64) socks.push(...(await Promise.all(Array.from({ length: Math.min(64, k - i) }, one))));
      return socks;
    };
  } else {
    const { resolveRunOptions } = await import(join(dir, 'dist/index.js'));
    const { LoadLoop } = await import(join(dir, 'dist/generator/load-loop.js'));
    const { driverFactory } = await import(join(dir, 'dist/generator/drivers.js'));
    const { plan } = resolveRunOptions({ port, transport: 'tcp', connections: n, threads: 1, op: 'ping', rate: 1000, duration: '3s', warmup: '0', timeout: 2000 });
    open = async (k) => {
      const loop = new LoadLoop({ plan: { ...plan, connections: k }, thread: 0, connections: [0, k], open: driverFactory(plan, null) });
      await loop.open();
      return loop;
    };
  }
  await open(2); // the code paths warm, their one-time allocations made
  await settle();
  const [r0, h0] = [rss(), heap()];
  const held = await open(n);
  await settle();
  process.stdout.write(`${JSON.stringify({ heapKiB: (heap() - h0) / n, rssKiB: (rss() - r0) / n, held: Boolean(held) })}\n`);
  process.exit(0);
}
const { values } = parseArgs({
  options: {
    counts: { type: 'string', default: '100,1000,10000' },
    rounds: { type: 'string', default: '3' },
    loadgen: { type: 'string', default: join(ROOT, 'packages/loadgen') },
  },
});
const counts = values.counts.split(',').map(Number);
const rounds = Number(values.rounds);
const builds = values.loadgen.split(',').map((d) => resolve(d));
if (counts.some((n) => !Number.isInteger(n) || n < 3 || n > 15_000)) throw new Error(`--counts must be integers in 3..15000, got ${values.counts}`);
if (!(rounds >= 1 && rounds <= 9)) throw new Error(`--rounds must be 1..9, got ${values.rounds}`);
const BASE = 2;
const say = (line) => process.stderr.write(`memory: ${line}\n`);

function rssKiB(pid) {
  try {
    const m = /^VmRSS:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

/** Runs a child to its end (at most 90 s); `watch` sees it once spawned. Resolves with its stdout. */
function runChild(args, watch) {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err = (err + d).slice(-2000)));
    const timer = setTimeout(() => child.kill('SIGKILL'), 90_000);
    const unwatch = watch?.(child) ?? (() => undefined);
    child.on('exit', (code) => {
      clearTimeout(timer);
      unwatch();
      if (code === 0 || code === 1) done(out);
      else fail(new Error(`${args.slice(0, 2).join(' ')} exited ${code}: ${err}`));
    });
  });
}

/** Largest RSS of a load generator run over `n` connections, KiB. */
async function loadgenPeak(dir, port, n) {
  let peak = 0;
  const flags = ['--port', port, '--transport', 'tcp', '--connections', n, '--threads', 2, '--op', 'ping', '--rate', 1000, '--duration', '3s', '--warmup', '0', '--timeout', 2000];
  const out = await runChild([join(dir, 'bin/sockbench-loadgen.js'), ...flags.map(String), '--json', '-', '--quiet'], (child) => {
    const t = setInterval(() => (peak = Math.max(peak, rssKiB(child.pid) ?? 0)), 100);
    return () => clearInterval(t);
  });
  const lost = JSON.parse(out).runs?.[0]?.counters?.connectionsLost ?? 0;
  if (lost > 0) throw new Error(`${lost} connections lost at ${n}`);
  return peak;
}

/** RSS of idle-conns.mjs holding `n` bare sockets, KiB. */
async function bareRss(port, n) {
  const child = spawn(process.execPath, [join(ROOT, 'tools/bench/idle-conns.mjs'), String(port), String(n), '60'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    const line = await new Promise((done, fail) => {
      let buf = '';
      const t = setTimeout(() => fail(new Error('idle-conns.mjs: no report in 60 s')), 60_000);
      child.stdout.on('data', (d) => {
        buf += d;
        if (buf.includes('\n')) {
          clearTimeout(t);
          done(JSON.parse(buf.split('\n')[0]));
        }
      });
    });
    if (line.open < n) throw new Error(`idle-conns.mjs opened ${line.open} of ${n} (${line.firstError})`);
    return line.rssKiB;
  } finally {
    await stop(child);
  }
}

/** Heap and RSS per connection of `n` connections opened in one thread of a child (see {@link child}). */
async function inThread(kind, port, n, dir) {
  const out = await runChild(['--expose-gc', SELF, '--child', kind, String(port), String(n), dir ?? '']);
  return JSON.parse(out.trim().split('\n').at(-1));
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const names = ['bare net.Socket', ...builds.map((d, i) => (builds.length === 1 ? 'sockbench-loadgen' : `sockbench-loadgen (${i === 0 ? 'before' : i === builds.length - 1 ? 'after' : `build ${i}`})`))];
const perConn = new Map(); // `${name} ${n}` → KiB per connection, per round
const thread = new Map(); // `${name} ${n}` → [{heapKiB, rssKiB}] per round
const server = await startSockbench(['--workers', '1', '--max-connections', '40000']);
try {
  for (let r = 0; r < rounds; r++) {
    for (const n of counts) {
      const bare = (await bareRss(server.port, n)) - (await bareRss(server.port, BASE));
      const rows = [bare];
      for (const dir of builds) rows.push((await loadgenPeak(dir, server.port, n)) - (await loadgenPeak(dir, server.port, BASE)));
      rows.forEach((kib, i) => {
        const key = `${names[i]} ${n}`;
        perConn.set(key, [...(perConn.get(key) ?? []), kib / (n - BASE)]);
      });
      say(`round ${r + 1} at ${n}: ${rows.map((kib, i) => `${names[i]} ${(kib / (n - BASE)).toFixed(1)} KiB`).join(', ')}`);
      const own = [await inThread('bare', server.port, n)];
      for (const dir of builds) own.push(await inThread('loadgen', server.port, n, dir));
      own.forEach((f, i) => {
        const key = `${names[i]} ${n}`;
        thread.set(key, [...(thread.get(key) ?? []), f]);
      });
      say(`round ${r + 1} at ${n}, in one thread: ${own.map((f, i) => `${names[i]} heap ${f.heapKiB.toFixed(2)} KiB, RSS ${f.rssKiB.toFixed(1)} KiB`).join('; ')}`);
    }
  }
} finally {
  await stop(server.child);
}

const lines = [`| connections | ${names.join(' | ')} |`, `|---:|${names.map(() => '---:').join('|')}|`];
for (const n of counts) lines.push(`| ${n.toLocaleString('en-US')} | ${names.map((nm) => `${median(perConn.get(`${nm} ${n}`)).toFixed(1)} KiB`).join(' | ')} |`);
lines.push('', `RSS per connection = (RSS at N − RSS at ${BASE}) ÷ (N − ${BASE}), median of ${rounds} round${rounds > 1 ? 's' : ''}.`);
lines.push('', `| connections (one thread, after a full GC) | ${names.map((nm) => `${nm}: heap / RSS`).join(' | ')} |`, `|---:|${names.map(() => '---:').join('|')}|`);
for (const n of counts) {
  const cell = (nm) => {
    const fs = thread.get(`${nm} ${n}`);
    return `${median(fs.map((f) => f.heapKiB)).toFixed(2)} / ${median(fs.map((f) => f.rssKiB)).toFixed(1)} KiB`;
  };
  lines.push(`| ${n.toLocaleString('en-US')} | ${names.map(cell).join(' | ')} |`);
}
lines.push('', 'Heap = V8 heap used per connection; RSS = resident memory per connection, both after opening N minus after opening 2.');
process.stdout.write(`${lines.join('\n')}\n`);
process.stderr.write(`${JSON.stringify({ peak: Object.fromEntries(perConn), thread: Object.fromEntries(thread) })}\n`);
