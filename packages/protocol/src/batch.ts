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
 */
export class FrameBatch {
  #count = 0;
  #bytes = 0;
  readonly #types: number[] = [];
  readonly #flags: number[] = [];
  readonly #ids: number[] = [];
  readonly #payloads: Uint8Array[] = [];

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
    this.#bytes += HEADER_SIZE + n;
  }

  /** Drops every queued frame (a closed socket will carry none of them). */
  clear(): void {
    this.#payloads.fill(EMPTY_PAYLOAD, 0, this.#count);
    this.#count = 0;
    this.#bytes = 0;
  }

  /**
   * Encodes every queued frame, in the order added, into one new buffer of {@link byteLength}
   * bytes and empties the batch. Returns null when nothing is queued.
   */
  encode(): Buffer | null {
    const count = this.#count;
    if (count === 0) return null;
    const out = Buffer.allocUnsafe(this.#bytes);
    const payloads = this.#payloads;
    let off = 0;
    for (let i = 0; i < count; i++) {
      const payload = payloads[i]!;
      const n = payload.length;
      writeHeader(out, off, this.#types[i]!, this.#flags[i]!, this.#ids[i]!, n);
      off += HEADER_SIZE;
      if (n > 0) {
        out.set(payload, off);
        off += n;
      }
      // Drop the reference so a batch never keeps a received chunk alive after its flush.
      payloads[i] = EMPTY_PAYLOAD;
    }
    this.#count = 0;
    this.#bytes = 0;
    return out;
  }
}
