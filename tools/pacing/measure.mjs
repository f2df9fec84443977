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
// --rounds N repeats the whole set N times, the floor in every round, and prints medians; --loadgen
// DIR,DIR measures several builds of the package (a directory holding dist/ and package.json, e.g. a
// copy of packages/loadgen from before a change), one after the other within each round, so that
// builds are compared at the same minute; --pacings picks the modes. --warmup is each run's warm-up
// (default 2s: the JIT is still compiling the generator's code in its first seconds at 1,000 req/s,
// and that one-time cost is no part of the steady rate's).
//
// Bounded: each run is --duration (default 5s, at least 3s) after the warm-up; the whole script gives
// up after 15 minutes, stopping the server it started (by its PID) either way.
//
//   node tools/pacing/measure.mjs [--duration 3s] [--rates 1000,10000,50000] [--connections 50]
//     [--rounds 1] [--pacings spin,timer] [--warmup 2s] [--loadgen DIR,DIR]
import dgram from 'node:dgram';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startSockbench } from '../bench/servers.mjs';
import { stop } from '../bench/proc.mjs';

const { values } = parseArgs({
  options: {
    duration: { type: 'string', default: '5s' },
    rates: { type: 'string', default: '1000,10000,50000' },
    connections: { type: 'string', default: '50' },
    rounds: { type: 'string', default: '1' },
    pacings: { type: 'string', default: 'spin,timer' },
    warmup: { type: 'string', default: '2s' },
    loadgen: { type: 'string', default: fileURLToPath(new URL('../../packages/loadgen', import.meta.url)) },
  },
});
const rates = values.rates.split(',').map(Number);
if (rates.some((r) => !(r >= 1))) throw new Error(`--rates must be numbers ≥ 1, got ${values.rates}`);
const rounds = Number(values.rounds);
if (!(Number.isInteger(rounds) && rounds >= 1 && rounds <= 9)) throw new Error(`--rounds must be 1..9, got ${values.rounds}`);
const PACINGS = values.pacings.split(',');
const dirs = values.loadgen.split(',').map((d) => resolve(d));
const builds = await Promise.all(dirs.map((d) => import(join(d, 'dist/index.js'))));
const buildName = (i) => (dirs.length === 1 ? '' : i === 0 ? 'before' : i === dirs.length - 1 ? 'after' : `build ${i}`);
const say = (line) => process.stderr.write(`pacing: ${line}\n`);

const server = await startSockbench(['--workers', '1']);
const watchdog = setTimeout(() => {
  say('over 15 minutes: giving up');
  void stop(server.child).then(() => process.exit(1));
}, 900_000);

const samples = []; // every run of every round
const floors = [];
try {
  for (let round = 1; round <= rounds; round++) {
    for (const rate of rates) {
      for (const pacing of PACINGS) {
        for (const [b, { resolveRunOptions, runPlan }] of builds.entries()) {
          const { plan } = resolveRunOptions({
            port: server.port,
            transport: 'udp',
            rate,
            pacing,
            connections: Number(values.connections),
            threads: 1,
            duration: values.duration,
            warmup: values.warmup,
            timeout: 1000,
          });
          if (plan.durationMs < 3000) throw new Error(`--duration must be at least 3s, got ${values.duration}`);
          // CPU and time at each interval's arrival: the steady middle lies between the first and the
          // last-but-one (the last one comes with the drain).
          const marks = [];
          const run = await runPlan({ plan, token: null }, { onInterval: () => marks.push({ cpu: process.cpuUsage(), at: performance.now() }) });
          const [a, z] = [marks[0], marks.at(-2)];
          const cpuUs = z.cpu.user + z.cpu.system - (a.cpu.user + a.cpu.system);
          const wallMs = z.at - a.at;
          const t = run.selfCheck.threads[0];
          const row = {
            round,
            build: buildName(b),
            rate,
            pacing,
            achieved: Math.round(run.selfCheck.achievedRate),
            slipP50Us: run.selfCheck.sendSlipUs?.p50 ?? null,
            slipP99Us: run.selfCheck.sendSlipUs?.p99 ?? null,
            cpuPercent: (100 * cpuUs) / 1000 / wallMs,
            workPercent: 100 * t.utilization,
            pacerWaitingPercent: 100 * t.pacerWaiting,
            latencyP50Us: run.results.latencyUs.p50,
            latencyP99Us: run.results.latencyUs.p99,
            lossPercent: run.results.lossPercent,
            verdict: run.selfCheck.verdict,
          };
          samples.push(row);
          say(`round ${round}: ${rate} req/s ${pacing}${row.build ? ` (${row.build})` : ''}: slip p99 ${row.slipP99Us} µs, CPU ${row.cpuPercent.toFixed(1)} % of a core (work ${row.workPercent.toFixed(0)} %, spin ${row.pacerWaitingPercent.toFixed(0)} %)`);
        }
      }
    }
    const floor = await nodeFloor(server.rawPort, 3000);
    floors.push(floor);
    say(`round ${round}: node floor: ${floor.echoesPerSec} echoes/s at ${floor.cpuPercent.toFixed(1)} % of a core`);
  }
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
  return { cpuPercent: (100 * (cpu.user + cpu.system)) / 1000 / wallMs, echoesPerSec: Math.round((1000 * echoes) / wallMs) };
}

