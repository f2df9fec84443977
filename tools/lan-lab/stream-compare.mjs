#!/usr/bin/env node
// The lab's stream section: sockbench's stream reports beside iperf3's JSON for the same tests over the
// same link, receiver side, with the ratio sockbench / iperf3.
//
// Usage: node stream-compare.mjs DIR LINK_BITS_PER_S
//   DIR holds sb-<t>.json (sockbench-loadgen stream --json) and ip-<t>.json (iperf3 -J) for t in
//   tcp-up, tcp-down, udp-up, udp-down. Prints the table on stdout; exits 1 when a file is missing.
import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';

const [dir, linkText] = process.argv.slice(2);
if (!dir || !linkText) {
  console.error('usage: node stream-compare.mjs DIR LINK_BITS_PER_S');
  process.exit(2);
}
const link = Number(linkText);
const TESTS = ['tcp-up', 'tcp-down', 'udp-up', 'udp-down'];

/** SI bit rate with 3 significant digits, as the load generator prints it. */
function rate(b) {
  if (!Number.isFinite(b)) return '-';
  const p = ['', 'k', 'M', 'G'];
  let v = b;
  let i = 0;
  while (v >= 999.5 && i < p.length - 1) {
    v /= 1000;
    i++;
  }
  return `${v.toFixed(i === 0 ? 0 : v >= 99.95 ? 0 : v >= 9.995 ? 1 : 2)} ${p[i]}bit/s`;
}

function read(path) {
  if (!existsSync(path)) {
    console.error(`stream-compare: ${path} is missing`);
    process.exit(1);
  }
  return JSON.parse(readFileSync(path, 'utf8'));
}

/** The receiver's figures of one iperf3 -J result (TCP: sum_received; UDP: sum_received, iperf3 ≥ 3.10, else sum). */
function iperf(j, udp) {
  const s = j.end.sum_received ?? j.end.sum;
  return { bitsPerSec: s.bits_per_second, lossPercent: udp ? s.lost_percent : null, jitterMs: udp ? s.jitter_ms : null, lost: udp ? s.lost_packets : null, packets: udp ? s.packets : null };
}

const rows = [['test', 'sockbench receiver', 'iperf3 receiver', 'sockbench / iperf3', 'of link', 'loss sb / iperf3', 'jitter sb / iperf3', 'out of order sb', 'waited sb']];
for (const t of TESTS) {
  const udp = t.startsWith('udp');
  const sb = read(join(dir, `sb-${t}.json`)).runs[0].stream.receiver;
  const ip = iperf(read(join(dir, `ip-${t}.json`)), udp);
  rows.push([
    t.replace('-', ' '),
    rate(sb.bitsPerSec),
    rate(ip.bitsPerSec),
    `${(sb.bitsPerSec / ip.bitsPerSec).toFixed(2)}×`,
    `${((100 * sb.bitsPerSec) / link).toFixed(1)}%`,
    udp ? `${sb.lossPercent.toFixed(2)}% / ${ip.lossPercent.toFixed(2)}%` : '-',
    udp ? `${sb.jitterMs.toFixed(3)} / ${ip.jitterMs.toFixed(3)} ms` : '-',
    String(sb.outOfOrder),
    `${sb.waitedMs} ms`,
  ]);
}
const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
for (const r of rows) console.log(r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  '));
console.log('goodput at the receiver, payload layer: sockbench counts whole messages (its 28-byte stream header included), iperf3 its payload (its own header included)');
