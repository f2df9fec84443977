/**
 * One batch of light requests (PING, ECHO) on its way to a thread: their bytes in one buffer
 * (batch-layout.ts) and, beside it, what each reply needs on the way back (sink, type, id, arrival,
 * cost, tag) in parallel arrays. A batch object is reused once its replies are delivered: its arrays
 * grow to the working size once, so queueing a request allocates nothing but its bytes' room.
 */
import { EMPTY_PAYLOAD } from '@sockbench/protocol';
import type { TaskClass } from './task-queue.js';
import { BATCH_HEADER_BYTES, RECORD_HEADER_BYTES } from './batch-layout.js';
import type { PoolSink } from './sink.js';

/** A new batch's buffer, bytes; it doubles (copying what it holds) up to the pool's cap as records come. */
const INITIAL_BYTES = 4 * 1024;

/** A batch's buffer before its first record (never transferred: {@link RequestBatch.add} replaces it first). */
const NO_BUFFER = Buffer.alloc(0);

/** Requests bound for one thread as one task, and the way back for each reply. */
export class RequestBatch {
  #buf: Buffer = NO_BUFFER;
  #used = BATCH_HEADER_BYTES;
  #count = 0;
  readonly #sinks: (PoolSink | null)[] = [];
  readonly #tags: unknown[] = [];
  readonly #types: number[] = [];
  readonly #ids: number[] = [];
  readonly #t0: number[] = [];
  readonly #costs: number[] = [];
  /** Where each request's bytes start in the buffer (its reply's too: answered in place). */
  readonly #offsets: number[] = [];
  readonly #lengths: number[] = [];
  /** What the task carries for the pool's queue: light, and how many requests. */
  readonly taskClass: TaskClass = { light: true, requests: 0 };

  /** Requests queued in this batch. */
  get count(): number {
    return this.#count;
  }

  /** Bytes the batch's buffer holds so far (header and records). */
  get byteLength(): number {
    return this.#used;
  }

  /** Bytes this batch would hold with one more record of `dataBytes`. */
  bytesWith(dataBytes: number): number {
    return this.#used + RECORD_HEADER_BYTES + dataBytes;
  }

  /**
   * Queues one request: its record (kind, `data` copied in) and its way back. `type` is the
   * MessageType the reply carries, `kind` the TaskKind the thread reads.
   */
  add(type: number, kind: number, id: number, data: Uint8Array, sink: PoolSink, t0: number, cost: number, tag: unknown): void {
    const n = data.length;
    const need = this.bytesWith(n);
    if (need > this.#buf.length) this.#grow(need);
    const buf = this.#buf;
    let off = this.#used;
    buf[off] = kind;
    buf[off + 1] = 0;
    buf[off + 2] = 0;
    buf[off + 3] = 0;
    buf.writeUInt32LE(n, off + 4);
    off += RECORD_HEADER_BYTES;
    if (n !== 0) buf.set(data, off);
    const i = this.#count++;
    this.#sinks[i] = sink;
    this.#tags[i] = tag;
    this.#types[i] = type;
    this.#ids[i] = id;
    this.#t0[i] = t0;
    this.#costs[i] = cost;
    this.#offsets[i] = off;
    this.#lengths[i] = n;
    this.#used = off + n;
  }

  /**
   * Writes the record count and gives up the buffer (it is transferred to the thread); the batch
   * keeps the ways back until {@link deliver} or {@link fail}.
   */
  seal(): ArrayBuffer {
    const buf = this.#buf;
    buf.writeUInt32LE(this.#count, 0);
    this.taskClass.requests = this.#count;
    this.#buf = NO_BUFFER;
    this.#used = BATCH_HEADER_BYTES;
    return buf.buffer as ArrayBuffer;
  }

  /**
   * Hands each request its reply: a view into `reply` (the buffer the thread answered in place and
   * moved back) at the offset its request was written at, empty for a PING. Then the batch is empty.
   */
  deliver(reply: ArrayBuffer): void {
    const sinks = this.#sinks;
    const tags = this.#tags;
    const count = this.#count;
    this.#count = 0;
    for (let i = 0; i < count; i++) {
      const n = this.#lengths[i]!;
      const payload = n === 0 ? EMPTY_PAYLOAD : new Uint8Array(reply, this.#offsets[i], n);
      const sink = sinks[i]!;
      const tag = tags[i];
      sinks[i] = null;
      tags[i] = null;
      sink.poolReply(this.#types[i]!, this.#ids[i]!, payload, this.#t0[i]!, this.#costs[i]!, tag);
    }
  }

  /** Tells each request's sink that the task failed with `err`. Then the batch is empty. */
  fail(err: unknown): void {
    const sinks = this.#sinks;
    const tags = this.#tags;
    const count = this.#count;
    this.#count = 0;
    for (let i = 0; i < count; i++) {
      const sink = sinks[i]!;
      const tag = tags[i];
      sinks[i] = null;
      tags[i] = null;
      sink.poolFailed(this.#types[i]!, this.#ids[i]!, err, this.#costs[i]!, tag);
    }
  }

  /**
   * A buffer of at least `need` bytes, holding what this one held: twice the size (INITIAL_BYTES at
   * first), or exactly `need` when that is more (one big ECHO gets a buffer of its own size).
   */
  #grow(need: number): void {
    const size = Math.max(INITIAL_BYTES, this.#buf.length * 2, need);
    const next = Buffer.allocUnsafeSlow(size);
    this.#buf.copy(next, 0, 0, this.#used);
    this.#buf = next;
  }
}
