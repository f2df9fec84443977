/**
 * The write side of one TCP connection: replies batched per chunk or tick, big payloads written
 * without a copy, backpressure, service-time recording, and the graceful end (FIN, then linger).
 *
 * - Batching: replies go into a {@link FlushingBatch}, encoded into one buffer and written once:
 *   right after the chunk being decoded ({@link beginChunk} … {@link endChunk}) for replies made while
 *   decoding it, else on `process.nextTick` (pool results, CHAT pushes). A chunk of 16 pipelined
 *   requests costs one buffer and one `write`, not 16. Replies above {@link COPY_LIMIT} flush the
 *   batch, then go out as header + the payload view (no copy). An ECHO reply is written over its
 *   request in the chunk ({@link replyInPlace}): a chunk of pipelined ECHOs goes back as a view of
 *   itself with the headers rewritten, no buffer and no copy (as the UDP path does).
 * - Service time: {@link beginChunk} reads the clock once per chunk; each reply's run is queued
 *   before its write and recorded by the flush that hands it to the socket (one clock read per
 *   flush), runs of same-type replies of one chunk in one histogram call ({@link ServiceTimeRuns}).
 * - Backpressure: while more than {@link WRITE_HIGH_WATER_MARK} bytes wait to be written, or more
 *   than that many request bytes wait on the pool ({@link holdWork}), the socket stops reading;
 *   'drain' and finished pool work ({@link releaseWork}) resume it. The connection may hold reading
 *   for its own reason too (the buffer budget, {@link holdReading}); the socket reads only when
 *   neither holds it.
 */
