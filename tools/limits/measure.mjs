#!/usr/bin/env node
// Measures what the server's bounds cost in memory (packages/server/README.md, "Limits"): starts the
// built CLI (`--workers 0`, one process, defaults otherwise unless a case says) on a free loopback
// port, reads its VmRSS from /proc/PID/status before and after each case (the largest of samples
// every 50 ms while the case runs), and prints one line per case. Linux only (/proc). Every loop is
// bounded in count and each case in time; the servers it starts are killed by PID.
//
// usage: node tools/limits/measure.mjs [pool] [idle] [parked] [parked-unbounded] [slow-reader] [chat]
//   (no argument: every case). Build first: npx nx run-many -t build
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { fileURLToPath } from 'node:url';
import { FrameDecoder, MessageType, decodeStats, encodeCompute, encodeFrame, encodeRoom, encodeSay } from '@sockbench/protocol';

const CLI = fileURLToPath(new URL('../../packages/server/bin/sockbench-server.js', import.meta.url));
const MiB = 1024 * 1024;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function rssKiB(pid) {
  const m = /^VmRSS:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) : NaN;
}

/** Starts the CLI with `args` on a free port; resolves with its pid, port and a stop(). */
async function startServer(args) {
  const child = spawn(process.execPath, [CLI, '--workers', '0', '--port', '0', '--threads', '1', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  const port = await new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`server did not start: ${err}`)), 20_000);
    child.stderr.on('data', (d) => {
      err += d;
      const m = /"msg":"listening"/.test(err) && /"tcp":\{[^}]*"port":(\d+)/.exec(err);
      if (m) {
        clearTimeout(t);
        resolve(Number(m[1]));
      }
    });
    child.once('exit', (code) => reject(new Error(`server exited ${code}: ${err}`)));
  });
  return {
    pid: child.pid,
    port,
    async stop() {
      child.kill('SIGKILL');
      await new Promise((r) => (child.exitCode !== null ? r() : child.once('exit', r)));
    },
  };
}

/** A raw connection: `frames` collects what the server sends unless `read` is false (then nothing is read). */
async function open(port, { read = true } = {}) {
  const s = connect({ host: '127.0.0.1', port });
  await new Promise((resolve, reject) => {
    s.once('connect', resolve);
    s.once('error', reject);
  });
  s.on('error', () => undefined);
  const frames = [];
  if (read) {
    const d = new FrameDecoder({ expect: 'replies', maxPayload: 16 * MiB });
    s.on('data', (c) => d.push(c, (f) => frames.push({ ...f, payload: Buffer.from(f.payload) })));
  } else {
    s.pause();
  }
  return { s, frames };
}

/** STATS over `c` (a reading connection). */
async function stats(c, id) {
  c.s.write(encodeFrame(MessageType.STATS, id));
  for (let i = 0; i < 500; i++) {
    const f = c.frames.find((x) => x.id === id);
    if (f) return decodeStats(f.payload);
    await sleep(10);
  }
  throw new Error('no STATS reply');
}

/** Samples RSS every 50 ms until it has not grown for `quietMs` (or `maxMs`); returns the peak, KiB. */
async function settle(pid, { quietMs = 1500, maxMs = 30_000 } = {}) {
  let peak = rssKiB(pid);
  let since = Date.now();
  const end = Date.now() + maxMs;
  while (Date.now() < end && Date.now() - since < quietMs) {
    await sleep(50);
    const r = rssKiB(pid);
    if (r > peak + 256) {
      peak = r;
      since = Date.now();
    } else if (r > peak) peak = r;
  }
  return peak;
}

const mib = (kib) => (kib / 1024).toFixed(1);

