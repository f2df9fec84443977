/**
 * The sender's schedule: message k of a stream owns the time slot `start + k × interval`, interval =
 * 8 × size / bitrate (s), for k = 0 … total − 1 where total covers `durationMs`. A timer wakes the
 * sender; each wake sends every message whose slot has passed (a late wake catches up, as iperf3's
 * pacing does, so the mean rate holds), then sleeps until the next slot. Pure: the caller passes the
 * clock's time, so tests assert the schedule, never wall-clock durations.
 *
 * Paced, the schedule is bounded in count (`total`); a wake after the end still sends the slots that
 * fell inside the duration. Unpaced (bitrate null, TCP as fast as it takes): every message is due
 * until the duration ends and the count is bounded by the caller's backpressure; {@link SlotPacer.ended}
 * bounds it in time.
 */

/** What a {@link SlotPacer} paces. */
export interface SlotPacerOptions {
  /** Bytes of every message (the STREAM_DATA frame, header included). */
  size: number;
  /** bit/s over whole messages; null: unpaced. */
  bitrate: number | null;
  /** Sending time, ms. */
  durationMs: number;
  /** The first slot, µs on the caller's clock. */
  startUs: number;
  /** Most messages one wake may send (bounds a catch-up burst; the rest are sent on the next wake). */
  maxBurst?: number;
}

/** Default {@link SlotPacerOptions.maxBurst}: messages per wake. */
export const DEFAULT_MAX_BURST = 256;

/** One stream's slots; see the file comment. */
export class SlotPacer {
  readonly #interval: number | null;
  readonly #start: number;
  readonly #end: number;
  readonly #maxBurst: number;
  /** Messages in the whole schedule; Infinity when unpaced. */
  readonly total: number;
  #sent = 0;

  constructor(opts: SlotPacerOptions) {
    this.#start = opts.startUs;
    this.#end = opts.startUs + opts.durationMs * 1000;
    this.#maxBurst = opts.maxBurst ?? DEFAULT_MAX_BURST;
    this.#interval = opts.bitrate === null ? null : (8 * opts.size * 1e6) / opts.bitrate;
    this.total = this.#interval === null ? Number.POSITIVE_INFINITY : Math.max(1, Math.ceil((opts.durationMs * 1000) / this.#interval));
  }

  /** Messages counted as sent so far. */
  get sent(): number {
    return this.#sent;
  }

  /** The slot of message `k`, µs (the start when unpaced). */
  slotUs(k: number): number {
    return this.#interval === null ? this.#start : this.#start + k * this.#interval;
  }

  /**
   * True once nothing more may be sent: every slot used, or (unpaced) the duration over. A paced
   * sender that wakes late still sends the slots that fell inside the duration.
   */
  ended(nowUs: number): boolean {
    return this.#sent >= this.total || (this.#interval === null && nowUs >= this.#end);
  }

  /** How many messages to send now (0..maxBurst). */
  due(nowUs: number): number {
    if (this.ended(nowUs)) return 0;
    if (this.#interval === null) return this.#maxBurst;
    const passed = Math.min(this.total, Math.floor((nowUs - this.#start) / this.#interval) + 1);
    return Math.max(0, Math.min(this.#maxBurst, passed - this.#sent));
  }

  /** Counts `n` messages as sent. */
  took(n: number): void {
    this.#sent += n;
  }

  /** µs from `nowUs` to the next message's slot (0 when one is due now or unpaced); null once ended. */
  waitUs(nowUs: number): number | null {
    if (this.ended(nowUs)) return null;
    if (this.#interval === null) return 0;
    return Math.max(0, this.slotUs(this.#sent) - nowUs);
  }
}
