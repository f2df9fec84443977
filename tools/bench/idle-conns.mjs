#!/usr/bin/env node
// Child process of the scale step: opens COUNT idle TCP connections to 127.0.0.1:PORT, reads and
// discards whatever the server sends (sockbench's WELCOME), and sends nothing. Once every connection
// is open (or failed), prints one JSON line on stdout:
//   {"open":N,"failed":F,"firstError":"…"|null,"ms":T,"rssKiB":R}
// then holds the connections until SIGTERM, or MAX_SECONDS at most (so an orphan never lingers).
// Run it with `ulimit -n` raised (the bench wraps it in `bash -c 'ulimit -n …; exec node …'`).
//
// usage: node idle-conns.mjs PORT COUNT [MAX_SECONDS=120] [CONCURRENT_CONNECTS=256]
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';

const [port, count, maxSeconds = 120, batch = 256] = process.argv.slice(2).map(Number);
if (!Number.isInteger(port) || !Number.isInteger(count) || count < 1) {
  process.stderr.write('usage: node idle-conns.mjs PORT COUNT [MAX_SECONDS] [CONCURRENT_CONNECTS]\n');
  process.exit(2);
}

const sockets = [];
let open = 0;
let failed = 0;
let firstError = null;
const t0 = Date.now();

function openOne() {
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port });
    s.once('connect', () => {
      open++;
      sockets.push(s);
      s.resume(); // discard what the server sends
      resolve();
    });
    s.on('error', (err) => {
      firstError ??= err.code ?? err.message;
      if (!s.connecting) return; // an error after connect: counted when it closes
      failed++;
      resolve();
    });
    s.once('close', () => {
      if (sockets.includes(s)) open--;
    });
  });
}

// At most `batch` connects in flight, so the listen backlog is never the thing measured.
let next = 0;
async function lane() {
  while (next < count) {
    next++;
    await openOne();
  }
}
await Promise.all(Array.from({ length: Math.min(batch, count) }, lane));

const rss = /^VmRSS:\s+(\d+)/m.exec(readFileSync('/proc/self/status', 'utf8'));
process.stdout.write(`${JSON.stringify({ open, failed, firstError, ms: Date.now() - t0, rssKiB: rss ? Number(rss[1]) : null })}\n`);

const bye = () => {
  for (const s of sockets) s.destroy();
  process.exit(0);
};
process.on('SIGTERM', bye);
process.on('SIGINT', bye);
setTimeout(bye, maxSeconds * 1000).unref(); // the open sockets keep the process alive until then
