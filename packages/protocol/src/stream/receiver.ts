/**
 * The receiver's accounting of one stream session (docs/protocol.md, "STREAM_REPORT"), pure and with
 * an injected clock: the server runs it for `up`, the client for `down`.
 *
 * - Loss is `expected − distinct`, expected = max(sent, highest + 1 − first): a late message fills its
 *   gap, so reordering is never loss (iperf3 #1142, #457), and nothing is ever negative (#191, #1892).
 * - Out of order: a distinct message whose sequence is below the highest already seen.
 * - Duplicates: a sequence already received, recognised within {@link STREAM_DUPLICATE_WINDOW} of the
 *   highest by a ring bitmap; an older arrival is taken as late (out of order): so an old duplicate
 *   counts as a message and can hide as much loss.
 * - Refused: a sequence above 2^53 − 1 or more than {@link STREAM_MAX_SEQUENCE_JUMP} above the
 *   highest (no real loss does that); nothing of it is counted.
 * - Advancing the window clears the bits it newly covers a byte at a time (a whole-window jump is
 *   one fill), so a jump costs at most 8 KiB of writes, not 65,536 bit clears.
 * - Jitter: RFC 3550 A.8 over arrivals in arrival order, duplicates left out: D = transit_i −
 *   transit_{i−1}, transit = arrival − sentUs (µs), J += (|D| − J) / 16. Every |D| goes to the
 *   injected {@link DelayVariationRecorder} (an HdrHistogram in the server and the client; this package
 *   has no dependencies, so the histogram is theirs).
 */
import { STREAM_DUPLICATE_WINDOW, STREAM_MAX_INTERVALS, STREAM_MAX_SEQUENCE_JUMP } from './constants.js';
import type { StreamInterval, StreamReceiverCounts } from './report.js';

/** Where |D| values go (hdr-histogram-js's `Histogram` fits, with `encode` = encodeIntoCompressedBase64). */
export interface DelayVariationRecorder {
  /** Records one |D|, µs (an integer ≥ 0). */
  recordValue(valueUs: number): void;
  /** The recorded values, HdrHistogram compressed base64 (V2). */
  encode(): string;
}

/** Options of {@link StreamReceiver}. */
export interface StreamReceiverOptions {
  /** The receiver's clock, µs (monotonic; e.g. `() => performance.now() * 1000`). Read once at construction (the receiver's start). */
  clock: () => number;
  /** Where |D| goes; default: nowhere (`delayVariation` is ""). */
  recorder?: DelayVariationRecorder;
  /** The session's first sequence, default 0; lower ones are ignored. */
  firstSequence?: number;
}

/**
 * What {@link StreamReceiver.receive} made of one arrival: `ignored` below the first sequence,
 * `refused` past 2^53 − 1 or {@link STREAM_MAX_SEQUENCE_JUMP} above the highest (the server counts
 * those as dropped, `refused`).
 */
export type ArrivalKind = 'in-order' | 'out-of-order' | 'duplicate' | 'ignored' | 'refused';

const NO_RECORDER: DelayVariationRecorder = { recordValue: () => undefined, encode: () => '' };

/** Counts one session's arrivals. */
export class StreamReceiver {
  readonly #clock: () => number;
  readonly #recorder: DelayVariationRecorder;
  readonly #first: number;
  readonly #origin: number;
  readonly #seen = new Uint8Array(STREAM_DUPLICATE_WINDOW / 8);
  /** Highest relative sequence seen; −1 before any. */
  #highest = -1;
  #messages = 0;
  #bytes = 0;
  #outOfOrder = 0;
  #duplicates = 0;
  #jitterUs = 0;
  #lastTransit: number | null = null;
  #lastArrival: number | null = null;
  readonly #intervals: StreamInterval[] = [];

  constructor(options: StreamReceiverOptions) {
    this.#clock = options.clock;
    this.#recorder = options.recorder ?? NO_RECORDER;
    this.#first = options.firstSequence ?? 0;
    this.#origin = this.#clock();
  }

  /** The receiver's start on its clock, µs. */
  get originUs(): number {
    return this.#origin;
  }

  /** Arrival time of the last counted message, µs on the clock; null before any. */
  get lastArrivalUs(): number | null {
    return this.#lastArrival;
  }

