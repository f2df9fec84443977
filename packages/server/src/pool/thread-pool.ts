/**
 * The per-process thread pool: piscina (its queue, its threads, transfers instead of copies) with
 * an admission limit counted in requests, and the hand-off batched.
 *
 * - Batches: PING and ECHO requests handed over during one turn of the event loop, from every
 *   connection and datagram, go to a thread as one task ({@link RequestBatch}, flushed by
 *   `setImmediate`, which runs once the poll phase has read every ready socket) and come back as
 *   one; each reply goes to its request's {@link PoolSink} (its connection writes the replies of one
 *   batch in one write). A batch is also flushed early at {@link MAX_BATCH_REQUESTS} requests or
 *   {@link MAX_BATCH_BYTES}. Per task piscina costs tens of µs (a message each way, a promise, a
 *   wake-up): batches spread it over the turn's requests (benchmarks/pool-batch.bench.mjs).
 * - COMPUTE is one task per request: its hashing (µs to seconds) dwarfs the task's cost, and one
 *   task each lets piscina spread COMPUTEs over every thread; in a batch they would run one after
 *   another on one thread. Light batches pass waiting COMPUTEs in the queue ({@link LightFirstQueue}),
 *   so with `--dispatch pool` a PING waits for a thread to finish its current COMPUTE, not for the queue.
 * - Admission: at most `threads + poolQueue` requests are in the pool at once (queued, in a batch
 *   being filled, or running; a batch counts each of its requests); past it `light`/`compute`
 *   answer false and the caller replies BUSY. Counting here (not piscina's maxQueue) keeps BUSY
 *   deterministic and free of error objects.
 */
import { fileURLToPath } from 'node:url';
import { Piscina, queueOptionsSymbol } from 'piscina';
import type { Closable } from '../lifecycle.js';
import type { BatchTask, ComputeTask, TaskWorkerData } from './task.js';
import type { PoolPolicy } from './sched-policy.js';
import { RequestBatch } from './request-batch.js';
import type { PoolSink } from './sink.js';
import { LightFirstQueue, type TaskClass } from './task-queue.js';

/**
 * The worker file, always from the built dist/: this module sits at src/pool/ under vitest and at
 * dist/pool/ when built, both two levels below the package root.
 */
export const TASK_FILE = fileURLToPath(new URL('../../dist/pool/task.js', import.meta.url));

/**
 * The threads' Node flags: the process's own, plus `--no-experimental-require-module` where Node has
 * it. piscina loads the task file with `require()` first and `import()` only when that throws; on
 * Node ≥ 20.19 `require()` of this ESM file succeeds through require(esm), and a thread ended while
 * that load runs (a server closed right after it started) aborts the whole process
 * ("FATAL ERROR: v8::ToLocalChecked Empty MaybeLocal" in loadESMFromCJS, seen in CI). With the flag
 * the `require()` throws ERR_REQUIRE_ESM at once and the file comes through `import()`.
 */
const THREAD_EXEC_ARGV: string[] = process.allowedNodeEnvironmentFlags.has('--experimental-require-module')
  ? [...process.execArgv, '--no-experimental-require-module']
  : [...process.execArgv];

/** Requests at which a batch is sent at once, without waiting for the end of the turn. */
export const MAX_BATCH_REQUESTS = 256;

/**
 * Bytes (header, records, data) past which a batch is sent before the next request joins it; a
 * request larger than this goes alone, in a buffer of its own size.
 */
export const MAX_BATCH_BYTES = 64 * 1024;

/** Pool numbers for STATS. */
export interface PoolStats {
  threads: number;
  /** Requests waiting for a thread: in queued tasks and in the batch being filled. */
  queued: number;
  /** Requests answered (or failed) by the threads. */
  completed: number;
}

const COMPUTE_CLASS: TaskClass = { light: false, requests: 1 };

