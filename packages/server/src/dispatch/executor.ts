/**
 * Where the stateless requests (PING, ECHO, COMPUTE) run. Two implementations, chosen once by
 * `--dispatch`: {@link InlineExecutor} answers PING/ECHO on the event loop and sends COMPUTE to the
 * pool; {@link PoolExecutor} sends all three through the pool, to measure the thread hand-off.
 * Stateful requests (HELLO, JOIN, LEAVE, SAY, STATS, BYE) touch this process's connection and room
 * registry, which threads cannot see, so they always run on the event loop.
 */
import { EMPTY_PAYLOAD } from '@sockbench/protocol';
import { TaskKind } from '../pool/task.js';
import type { ThreadPool } from '../pool/thread-pool.js';

/** A reply payload now, one later (pool), or null: the pool is full, answer BUSY. */
export type ExecResult = Buffer | Uint8Array | Promise<Uint8Array> | null;

/** Runs PING, ECHO and COMPUTE. `payload`/`data` may be views into a socket chunk. */
export interface Executor {
  ping(): ExecResult;
  echo(payload: Buffer): ExecResult;
  /** @param data the bytes hashed by the first round */
  compute(iterations: number, data: Buffer): ExecResult;
}

/** A copy the pool thread can own: a view's bytes only, in an ArrayBuffer of exactly that size. */
function ownedCopy(view: Buffer): Uint8Array {
  return new Uint8Array(view);
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

  echo(payload: Buffer): ExecResult {
    return payload;
  }

  compute(iterations: number, data: Buffer): ExecResult {
    return this.#pool.run({ kind: TaskKind.COMPUTE, iterations, data: ownedCopy(data) });
  }
}

/** `--dispatch pool`: every stateless request crosses to a thread and back. */
export class PoolExecutor implements Executor {
  readonly #pool: ThreadPool;

  constructor(pool: ThreadPool) {
    this.#pool = pool;
  }

  ping(): ExecResult {
    return this.#pool.run({ kind: TaskKind.PING, iterations: 0, data: new Uint8Array(0) });
  }

  echo(payload: Buffer): ExecResult {
    return this.#pool.run({ kind: TaskKind.ECHO, iterations: 0, data: ownedCopy(payload) });
  }

  compute(iterations: number, data: Buffer): ExecResult {
    return this.#pool.run({ kind: TaskKind.COMPUTE, iterations, data: ownedCopy(data) });
  }
}
