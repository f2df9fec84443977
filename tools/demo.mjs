#!/usr/bin/env node
// `npm run demo`: the project's main job, end to end on loopback.
//
//   1. builds the packages if their dist/ is missing (npm ci already builds them through `prepare`);
//   2. starts `sockbench-server` with 2 cluster workers on 127.0.0.1, free ports (port 0), and reads
//      the bound ports from its "listening" log line;
//   3. runs `sockbench-loadgen compare` (TCP, then UDP, ~10 s each) and lets it print the table;
//   4. writes reports/demo.json and reports/demo.html;
//   5. stops the server by its PID (SIGTERM: it drains and exits 0) and exits with the load generator's status.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const rel = (p) => relative(process.cwd(), p) || '.';
const say = (line) => process.stderr.write(`demo: ${line}\n`);

const PLAN = {
  connections: 32,
  threads: 2,
  op: 'echo',
  size: 64,
  pipeline: 1,
  duration: '10s',
  warmup: '1s',
  timeout: 200,
};

const needed = ['packages/protocol/dist/index.js', 'packages/client/dist/index.js', 'packages/server/dist/cli.js', 'packages/loadgen/dist/cli.js'];
if (needed.some((f) => !existsSync(join(root, f)))) {
  say('building the packages (npx nx run-many -t build)…');
  const b = spawnSync('npx', ['nx', 'run-many', '-t', 'build', '--output-style=static'], {
    cwd: root,
    stdio: 'inherit',
    env: { ...process.env, NX_DAEMON: 'false' },
  });
  if (b.status !== 0) {
    say(`build failed (exit ${b.status})`);
    process.exit(1);
  }
}

/** Starts the server and resolves with its process and bound TCP/UDP port once it logs "listening". */
function startServer() {
  const child = spawn(process.execPath, [join(root, 'packages/server/dist/cli.js'), '--workers', '2', '--host', '127.0.0.1', '--port', '0', '--raw-port', '0'], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new Promise((resolve, reject) => {
    let workerPort = null;
    const tail = [];
    const timer = setTimeout(() => reject(new Error('the server did not log "listening" within 20 s')), 20_000);
    const onLine = (line) => {
      tail.push(line);
      if (tail.length > 5) tail.shift();
      let rec;
      try {
        rec = JSON.parse(line);
      } catch {
        return; // not a pino line
      }
      if (rec.msg !== 'listening') return;
      const port = rec.tcp?.port ?? rec.addresses?.tcp?.port ?? rec.port;
      if (typeof port !== 'number') return;
      // The primary logs once every worker listens; a worker's own line is the fallback.
      if (rec.role === 'primary' || rec.workers !== undefined) {
        clearTimeout(timer);
        resolve({ child, port, raw: rec.raw?.tcp?.port ?? null });
      } else workerPort ??= port;
    };
    createInterface({ input: child.stdout }).on('line', onLine);
    createInterface({ input: child.stderr }).on('line', onLine);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      if (workerPort !== null) resolve({ child, port: workerPort, raw: null });
      else reject(new Error(`the server exited before listening (code ${code}, signal ${signal}):\n${tail.join('\n')}`));
    });
  });
}

function stopServer(child) {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const kill = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.once('exit', (code, signal) => {
      clearTimeout(kill);
      say(`server (pid ${child.pid}) stopped: ${signal ?? `exit ${code}`}`);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

const started = Date.now();
const server = await startServer().catch((err) => {
  say(err.message);
  process.exit(1);
});
say(`sockbench-server pid ${server.child.pid}, 2 workers, listening on 127.0.0.1:${server.port} (TCP and UDP)`);
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.once(sig, () => {
    void stopServer(server.child).then(() => process.exit(130));
  });
}

say(
  `plan: ECHO ${PLAN.size} B, ${PLAN.connections} connections (UDP: ${PLAN.connections} sockets), closed loop with ${PLAN.pipeline} request in flight each, ` +
    `${PLAN.duration} per transport after ${PLAN.warmup} of warm-up.`,
);
say('why UDP runs the same closed loop as TCP: both then carry the same number of requests in flight,');
say('  and each socket sends only as fast as its replies come back, so requests/s and latency compare like');
say('  for like (same concurrency, same bytes, same server). An open-loop UDP run at a chosen rate would');
say(`  measure loss at that rate instead. A datagram with no reply within ${PLAN.timeout} ms counts as lost.`);

mkdirSync(join(root, 'reports'), { recursive: true });
const json = join(root, 'reports/demo.json');
const html = join(root, 'reports/demo.html');
const args = [
  join(root, 'packages/loadgen/bin/sockbench-loadgen.js'),
  'compare',
  '--host', '127.0.0.1',
  '--port', String(server.port),
  '--transports', 'tcp,udp',
  '--connections', String(PLAN.connections),
  '--threads', String(PLAN.threads),
  '--op', PLAN.op,
  '--size', String(PLAN.size),
  '--pipeline', String(PLAN.pipeline),
  '--duration', PLAN.duration,
  '--warmup', PLAN.warmup,
  '--timeout', String(PLAN.timeout),
  '--json', rel(json),
  '--html', rel(html),
];
const loadgen = spawn(process.execPath, args, { cwd: process.cwd(), stdio: ['ignore', 'inherit', 'inherit'] });
const status = await new Promise((resolve) => loadgen.once('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0))));

await stopServer(server.child);
if (status === 0) say(`done in ${((Date.now() - started) / 1000).toFixed(1)} s: open ${rel(html)} in a browser; ${rel(json)} holds the full histograms`);
else say(`sockbench-loadgen exited ${status}`);
process.exit(status);
