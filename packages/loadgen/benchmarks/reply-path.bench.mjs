#!/usr/bin/env node
// What the generator thread's loop pays besides sending and receiving, in one process, no sockets:
//  1. per interval: Recorder.cut() (the histogram compressed on the thread, as before) against
//     Recorder.cutRaw() + postMessage with the counts' buffer transferred (what the thread does now;
//     the main thread encodes), over INTERVALS intervals of PER_SECOND latencies each (ms per cut);
//  2. per reply: bytes allocated on the generator's own reply path (LoadLoop.onReply → recorder →
//     closed loop → driver.send) with a synchronous driver; heap used before and after ITER replies,
//     counted only when no GC ran in between (PerformanceObserver 'gc'), so run it with a young
//     generation large enough to hold them: node --max-semi-space-size=64 ….
// Usage: node --max-semi-space-size=64 packages/loadgen/benchmarks/reply-path.bench.mjs [intervals=12] [perSecond=33000] [iter=500]
// Needs a build: npx nx run @sockbench/loadgen:build
import { performance, PerformanceObserver } from 'node:perf_hooks';
import { MessageChannel } from 'node:worker_threads';
import { Recorder } from '../dist/generator/recorder.js';
import { LoadLoop } from '../dist/generator/load-loop.js';
import { resolveRunOptions } from '../dist/options.js';

const INTERVALS = Number(process.argv[2] ?? 12);
const PER_SECOND = Number(process.argv[3] ?? 33_000);
const ITER = Number(process.argv[4] ?? 500);

const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const ms = (v) => `${v.toFixed(3)} ms`;

/** A second of ping-pong latencies (µs): a 15–55 µs body, 1 % at 0.3–1 ms, a few near 1 ms. */
function fill(rec, k) {
  for (let i = 0; i < PER_SECOND; i++) {
    const us = 15 + ((i * 7919 + k) % 40) + (i % 100 === 0 ? 300 + (i % 700) : 0) + (i % 3000 === 0 ? 900 : 0);
    rec.completed(us / 1000, 0, 0, 76);
  }
}

function timeCuts(raw) {
  const { port1, port2 } = new MessageChannel();
  port2.on('message', () => undefined);
  const rec = new Recorder(0, () => 0);
  rec.begin(0);
  const times = [];
  for (let k = 0; k < INTERVALS; k++) {
    fill(rec, k);
    const t0 = performance.now();
    if (raw) {
      const iv = rec.cutRaw(1000 * (k + 1));
      port1.postMessage({ kind: 'interval', interval: iv }, [iv.counts.buffer]);
    } else port1.postMessage({ kind: 'interval', interval: rec.cut(1000 * (k + 1)) });
    times.push(performance.now() - t0);
  }
  port1.close();
  return { first: times[0], median: median(times.slice(1)), max: Math.max(...times.slice(1)) };
}

let gcs = 0;
new PerformanceObserver((list) => (gcs += list.getEntries().length)).observe({ entryTypes: ['gc'] });

async function bytesPerReply() {
  const plan = resolveRunOptions({ port: 7878, connections: 1, threads: 1, duration: '60s', warmup: '0', pipeline: 1 }).plan;
  let last = 0;
  let sink = null;
  const driver = { requestBytes: 76, peer: null, send: (id) => ((last = id), true), close: async () => undefined };
  const loop = new LoadLoop({ plan, thread: 0, connections: [0, 1], open: async (s) => ((sink = s), driver) });
  await loop.open();
  await new Promise((resolve) => {
    loop.start(performance.now(), { interval: () => undefined, done: () => undefined });
    setTimeout(resolve, 20);
  });
  const replies = (n) => {
    for (let i = 0; i < n; i++) sink.reply(last, 1.5, 76, null); // a fixed receive time: only the loop's own allocation
  };
  replies(200_000); // compiled before measuring
  const clean = [];
  for (let k = 0; k < 10; k++) {
    await new Promise((resolve) => setTimeout(resolve, 5));
    const g = gcs;
    const before = process.memoryUsage().heapUsed;
    replies(ITER);
    const after = process.memoryUsage().heapUsed;
    await new Promise((resolve) => setTimeout(resolve, 1));
    if (gcs === g && after >= before) clean.push((after - before) / ITER);
  }
  await loop.close();
  return clean;
}

const encoded = timeCuts(false);
const handoff = timeCuts(true);
console.log(`per interval on the generator thread (${PER_SECOND} latencies a second, ${INTERVALS} intervals):`);
console.log(`  cut() + post (encode on the thread): first ${ms(encoded.first)}, then median ${ms(encoded.median)}, max ${ms(encoded.max)}`);
console.log(`  cutRaw() + post (counts transferred): first ${ms(handoff.first)}, then median ${ms(handoff.median)}, max ${ms(handoff.max)}`);
const b = await bytesPerReply();
console.log(b.length > 0 ? `generator reply path: ${median(b).toFixed(1)} bytes allocated per reply (median of ${b.length} GC-free samples of ${ITER})` : 'generator reply path: every sample saw a GC (give it a larger young generation)');
process.exit(0);
