import { DEFAULT_MAX_PAYLOAD, HEADER_SIZE } from './constants.js';
import { ProtocolError } from './errors.js';
import { EMPTY_PAYLOAD, checkHeader, readU32, validateMaxPayload, type Frame, type FrameRole, type HeaderLimits } from './frame.js';

/** Options of {@link FrameDecoder}. */
export interface FrameDecoderOptions {
  /** Largest payload accepted, bytes. Default 1 MiB; at most 16 MiB. */
  maxPayload?: number;
  /** `'requests'` on a server (default), `'replies'` on a client; see {@link HeaderLimits.expect}. */
  expect?: FrameRole;
}

/** Receives each complete frame, in stream order. */
export type FrameHandler = (frame: Frame) => void;

/**
 * Streaming decoder for frames on a TCP byte stream. Takes chunks of any size (one byte at a time
 * included) and hands back every complete frame.
 *
 * - Frames that lie wholly inside one chunk get a payload that is a view (`subarray`) of that
 *   chunk: no copy. Only a frame split across chunks is assembled into a buffer of its own.
 * - The header is checked as soon as its 12 bytes are in; until then nothing past it is kept, so a
 *   header announcing 4 GiB costs at most 12 buffered bytes before it is refused.
 * - A bad header throws its {@link ProtocolError}; every header error is fatal in v1, so the
 *   decoder then stays failed and throws the same error on any later push.
 *
 * State while a frame is incomplete:
 *
 *   header  [12 bytes]  ← fills while fewer than 12 header bytes are in (#headerFill)
 *   parts   [copy][copy]…  ← payload bytes received so far, once the header passed (#partsBytes)
 */
export class FrameDecoder {
  readonly #limits: HeaderLimits;
  readonly #header = Buffer.alloc(HEADER_SIZE);
  #headerFill = 0;
  /** Header fields of the frame whose payload is being assembled; #pending is true while one is. */
  #pending = false;
  #type = 0;
  #flags = 0;
  #id = 0;
  #length = 0;
  #parts: Buffer[] = [];
  #partsBytes = 0;
  #failed: ProtocolError | null = null;

  /** @throws RangeError when `maxPayload` is not an integer in 0..16 MiB */
  constructor(options: FrameDecoderOptions = {}) {
    this.#limits = {
      maxPayload: validateMaxPayload(options.maxPayload ?? DEFAULT_MAX_PAYLOAD),
      expect: options.expect ?? 'requests',
    };
  }

  /** Bytes held for an incomplete frame (header bytes plus payload bytes). */
  get bufferedBytes(): number {
    return (this.#pending ? HEADER_SIZE : this.#headerFill) + this.#partsBytes;
  }

  /**
   * Whole size (12 + length) of the frame whose header has arrived and whose payload has not, bytes;
   * 0 when there is none (a header still filling does not count: it sits in a fixed 12-byte buffer).
   * A frame that lies wholly inside one chunk is never pending, so a reader that budgets incomplete
   * frames checks this once per chunk. Memory held for it grows as its bytes arrive
   * ({@link bufferedBytes}); nothing is allocated ahead of them.
   */
  get pendingFrameBytes(): number {
    return this.#pending ? HEADER_SIZE + this.#length : 0;
  }

  /** The error that failed this decoder, if any. */
  get error(): ProtocolError | null {
    return this.#failed;
  }

  /**
   * Feeds one chunk; calls `onFrame` for every frame it completes, in order.
   * @throws ProtocolError (BAD_FRAME, FRAME_TOO_LARGE) on a bad header, after the frames before it
   */
  push(chunk: Buffer, onFrame: FrameHandler): void {
    if (this.#failed !== null) throw this.#failed;
    const n = chunk.length;
    let off = 0;

    if (this.#headerFill > 0) {
      const take = Math.min(HEADER_SIZE - this.#headerFill, n);
      chunk.copy(this.#header, this.#headerFill, 0, take);
      this.#headerFill += take;
      off = take;
      if (this.#headerFill < HEADER_SIZE) return;
      this.#headerFill = 0;
      const length = this.#check(this.#header, 0);
      if (length === 0) {
        onFrame(this.#frameFromHeader(this.#header, 0, EMPTY_PAYLOAD));
      } else {
        this.#begin(this.#header, 0, length);
      }
    }

    if (this.#pending) {
      const want = this.#length - this.#partsBytes;
      const take = Math.min(want, n - off);
      if (take > 0) {
        this.#parts.push(Buffer.from(chunk.subarray(off, off + take)));
        this.#partsBytes += take;
        off += take;
      }
      if (this.#partsBytes < this.#length) return;
      const payload = this.#parts.length === 1 ? this.#parts[0]! : Buffer.concat(this.#parts, this.#length);
      const frame: Frame = { type: this.#type, flags: this.#flags, id: this.#id, payload };
      this.#pending = false;
      this.#parts = [];
      this.#partsBytes = 0;
      onFrame(frame);
    }

    while (n - off >= HEADER_SIZE) {
      const length = this.#check(chunk, off);
      const start = off + HEADER_SIZE;
      if (n - start >= length) {
        const payload = length === 0 ? EMPTY_PAYLOAD : chunk.subarray(start, start + length);
        onFrame(this.#frameFromHeader(chunk, off, payload));
        off = start + length;
      } else {
        this.#begin(chunk, off, length);
        if (start < n) {
          this.#parts.push(Buffer.from(chunk.subarray(start, n)));
          this.#partsBytes = n - start;
        }
        return;
      }
    }

    if (off < n) {
      chunk.copy(this.#header, 0, off, n);
      this.#headerFill = n - off;
    }
  }

  /**
   * Feeds one chunk and returns the frames it completed (a convenience over {@link push}).
   * @throws ProtocolError as {@link push} does
   */
  decode(chunk: Buffer): Frame[] {
    const frames: Frame[] = [];
    this.push(chunk, (f) => frames.push(f));
    return frames;
  }

  #check(buf: Buffer, offset: number): number {
    try {
      return checkHeader(buf, offset, this.#limits);
    } catch (err) {
      if (err instanceof ProtocolError) this.#failed = err;
      throw err;
    }
  }

  #begin(buf: Buffer, offset: number, length: number): void {
    this.#pending = true;
    this.#type = buf[offset + 5]!;
    this.#flags = buf.readUInt16BE(offset + 6);
    this.#id = buf.readUInt32BE(offset + 8);
    this.#length = length;
    this.#partsBytes = 0;
  }

  #frameFromHeader(buf: Buffer, offset: number, payload: Buffer): Frame {
    return { type: buf[offset + 5]!, flags: (buf[offset + 6]! << 8) | buf[offset + 7]!, id: readU32(buf, offset + 8), payload };
  }
}
