/**
 * The pool's task queue (piscina's `taskQueue` option): batches of light requests (PING, ECHO) go
 * to a free thread before COMPUTEs waiting longer, so a request that costs microseconds waits for
 * the COMPUTE already running on a thread, not for every COMPUTE queued behind it. Two of piscina's
 * own FIFOs ({@link FixedQueue}), and a bound on how many light tasks in a row may pass a waiting
 * COMPUTE, so COMPUTE is never starved. Counts the requests it holds (a batch counts its size).
 */
import { FixedQueue, queueOptionsSymbol, type TaskQueue } from 'piscina';

/** A task as piscina queues it. */
type Task = Parameters<TaskQueue['push']>[0];

/** What each task posted to the pool carries under piscina's `queueOptionsSymbol`. */
export interface TaskClass {
  /** True for a batch of PING/ECHO, false for a COMPUTE. */
  light: boolean;
  /** Requests the task carries (1 for a COMPUTE). */
  requests: number;
}

/** Light tasks that may go to threads in a row while a COMPUTE waits; then the COMPUTE goes. */
export const LIGHT_BURST = 8;

function classOf(task: Task): TaskClass {
  return task[queueOptionsSymbol as keyof Task] as unknown as TaskClass;
}

/** Light tasks first (at most {@link LIGHT_BURST} in a row past a waiting COMPUTE), each class FIFO. */
export class LightFirstQueue implements TaskQueue {
  readonly #light = new FixedQueue();
  readonly #heavy = new FixedQueue();
  #requests = 0;
  /** Light tasks handed out since the last COMPUTE, while a COMPUTE was waiting. */
  #burst = 0;

  /** Tasks queued. */
  get size(): number {
    return this.#light.size + this.#heavy.size;
  }

  /** Requests in the tasks queued (a batch counts its requests). */
  get requests(): number {
    return this.#requests;
  }

  push(task: Task): void {
    const c = classOf(task);
    this.#requests += c.requests;
    (c.light ? this.#light : this.#heavy).push(task);
  }

  /** Puts back at the front a task piscina took but could not hand to a thread (`stricterFIFO`). */
  unshift(task: Task): void {
    const c = classOf(task);
    this.#requests += c.requests;
    if (c.light) {
      this.#light.unshift(task);
      if (this.#burst > 0) this.#burst--;
    } else {
      this.#heavy.unshift(task);
    }
  }

  shift(): Task | null {
    const heavyWaits = this.#heavy.size > 0;
    let task: Task | null;
    if (this.#light.size > 0 && !(heavyWaits && this.#burst >= LIGHT_BURST)) {
      task = this.#light.shift();
      this.#burst = heavyWaits ? this.#burst + 1 : 0;
    } else {
      task = this.#heavy.shift();
      this.#burst = 0;
    }
    if (task !== null) this.#requests -= classOf(task).requests;
    return task;
  }

  remove(task: Task): void {
    this.#requests -= classOf(task).requests;
    (classOf(task).light ? this.#light : this.#heavy).remove(task);
  }
}
