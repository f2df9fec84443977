#!/usr/bin/env node
// `npm run bench`: sockbench measured against the tools network engineers already trust (sockperf,
// redis-benchmark, iperf3), on 127.0.0.1 only, every step bounded in time, the whole run bounded by a
// watchdog. Writes bench/results.md and bench/results.json (--quick: reports/bench-quick/).
//
//   node tools/bench/run.mjs [--quick] [--only latency,throughput,udp,scale,threads] [--out DIR]
//
// Every process it starts is in its own process group and registered (proc.mjs); each step stops
// its servers in a finally, and SIGINT/SIGTERM, an uncaught error or the watchdog stop whatever is left.
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join, relative, resolve } from 'node:path';
import { ensureBuilt } from './build.mjs';
import { ROOT, RESULTS_DIR } from './paths.mjs';
import { attachPrevious, readPrevious } from './previous.mjs';
import { killAllSync, running, stopAll } from './proc.mjs';
import { resultsJson, resultsMarkdown } from './report.mjs';
import { serverHasSockperfMode } from './servers.mjs';
import { ensureTools, gitCommit, machine, toolVersions } from './system.mjs';
import { latencyRow, valueRow } from './table.mjs';
import { latency } from './steps/latency.mjs';
import { throughput } from './steps/throughput.mjs';
import { udp } from './steps/udp.mjs';
import { scale } from './steps/scale.mjs';
import { threads } from './steps/threads.mjs';

const STEPS = [
  { id: 'latency', title: '1. Ping-pong latency (1 connection, 1 in flight, 64 B)', fn: latency },
  { id: 'throughput', title: '2. Pipelined throughput (50 connections × 16 in flight)', fn: throughput },
  { id: 'udp', title: '3. UDP at saturation', fn: udp },
  { id: 'scale', title: '4. Scale: idle TCP connections', fn: scale },
  { id: 'threads', title: '5. Threads: dispatch and the COMPUTE pool', fn: threads },
];
const WATCHDOG_MS = 6 * 60_000; // the bound for the whole run on 2 cores

const USAGE = `usage: node tools/bench/run.mjs [--quick] [--only STEP,…] [--out DIR] [--pin CPU|none]

  --quick   1 s per measurement instead of 5 s, 2,000 idle connections instead of 10,000;
            writes to reports/bench-quick/ unless --out is given (for development, not for results)
  --only    run only these steps: ${STEPS.map((s) => s.id).join(', ')}
  --out     folder for results.md and results.json [default: bench/]
  --pin     CPU that both sides of each ping-pong pair run on (taskset -c), or none
            [default: the last CPU, when taskset is installed]

Runs on 127.0.0.1 only. Needs sockperf, iperf3, redis-server and redis-benchmark (installed with
apt-get when missing and running as root) and the built packages (npm run build).`;

const say = (line) => process.stderr.write(`bench: ${line}\n`);

