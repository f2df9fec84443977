#!/usr/bin/env node
// The Node floor under step 2's pipelined figures: the smallest pipelined echo client there is, to
// run against node-echo.mjs's server (which writes back each chunk as it reads it). CONNS TCP
// connections each keep DEPTH messages of SIZE bytes in flight: it writes DEPTH at the start and, per
// chunk read, one write of as many messages as the chunk completed (as a pipelining client batches
// its sends; one write per message would measure write(2) calls instead). No framing, no histogram, no timers on the data path, one
// thread: what is left is Node's own cost per read and write, so sockbench's pipelined figures can be
// read against it (sockbench ÷ this = what the framing, dispatch and measurement leave of Node's rate).
//
//   node node-pipelined.mjs PORT SECONDS [SIZE=1036] [CONNS=50] [DEPTH=16]
//       1 s warm-up, then SECONDS measured; prints {"rps":N,"mbPerSec":MB/s each way (10⁶ B)}
import net from 'node:net';
import { performance } from 'node:perf_hooks';

const [portArg, secondsArg, sizeArg, connsArg, depthArg] = process.argv.slice(2);
const port = Number(portArg);
const seconds = Number(secondsArg);
const size = Number(sizeArg ?? 1036);
const conns = Number(connsArg ?? 50);
const depth = Number(depthArg ?? 16);
if (!(port >= 1 && port <= 65535) || !(seconds > 0) || ![size, conns, depth].every((v) => Number.isInteger(v) && v >= 1)) {
  process.stderr.write('usage: node node-pipelined.mjs PORT SECONDS [SIZE=1036] [CONNS=50] [DEPTH=16]\n');
  process.exit(2);
}

// DEPTH messages back to back: a write of k messages is a view of its first k × SIZE bytes.
const msgs = Buffer.alloc(size * depth, 0x61);
let received = 0; // bytes echoed back inside the measured window
let measuring = false;
let t0 = 0;
const sockets = [];
setTimeout(() => {
  measuring = true;
  t0 = performance.now();
  setTimeout(() => {
    const secs = (performance.now() - t0) / 1000;
    const messages = Math.floor(received / size);
    process.stdout.write(`${JSON.stringify({ rps: Math.round(messages / secs), mbPerSec: received / secs / 1e6 })}\n`);
    for (const s of sockets) s.destroy();
    process.exit(received > 0 ? 0 : 1);
  }, seconds * 1000);
}, 1000);
setTimeout(() => {
  process.stderr.write('node-pipelined: did not finish, giving up\n');
  process.exit(1);
}, (seconds + 10) * 1000).unref();

for (let c = 0; c < conns; c++) {
  const s = net.connect({ host: '127.0.0.1', port, noDelay: true });
  sockets.push(s);
  let partial = 0; // bytes of a message echoed so far
  s.on('error', (err) => {
    process.stderr.write(`node-pipelined: ${err.message}\n`);
    process.exit(1);
  });
  s.on('connect', () => {
    s.write(msgs);
  });
  s.on('data', (chunk) => {
    if (measuring) received += chunk.length;
    partial += chunk.length;
    const done = Math.floor(partial / size);
    if (done === 0) return;
    partial -= done * size;
    // At most DEPTH are in flight, so at most DEPTH complete per chunk.
    s.write(msgs.subarray(0, done * size));
  });
}
