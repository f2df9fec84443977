// Child processes of the bench: every one is started here, in its own process group (detached), and
// registered until it exits, so that a timeout, an error, Ctrl-C or the whole-run watchdog can stop
// exactly the processes this run started (the group whose id is the child's PID: a cluster server's
// workers included) and nothing else.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';

/** @type {Map<number, { name: string, child: import('node:child_process').ChildProcess }>} */
const live = new Map();

/** Quotes one argument for a POSIX shell, for the command lines written into results.md. */
export function shellQuote(arg) {
  const s = String(arg);
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(s) ? s : `'${s.replaceAll("'", "'\\''")}'`;
}

/** The command line of `cmd args` as a user would type it. */
export function commandLine(cmd, args) {
  return [cmd, ...args].map(shellQuote).join(' ');
}

/**
 * Wraps `cmd args` in `bash -c 'ulimit -n N; exec …'` so the child gets N file descriptors (Node
 * cannot raise its own limit). Falls back to the hard limit where N is not allowed (not root).
 */
export function withNoFile(n, cmd, args) {
  const script = `ulimit -n ${n} 2>/dev/null || ulimit -Sn "$(ulimit -Hn)"; exec "$@"`;
  return { cmd: 'bash', args: ['-c', script, 'bash', cmd, ...args] };
}

/**
 * The command to spawn for `cmd args` with optional `noFile` (ulimit -n) and `pin` (taskset -c CPU),
 * and `shown`, the same as a user would type it (`display` is the name shown for `cmd`).
 */
export function wrap(cmd, args, { noFile, pin, display } = {}) {
  let c = cmd;
  let a = args;
  let shown = commandLine(display ?? cmd, args);
  if (pin !== undefined && pin !== null) {
    a = ['-c', String(pin), c, ...a];
    c = 'taskset';
    shown = `taskset -c ${pin} ${shown}`;
  }
  if (noFile) {
    ({ cmd: c, args: a } = withNoFile(noFile, c, a));
    shown = `(ulimit -n ${noFile}; ${shown})`;
  }
  return { cmd: c, args: a, shown };
}

function signalGroup(child, signal) {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, signal); // the group this child leads: it and what it forked
  } catch {
    try {
      process.kill(child.pid, signal);
    } catch {
      // already gone
    }
  }
}

/**
 * Starts a long-running child (a server) in its own process group. `onLine` sees every stdout and
 * stderr line. Returns the ChildProcess; stop it with `stop()`.
 */
export function start(name, cmd, args, { onLine, env, cwd } = {}) {
  const child = spawn(cmd, args, { cwd, env: env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  if (child.pid !== undefined) live.set(child.pid, { name, child });
  child.once('exit', () => live.delete(child.pid));
  child.once('error', () => live.delete(child.pid));
  const tail = [];
  const keep = (line) => {
    tail.push(line);
    if (tail.length > 20) tail.shift();
    onLine?.(line);
  };
  createInterface({ input: child.stdout }).on('line', keep);
  createInterface({ input: child.stderr }).on('line', keep);
  child.tail = tail;
  return child;
}

/** SIGTERM to the child's group, SIGKILL after `graceMs`; resolves once the leader has exited. */
export async function stop(child, graceMs = 5000) {
  if (!child || child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  const exited = once(child, 'exit');
  signalGroup(child, 'SIGTERM');
  const timer = setTimeout(() => signalGroup(child, 'SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
  signalGroup(child, 'SIGKILL'); // stragglers of the group (workers that outlived their primary)
}

/**
 * Runs `cmd args` to completion within `timeoutMs` (then SIGTERM, and SIGKILL 3 s later).
 * Resolves with { code, signal, stdout, stderr, timedOut, ms }; never rejects on a non-zero exit.
 */
export function run(name, cmd, args, { timeoutMs, env, cwd, onSpawn } = {}) {
  return new Promise((resolve) => {
    const t0 = Date.now();
    const child = spawn(cmd, args, { cwd, env: env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    if (child.pid !== undefined) live.set(child.pid, { name, child });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    let timedOut = false;
    let killTimer;
    const timer = setTimeout(() => {
      timedOut = true;
      signalGroup(child, 'SIGTERM');
      killTimer = setTimeout(() => signalGroup(child, 'SIGKILL'), 3000);
    }, timeoutMs);
    onSpawn?.(child);
    const done = (code, signal, err) => {
      clearTimeout(timer);
      clearTimeout(killTimer);
      live.delete(child.pid);
      if (err) stderr += `\n${err.message}`;
      resolve({ code, signal, stdout, stderr, timedOut, ms: Date.now() - t0 });
    };
    child.once('error', (err) => done(null, null, err));
    child.once('close', (code, signal) => done(code, signal));
  });
}

/** Stops every child still registered (SIGTERM, then SIGKILL). */
export async function stopAll(graceMs = 3000) {
  await Promise.all([...live.values()].map(({ child }) => stop(child, graceMs)));
}

/** Last resort on process exit: SIGKILL every registered group, synchronously. */
export function killAllSync() {
  for (const { child } of live.values()) signalGroup(child, 'SIGKILL');
  live.clear();
}

/** Names and PIDs still running (for the watchdog's message). */
export function running() {
  return [...live.entries()].map(([pid, { name }]) => `${name} (pid ${pid})`);
}
