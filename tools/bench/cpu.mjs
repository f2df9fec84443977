// CPU time of processes while a client runs, from /proc/PID/stat (utime and stime, all threads): how
// many cores the server and the client used in the steady middle of the run, and so the CPU cost of
// one request on each side, in user space and in the kernel. On a 2-core machine that both share, it
// says which side set the pace, and whether the difference is the kernel's (syscalls) or user code.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

let tck = null;
function clockTicks() {
  if (tck === null) {
    try {
      tck = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      tck = 100;
    }
  }
  return tck;
}

/** CPU seconds used so far by `pid` (every thread): { user, sys }, or null when it is gone. */
export function cpuSeconds(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' '); // after "pid (comm) ": state is f[0]
    return { user: Number(f[11]) / clockTicks(), sys: Number(f[12]) / clockTicks() }; // utime, stime: fields 14, 15 of proc(5)
  } catch {
    return null;
  }
}

/**
 * Samples the CPU seconds of named processes every `everyMs` until stopped. `add(name, pid)` adds one
 * (a client, once spawned). `stop(windowName)` returns, per name, the cores used ({ user, sys, total })
 * between 30 % and 90 % of the time `windowName` was sampled (its warm-up, connection setup and drain
 * left out), or null.
 */
export function cpuSampler(everyMs = 100) {
  const pids = new Map();
  const samples = [];
  const timer = setInterval(() => {
    const s = { t: performance.now() };
    for (const [name, pid] of pids) s[name] = cpuSeconds(pid);
    samples.push(s);
  }, everyMs);
  return {
    add(name, pid) {
      pids.set(name, pid);
    },
    stop(windowName) {
      clearInterval(timer);
      const out = Object.fromEntries([...pids.keys()].map((n) => [n, null]));
      const have = samples.filter((s) => s[windowName]);
      if (have.length < 4) return out;
      const t0 = have[0].t;
      const span = have[have.length - 1].t - t0;
      const a = have.find((s) => s.t >= t0 + 0.3 * span);
      const b = [...have].reverse().find((s) => s.t <= t0 + 0.9 * span);
      if (!a || !b || b.t <= a.t) return out;
      const dt = (b.t - a.t) / 1000;
      for (const name of pids.keys()) {
        if (!a[name] || !b[name]) continue;
        const user = (b[name].user - a[name].user) / dt;
        const sys = (b[name].sys - a[name].sys) / dt;
        out[name] = { user, sys, total: user + sys };
      }
      return out;
    },
  };
}

/**
 * Runs `fn(onSpawn)` (a client; `onSpawn` registers its process) while sampling its CPU and that of
 * `serverPid`; returns what `fn` resolved with plus `cpu`: cores used by each side in the steady
 * middle of the run and CPU µs per request on each side ({ user, sys, total }), from `r.rps`.
 */
export async function withCpu(serverPid, fn) {
  const sampler = cpuSampler();
  sampler.add('server', serverPid);
  let r;
  let cores;
  try {
    r = await fn((child) => sampler.add('client', child.pid));
  } finally {
    cores = sampler.stop('client');
  }
  const per = (c) => (c === null || !(r.rps > 0) ? null : { user: (c.user * 1e6) / r.rps, sys: (c.sys * 1e6) / r.rps, total: (c.total * 1e6) / r.rps });
  return { ...r, cpu: { serverCores: cores.server, clientCores: cores.client, serverUsPerRequest: per(cores.server), clientUsPerRequest: per(cores.client) } };
}
