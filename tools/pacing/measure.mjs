#!/usr/bin/env node
// `node tools/pacing/measure.mjs`: the two open-loop pacings (`--pacing spin|timer`) side by side, at
// the same moment on the same machine: for each rate, one run of each back to back, against one
// sockbench-server (1 worker, its own process, so its CPU is not counted), over UDP (sends leave on
// schedule whatever is in flight, so the slip is the pacer's alone), one generator thread.
//
// Per run: send slip p50/p99 behind schedule (the report's selfCheck.sendSlipUs), the generator's CPU
// (process.cpuUsage of this process, which holds the generator's threads, between the first and the
// last-but-one per-second interval: the steady middle, without thread start-up, connection setup or
// drain), the thread's work share and the pacer's busy wait
// (selfCheck.threads[0]), achieved rate and corrected latency p50/p99. Then, for scale, Node's own
// floor on this machine at that moment: a bare loop with one 1 ms timer and one UDP echo (to the
// server's raw port) per wake, no generator at all. Prints a Markdown table (stdout) and the rows as
// JSON (stderr's last line).
//
// Bounded: each run is --duration (default 5s, at least 3s) after a 500 ms warm-up; the whole script gives up
// after 5 minutes, stopping the server it started (by its PID) either way.
//
//   node tools/pacing/measure.mjs [--duration 3s] [--rates 1000,10000,50000] [--connections 50]
import dgram from 'node:dgram';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { resolveRunOptions, runPlan } from '@sockbench/loadgen';
import { startSockbench } from '../bench/servers.mjs';
import { stop } from '../bench/proc.mjs';

const { values } = parseArgs({
  options: {
    duration: { type: 'string', default: '5s' },
    rates: { type: 'string', default: '1000,10000,50000' },
    connections: { type: 'string', default: '50' },
  },
});
const rates = values.rates.split(',').map(Number);
if (rates.some((r) => !(r >= 1))) throw new Error(`--rates must be numbers ≥ 1, got ${values.rates}`);
const PACINGS = ['spin', 'timer'];
const say = (line) => process.stderr.write(`pacing: ${line}\n`);

const server = await startSockbench(['--workers', '1']);
const watchdog = setTimeout(() => {
  say('over 5 minutes: giving up');
  void stop(server.child).then(() => process.exit(1));
}, 300_000);

const rows = [];
let floor = null;
try {
  for (const rate of rates) {
    for (const pacing of PACINGS) {
      const { plan } = resolveRunOptions({
        port: server.port,
        transport: 'udp',
        rate,
        pacing,
        connections: Number(values.connections),
        threads: 1,
        duration: values.duration,
        warmup: '500ms',
        timeout: 1000,
      });
      if (plan.durationMs < 3000) throw new Error(`--duration must be at least 3s, got ${values.duration}`);
      // CPU and time at each interval's arrival: the steady middle lies between the first and the
      // last-but-one (the last one comes with the drain).
      const marks = [];
      const run = await runPlan({ plan, token: null }, { onInterval: () => marks.push({ cpu: process.cpuUsage(), at: performance.now() }) });
      const [a, b] = [marks[0], marks.at(-2)];
      const cpuUs = b.cpu.user + b.cpu.system - (a.cpu.user + a.cpu.system);
      const wallMs = b.at - a.at;
      const t = run.selfCheck.threads[0];
      const row = {
        rate,
        pacing,
        achieved: Math.round(run.selfCheck.achievedRate),
        slipP50Us: run.selfCheck.sendSlipUs?.p50 ?? null,
        slipP99Us: run.selfCheck.sendSlipUs?.p99 ?? null,
        cpuPercent: Math.round((100 * cpuUs) / 1000 / wallMs),
        workPercent: Math.round(100 * t.utilization),
        pacerWaitingPercent: Math.round(100 * t.pacerWaiting),
        latencyP50Us: run.results.latencyUs.p50,
        latencyP99Us: run.results.latencyUs.p99,
        lossPercent: run.results.lossPercent,
        verdict: run.selfCheck.verdict,
      };
      rows.push(row);
      say(`${rate} req/s ${pacing}: slip p99 ${row.slipP99Us} µs, CPU ${row.cpuPercent} % of a core (work ${row.workPercent} %, spin ${row.pacerWaitingPercent} %)`);
    }
  }
  floor = await nodeFloor(server.rawPort, 3000);
  say(`node floor: ${floor.echoesPerSec} echoes/s at ${floor.cpuPercent} % of a core`);
} finally {
  clearTimeout(watchdog);
  await stop(server.child);
}

/** CPU share of a core (%) and echoes per second of a bare 1 ms timer loop sending one datagram a wake. */
async function nodeFloor(port, ms) {
  const s = dgram.createSocket('udp4');
  await new Promise((r) => s.bind(0, '127.0.0.1', r));
  s.connect(port, '127.0.0.1');
  await new Promise((r) => s.once('connect', r));
  let echoes = 0;
  s.on('message', () => echoes++);
  const buf = Buffer.alloc(64, 0x61);
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await new Promise((done) => {
    const step = () => {
      s.send(buf);
      if (performance.now() - t0 < ms) setTimeout(step, 1);
      else done();
    };
    step();
  });
  const wallMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  s.close();
  return { cpuPercent: Math.round((100 * (cpu.user + cpu.system)) / 1000 / wallMs), echoesPerSec: Math.round((1000 * echoes) / wallMs) };
}

const ms = (us) => (us === null ? '–' : us >= 1000 ? `${(us / 1000).toFixed(2)} ms` : `${us} µs`);
const lines = [
  '| rate (req/s) | pacing | achieved | slip p50 | slip p99 | generator CPU (% of a core) | work / spin-wait (% of time) | latency p50 | latency p99 | loss |',
  '|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|',
  ...rows.map(
    (r) =>
      `| ${r.rate.toLocaleString('en-US')} | ${r.pacing} | ${r.achieved.toLocaleString('en-US')} | ${ms(r.slipP50Us)} | ${ms(r.slipP99Us)} | ${r.cpuPercent} | ${r.workPercent} / ${r.pacerWaitingPercent} | ${ms(r.latencyP50Us)} | ${ms(r.latencyP99Us)} | ${r.lossPercent.toFixed(2)} % |`,
  ),
];
lines.push('', `Node's floor here and now (no generator: a 1 ms timer and one 64-byte UDP echo a wake): ${floor.echoesPerSec.toLocaleString('en-US')} echoes/s at ${floor.cpuPercent} % of a core.`);
process.stdout.write(`${lines.join('\n')}\n`);
process.stderr.write(`${JSON.stringify({ rows, floor })}\n`);
