#!/usr/bin/env node
// Server CPU per UDP datagram with the per-peer table on (default 4096 entries) and off
// (--udp-peer-table 0): the CLI with --workers 0 in a child process; SOCKETS client sockets each keep
// DEPTH PINGs in flight until TOTAL replies are in (bounded by a 60 s deadline). The server's CPU comes
// from STATS `cpu` (process.cpuUsage: every thread) taken before and after, over TCP.
// Usage: node packages/server/benchmarks/udp-endpoint.bench.mjs [total=200000] [sockets=16] [depth=8] [rounds=3]
// Needs a build: npx nx run @sockbench/server:build
import { spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { connect } from 'node:net';
import { fileURLToPath } from 'node:url';
import { FrameDecoder, MessageType, decodeStats, encodeFrame } from '@sockbench/protocol';

const CLI = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
const TOTAL = Number(process.argv[2] ?? 200_000);
const SOCKETS = Number(process.argv[3] ?? 16);
const DEPTH = Number(process.argv[4] ?? 8);
const ROUNDS = Number(process.argv[5] ?? 3);
const DEADLINE_MS = 60_000;

async function startServer(args) {
  const child = spawn(process.execPath, [CLI, '--workers', '0', '--port', '0', '--log-level', 'info', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  let buf = '';
  const port = await new Promise((resolve, reject) => {
    child.stderr.setEncoding('utf8').on('data', (s) => {
      buf += s;
      for (const line of buf.split('\n')) if (line.includes('"msg":"listening"')) resolve(JSON.parse(line).tcp.port);
    });
    child.on('exit', () => reject(new Error(`server exited: ${buf}`)));
  });
  return { child, port };
}

function statsOnce(port) {
  return new Promise((resolve, reject) => {
    const s = connect({ port, host: '127.0.0.1' });
    const d = new FrameDecoder({ expect: 'replies' });
    s.on('connect', () => s.write(encodeFrame(MessageType.STATS, 1)));
    s.on('data', (c) => d.push(c, (f) => {
      if (f.type === MessageType.STATS) {
        resolve(decodeStats(f.payload));
        s.destroy();
      }
    }));
    s.on('error', reject);
  });
}

async function load(port) {
  const sockets = await Promise.all(Array.from({ length: SOCKETS }, () => new Promise((resolve) => {
    const u = createSocket('udp4');
    u.bind(0, '127.0.0.1', () => resolve(u));
  })));
  let sent = 0;
  let received = 0;
  const t0 = process.hrtime.bigint();
  await new Promise((resolve) => {
    const deadline = setTimeout(resolve, DEADLINE_MS);
    const fire = (u) => {
      if (sent >= TOTAL) return;
      sent++;
      u.send(encodeFrame(MessageType.PING, (sent % 0xfffffff) + 1), port, '127.0.0.1');
    };
    for (const u of sockets) {
      u.on('message', () => {
        received++;
        if (received >= TOTAL) {
          clearTimeout(deadline);
          resolve();
        } else fire(u);
      });
      for (let i = 0; i < DEPTH; i++) fire(u);
    }
  });
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  for (const u of sockets) u.close();
  return { received, secs };
}

const cases = [['peer table on (4096)', []], ['peer table off (0)', ['--udp-peer-table', '0']]];
const results = new Map(cases.map(([name]) => [name, []]));
for (let r = 0; r < ROUNDS; r++) {
  for (const [name, args] of cases) {
    const { child, port } = await startServer(args);
    try {
      await load(port); // warm-up: JIT, the table's entries
      const before = await statsOnce(port);
      const { received, secs } = await load(port);
      const after = await statsOnce(port);
      const cpuUs = after.cpu.userUs + after.cpu.systemUs - before.cpu.userUs - before.cpu.systemUs;
      results.get(name).push({ usPerDatagram: cpuUs / received, rps: received / secs, lost: TOTAL - received });
    } finally {
      child.kill('SIGTERM');
    }
  }
}
console.log(`node ${process.version}, ${TOTAL} UDP PINGs per run, ${SOCKETS} sockets × ${DEPTH} in flight, ${ROUNDS} rounds (median; the server's CPU includes its replies and 1 STATS)`);
for (const [name, rs] of results) {
  const med = (k) => rs.map((x) => x[k]).sort((a, b) => a - b)[rs.length >> 1];
  console.log(`${name.padEnd(24)} server CPU ${med('usPerDatagram').toFixed(2).padStart(6)} µs/datagram   ${Math.round(med('rps')).toString().padStart(7)} replies/s   unanswered ${med('lost')}`);
}