const median = (xs) => {
  const v = xs.filter((x) => x !== null).sort((a, b) => a - b);
  return v.length === 0 ? null : v[Math.floor((v.length - 1) / 2)];
};
// One row per (rate, pacing, build): the median of its rounds, field by field.
const rows = [];
for (const rate of rates)
  for (const pacing of PACINGS)
    for (const [b] of builds.entries()) {
      const runs = samples.filter((r) => r.rate === rate && r.pacing === pacing && r.build === buildName(b));
      const m = (k) => median(runs.map((r) => r[k]));
      rows.push({ rate, pacing, build: buildName(b), achieved: m('achieved'), slipP50Us: m('slipP50Us'), slipP99Us: m('slipP99Us'), cpuPercent: m('cpuPercent'), workPercent: m('workPercent'), pacerWaitingPercent: m('pacerWaitingPercent'), latencyP50Us: m('latencyP50Us'), latencyP99Us: m('latencyP99Us'), lossPercent: m('lossPercent') });
    }
const floor = { cpuPercent: median(floors.map((f) => f.cpuPercent)), echoesPerSec: median(floors.map((f) => f.echoesPerSec)) };

const ms = (us) => (us === null ? '–' : us >= 1000 ? `${(us / 1000).toFixed(2)} ms` : `${us} µs`);
const withBuild = dirs.length > 1;
const lines = [
  `| rate (req/s) | pacing |${withBuild ? ' build |' : ''} achieved | slip p50 | slip p99 | generator CPU (% of a core) | work / spin-wait (% of time) | latency p50 | latency p99 | loss |`,
  `|---:|---|${withBuild ? '---|' : ''}---:|---:|---:|---:|---:|---:|---:|---:|`,
  ...rows.map(
    (r) =>
      `| ${r.rate.toLocaleString('en-US')} | ${r.pacing} |${withBuild ? ` ${r.build} |` : ''} ${r.achieved.toLocaleString('en-US')} | ${ms(r.slipP50Us)} | ${ms(r.slipP99Us)} | ${r.cpuPercent.toFixed(1)} | ${r.workPercent.toFixed(0)} / ${r.pacerWaitingPercent.toFixed(0)} | ${ms(r.latencyP50Us)} | ${ms(r.latencyP99Us)} | ${r.lossPercent.toFixed(2)} % |`,
  ),
];
lines.push('', `Node's floor here and now (no generator: a 1 ms timer and one 64-byte UDP echo a wake): ${floor.echoesPerSec.toLocaleString('en-US')} echoes/s at ${floor.cpuPercent.toFixed(1)} % of a core.`);
if (rounds > 1) lines.push(`Medians of ${rounds} rounds; in each, every build and mode ran back to back at each rate, and the floor once.`);
process.stdout.write(`${lines.join('\n')}\n`);
process.stderr.write(`${JSON.stringify({ rows, floor, samples, floors })}\n`);
