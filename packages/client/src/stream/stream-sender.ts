/**
 * The sender of one stream: STREAM_DATA frames stamped with sequence and `sentUs`, on a
 * {@link DataPath}, on the {@link SlotPacer}'s slots (or as fast as TCP takes them when unpaced), for
 * the session's duration. Bounded in count (the pacer's total) and time (the duration); counts what
 * it sent per second of its own clock.
 */
import { newStreamDataFrame, stampStreamData } from '@sockbench/protocol';
import type { DataPath } from './data-paths.js';
import { SlotPacer } from './slot-pacer.js';

/** One second of the sender's clock from its start. */
export interface SenderInterval {
  /** From the sender's start, ms (a multiple of 1000). */
  startMs: number;
  /** Whole STREAM_DATA frames sent in it, bytes. */
  bytes: number;
  messages: number;
}

/** What a sender sent. */
export interface SenderCounts {
  /** Whole STREAM_DATA frames, bytes. */
  bytes: number;
  messages: number;
  /** 8 × bytes / durationUs × 10^6, bit/s (payload layer: whole frames). */
  bitsPerSec: number;
  /**
   * The sender's elapsed time, µs, as iperf3's sender side divides by the test's time: from its start
   * to its end, the end being the duration's end when it ends by itself (the deadline, or the whole
   * paced schedule sent), the stop's time when {@link RunningSender.stop} ends it first (Ctrl-C), and
   * never before its last send (a late wake's catch-up). A sender held by backpressure for most of the
   * duration thus reports the rate the path took, not its bytes over the few ms it could send.
   * While it runs: up to now.
   */
  durationUs: number;
  intervals: SenderInterval[];
}

/** Timers the sender waits on (tests pass their own with a fake clock). */
export interface SenderTimers {
  /** Calls `fn` after about `ms` ms (0: as soon as I/O allows); returns a cancel function. */
  after(ms: number, fn: () => void): () => void;
}

const NODE_TIMERS: SenderTimers = {
  after(ms, fn) {
    if (ms <= 0) {
      const t = setImmediate(fn);
      return () => clearImmediate(t);
    }
    const t = setTimeout(fn, ms);
    return () => clearTimeout(t);
  },
};

/**
 * Most bytes an unpaced sender writes in one turn of the event loop: it goes on from a drain inside
 * the channel's flush (a write the kernel took whole) until this many, then yields to the loop, so
 * that the process's other sockets (a --bidir down receiver, other sessions) and timers are served.
 */
export const SENDER_TURN_BYTES = 1024 * 1024;

/** What {@link sendStream} sends. */
export interface SendOptions {
  session: number;
  /** Bytes of every frame (header included). */
  size: number;
  /** bit/s over whole frames; null: unpaced (TCP). */
  bitrate: number | null;
  durationMs: number;
  /** µs, monotonic: stamps `sentUs` and drives the pacer. */
  clock: () => number;
  timers?: SenderTimers;
  /** Called once a second of the sender's clock is over, with that second's counts. */
  onInterval?: (iv: SenderInterval) => void;
}

/** A running sender: `done` resolves when the duration is over (or {@link stop}); `counts()` at any time. */
export interface RunningSender {
  readonly done: Promise<SenderCounts>;
  /** Stops early (Ctrl-C); `done` then resolves with what was sent. */
  stop(): void;
  counts(): SenderCounts;
}

