import { FrameBatch } from './batch.js';

/** Called with the batch's frames as one buffer (null when none were queued). */
export type FlushSink = (out: Buffer | null) => void;

/** Runs `fn` soon, once, after the current operation (`process.nextTick` in Node). */
export type ScheduleFn = (fn: () => void) => void;

/**
 * A {@link FrameBatch} with the rule for when it is written, the one both ends of a sockbench TCP
 * connection follow: frames queued while a received chunk is being decoded (between
 * {@link beginChunk} and {@link endChunk}) leave together right after it, since a chunk of pipelined
 * requests (or replies, for a closed-loop client) is answered in one write; a frame queued at any
 * other time (pool results, pushes, a caller's own sends) schedules one flush with `schedule`, and
 * every frame queued before that runs leaves with it.
 *
 * Does no I/O: each flush hands the encoded buffer (or null) to `sink`, which writes it. The sink is
 * called on every flush, empty ones included, so a caller can do per-flush work there (the server
 * records service times). One closure per batch (the scheduled tick), none per frame.
 */
export class FlushingBatch {
  readonly #batch = new FrameBatch();
  readonly #sink: FlushSink;
  readonly #schedule: ScheduleFn;
  #scheduled = false;
  #decoding = false;
  readonly #tick = (): void => {
    this.#scheduled = false;
    this.flush();
  };

  /**
   * @param sink writes one flush's buffer (null: nothing was queued)
   * @param schedule runs the deferred flush (default `process.nextTick`; tests pass their own)
   */
  constructor(sink: FlushSink, schedule: ScheduleFn = process.nextTick) {
    this.#sink = sink;
    this.#schedule = schedule;
  }

  /** Bytes queued and not flushed yet: 12 per frame plus the payloads. */
  get byteLength(): number {
    return this.#batch.byteLength;
  }

  /**
   * Queues one frame (as {@link FrameBatch.add}: the payload is referenced, not copied, until the
   * flush) and, outside a chunk, schedules a flush unless one is scheduled already.
   * @throws RangeError when the payload is over the protocol's 16 MiB limit
   */
  add(type: number, flags: number, id: number, payload: Uint8Array): void {
    this.#batch.add(type, flags, id, payload);
    if (!this.#decoding && !this.#scheduled) {
      this.#scheduled = true;
      this.#schedule(this.#tick);
    }
  }

  /**
   * Queues one frame written in place over its request in `chunk` (as {@link FrameBatch.addInPlace})
   * and, outside a chunk, schedules a flush unless one is scheduled already.
   */
  addInPlace(chunk: Uint8Array, offset: number, type: number, flags: number, id: number, length: number): void {
    this.#batch.addInPlace(chunk, offset, type, flags, id, length);
    if (!this.#decoding && !this.#scheduled) {
      this.#scheduled = true;
      this.#schedule(this.#tick);
    }
  }

  /** Drops every queued frame without a flush (nothing will carry them). */
  clear(): void {
    this.#batch.clear();
  }

  /** A received chunk is being decoded: frames queued from now on wait for {@link endChunk}. */
  beginChunk(): void {
    this.#decoding = true;
  }

  /** The chunk is decoded: flushes what it queued (and anything queued before). */
  endChunk(): void {
    this.#decoding = false;
    this.flush();
  }

  /** Encodes every queued frame into one buffer now and hands it (or null) to the sink. */
  flush(): void {
    this.#sink(this.#batch.encode());
  }
}