  /**
   * Counts one STREAM_DATA message of `bytes` bytes (the whole frame).
   * @param arrivalUs when it arrived on the receiver's clock, µs; default: now
   */
  receive(sequence: number, sentUs: number, bytes: number, arrivalUs: number = this.#clock()): ArrivalKind {
    const rel = sequence - this.#first;
    if (rel < 0) return 'ignored';
    if (sequence > Number.MAX_SAFE_INTEGER || rel - this.#highest > STREAM_MAX_SEQUENCE_JUMP) return 'refused';
    let kind: ArrivalKind;
    if (rel > this.#highest) {
      this.#advance(rel);
      this.#mark(rel);
      kind = 'in-order';
    } else if (this.#highest - rel >= STREAM_DUPLICATE_WINDOW) {
      // Too old to tell: taken as late. Not marked: its bit is a sequence inside the window now.
      kind = 'out-of-order';
    } else if (this.#isSeen(rel)) {
      this.#duplicates++;
      return 'duplicate';
    } else {
      this.#mark(rel);
      kind = 'out-of-order';
    }
    if (kind === 'out-of-order') this.#outOfOrder++;
    this.#messages++;
    this.#bytes += bytes;
    const transit = arrivalUs - sentUs;
    if (this.#lastTransit !== null) {
      const d = Math.abs(transit - this.#lastTransit);
      this.#jitterUs += (d - this.#jitterUs) / 16;
      this.#recorder.recordValue(Math.round(d));
    }
    this.#lastTransit = transit;
    this.#lastArrival = arrivalUs;
    this.#countInterval(arrivalUs, bytes);
    return kind;
  }

  /** The counts so far; `sent`: the messages the sender says it sent (lets a loss at the end show). */
  counts(sent?: number): StreamReceiverCounts {
    const expected = Math.max(sent ?? 0, this.#highest + 1);
    const lost = Math.max(0, expected - this.#messages);
    const durationUs = this.#lastArrival === null ? 0 : Math.max(0, Math.round(this.#lastArrival - this.#origin));
    const intervals = this.#filledIntervals(durationUs);
    return {
      bytes: this.#bytes,
      messages: this.#messages,
      lost,
      lossPercent: expected === 0 ? 0 : (100 * lost) / expected,
      outOfOrder: this.#outOfOrder,
      duplicates: this.#duplicates,
      jitterMs: this.#jitterUs / 1000,
      delayVariation: this.#messages > 1 ? this.#recorder.encode() : '',
      bitsPerSec: durationUs === 0 ? 0 : (8 * this.#bytes * 1e6) / durationUs,
      durationUs,
      intervals,
    };
  }

  #advance(rel: number): void {
    // Clear the bits of the sequences the window now covers for the first time: highest+1 .. rel.
    const n = rel - this.#highest;
    this.#highest = rel;
    if (n >= STREAM_DUPLICATE_WINDOW) {
      this.#seen.fill(0);
      return;
    }
    const from = (rel - n + 1) % STREAM_DUPLICATE_WINDOW;
    const to = from + n; // exclusive; may pass the ring's end once
    if (to <= STREAM_DUPLICATE_WINDOW) this.#clearBits(from, to);
    else {
      this.#clearBits(from, STREAM_DUPLICATE_WINDOW);
      this.#clearBits(0, to - STREAM_DUPLICATE_WINDOW);
    }
  }

  /** Clears bit positions [from, to) of the ring: whole bytes filled, the two edge bytes masked. */
  #clearBits(from: number, to: number): void {
    const seen = this.#seen;
    const fromByte = from >>> 3;
    const lastByte = (to - 1) >>> 3;
    // Bits of a byte below `from` (resp. at or above `to`) are kept.
    const keepLow = (1 << (from & 7)) - 1;
    const keepHigh = (to & 7) === 0 ? 0 : ~((1 << (to & 7)) - 1) & 0xff;
    if (fromByte === lastByte) {
      seen[fromByte]! &= keepLow | keepHigh;
      return;
    }
    seen[fromByte]! &= keepLow;
    seen.fill(0, fromByte + 1, lastByte);
    seen[lastByte]! &= keepHigh;
  }

  #isSeen(rel: number): boolean {
    const s = rel % STREAM_DUPLICATE_WINDOW;
    return (this.#seen[s >>> 3]! & (1 << (s & 7))) !== 0;
  }

  #mark(rel: number): void {
    const s = rel % STREAM_DUPLICATE_WINDOW;
    this.#seen[s >>> 3]! |= 1 << (s & 7);
  }

  #countInterval(arrivalUs: number, bytes: number): void {
    const k = Math.max(0, Math.floor((arrivalUs - this.#origin) / 1e6));
    if (k >= STREAM_MAX_INTERVALS) return; // counted in the totals only
    const iv = this.#intervalAt(k);
    iv.bytes += bytes;
    iv.messages++;
    iv.jitterMs = this.#jitterUs / 1000;
  }

  #intervalAt(k: number): StreamInterval {
    while (this.#intervals.length <= k) {
      const prev = this.#intervals.at(-1);
      this.#intervals.push({ startMs: this.#intervals.length * 1000, bytes: 0, messages: 0, bitsPerSec: 0, jitterMs: prev?.jitterMs ?? 0 });
    }
    return this.#intervals[k]!;
  }

  /** The intervals with their goodput: bytes over 1 s, the last one's over its real length (to `durationUs`). */
  #filledIntervals(durationUs: number): StreamInterval[] {
    const last = this.#intervals.length - 1;
    return this.#intervals.map((iv, k) => {
      const lengthUs = k === last ? Math.min(1e6, durationUs - k * 1e6) : 1e6;
      return { ...iv, bitsPerSec: lengthUs <= 0 ? 0 : (8 * iv.bytes * 1e6) / lengthUs };
    });
  }
}
