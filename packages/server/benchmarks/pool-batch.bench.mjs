#!/usr/bin/env node
// What one piscina task costs, and what batching saves (after piscina's own benchmark/: one pool, a
// fixture task, tasks/s). The fixture is the server's real thread file (dist/pool/task.js): its
// `runBatch` answers a batch of 64-byte ECHO records in place, so the thread does next to nothing and
// what is measured is the hand-off itself (post, wake, run, reply, promise). The same number of requests
// is kept in flight (128, as 32 connections × 4) whatever the batch size, as the server would have.
//
//   piscina, B requests per task   tasks/s and requests/s through piscina directly (atomics sync, then disabled)
//   ThreadPool.light               requests/s through the server's pool (per-turn batches, sinks, the light-first queue)
//
// Usage: node packages/server/benchmarks/pool-batch.bench.mjs [requests=200000] [threads=2]
// Bounded: each case runs `requests` requests (and stops after 20 s whatever it reached).
// Needs a build: npx nx run @sockbench/server:build
import { Piscina } from 'piscina';
import { BATCH_HEADER_BYTES, RECORD_HEADER_BYTES, TaskKind } from '../dist/pool/batch-layout.js';
import { TASK_FILE, ThreadPool } from '../dist/pool/thread-pool.js';

const REQUESTS = Number(process.argv[2] ?? 200_000);
const THREADS = Number(process.argv[3] ?? 2);
const IN_FLIGHT = 128;
const SIZE = 64;
const CASE_LIMIT_MS = 20_000;

/** A batch buffer of `n` ECHO records of SIZE bytes (batch-layout.ts). */
function batchOf(n) {
  const buf = Buffer.allocUnsafeSlow(BATCH_HEADER_BYTES + n * (RECORD_HEADER_BYTES + SIZE));
  buf.writeUInt32LE(n, 0);
  let off = BATCH_HEADER_BYTES;
  for (let i = 0; i < n; i++) {
    buf[off] = TaskKind.ECHO;
    buf.fill(0, off + 1, off + 4);
    buf.writeUInt32LE(SIZE, off + 4);
    buf.fill(0x61, off + RECORD_HEADER_BYTES, off + RECORD_HEADER_BYTES + SIZE);
    off += RECORD_HEADER_BYTES + SIZE;
  }
  return buf.buffer;
}

/** Runs REQUESTS requests as tasks of `perTask` through `pool`, IN_FLIGHT requests in flight. */
async function piscinaCase(pool, perTask) {
  const tasks = Math.ceil(REQUESTS / perTask);
  const window = Math.max(1, Math.floor(IN_FLIGHT / perTask));
  let posted = 0;
  let done = 0;
  const t0 = performance.now();
  await new Promise((resolve, reject) => {
    const post = () => {
      posted++;
      const batch = batchOf(perTask);
      pool.run({ batch }, { name: 'runBatch', transferList: [batch] }).then(() => {
        done++;
        if (done === tasks || performance.now() - t0 > CASE_LIMIT_MS) resolve();
        else if (posted < tasks) post();
      }, reject);
    };
    for (let i = 0; i < Math.min(window, tasks); i++) post();
  });
  const s = (performance.now() - t0) / 1000;
  return { tasks: done / s, requests: (done * perTask) / s };
}

/** Runs REQUESTS ECHOs through ThreadPool.light, IN_FLIGHT in flight, each answered to a sink that sends the next. */
async function threadPoolCase() {
  const pool = new ThreadPool(THREADS, 1024);
  const data = Buffer.alloc(SIZE, 0x61);
  let sent = 0;
  let done = 0;
  const t0 = performance.now();
  await new Promise((resolve) => {
    const sink = {
      poolReply() {
        done++;
        if (done === REQUESTS || performance.now() - t0 > CASE_LIMIT_MS) resolve();
        else if (sent < REQUESTS) send();
      },
      poolFailed(_t, _id, err) {
        throw err;
      },
    };
    const send = () => {
      sent++;
      pool.light(0, TaskKind.ECHO, sent, data, sink, 0, SIZE, null);
    };
    for (let i = 0; i < IN_FLIGHT; i++) send();
  });
  const s = (performance.now() - t0) / 1000;
  const out = { tasks: pool.tasks / s, requests: done / s };
  await pool.close();
  return out;
}

const fmt = (v) => Math.round(v).toLocaleString('en-US').padStart(10);
console.log(`${REQUESTS} ECHO requests of ${SIZE} B, ${IN_FLIGHT} in flight, ${THREADS} threads, Node ${process.version}`);
for (const atomics of ['sync', 'disabled']) {
  const pool = new Piscina({ filename: TASK_FILE, minThreads: THREADS, maxThreads: THREADS, idleTimeout: 2_147_483_647, atomics, recordTiming: false });
  await piscinaCase(pool, 16); // warm-up: threads started, handler loaded, code optimised
  for (const perTask of [1, 4, 16, 64, 128]) {
    const r = await piscinaCase(pool, perTask);
    console.log(`piscina (atomics ${atomics.padEnd(8)}) ${String(perTask).padStart(3)} requests per task ${fmt(r.tasks)} tasks/s ${fmt(r.requests)} requests/s`);
  }
  await pool.destroy();
}
const r = await threadPoolCase();
console.log(`ThreadPool.light (per-turn batches)              ${fmt(r.tasks)} tasks/s ${fmt(r.requests)} requests/s`);
