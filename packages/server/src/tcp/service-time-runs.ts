import type { ServiceTimes } from '../stats/service-time.js';

/**
 * Service times of the replies queued for one flush, run-length encoded: every frame of a chunk
 * shares the chunk's arrival stamp, so a pipelined chunk of 16 PINGs is one run (PING, t0, 16) and
 * costs one histogram call at the flush, not 16. Runs are kept in three parallel arrays that grow to
 * the connection's working size once and are reused, so queueing allocates nothing.
 */
export class ServiceTimeRuns {
  readonly #types: number[] = [];
  /** Arrival of the chunk that carried the requests, ms (the writer's clock). */
  readonly #t0: number[] = [];
  readonly #counts: number[] = [];
  #runs = 0;

  /** Runs waiting for {@link record}. */
  get size(): number {
    return this.#runs;
  }

  /** Queues one reply of `type` to a request that arrived at `t0` (ms): extends the last run or starts one. */
  add(type: number, t0: number): void {
    const r = this.#runs - 1;
    if (r >= 0 && this.#types[r] === type && this.#t0[r] === t0) {
      this.#counts[r]!++;
    } else {
      this.#types[r + 1] = type;
      this.#t0[r + 1] = t0;
      this.#counts[r + 1] = 1;
      this.#runs = r + 2;
    }
  }

  /** Records every queued run as `now − t0` (ms in, µs recorded) into `into`, and empties the queue. */
  record(now: number, into: ServiceTimes): void {
    const runs = this.#runs;
    for (let r = 0; r < runs; r++) into.recordMany(this.#types[r]!, (now - this.#t0[r]!) * 1000, this.#counts[r]!);
    this.#runs = 0;
  }
}
