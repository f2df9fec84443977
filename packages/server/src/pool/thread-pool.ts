/**
 * The per-process thread pool (piscina) with an admission limit: at most `threads + poolQueue`
 * tasks are accepted at once; past it `run` answers null and the caller replies BUSY. Counting
 * here (not piscina's maxQueue) keeps BUSY deterministic and free of error objects.
 */
import { fileURLToPath } from 'node:url';
import { Piscina } from 'piscina';
import type { Closable } from '../lifecycle.js';
import type { PoolTask } from './task.js';

/**
 * The worker file, always from the built dist/: this module sits at src/pool/ under vitest and at
 * dist/pool/ when built, both two levels below the package root.
 */
export const TASK_FILE = fileURLToPath(new URL('../../dist/pool/task.js', import.meta.url));

/** Pool numbers for STATS. */
export interface PoolStats {
  threads: number;
  queued: number;
  completed: number;
}

/** A piscina pool of `threads` threads that admits `threads + poolQueue` tasks at once. */
export class ThreadPool implements Closable {
  readonly #piscina: Piscina<PoolTask, Uint8Array>;
  readonly #capacity: number;
  readonly #threads: number;
  #inFlight = 0;
  #completed = 0;
  readonly #settle = (): void => {
    this.#inFlight--;
    this.#completed++;
  };

  constructor(threads: number, poolQueue: number) {
    this.#threads = threads;
    this.#capacity = threads + poolQueue;
    this.#piscina = new Piscina<PoolTask, Uint8Array>({
      filename: TASK_FILE,
      minThreads: threads,
      maxThreads: threads,
      // Threads live as long as the server: no respawn latency in the middle of a run.
      idleTimeout: 2_147_483_647, // the largest setTimeout delay; larger ones overflow to 1 ms
    });
  }

  /**
   * Runs `task` on a thread, transferring `task.data` (the caller gives up that buffer).
   * @returns the reply payload, or null when `threads + poolQueue` tasks are already in flight (BUSY)
   */
  run(task: PoolTask): Promise<Uint8Array> | null {
    if (this.#inFlight >= this.#capacity) return null;
    this.#inFlight++;
    const p = this.#piscina.run(task, { transferList: [task.data.buffer as ArrayBuffer] });
    p.then(this.#settle, this.#settle);
    return p;
  }

  /** Threads, tasks waiting for a thread, tasks finished. */
  stats(): PoolStats {
    return { threads: this.#threads, queued: Math.max(0, this.#inFlight - this.#threads), completed: this.#completed };
  }

  /** Stops the threads (tasks still running are abandoned: callers drain before closing). */
  async close(): Promise<void> {
    await this.#piscina.destroy();
  }
}