function parseArgs(argv) {
  const opts = { quick: false, only: null, out: null, pin: undefined };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--help' || a === '-h') {
      process.stdout.write(`${USAGE}\n`);
      process.exit(0);
    } else if (a === '--quick') opts.quick = true;
    else if (a === '--only' && argv[i + 1]) opts.only = argv[++i].split(',');
    else if (a === '--out' && argv[i + 1]) opts.out = argv[++i];
    else if (a === '--pin' && argv[i + 1]) {
      const v = argv[++i];
      if (v !== 'none' && !/^\d+$/.test(v)) {
        process.stderr.write(`bench: --pin must be a CPU number or none, not ${v}\n`);
        process.exit(2);
      }
      opts.pin = v === 'none' ? null : Number(v);
    }
    else {
      process.stderr.write(`bench: unknown or incomplete argument ${a}\n${USAGE}\n`);
      process.exit(2);
    }
  }
  const unknown = (opts.only ?? []).filter((id) => !STEPS.some((s) => s.id === id));
  if (unknown.length) {
    process.stderr.write(`bench: --only: no step ${unknown.join(', ')} (steps: ${STEPS.map((s) => s.id).join(', ')})\n`);
    process.exit(2);
  }
  return opts;
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const t0 = Date.now();
  const loadBefore = os.loadavg()[0];
  const outDir = opts.out ? resolve(process.cwd(), opts.out) : opts.quick ? join(ROOT, 'reports/bench-quick') : RESULTS_DIR;

  ensureTools(say);
  ensureBuilt(say);
  const sockperfMode = serverHasSockperfMode();
  if (!sockperfMode) say('sockbench-server has no --raw-mode sockperf: the sockperf → sockbench rows are skipped');

  const cores = machine().cores;
  const hasTaskset = spawnSync('taskset', ['-c', '0', 'true'], { stdio: 'ignore' }).status === 0;
  const pin = opts.pin === undefined ? (hasTaskset ? cores - 1 : null) : opts.pin;
  if (pin === null) say('ping-pong pairs are not pinned to a CPU (--pin none, or no taskset): expect run-to-run swings on a VM');

  const skipped = [];
  const errors = [];
  const stepsOut = [];
  let current = null;
  const ctx = {
    quick: opts.quick,
    secs: opts.quick ? 1 : 5,
    sockperfMode,
    pin,
    say,
    command: (line) => current.commands.push(line),
    skip: (what, why) => {
      skipped.push({ what, why });
      say(`skipped ${what}: ${why}`);
    },
    skipped: (what) => skipped.find((s) => s.what === what)?.why ?? null,
    /** Runs one measurement; a failure is recorded (and shown in the table) instead of ending the run. */
    measure: async (figures, key, fn) => {
      const t = Date.now();
      try {
        figures[key] = await fn();
        say(`${key}: done in ${((Date.now() - t) / 1000).toFixed(1)} s`);
      } catch (err) {
        figures[key] = { error: err.message };
        errors.push({ what: key, error: err.message });
        say(`${key}: FAILED: ${err.message}`);
      }
    },
    latencyRow,
    valueRow,
  };

  const rows = [];
  const figures = {};
  for (const step of STEPS) {
    if (opts.only && !opts.only.includes(step.id)) continue;
    say(`── ${step.title}`);
    current = { id: step.id, title: step.title, commands: [] };
    stepsOut.push(current);
    const r = await step.fn(ctx);
    rows.push(...r.rows);
    figures[step.id] = r.figures;
  }

  // Read before anything is written: the committed run this one is shown against.
  const previous = readPrevious(ROOT);
  attachPrevious(rows, previous);
  const m = machine();
  const run = {
    date: new Date().toISOString(),
    quick: opts.quick,
    durationSec: (Date.now() - t0) / 1000,
    commit: gitCommit(ROOT),
    machine: m,
    machineNote:
      `A shared ${m.cores}-core VM (other engineers run tests on it; the load average was ${loadBefore.toFixed(2)} just before this run), ` +
      `and every client and server shares the same ${m.cores} cores, so absolute figures are noisy and low; the ratios come from one run, side by side.`,
    versions: { sockbench: '0.1.0', ...toolVersions() },
    notes: NOTES(ctx),
    previous: previous === null ? null : { date: previous.date, commit: previous.commit, quick: previous.quick },
    rows,
    udpSteps: figures.udp?.['loadgen udp step']?.steps ?? [],
    skipped,
    errors,
    steps: stepsOut,
    figures,
  };
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, 'results.json'), `${JSON.stringify(resultsJson(run), null, 2)}\n`);
  writeFileSync(join(outDir, 'results.md'), `${resultsMarkdown(run)}\n`);
  say(`wrote ${relative(process.cwd(), join(outDir, 'results.md'))} and results.json in ${run.durationSec.toFixed(0)} s`);
  for (const r of rows) say(`${r.step.padEnd(16)} ${r.sockbench.padStart(30)} vs ${r.referenceFigure.padStart(30)}  ${r.ratio}  ${r.target}`);
  return errors.length > 0 ? 1 : 0;
}