import type { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import {
  Flags,
  FlushingBatch,
  HEADER_SIZE,
  MessageType,
  encodeError,
  encodeFrame,
  writeHeader,
  type ErrorCode,
} from '@sockbench/protocol';
import type { Counters } from '../stats/counters.js';
import { ServiceTimeRuns } from './service-time-runs.js';

/** Pending write bytes above which the connection stops reading, bytes (1 MiB). */
export const WRITE_HIGH_WATER_MARK = 1024 * 1024;

/** Reply payloads up to this size are copied behind their header in one buffer, bytes. */
export const COPY_LIMIT = 16 * 1024;

/** After the server ends a connection (FIN), how long it waits for the peer's FIN before destroying, ms. */
export const CLOSE_LINGER_MS = 5_000;

/** A monotonic clock in ms; the writer's default is `performance.now()`. */
export type Clock = () => number;

const performanceClock: Clock = () => performance.now();

/** Writes one connection's frames; see the file comment for batching, backpressure and service time. */
export class ReplyWriter {
  readonly #socket: Socket;
  readonly #counters: Counters;
  readonly #now: Clock;
  readonly #runs = new ServiceTimeRuns();
  /** Request payload bytes handed to the pool and not answered yet (count toward backpressure). */
  #workBytes = 0;
  #paused = false;
  /** True while the connection itself keeps reading paused: its next frame waits for the buffer budget. */
  #held = false;
  /** True once nothing more is written (end, abort, or the socket closed). */
  #ended = false;
  #closed = false;
  #lingerTimer: NodeJS.Timeout | null = null;

  /** Writes one flush's buffer and records the service times of the replies it carries. */
  readonly #onFlush = (out: Buffer | null): void => {
    const socket = this.#socket;
    // Stamped before the write: the reply is handed to the socket at this instant, and a write that
    // wakes the client (which may preempt this thread) must not make the server's time exceed the round trip.
    const handedAt = this.#runs.size !== 0 ? this.#now() : 0;
    if (out !== null && !socket.destroyed) {
      socket.write(out);
      if (!this.#paused && socket.writableLength > WRITE_HIGH_WATER_MARK) this.#checkPressure();
    }
    if (this.#runs.size !== 0) this.#runs.record(handedAt, this.#counters.serviceTimes);
  };

  readonly #batch = new FlushingBatch(this.#onFlush);

  /** Pauses reading while replies or pool work above the mark are queued; resumes below it. */
  readonly #checkPressure = (): void => {
    const over = this.#socket.writableLength > WRITE_HIGH_WATER_MARK || this.#workBytes > WRITE_HIGH_WATER_MARK;
    if (over && !this.#paused) {
      this.#paused = true;
      this.#socket.pause();
    } else if (!over && this.#paused) {
      this.#paused = false;
      if (!this.#closed && !this.#held) this.#socket.resume();
    }
  };

  /**
   * @param counters framesOut, bytesOut and errors are counted here, service times recorded here
   * @param now the clock of chunk stamps and flushes, ms (tests freeze it)
   */
  constructor(socket: Socket, counters: Counters, now: Clock = performanceClock) {
    this.#socket = socket;
    this.#counters = counters;
    this.#now = now;
    // 'drain' follows every write() that returned false, so a paused socket always gets this call.
    socket.on('drain', this.#checkPressure);
    socket.on('close', () => {
      this.#closed = true;
      this.#ended = true;
      if (this.#lingerTimer !== null) clearTimeout(this.#lingerTimer);
    });
  }

  /** True once nothing more will be written: {@link end}, {@link abort}, or the socket closed. */
  get ended(): boolean {
    return this.#ended;
  }

  /** True while reading is paused for backpressure. */
  get paused(): boolean {
    return this.#paused;
  }

  /** Bytes queued for writing on this socket (replies not flushed yet included). */
  get pendingWriteBytes(): number {
    return this.#socket.writableLength + this.#batch.byteLength;
  }

  /** Request payload bytes handed to the pool and not answered yet. */
  get pendingWorkBytes(): number {
    return this.#workBytes;
  }

  /** A received chunk is about to be decoded: replies wait for {@link endChunk}. Returns its arrival stamp, ms. */
  beginChunk(): number {
    this.#batch.beginChunk();
    return this.#now();
  }

  /** The chunk is decoded: writes its replies as one buffer. */
  endChunk(): void {
    this.#batch.endChunk();
  }

  /** Writes a reply (RESPONSE flag) to a request that arrived at `t0` (ms), timed in service time. */
  reply(type: number, id: number, payload: Uint8Array, t0: number): void {
    if (this.#ended) return;
    // Queued before the write, so the flush that hands this reply to the socket records it (a
    // reply over COPY_LIMIT flushes at once, before its own write).
    this.#runs.add(type, t0);
    this.#write(type, Flags.RESPONSE, id, payload);
  }

  /**
   * Writes a reply (RESPONSE flag) whose payload is its request's own, in place: its header is
   * written over the request's at `chunk[offset]` (the chunk being decoded; the `12 + length` bytes
   * there are that request, and nothing reads them after this call), its payload left where it is.
   * Timed as {@link reply}; the bytes on the wire are the same as {@link reply}'s would be.
   */
  replyInPlace(type: number, id: number, chunk: Buffer, offset: number, length: number, t0: number): void {
    if (this.#ended) return;
    this.#runs.add(type, t0);
    if (length > COPY_LIMIT) {
      this.#write(type, Flags.RESPONSE, id, chunk.subarray(offset + HEADER_SIZE, offset + HEADER_SIZE + length));
      return;
    }
    if (this.#socket.destroyed) return;
    this.#batch.addInPlace(chunk, offset, type, Flags.RESPONSE, id, length);
    const counters = this.#counters;
    counters.framesOut++;
    counters.bytesOut += HEADER_SIZE + length;
  }

  /** Writes a push (id 0, no flags, not timed), e.g. CHAT. */
  push(type: number, payload: Uint8Array): void {
    if (this.#ended) return;
    this.#write(type, Flags.NONE, 0, payload);
  }

  /** Counts one ERROR under its code and writes it (RESPONSE flag unless `id` is 0). */
  error(code: ErrorCode, id: number, message: string): void {
    this.#counters.countError(code);
    if (this.#ended) return;
    this.#write(MessageType.ERROR, id === 0 ? Flags.NONE : Flags.RESPONSE, id, encodeError(code, message));
  }

  /**
   * Writes one frame at once in a buffer of its own, outside the batch: the WELCOME push, so a
   * connection that never sends a request (10,000 idle ones, say) never grows the batch's arrays.
   */
  writeAlone(type: number, id: number, payload: Uint8Array): void {
    this.#socket.write(encodeFrame(type, id, payload));
    this.#counters.framesOut++;
    this.#counters.bytesOut += HEADER_SIZE + payload.length;
  }

  /**
   * Stops reading for the connection's own reason (its next frame waits for the buffer budget), on top
   * of backpressure: reading resumes only once both let go. Ignored once the writer has ended (it
   * reads on to see the peer's FIN).
   */
  holdReading(): void {
    if (this.#held || this.#ended) return;
    this.#held = true;
    if (!this.#paused) this.#socket.pause();
  }

  /** Lets go of {@link holdReading}; reading resumes unless backpressure still holds it. */
  releaseReading(): void {
    if (!this.#held) return;
    this.#held = false;
    if (!this.#paused && !this.#closed) this.#socket.resume();
  }

  /** `bytes` of request payload are now held by pool work: they count toward the mark until released. */
  holdWork(bytes: number): void {
    this.#workBytes += bytes;
    if (this.#workBytes > WRITE_HIGH_WATER_MARK) this.#checkPressure();
  }

  /** Pool work holding `bytes` has been answered (call after its reply): may resume reading. */
  releaseWork(bytes: number): void {
    this.#workBytes -= bytes;
    if (this.#paused) this.#checkPressure();
  }

  /**
   * Writes what is queued, sends FIN and keeps reading (a peer's late bytes must not turn the FIN into
   * a RST); destroys the socket if the peer has not closed within {@link CLOSE_LINGER_MS}. Later
   * writes are dropped. Returns false when the writer had ended already.
   */
  end(): boolean {
    if (this.#ended) return false;
    this.#ended = true;
    this.#batch.flush();
    this.#socket.end();
    if (this.#paused || this.#held) {
      this.#paused = false;
      this.#held = false;
      this.#socket.resume();
    }
    this.#lingerTimer = setTimeout(() => this.#socket.destroy(), CLOSE_LINGER_MS).unref();
    return true;
  }

  /** Drops everything queued and destroys the socket now (a slow consumer). */
  abort(): void {
    this.#ended = true;
    this.#socket.destroy();
  }

  #write(type: number, flags: number, id: number, payload: Uint8Array): void {
    const socket = this.#socket;
    // Reset by the peer, 'close' not emitted yet: a write now would only raise ERR_STREAM_DESTROYED.
    if (socket.destroyed) return;
    const n = payload.length;
    if (n <= COPY_LIMIT) {
      this.#batch.add(type, flags, id, payload);
    } else {
      this.#batch.flush();
      const header = Buffer.allocUnsafe(HEADER_SIZE);
      writeHeader(header, 0, type, flags, id, n);
      socket.cork();
      socket.write(header);
      socket.write(payload);
      socket.uncork();
      if (!this.#paused && socket.writableLength > WRITE_HIGH_WATER_MARK) this.#checkPressure();
    }
    const counters = this.#counters;
    counters.framesOut++;
    counters.bytesOut += HEADER_SIZE + n;
  }
}
