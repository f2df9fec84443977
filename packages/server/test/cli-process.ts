/**
 * Runs the real CLI (`node dist/cli.js`) as a child process and reads its pino JSON lines from
 * stderr. Every started process is recorded so tests can kill what they started, by PID.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The built CLI, resolved from this file (packages/server/test → packages/server/dist). */
export const CLI = fileURLToPath(new URL('../dist/cli.js', import.meta.url));

/** One parsed log line. */
export type LogLine = Record<string, unknown> & { msg?: string };

/** A running `sockbench-server`. */
export class CliProcess {
  readonly child: ChildProcess;
  readonly lines: LogLine[] = [];
  stderr = '';
  stdout = '';
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  #waiters: (() => void)[] = [];
  #exitedFlag = false;

  constructor(args: string[], env: NodeJS.ProcessEnv = {}) {
    this.child = spawn(process.execPath, [CLI, ...args], {
      env: { ...process.env, SOCKBENCH_TOKEN: '', SOCKBENCH_REDIS: '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let partial = '';
    this.child.stderr!.setEncoding('utf8').on('data', (s: string) => {
      this.stderr += s;
      partial += s;
      const parts = partial.split('\n');
      partial = parts.pop()!;
      for (const p of parts) {
        try {
          this.lines.push(JSON.parse(p) as LogLine);
        } catch {
          // Not a log line (usage errors are plain text): kept in `stderr`.
        }
      }
      this.#wake();
    });
    this.child.stdout!.setEncoding('utf8').on('data', (s: string) => (this.stdout += s));
    this.exited = new Promise((resolve) => this.child.on('exit', (code, signal) => {
      this.#exitedFlag = true;
      this.#wake();
      resolve({ code, signal });
    }));
  }

  #wake(): void {
    const w = this.#waiters;
    this.#waiters = [];
    for (const f of w) f();
  }

  /** Waits for a log line matching `pred` (bounded); returns it. */
  async waitLine(pred: (l: LogLine) => boolean, timeoutMs = 15_000, what = 'log line'): Promise<LogLine> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const hit = this.lines.find(pred);
      if (hit !== undefined) return hit;
      if (this.#exitedFlag) throw new Error(`process exited while waiting for ${what}; stderr:\n${this.stderr}`);
      const left = end - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${what}; stderr:\n${this.stderr}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.#waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  /** The port of the `listening` line (the primary's in a cluster, which has `workers`). */
  async listening(cluster: boolean): Promise<{ tcp: number; line: LogLine }> {
    const line = await this.waitLine((l) => l.msg === 'listening' && (cluster ? 'workers' in l : true), 20_000, 'listening');
    return { tcp: (line.tcp as { port: number }).port, line };
  }

  /** Kills the process (by its PID) if still running and waits for it. */
  async kill(): Promise<void> {
    if (!this.#exitedFlag && this.child.pid !== undefined) {
      this.child.kill('SIGKILL');
    }
    await this.exited;
  }
}
