/**
 * Where the stateless requests (PING, ECHO, COMPUTE) run. Two implementations, chosen once by
 * `--dispatch`: {@link InlineExecutor} answers PING/ECHO on the event loop and sends COMPUTE to the
 * pool; {@link PoolExecutor} sends all three through the pool (PING/ECHO batched per turn of the
 * event loop), to measure the thread hand-off.
 * Stateful requests (HELLO, JOIN, LEAVE, SAY, STATS, BYE) touch this process's connection and room
 * registry, which threads cannot see, so they always run on the event loop.
 */
import { EMPTY_PAYLOAD, MessageType } from '@sockbench/protocol';
import { TaskKind } from '../pool/batch-layout.js';
import type { PoolSink } from '../pool/sink.js';
import type { ThreadPool } from '../pool/thread-pool.js';

/** Marks a request handed to the pool: its reply (or failure) will come through the sink given. */
export const QUEUED: unique symbol = Symbol('queued');

/** A reply payload now, {@link QUEUED} (the sink gets it later), or null: the pool is full, answer BUSY. */
export type ExecResult = Uint8Array | typeof QUEUED | null;

/**
 * Runs PING, ECHO and COMPUTE. `payload`/`data` may be views into a socket chunk. A request handed to
 * the pool is answered through `sink.poolReply`/`poolFailed` with `id`, `t0` (its arrival, ms),
 * its cost (request payload bytes it holds: the ECHO payload, the whole COMPUTE payload) and `tag`.
 */
export interface Executor {
  ping(id: number, sink: PoolSink, t0: number, tag: unknown): ExecResult;
  echo(id: number, payload: Buffer, sink: PoolSink, t0: number, tag: unknown): ExecResult;
  /**
   * @param data the bytes hashed by the first round
   * @param cost the request's payload bytes (iterations field included)
   */
  compute(id: number, iterations: number, data: Buffer, cost: number, sink: PoolSink, t0: number, tag: unknown): ExecResult;
}

/** A copy the pool thread can own: a view's bytes only, in an ArrayBuffer of exactly that size. */
function ownedCopy(view: Buffer): Uint8Array {
  return new Uint8Array(view);
}

function compute(pool: ThreadPool, id: number, iterations: number, data: Buffer, cost: number, sink: PoolSink, t0: number, tag: unknown): ExecResult {
  return pool.compute(MessageType.COMPUTE, id, iterations, ownedCopy(data), sink, t0, cost, tag) ? QUEUED : null;
}

/** `--dispatch inline`: PING/ECHO on the event loop, COMPUTE on the pool. */
export class InlineExecutor implements Executor {
  readonly #pool: ThreadPool;

  constructor(pool: ThreadPool) {
    this.#pool = pool;
  }

  ping(): ExecResult {
    return EMPTY_PAYLOAD;
  }

  echo(_id: number, payload: Buffer): ExecResult {
    return payload;
  }

  compute(id: number, iterations: number, data: Buffer, cost: number, sink: PoolSink, t0: number, tag: unknown): ExecResult {
    return compute(this.#pool, id, iterations, data, cost, sink, t0, tag);
  }
}

/** `--dispatch pool`: every stateless request crosses to a thread and back; PING/ECHO in per-turn batches. */
export class PoolExecutor implements Executor {
  readonly #pool: ThreadPool;

  constructor(pool: ThreadPool) {
    this.#pool = pool;
  }

  ping(id: number, sink: PoolSink, t0: number, tag: unknown): ExecResult {
    return this.#pool.light(MessageType.PING, TaskKind.PING, id, EMPTY_PAYLOAD, sink, t0, 0, tag) ? QUEUED : null;
  }

  echo(id: number, payload: Buffer, sink: PoolSink, t0: number, tag: unknown): ExecResult {
    return this.#pool.light(MessageType.ECHO, TaskKind.ECHO, id, payload, sink, t0, payload.length, tag) ? QUEUED : null;
  }

  compute(id: number, iterations: number, data: Buffer, cost: number, sink: PoolSink, t0: number, tag: unknown): ExecResult {
    return compute(this.#pool, id, iterations, data, cost, sink, t0, tag);
  }
}
