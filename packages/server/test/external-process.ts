/**
 * The real engines the scale-out tests run against: `redis-server` and `haproxy` (Debian packages
 * `redis-server` and `haproxy`, installed by .ci/run), started on free loopback ports, stopped by
 * their PID. A test that needs one says it skipped when the binary is absent.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';

/** True when `redis-server` runs here. */
export const HAS_REDIS = spawnSync('redis-server', ['--version']).status === 0;
/** The `haproxy` command: on PATH, else where Debian puts it (/usr/sbin is not on every user's PATH). */
export const HAPROXY = ['haproxy', '/usr/sbin/haproxy'].find((c) => spawnSync(c, ['-v']).status === 0) ?? 'haproxy';
/** True when `haproxy` runs here. */
export const HAS_HAPROXY = spawnSync(HAPROXY, ['-v']).status === 0;

/** A TCP port on 127.0.0.1 that was free a moment ago (bound to 0, then released). */
export async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const { port } = s.address() as { port: number };
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

/** A child process whose stdout and stderr are kept, to wait for a line in them. */
export class ExternalProcess {
  readonly child: ChildProcess;
  output = '';
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  #done = false;

  constructor(command: string, args: string[], env: NodeJS.ProcessEnv = {}) {
    this.child = spawn(command, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    for (const s of [this.child.stdout!, this.child.stderr!]) s.setEncoding('utf8').on('data', (d: string) => (this.output += d));
    this.exited = new Promise((resolve) => this.child.on('exit', (code, signal) => {
      this.#done = true;
      resolve({ code, signal });
    }));
  }

  /** Waits (polling every 20 ms, at most `timeoutMs`) until the output matches `re`. */
  async waitOutput(re: RegExp, timeoutMs: number, what: string): Promise<void> {
    const end = Date.now() + timeoutMs;
    while (!re.test(this.output)) {
      if (this.#done) throw new Error(`${what}: the process exited; output:\n${this.output}`);
      if (Date.now() > end) throw new Error(`${what}: not seen within ${timeoutMs} ms; output:\n${this.output}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** Sends `signal` to this process (by its PID) unless it has exited, and waits for its exit. */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    if (!this.#done && this.child.pid !== undefined) process.kill(this.child.pid, signal);
    await this.exited;
  }
}

/**
 * Starts `redis-server` on `port` of 127.0.0.1 with nothing persisted, and waits until it accepts
 * connections. `extra` are more `--option value` arguments (e.g. `--requirepass`).
 */
export async function startRedis(port: number, extra: string[] = []): Promise<ExternalProcess> {
  const p = new ExternalProcess('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', ...extra]);
  await p.waitOutput(/Ready to accept connections/, 10_000, `redis-server on port ${port}`);
  return p;
}
