import { HEADER_SIZE, MAX_PAYLOAD_LIMIT } from './constants.js';
import { EMPTY_PAYLOAD, writeHeader } from './frame.js';

/**
 * Frames queued for one write: {@link FrameBatch.add} records a frame (its header fields and a
 * reference to its payload, no copy, no allocation once the batch has grown to its working size),
 * {@link FrameBatch.encode} lays every queued frame out back to back in one new buffer and empties
 * the batch.
 *
 * Why: with pipelining, one socket chunk carries many requests. Handing each reply to the socket on
 * its own costs a buffer and a stream write per frame; a batch costs one of each per flush, so
 * a chunk of 16 requests leaves as one `write` holding 16 replies (what Redis does with its
 * per-client reply buffer).
 *
 * Payloads are referenced until `encode()`: the caller must not change a payload's bytes between
 * `add()` and `encode()`. Views into a received chunk are fine (Node never reuses a chunk it has
 * emitted). An idle batch holds no payloads and no buffer.
 *
 * In place ({@link FrameBatch.addInPlace}): a reply whose bytes are its request's bytes but for the
 * header (an ECHO) is written over its request inside the received chunk; when every frame of a
 * flush was added so and they lie back to back in one chunk (a chunk of pipelined ECHOs), `encode()`
 * returns a view of that chunk: no buffer, no copy. Otherwise they are copied like the others.
 */
export class FrameBatch {
  #count = 0;
  #bytes = 0;
  readonly #types: number[] = [];
  readonly #flags: number[] = [];
  /** Frame ids; for an in-place frame (whose header is in its chunk already), its payload length. */
  readonly #ids: number[] = [];
  readonly #payloads: Uint8Array[] = [];
  /** In-place frames: offset of the frame in `#payloads[i]` (its chunk), bytes; -1 for a copied frame. */
  readonly #offsets: number[] = [];

  /** Frames queued. */
  get count(): number {
    return this.#count;
  }

  /** Bytes `encode()` will return: 12 per frame plus the payloads. */
  get byteLength(): number {
    return this.#bytes;
  }

  /**
   * Queues one frame. `id` must be a u32 and `flags` a u16 (the caller's own values: this is the
   * hot path, so they are not checked again).
   * @throws RangeError when the payload is over the protocol's 16 MiB limit
   */
  add(type: number, flags: number, id: number, payload: Uint8Array): void {
    const n = payload.length;
    if (n > MAX_PAYLOAD_LIMIT) {
      throw new RangeError(`payload of ${n} bytes is over the protocol limit of ${MAX_PAYLOAD_LIMIT} bytes`);
    }
    const i = this.#count++;
    this.#types[i] = type;
    this.#flags[i] = flags;
    this.#ids[i] = id;
    this.#payloads[i] = payload;
    this.#offsets[i] = -1;
    this.#bytes += HEADER_SIZE + n;
  }

  /**
   * Queues one frame written in place: its header is written now over the 12 bytes at
   * `chunk[offset]`, and the `length` payload bytes after them are its payload as they stand (an
   * ECHO reply over its own request). The caller owns those `12 + length` bytes of `chunk` (they
   * must be in range, and nothing else may read them as a request any more) and must not change
   * the payload until `encode()`. `id` must be a u32, `flags` a u16, `length` at most 16 MiB.
   */
  addInPlace(chunk: Uint8Array, offset: number, type: number, flags: number, id: number, length: number): void {
    writeHeader(chunk, offset, type, flags, id, length);
    const i = this.#count++;
    this.#ids[i] = length;
    this.#payloads[i] = chunk;
    this.#offsets[i] = offset;
    this.#bytes += HEADER_SIZE + length;
  }

  /** Drops every queued frame (a closed socket will carry none of them). */
  clear(): void {
    this.#payloads.fill(EMPTY_PAYLOAD, 0, this.#count);
    this.#count = 0;
    this.#bytes = 0;
  }

  /**
   * Encodes every queued frame, in the order added, into {@link byteLength} bytes and empties the
   * batch: a view of one chunk when every frame was added in place back to back in it, else one
   * new buffer. Returns null when nothing is queued.
   */
  encode(): Buffer | null {
    const count = this.#count;
    if (count === 0) return null;
    const out = this.#inPlaceRun(count) ?? this.#copy(count);
    this.#payloads.fill(EMPTY_PAYLOAD, 0, count);
    this.#count = 0;
    this.#bytes = 0;
    return out;
  }

  /** A view of the chunk when the `count` queued frames lie back to back in it, in place; else null. */
  #inPlaceRun(count: number): Buffer | null {
    const offsets = this.#offsets;
    const start = offsets[0]!;
    if (start < 0) return null;
    const chunk = this.#payloads[0]!;
    let end = start;
    for (let i = 0; i < count; i++) {
      if (offsets[i] !== end || this.#payloads[i] !== chunk) return null;
      end += HEADER_SIZE + this.#ids[i]!;
    }
    return Buffer.from(chunk.buffer, chunk.byteOffset + start, end - start);
  }

  /** Every queued frame copied into one new buffer. */
  #copy(count: number): Buffer {
    const out = Buffer.allocUnsafe(this.#bytes);
    const payloads = this.#payloads;
    const offsets = this.#offsets;
    let off = 0;
    for (let i = 0; i < count; i++) {
      const payload = payloads[i]!;
      const at = offsets[i]!;
      if (at >= 0) {
        const whole = HEADER_SIZE + this.#ids[i]!;
        out.set(payload.subarray(at, at + whole), off);
        off += whole;
        continue;
      }
      const n = payload.length;
      writeHeader(out, off, this.#types[i]!, this.#flags[i]!, this.#ids[i]!, n);
      off += HEADER_SIZE;
      if (n > 0) {
        out.set(payload, off);
        off += n;
      }
    }
    return out;
  }
}
