/**
 * What one generator thread records: per interval its counters and latency histogram, over the whole
 * run (open loop only) the uncorrected service time and the send slip behind schedule. Latency is
 * counted from the scheduled send time (wrk2's `response_complete`: coordinated omission corrected);
 * in closed loop that is the actual send time. Times in ms on the thread's clock, histograms in µs.
 *
 * The closed-loop and open-loop recorders are two classes chosen once per thread (see
 * {@link createRecorder}), so recording a reply carries no test for the loop kind.
 */
import { countError, emptyCounters, type Counters } from '../counters.js';
import { HIGHEST_US, countsOf, createHistogram, encodeHistogram, histogramOfCounts, recordClamped, type Histogram } from '../histogram.js';

/** One interval of one thread, as sent to the main thread. Times in ms from the start of measuring. */
export interface ThreadInterval {
  thread: number;
  index: number;
  startMs: number;
  endMs: number;
  counters: Counters;
  /** Latencies completed in the interval (open loop: corrected), compressed HdrHistogram, µs. */
  histogram: string;
}

/**
 * One interval of one thread as the thread hands it off: the histogram as its bucket counts
 * (histogram.ts' `countsOf`), so the thread copies an array once a second and the main thread
 * encodes it ({@link encodeInterval}); the encoding (0.4–0.5 ms a second, ~12 ms the first time)
 * stays off the loop that stamps replies.
 */
export interface RawInterval extends Omit<ThreadInterval, 'histogram'> {
  /** Latencies completed in the interval, bucket counts of the standard histogram (µs). */
  counts: Uint32Array<ArrayBuffer>;
}

/** A handed-off interval with its histogram compressed: the same bytes the thread's histogram encodes to. */
export function encodeInterval(raw: RawInterval): ThreadInterval {
  const { counts, ...rest } = raw;
  return { ...rest, histogram: encodeHistogram(histogramOfCounts(counts)) };
}

/** The whole-run histograms of a thread, compressed; null in closed loop. */
export interface RunHistograms {
  /** Uncorrected service time (reply − actual send), µs. */
  uncorrected: string | null;
  /** Send slip behind schedule (actual − scheduled send), µs. */
  slip: string | null;
}

/** Records one thread's requests (closed loop: latency = reply − send). */
export class Recorder {
  /** Counters of the current interval: callers count late, duplicate, reordered, … replies here directly. */
  counters: Counters = emptyCounters();
  readonly #thread: number;
  readonly #clock: () => number;
  readonly #hist: Histogram = createHistogram();
  /**
   * Run-length cache in front of #hist: equal latencies in a row (the replies of one chunk to the
   * requests of one top-up are all equal) go in with one recordValueWithCount. Value in whole µs.
   */
  #runValue = -1;
  #runCount = 0;
  #origin = 0;
  #index = 0;
  #start = 0;

  /** @param clock the thread's monotonic clock, ms: it stamps the end of the last interval */
  constructor(thread: number, clock: () => number) {
    this.#thread = thread;
    this.#clock = clock;
  }

  /** Measuring starts at `atMs`: interval times count from here; the first interval starts here. */
  begin(atMs: number): void {
    this.#origin = atMs;
    this.#start = atMs;
  }

  /** A measured request of `bytes` left; `slipMs` = actual − scheduled send (0 in closed loop). */
  sent(bytes: number, _slipMs: number): void {
    const iv = this.counters;
    iv.sent++;
    iv.bytesSent += bytes;
  }

  /** A measured request was answered with its reply of `bytes` at `atMs`; it was scheduled at `schedMs` and sent at `sentMs`. */
  completed(atMs: number, schedMs: number, _sentMs: number, bytes: number): void {
    const iv = this.counters;
    iv.completed++;
    iv.bytesReceived += bytes;
    const us = (atMs - schedMs) * 1000;
    const v = us > 0 ? Math.round(us) : 0;
    if (v === this.#runValue) this.#runCount++;
    else if (v <= HIGHEST_US) {
      this.#flushRun();
      this.#runValue = v;
      this.#runCount = 1;
    } else iv.clamped += recordClamped(this.#hist, us);
  }

  /** `n` measured requests ended with `code` (an ERROR reply's name, or their connection's loss code). */
  failed(code: string, n = 1): void {
    countError(this.counters, code, n);
  }

  /** `n` measured requests timed out. */
  timedOut(n: number): void {
    this.counters.timeouts += n;
  }

  /**
   * Ends the current interval at `endMs` (ms on the thread's clock) and starts the next there; the
   * histogram leaves as counts (one copy, no encoding: see {@link RawInterval}).
   */
  cutRaw(endMs: number): RawInterval {
    this.#flushRun();
    const iv: RawInterval = {
      thread: this.#thread,
      index: this.#index,
      startMs: this.#start - this.#origin,
      endMs: endMs - this.#origin,
      counters: this.counters,
      counts: countsOf(this.#hist),
    };
    this.#index++;
    this.#start = endMs;
    this.counters = emptyCounters();
    this.#hist.reset();
    return iv;
  }

  /** {@link cutRaw}, encoded: the interval as the main thread holds it. */
  cut(endMs: number): ThreadInterval {
    return encodeInterval(this.cutRaw(endMs));
  }

  /** Ends the last interval now (on the clock); its `endMs` is the end of the run's recording. */
  last(): RawInterval {
    return this.cutRaw(this.#clock());
  }

  /** The whole-run histograms (null in closed loop). */
  histograms(): RunHistograms {
    return { uncorrected: null, slip: null };
  }

  /** Records the cached run of equal latencies. */
  #flushRun(): void {
    if (this.#runCount > 0) this.#hist.recordValueWithCount(this.#runValue, this.#runCount);
    this.#runValue = -1;
    this.#runCount = 0;
  }
}

/**
 * Open loop: also the uncorrected service time (reply − actual send) and the send slip behind
 * schedule, over the whole run (wrk2 keeps the same pair: `latency_histogram`, `u_latency_histogram`).
 */
export class OpenLoopRecorder extends Recorder {
  readonly #uncorrected: Histogram = createHistogram();
  readonly #slip: Histogram = createHistogram();

  override sent(bytes: number, slipMs: number): void {
    super.sent(bytes, slipMs);
    this.counters.clamped += recordClamped(this.#slip, slipMs * 1000);
  }

  override completed(atMs: number, schedMs: number, sentMs: number, bytes: number): void {
    super.completed(atMs, schedMs, sentMs, bytes);
    recordClamped(this.#uncorrected, (atMs - sentMs) * 1000);
  }

  override histograms(): RunHistograms {
    return { uncorrected: encodeHistogram(this.#uncorrected), slip: encodeHistogram(this.#slip) };
  }
}

/** The recorder of a loop kind: {@link OpenLoopRecorder} when `openLoop`, else {@link Recorder}. */
export function createRecorder(openLoop: boolean, thread: number, clock: () => number): Recorder {
  return openLoop ? new OpenLoopRecorder(thread, clock) : new Recorder(thread, clock);
}