/** A piscina pool of `threads` threads that admits `threads + poolQueue` requests at once, batching PING/ECHO. */
export class ThreadPool implements Closable {
  readonly #piscina: Piscina;
  readonly #queue = new LightFirstQueue();
  readonly #capacity: number;
  readonly #threads: number;
  #inFlight = 0;
  #completed = 0;
  #tasks = 0;
  /** The batch being filled this turn, if any. */
  #open: RequestBatch | null = null;
  /** Batches whose replies were delivered, for reuse. */
  readonly #free: RequestBatch[] = [];
  #flushScheduled = false;
  readonly #endOfTurn = (): void => {
    this.#flushScheduled = false;
    this.#flush();
  };

  /**
   * @param nice niceness added to each thread (0..19; 0 = the event loop's priority)
   * @param policy `idle`: each thread moves itself to SCHED_IDLE as it starts (sched-policy.ts), and keeps `nice` where it cannot
   */
  constructor(threads: number, poolQueue: number, nice = 0, policy: PoolPolicy = 'other') {
    this.#threads = threads;
    this.#capacity = threads + poolQueue;
    this.#piscina = new Piscina({
      filename: TASK_FILE,
      minThreads: threads,
      maxThreads: threads,
      // Threads live as long as the server: no respawn latency in the middle of a run.
      idleTimeout: 2_147_483_647, // the largest setTimeout delay; larger ones overflow to 1 ms
      taskQueue: this.#queue,
      // A task taken from the queue that no thread could take goes back to the front, not the tail.
      stricterFIFO: true,
      // Threads wait for work in Atomics.wait (piscina's default, said here because it is the fast
      // path: a posted task wakes its thread without an event-loop turn there).
      atomics: 'sync',
      // piscina's run/wait histograms are not read here (STATS times requests itself).
      recordTiming: false,
      // Per thread on Linux (nice(2) through piscina's optional @napi-rs/nice; without it, none).
      niceIncrement: nice,
      workerData: { policy } satisfies TaskWorkerData,
      execArgv: THREAD_EXEC_ARGV,
    });
  }

  /**
   * Queues a PING or ECHO into this turn's batch; `data` is copied into the batch. The reply (or the
   * failure) goes to `sink` with `type`, `id`, `t0`, `cost` and `tag` as given.
   * @param kind TaskKind.PING or TaskKind.ECHO
   * @returns false when `threads + poolQueue` requests are already in the pool (BUSY)
   */
  light(type: number, kind: number, id: number, data: Uint8Array, sink: PoolSink, t0: number, cost: number, tag: unknown): boolean {
    if (this.#inFlight >= this.#capacity) return false;
    this.#inFlight++;
    let batch = this.#open;
    if (batch !== null && batch.bytesWith(data.length) > MAX_BATCH_BYTES) {
      this.#flush();
      batch = null;
    }
    if (batch === null) {
      batch = this.#free.pop() ?? new RequestBatch();
      this.#open = batch;
      if (!this.#flushScheduled) {
        this.#flushScheduled = true;
        setImmediate(this.#endOfTurn);
      }
    }
    batch.add(type, kind, id, data, sink, t0, cost, tag);
    if (batch.count >= MAX_BATCH_REQUESTS || batch.byteLength >= MAX_BATCH_BYTES) this.#flush();
    return true;
  }

  /**
   * Runs one COMPUTE on a thread as a task of its own, transferring `data` (the caller gives up
   * that buffer: pass a copy). The digest (or the failure) goes to `sink` as in {@link light}.
   * @returns false when `threads + poolQueue` requests are already in the pool (BUSY)
   */
  compute(type: number, id: number, iterations: number, data: Uint8Array, sink: PoolSink, t0: number, cost: number, tag: unknown): boolean {
    if (this.#inFlight >= this.#capacity) return false;
    this.#inFlight++;
    this.#tasks++;
    const task: ComputeTask & Record<symbol, TaskClass> = { iterations, data, [queueOptionsSymbol]: COMPUTE_CLASS };
    (this.#piscina.run(task, { transferList: [data.buffer as ArrayBuffer] }) as Promise<Uint8Array>).then(
      (digest) => {
        this.#settled(1);
        sink.poolReply(type, id, digest, t0, cost, tag);
      },
      (err: unknown) => {
        this.#settled(1);
        sink.poolFailed(type, id, err, cost, tag);
      },
    );
    return true;
  }

  /** Threads, requests waiting for a thread, requests finished. */
  stats(): PoolStats {
    return { threads: this.#threads, queued: this.#queue.requests + (this.#open?.count ?? 0), completed: this.#completed };
  }

  /** Tasks posted to piscina so far (batches and COMPUTEs): what the batching saves, for tests and benchmarks. */
  get tasks(): number {
    return this.#tasks;
  }

  /**
   * Stops the threads. The batch being filled is sent first; tasks still queued or running fail
   * (their sinks' `poolFailed`): callers drain before closing.
   */
  async close(): Promise<void> {
    this.#flush();
    await this.#piscina.destroy();
  }

  #settled(requests: number): void {
    this.#inFlight -= requests;
    this.#completed += requests;
  }

  /** Sends the batch being filled, if any, as one task. */
  #flush(): void {
    const batch = this.#open;
    if (batch === null) return;
    this.#open = null;
    this.#tasks++;
    const buffer = batch.seal();
    const task: BatchTask & Record<symbol, TaskClass> = { batch: buffer, [queueOptionsSymbol]: batch.taskClass };
    (this.#piscina.run(task, { name: 'runBatch', transferList: [buffer] }) as Promise<ArrayBuffer>).then(
      (reply) => {
        this.#settled(batch.count);
        batch.deliver(reply);
        this.#free.push(batch);
      },
      (err: unknown) => {
        this.#settled(batch.count);
        batch.fail(err);
        this.#free.push(batch);
      },
    );
  }
}
