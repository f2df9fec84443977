// Protocol codec benchmark (tinybench): frames/s and MB/s for encode and decode at 16 B, 1 KiB and
// 64 KiB payloads, decoding one 64 KiB chunk holding many 16-byte frames (pipelined small requests), and
// a FrameBatch of 16 replies of 64 B encoded into one buffer (what a connection writes per pipelined chunk).
// Runs on the built package (`npm run bench:protocol` builds it first). Not a test: it asserts nothing.
import os from 'node:os';
import { Bench } from 'tinybench';
import { FrameBatch, FrameDecoder, MessageType, encodeFrame } from '../dist/index.js';

const TIME_MS = Number(process.env.BENCH_TIME_MS ?? 1000);
const bench = new Bench({ time: TIME_MS, warmupTime: 200 });
const meta = new Map(); // task name → { frames per iteration, bytes per iteration }
const noop = () => undefined;

for (const [label, size] of [['16 B', 16], ['1 KiB', 1024], ['64 KiB', 64 * 1024]]) {
  const payload = Buffer.alloc(size, 0x61);
  const frame = encodeFrame(MessageType.ECHO, 1, payload);
  let id = 1;
  bench.add(`encode ${label}`, () => {
    encodeFrame(MessageType.ECHO, id++ >>> 0 || 1, payload);
  });
  meta.set(`encode ${label}`, { frames: 1, bytes: frame.length });
  const decoder = new FrameDecoder({ maxPayload: 1024 * 1024 });
  bench.add(`decode ${label}`, () => {
    decoder.push(frame, noop);
  });
  meta.set(`decode ${label}`, { frames: 1, bytes: frame.length });
}

{
  const one = encodeFrame(MessageType.ECHO, 1, Buffer.alloc(16, 0x62));
  const count = Math.floor((64 * 1024) / one.length);
  const chunk = Buffer.concat(Array.from({ length: count }, () => one));
  const decoder = new FrameDecoder();
  bench.add(`decode 64 KiB chunk of ${count} × 16 B frames`, () => {
    decoder.push(chunk, noop);
  });
  meta.set(`decode 64 KiB chunk of ${count} × 16 B frames`, { frames: count, bytes: chunk.length });
}

{
  const payload = Buffer.alloc(64, 0x63);
  const batch = new FrameBatch();
  let id = 1;
  bench.add('FrameBatch: 16 × 64 B frames into one buffer', () => {
    for (let i = 0; i < 16; i++) batch.add(MessageType.ECHO, 1, id++ >>> 0 || 1, payload);
    batch.encode();
  });
  meta.set('FrameBatch: 16 × 64 B frames into one buffer', { frames: 16, bytes: 16 * (12 + 64) });
}

await bench.run();

const rows = bench.tasks.map((t) => {
  const m = meta.get(t.name);
  const opsPerSec = t.result.throughput.mean; // iterations/s
  return {
    task: t.name,
    'frames/s': Math.round(opsPerSec * m.frames).toLocaleString('en-US'),
    'MB/s': ((opsPerSec * m.bytes) / 1e6).toFixed(1),
    'ns/frame': ((1e9 / opsPerSec) / m.frames).toFixed(1),
    samples: t.result.latency.samplesCount,
  };
});
const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
console.log(`node ${process.version}, ${os.cpus().length} × ${cpu}, ${os.platform()} ${os.release()}`);
console.log('| task | frames/s | MB/s | ns/frame |');
console.log('|---|---:|---:|---:|');
for (const r of rows) console.log(`| ${r.task} | ${r['frames/s']} | ${r['MB/s']} | ${r['ns/frame']} |`);