/** Starts sending on `path` now. */
export function sendStream(path: DataPath, opts: SendOptions): RunningSender {
  const timers = opts.timers ?? NODE_TIMERS;
  const start = opts.clock();
  const pacer = new SlotPacer({ size: opts.size, bitrate: opts.bitrate, durationMs: opts.durationMs, startUs: start });
  const template = newStreamDataFrame(opts.session, opts.size);
  const intervals: SenderInterval[] = [];
  let bytes = 0;
  let lastUs = start;
  const deadlineUs = start + opts.durationMs * 1000;
  /** Its end on the clock (see {@link SenderCounts.durationUs}); null while it runs. */
  let endUs: number | null = null;
  let blocked = false;
  /** Bytes sent since the loop last woke the sender from a timer (this turn's share). */
  let turnBytes = 0;
  let stopped = false;
  let cancel: (() => void) | null = null;
  let cancelDeadline: (() => void) | null = null;
  let finish!: (c: SenderCounts) => void;
  const done = new Promise<SenderCounts>((resolve) => (finish = resolve));

  const counts = (): SenderCounts => {
    const until = endUs ?? Math.min(opts.clock(), deadlineUs);
    const durationUs = Math.max(0, Math.round(Math.max(lastUs, until) - start));
    return { bytes, messages: pacer.sent, bitsPerSec: durationUs === 0 ? 0 : (8 * bytes * 1e6) / durationUs, durationUs, intervals: intervals.map((iv) => ({ ...iv })) };
  };
  // A send the deadline's last wake makes just past the duration belongs to the last second.
  const lastSecond = Math.max(0, Math.ceil(opts.durationMs / 1000) - 1);
  const count = (at: number): void => {
    const k = Math.min(lastSecond, Math.max(0, Math.floor((at - start) / 1e6)));
    while (intervals.length <= k) {
      const prev = intervals.at(-1);
      if (prev !== undefined) opts.onInterval?.({ ...prev });
      intervals.push({ startMs: intervals.length * 1000, bytes: 0, messages: 0 });
    }
    const iv = intervals[k]!;
    iv.bytes += opts.size;
    iv.messages++;
  };
  /** @param early stopped before the duration's end (Ctrl-C): the end is now, not the deadline */
  const end = (early = false): void => {
    if (stopped) return;
    stopped = true;
    endUs = early ? Math.min(opts.clock(), deadlineUs) : deadlineUs;
    cancel?.();
    cancelDeadline?.();
    const last = intervals.at(-1);
    if (last !== undefined) opts.onInterval?.({ ...last });
    path.finish();
    finish(counts());
  };
  const wake = (): void => {
    cancel = null;
    if (stopped) return;
    let now = opts.clock();
    const n = pacer.due(now);
    // Frames of one wake share one allocation (each frame's bytes stay untouched until written).
    const block = n > 0 ? Buffer.allocUnsafe(n * opts.size) : null;
    for (let i = 0; i < n; i++) {
      const frame = block!.subarray(i * opts.size, (i + 1) * opts.size);
      template.copy(frame);
      stampStreamData(frame, pacer.sent, now);
      pacer.took(1);
      bytes += opts.size;
      turnBytes += opts.size;
      lastUs = now;
      count(now);
      if (!path.send(frame)) {
        blocked = true;
        break;
      }
      if (i % 32 === 31) now = opts.clock();
    }
    now = opts.clock();
    if (pacer.ended(now)) return end();
    if (blocked) return; // the drain wakes it
    const waitUs = pacer.waitUs(now);
    if (waitUs === null) return end();
    // Timer slots as wrk2's: a wait under 1 ms is rounded up to 1 ms, never to 0 (a setImmediate
    // loop spinning a core at 75 µs slots); the wake sends every slot that passed in one burst.
    cancel = timers.after(waitUs <= 0 ? 0 : Math.max(1, Math.ceil(waitUs / 1000)), wakeNextTurn);
  };
  const wakeNextTurn = (): void => {
    turnBytes = 0;
    wake();
  };
  // The drain may come from inside the channel's flush (a write the kernel took whole), on the
  // same tick: waking there again and again while the kernel keeps up would never let the event loop
  // poll, starving every other socket of this process (a --bidir down receiver, the other sessions)
  // and the deadline timer. Past SENDER_TURN_BYTES this turn, the next burst waits for the next turn.
  path.onDrain(() => {
    if (!blocked) return;
    blocked = false;
    if (cancel !== null || stopped) return;
    if (turnBytes < SENDER_TURN_BYTES) wake();
    else cancel = timers.after(0, wakeNextTurn);
  });
  // The duration bounds the sender even while backpressure holds it (what the link did not take was
  // not sent, as with iperf3's blocking socket). At the deadline a sender that is not held sends the
  // slots a late timer left due (all inside the duration), then ends. A timer measures from the
  // loop's cached time, which can lag the clock: one that fires before the duration is over on the
  // clock is armed again for the rest.
  const deadline = (): void => {
    cancelDeadline = null;
    const leftUs = opts.durationMs * 1000 - (opts.clock() - start);
    if (leftUs > 0 && !stopped) {
      cancelDeadline = timers.after(Math.max(1, Math.ceil(leftUs / 1000)), deadline);
      return;
    }
    if (!blocked && !stopped) wake();
    end();
  };
  cancelDeadline = timers.after(opts.durationMs, deadline);
  wakeNextTurn();
  return {
    done,
    stop: () => end(true),
    counts,
  };
}
