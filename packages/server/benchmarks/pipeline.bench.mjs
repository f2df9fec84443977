#!/usr/bin/env node
// Pipelined request throughput of one server process (the CLI with --workers 0, a child process, so
// the load and the server do not share an event loop). One TCP connection, a fixed pipeline depth,
// a fixed request count per case; prints req/s and the server's own service time from STATS.
// Usage: node packages/server/benchmarks/pipeline.bench.mjs [requests=200000] [depth=64]
// Needs a build: npx nx run @sockbench/server:build
import { spawn } from 'node:child_process';
import { connect } from 'node:net';
import { fileURLToPath } from 'node:url';
import { FrameDecoder, MessageType, decodeStats, encodeCompute, encodeFrame } from '@sockbench/protocol';

const CLI = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
const TOTAL = Number(process.argv[2] ?? 200_000);
const DEPTH = Number(process.argv[3] ?? 64);

async function startServer(args) {
  const child = spawn(process.execPath, [CLI, '--workers', '0', '--port', '0', '--log-level', 'info', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  let buf = '';
  const port = await new Promise((resolve, reject) => {
    child.stderr.setEncoding('utf8').on('data', (s) => {
      buf += s;
      for (const line of buf.split('\n')) {
        if (line.includes('"msg":"listening"')) resolve(JSON.parse(line).tcp.port);
      }
    });
    child.on('exit', () => reject(new Error(`server exited: ${buf}`)));
  });
  return { child, port };
}

async function run(port, label, makeFrame, total) {
  const socket = connect({ port, host: '127.0.0.1', noDelay: true });
  const decoder = new FrameDecoder({ expect: 'replies' });
  let sent = 0;
  let received = 0;
  let t0 = 0;
  const done = new Promise((resolve) => {
    socket.on('data', (chunk) => {
      decoder.push(chunk, (f) => {
        if (f.type === MessageType.WELCOME) {
          t0 = performance.now();
          const batch = [];
          while (sent < Math.min(DEPTH, total)) batch.push(makeFrame(++sent));
          socket.write(Buffer.concat(batch));
          return;
        }
        received++;
        if (received === total) resolve(performance.now() - t0);
        else if (sent < total) socket.write(makeFrame(++sent));
      });
    });
  });
  const ms = await done;
  const stats = await new Promise((resolve) => {
    socket.removeAllListeners('data');
    socket.on('data', (chunk) => decoder.push(chunk, (f) => resolve(decodeStats(f.payload))));
    socket.write(encodeFrame(MessageType.STATS, 0xffffffff));
  });
  socket.destroy();
  const name = label.split(' ')[0];
  const st = stats.serviceTimeUs[name];
  console.error(
    `${label.padEnd(40)} ${String(Math.round((total / ms) * 1000)).padStart(8)} req/s   server service time µs p50 ${st?.p50} p99 ${st?.p99} p99.9 ${st?.p999} max ${st?.max}`,
  );
}

const ping = (id) => encodeFrame(MessageType.PING, id);
const kb = Buffer.alloc(1024, 0x61);
const echo = (id) => encodeFrame(MessageType.ECHO, id, kb);
const compute = (id) => encodeFrame(MessageType.COMPUTE, id, encodeCompute(100, kb.subarray(0, 32)));

console.error(`node ${process.version}, one connection, pipeline depth ${DEPTH}, ${TOTAL} requests per case`);
for (const dispatch of ['inline', 'pool']) {
  const { child, port } = await startServer(['--dispatch', dispatch, '--threads', '2']);
  try {
    await run(port, `PING (--dispatch ${dispatch})`, ping, TOTAL);
    await run(port, `ECHO 1 KiB (--dispatch ${dispatch})`, echo, TOTAL);
    await run(port, `COMPUTE 100 rounds (--dispatch ${dispatch})`, compute, Math.floor(TOTAL / 4));
  } finally {
    child.kill('SIGTERM');
  }
}