function NOTES(ctx) {
  return [
    'sockperf prints half the round trip by default; every sockperf run here used `--full-rtt`, so its figures are full round trips like the others.',
    'sockperf messages are 64 B including its 14-byte header; sockbench-loadgen sends 64 B payloads (framed: plus the 12-byte sockbench header; raw: exactly 64 B).',
    'sockbench-server runs as one process (`--workers 1`; `--workers 0` for the RSS figure), like sockperf\'s server and redis-server, so no side gets more event loops than the other.',
    `Ping-pong: ${ctx.secs} s measured per run (sockperf adds its own 400 ms warm-up, sockbench-loadgen 1 s); redis-benchmark runs a fixed request count and prints p50/p99 but no p99.9.`,
    ctx.pin === null
      ? 'Ping-pong pairs were not pinned to a CPU: on a VM a wake-up that crosses vCPUs costs tens of µs, so these latencies swing from run to run.'
      : `Ping-pong: client and server of every pair ran on the same CPU (\`taskset -c ${ctx.pin}\`), the reference tools as well as sockbench. Unpinned, sockperf's own TCP p50 on this VM flipped between about 9 µs and 100 µs from run to run (a wake-up that crosses to the other vCPU costs tens of µs); pinned, it is stable. The other steps are not pinned.`,
    'Ping-pong, the Node floor: tools/bench/node-echo.mjs is the smallest Node echo pair (a net.Socket or dgram server that writes back what it reads, a client with one 64-byte message in flight timed with performance.now()). No sockbench code runs in it, so its RTT is what any Node client and server pay per round trip on this machine, and sockbench\'s figure over it is sockbench\'s own cost.',
    'Pipelined, the Node floor: tools/bench/node-pipelined.mjs keeps the same 50 connections × 16 messages of a frame\'s size (payload + 12 B) in flight against node-echo.mjs\'s server, one write per chunk read on each side, no framing: what a Node echo pair moves on this machine, so sockbench ÷ it is what framing, dispatch and measurement leave of Node\'s rate, and it ÷ iperf3 is the most any Node echo server gets of the ceiling.',
    'Pipelined: redis-benchmark\'s `ping_mbulk` (PING, no payload) is the C reference for small pipelined request/response at the same 50 connections × 16 in flight; iperf3 one TCP stream is loopback\'s bandwidth ceiling. Both generators run one thread (sockbench-loadgen `--threads 1`, redis-benchmark\'s default): on 2 cores a second generator thread only takes CPU from the server.',
    "UDP: sockperf under-load at `--mps=max` sends as fast as it can and counts replies; the figure is replies per second (its loss is in results.json). `sockbench-loadgen sweep` steps its open-loop rate ×1.25 from 10,000 req/s (16 sockets, 2 threads, `--pacing timer`, 2 s each) until a step loses 1 % or more or completes less than 95 % of the intended rate (its default SLOs), then bisects to 5 %; a sweep the generator ends (a generator-bound step) has no knee, and its figure is the highest step that held, a lower bound; the same sweep runs again against a server whose receive buffer is as nobody set it (`--udp-recv-buffer 106496`, which Linux reports as 212,992 B, a stock rmem_default: the server before it asked 4 MiB), for the buffer's share of the figure in the same run (where net.core.rmem_max is the stock 212,992 the new default is capped to 425,984 B reported, so the two differ less); a `--quick` sweep (6 steps) stops at 30,518 req/s, so its figure is a lower bound; a request without a reply within 200 ms is lost. The generator paces with timers, not the default spin: a spinning thread busy-waits a core between sends, and on this 2-core box those cores are the server's. The knee's rate is then run once more with both sides' CPU sampled (utime + stime of every thread, /proc/PID/stat): CPU µs per datagram answered on each side and the cores each used (the server has one event loop: at 1 core it is the limit).",
    'Scale: RSS is VmRSS from /proc/PID/status; per connection = (RSS holding N − RSS before) ÷ N for the servers, and (peak RSS holding N − peak RSS holding 100) ÷ (N − 100) for the load generator and the bare-socket child.',
    'Threads: the server has one process; `--dispatch pool` sends every request through its 2 piscina threads; COMPUTE is 1000 SHA-256 iterations over 32 B.',
  ];
}

// Cleanup on every exit path: signals, the watchdog, errors, and plain exit.
let exiting = false;
async function shutdown(code, why) {
  if (exiting) return;
  exiting = true;
  if (why) say(why);
  const left = running();
  if (left.length) say(`stopping ${left.join(', ')}`);
  await stopAll(2000);
  process.exit(code);
}
process.on('exit', killAllSync);
process.on('SIGINT', () => void shutdown(130, 'interrupted'));
process.on('SIGTERM', () => void shutdown(143, 'terminated'));
const watchdog = setTimeout(() => void shutdown(1, `the whole run passed ${WATCHDOG_MS / 60_000} minutes: stopped`), WATCHDOG_MS);
watchdog.unref();

main().then(
  (code) => shutdown(code),
  (err) => shutdown(1, `error: ${err.stack ?? err.message}`),
);