const cases = {
  /** 200 connections each sending one COMPUTE with 1 MiB of data and the most rounds (100000): the pool queue full of big payloads. */
  async pool() {
    const srv = await startServer([]);
    const control = await open(srv.port);
    const before = rssKiB(srv.pid);
    const req = encodeFrame(MessageType.COMPUTE, 1, encodeCompute(100_000, Buffer.alloc(MiB - 4, 1)));
    const conns = [];
    for (let i = 0; i < 200; i++) {
      const c = await open(srv.port);
      c.s.write(req);
      conns.push(c);
    }
    let queued = 0;
    for (let id = 1; id <= 10; id++) {
      queued = Math.max(queued, (await stats(control, id)).pool.queued);
      await sleep(200);
    }
    const peak = await settle(srv.pid, { quietMs: 1000 });
    await srv.stop();
    for (const c of conns) c.s.destroy();
    return `pool: 200 1 MiB COMPUTEs sent +${mib(peak - before)} MiB (${((peak - before) / 200).toFixed(0)} KiB each; at most ${queued} queued seen)`;
  },

  /** 2000 connections that read WELCOME and send nothing: the cost of one open connection. */
  async idle() {
    const srv = await startServer([]);
    const before = rssKiB(srv.pid);
    const conns = [];
    for (let i = 0; i < 2000; i++) conns.push(await open(srv.port));
    const peak = await settle(srv.pid);
    await srv.stop();
    for (const c of conns) c.s.destroy();
    const per = (peak - before) / 2000;
    return `idle: 2000 connections +${mib(peak - before)} MiB (${per.toFixed(1)} KiB each; 10000 = ${mib(per * 10000)} MiB)`;
  },

  /** Issue 11's attack: 400 connections, each a header claiming 1 MiB then 1 MiB − 1 bytes, at the default budget. */
  async parked() {
    return parked([], 'parked, default --max-buffered-bytes (256 MiB)');
  },

  /** The same with a budget no attack reaches (what the server did before the budget). */
  async 'parked-unbounded'() {
    return parked(['--max-buffered-bytes', String(2 ** 36)], 'parked, --max-buffered-bytes 64 GiB (no bound in effect)');
  },

  /** 20 connections each pipelining 256 ECHOs of 64 KiB (16 MiB) and never reading a reply. */
  async 'slow-reader'() {
    const srv = await startServer([]);
    const control = await open(srv.port);
    const before = rssKiB(srv.pid);
    const payload = Buffer.alloc(64 * 1024, 1);
    const conns = [];
    for (let i = 0; i < 20; i++) {
      const c = await open(srv.port, { read: false });
      for (let id = 1; id <= 256; id++) c.s.write(encodeFrame(MessageType.ECHO, id, payload));
      conns.push(c);
    }
    const peak = await settle(srv.pid, { quietMs: 2000 });
    const s = await stats(control, 1);
    await srv.stop();
    for (const c of conns) c.s.destroy();
    return `slow readers: 20 connections +${mib(peak - before)} MiB (${mib((peak - before) / 20)} MiB each; server read ${mib(s.bytes.in / 1024)} MiB of 320 MiB sent; paused ${s.backpressure.paused}, pendingWriteBytes ${mib(s.backpressure.pendingWriteBytes / 1024)} MiB)`;
  },

  /** 20 room members that never read, one sender of 3000 SAYs of 4000 bytes (SAY's largest text is 4096) that reads its replies. */
  async chat() {
    const srv = await startServer([]);
    const control = await open(srv.port);
    const before = rssKiB(srv.pid);
    const members = [];
    for (let i = 0; i < 20; i++) {
      const m = await open(srv.port, { read: false });
      m.s.write(encodeFrame(MessageType.JOIN, 1, encodeRoom('r')));
      members.push(m);
    }
    const sender = await open(srv.port);
    sender.s.write(encodeFrame(MessageType.JOIN, 1, encodeRoom('r')));
    await sleep(200);
    let peak = rssKiB(srv.pid);
    const say = encodeSay('r', 'x'.repeat(4000));
    for (let id = 2; id <= 3001; id++) {
      sender.s.write(encodeFrame(MessageType.SAY, id, say));
      if (id % 10 === 0) {
        await sleep(5);
        peak = Math.max(peak, rssKiB(srv.pid));
      }
    }
    peak = Math.max(peak, await settle(srv.pid));
    const s = await stats(control, 1);
    await srv.stop();
    for (const m of members) m.s.destroy();
    return `chat: 20 members never reading +${mib(peak - before)} MiB peak (slowConsumersClosed ${s.backpressure.slowConsumersClosed})`;
  },
};

async function parked(args, label) {
  const srv = await startServer(args);
  const control = await open(srv.port);
  const before = rssKiB(srv.pid);
  const conns = [];
  const frame = encodeFrame(MessageType.ECHO, 1, Buffer.alloc(MiB, 1)).subarray(0, 12 + MiB - 1);
  for (let i = 0; i < 400; i++) {
    const c = await open(srv.port);
    c.s.write(frame);
    conns.push(c);
  }
  const peak = await settle(srv.pid, { quietMs: 2000 });
  const s = await stats(control, 1);
  await srv.stop();
  for (const c of conns) c.s.destroy();
  const b = s.buffered;
  const budget = b ? `; STATS buffered ${mib(b.bytes / 1024)} MiB of ${mib(b.limit / 1024)}, waiting ${b.waiting}` : '';
  return `${label}: 400 connections +${mib(peak - before)} MiB${budget}`;
}

const wanted = process.argv.slice(2);
for (const name of wanted.length > 0 ? wanted : Object.keys(cases)) {
  const run = cases[name];
  if (!run) {
    process.stderr.write(`unknown case ${name}; cases: ${Object.keys(cases).join(', ')}\n`);
    process.exit(2);
  }
  process.stdout.write(`${await run()}\n`);
}
