#!/usr/bin/env node
// The floor under every Node figure of step 1: the smallest Node echo pair there is. The server
// writes back each chunk (TCP, net.Socket) or datagram (UDP, dgram) as it comes; the client keeps one
// 64-byte message in flight and times each round trip with performance.now(). No framing, no
// histogram library, no worker thread: what is left is Node's own cost per wake-up, read and write,
// so sockbench's figures can be read against it (sockbench − this = sockbench's own work).
//
//   node node-echo.mjs server tcp|udp PORT [MAX_SECONDS=120]   echo on 127.0.0.1:PORT until SIGTERM
//   node node-echo.mjs client tcp|udp PORT SECONDS [SIZE=64]   1 s warm-up, then SECONDS measured; prints
//       {"count":N,"p50":µs,"p99":µs,"p999":µs,"max":µs}   (exact percentiles of every round trip)
import dgram from 'node:dgram';
import net from 'node:net';
import { performance } from 'node:perf_hooks';

const HOST = '127.0.0.1';
const [mode, transport, portArg, secondsArg, sizeArg] = process.argv.slice(2);
const port = Number(portArg);
if (!['server', 'client'].includes(mode) || !['tcp', 'udp'].includes(transport) || !Number.isInteger(port) || port < 1 || port > 65535) {
  process.stderr.write('usage: node node-echo.mjs server tcp|udp PORT [MAX_SECONDS] | client tcp|udp PORT SECONDS [SIZE]\n');
  process.exit(2);
}

if (mode === 'server') {
  const maxSeconds = Number(secondsArg ?? 120);
  // An orphan never lingers: the bench stops it by PID, and it stops itself at MAX_SECONDS anyway.
  setTimeout(() => process.exit(0), maxSeconds * 1000).unref();
  if (transport === 'tcp') {
    const srv = net.createServer({ noDelay: true }, (s) => {
      s.on('error', () => undefined);
      s.on('data', (chunk) => s.write(chunk));
    });
    srv.listen(port, HOST);
    process.on('SIGTERM', () => process.exit(0));
  } else {
    const sock = dgram.createSocket('udp4');
    sock.on('message', (msg, rinfo) => sock.send(msg, rinfo.port, rinfo.address));
    sock.bind(port, HOST);
    process.on('SIGTERM', () => process.exit(0));
  }
} else {
  const seconds = Number(secondsArg);
  const size = Number(sizeArg ?? 64);
  if (!(seconds > 0) || !Number.isInteger(size) || size < 1) {
    process.stderr.write('client: SECONDS must be > 0 and SIZE a positive integer\n');
    process.exit(2);
  }
  const msg = Buffer.alloc(size, 0x61);
  // Room for one round trip per µs over the whole run: more than loopback can do.
  const samples = new Float64Array(Math.ceil(seconds * 1e6));
  let n = 0;
  let sentAt = 0;
  let warmEnd = 0;
  let end = 0;
  const start = (send) => {
    warmEnd = performance.now() + 1000;
    end = warmEnd + seconds * 1000;
    sentAt = performance.now();
    send();
  };
  const finish = () => {
    const s = samples.subarray(0, n).sort();
    const at = (q) => Math.round(s[Math.min(n - 1, Math.floor(q * n))] * 1e4) / 10; // ms → µs, 0.1 µs
    process.stdout.write(`${JSON.stringify({ count: n, p50: at(0.5), p99: at(0.99), p999: at(0.999), max: at(1) })}\n`);
    process.exit(n > 0 ? 0 : 1);
  };
  // Called once per complete reply; returns false when the run is over.
  const onReply = () => {
    const now = performance.now();
    if (now >= warmEnd && n < samples.length) samples[n++] = now - sentAt;
    if (now >= end) return false;
    sentAt = now;
    return true;
  };
  setTimeout(() => {
    process.stderr.write('client: no replies, giving up\n');
    finish();
  }, (seconds + 10) * 1000).unref();
  if (transport === 'tcp') {
    const s = net.connect({ host: HOST, port, noDelay: true });
    let pending = 0;
    s.on('error', (err) => {
      process.stderr.write(`client: ${err.message}\n`);
      process.exit(1);
    });
    s.on('connect', () => start(() => s.write(msg)));
    s.on('data', (chunk) => {
      pending += chunk.length;
      if (pending < size) return;
      pending -= size;
      if (onReply()) s.write(msg);
      else {
        s.destroy();
        finish();
      }
    });
  } else {
    const sock = dgram.createSocket('udp4');
    sock.on('message', () => {
      if (onReply()) sock.send(msg);
      else {
        sock.close();
        finish();
      }
    });
    sock.connect(port, HOST, () => start(() => sock.send(msg)));
  }
}
