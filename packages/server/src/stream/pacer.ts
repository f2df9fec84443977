/**
 * When a down sender's messages are due (docs/protocol.md, "Stream"): message k (0-based) is due
 * at start + k × 8 × size / bitrate; the session sends at most `total` = what the duration holds at
 * the bitrate (at least 1), and nothing after start + duration. Without a bitrate (unpaced TCP) every
 * message is due at once and only the duration and the socket's backpressure bound the sender.
 * Pure, the clock passed in (µs), so tests check the schedule, not wall-clock time.
 */

/** Most messages one call of {@link Pacer.due} releases: 10 ms at the bitrate, at least 1, so a late timer catches up in steps. */
export const PACER_BURST_MS = 10;

/** The schedule of one down sender. */
export class Pacer {
  readonly #startUs: number;
  readonly #endUs: number;
  /** µs between two messages; 0 = unpaced. */
  readonly #gapUs: number;
  readonly #total: number;
  readonly #burst: number;

  /**
   * @param bitrate bit/s over whole STREAM_DATA frames; null = unpaced
   * @param size bytes per message
   */
  constructor(startUs: number, durationMs: number, size: number, bitrate: number | null) {
    this.#startUs = startUs;
    this.#endUs = startUs + durationMs * 1000;
    if (bitrate === null) {
      this.#gapUs = 0;
      this.#total = Number.POSITIVE_INFINITY;
      this.#burst = Number.POSITIVE_INFINITY;
    } else {
      this.#gapUs = (8 * size * 1e6) / bitrate;
      this.#total = Math.max(1, Math.floor((durationMs * 1000) / this.#gapUs));
      this.#burst = Math.max(1, Math.ceil((PACER_BURST_MS * 1000) / this.#gapUs));
    }
  }

  /** Messages the schedule holds in all (Infinity when unpaced). */
  get total(): number {
    return this.#total;
  }

  /** End of sending, µs. */
  get endUs(): number {
    return this.#endUs;
  }

  /** How many messages to send at `nowUs`, `sent` having been sent; 0 once done. */
  due(nowUs: number, sent: number): number {
    if (this.done(nowUs, sent)) return 0;
    if (this.#gapUs === 0) return Number.POSITIVE_INFINITY;
    const target = Math.min(this.#total, Math.floor((nowUs - this.#startUs) / this.#gapUs) + 1);
    return Math.max(0, Math.min(this.#burst, target - sent));
  }

  /** True once the duration has passed or the whole schedule was sent. */
  done(nowUs: number, sent: number): boolean {
    return nowUs >= this.#endUs || sent >= this.#total;
  }

  /** When the next message is due after `sent` were sent, µs (for the sender's timer). */
  nextDueUs(sent: number): number {
    return this.#startUs + sent * this.#gapUs;
  }
}
