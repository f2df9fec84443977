/**
 * The load loop of one generator thread: its share of the connections, their schedules, and the
 * recording. Transport-agnostic (drivers.ts does the I/O) and clock-injectable, so it runs the same
 * inside a worker thread and in a test.
 *
 * Timeline (ms on this thread's clock):
 *
 *   start ──── warm-up ────► measureStart ──── measured ────► measureEnd ── drain (≤ timeout) ──► done
 *              (not recorded)   requests sent here are counted;   no new sends; replies still
 *                               each one ends completed, error    arriving are recorded; the rest
 *                               or timeout                        become timeouts
 *
 * Per connection, requests in flight live in a ring indexed by `id & mask` (ids are per-connection
 * sequence numbers 1, 2, 3, …; over UDP they are what loss, reorder and duplicates are computed from):
 *
 *   ids[]     request id held by the slot
 *   sched[]   scheduled send time (open loop) or actual send time (closed loop), ms
 *   sentAt[]  actual send time, ms
 *   state[]   FREE | WARM (in flight, warm-up) | LIVE (in flight, measured) | DONE (answered) | LOST (timed out)
 *
 * Closed loop (`pipeline` K): each connection keeps K requests in flight; latency = reply − send.
 * Open loop (`rate` R): connection i of C sends at start + (i/C + k)·C/R ms, so the C schedules
 * interleave evenly and never fire together; latency = reply − scheduled time (coordinated omission
 * corrected, as wrk2 does), and reply − actual send is recorded apart as the uncorrected service time.
 * Over TCP a connection keeps one request in flight (wrk2's model: a request that cannot leave on time
 * waits, and the wait counts against its latency); over UDP requests leave on schedule whatever is in
 * flight, since a lost datagram must not hold back the next.
 */
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { countError, emptyCounters, type Counters } from '../counters.js';
import { TargetUnreachable } from '../errors.js';
import { HIGHEST_US, createHistogram, encodeHistogram, recordClamped, type Histogram } from '../histogram.js';
import { shareOf, type LoadPlan } from '../options.js';
import { type Driver, type DriverFactory, type ReplySink } from './drivers.js';

/** Sampling period of the event-loop delay monitor, ms; each sample is period + delay, so it is subtracted. */
const LOOP_DELAY_RESOLUTION_MS = 10;

const FREE = 0;
const WARM = 1;
const LIVE = 2;
const DONE = 3;
const LOST = 4;

const enum Phase {
  Idle,
  Warmup,
  Measure,
  Drain,
  Done,
}

/** One second of one thread, as sent to the main thread. Times in ms from the start of measuring. */
export interface ThreadInterval {
  thread: number;
  index: number;
  startMs: number;
  endMs: number;
  counters: Counters;
  /** Latencies completed in the interval (open loop: corrected), compressed HdrHistogram, µs. */
  histogram: string;
}

/** What a thread sends when it is done (after its last interval). */
export interface ThreadFinal {
  thread: number;
  /** Open loop: uncorrected service time, compressed, µs; null in closed loop. */
  uncorrected: string | null;
  /** Open loop: send slip behind schedule, compressed, µs; null in closed loop. */
  slip: string | null;
  /** End of sending, ms from the start of measuring. */
  sendEndMs: number;
  /** End of the drain, ms from the start of measuring. */
  drainEndMs: number;
  loopDelayMs: { p50: number; p99: number; max: number };
  /** Event-loop utilization over the measured window and drain, 0..1. */
  utilization: number;
  /** Connections that closed during the run. */
  connectionsLost: number;
}

/** Callbacks the loop reports through. */
export interface LoopHooks {
  interval(iv: ThreadInterval): void;
  done(final: ThreadFinal): void;
}

/** Options of {@link LoadLoop}. */
export interface LoadLoopOptions {
  plan: LoadPlan;
  /** This thread's index. */
  thread: number;
  /** Global indices `[start, end)` of the connections this thread owns. */
  connections: [number, number];
  /** Opens one connection. */
  open: DriverFactory;
  /** Monotonic clock, ms (default performance.now). Driver receive times must use the same clock. */
  clock?: () => number;
  /** Interval length, ms (default 1000). */
  intervalMs?: number;
}

/** Ring capacity for a connection: a power of two, at least twice what may be in flight. */
function ringCapacity(plan: LoadPlan, perConnRate: number): number {
  let want = 16;
  if (plan.pipeline !== null) want = Math.max(want, 2 * plan.pipeline);
  else want = Math.max(want, Math.ceil((2 * perConnRate * plan.timeoutMs) / 1000) + 2);
  let cap = 16;
  while (cap < want && cap < 1 << 20) cap <<= 1;
  return cap;
}

class Conn implements ReplySink {
  driver: Driver | null = null;
  readonly ids: Uint32Array;
  readonly sched: Float64Array;
  readonly sentAt: Float64Array;
  readonly state: Uint8Array;
  readonly mask: number;
  nextId = 1;
  /** Oldest id that may still be in flight (timeout sweep start). */
  tail = 1;
  inflight = 0;
  /** Highest id answered so far (datagram reorder detection). */
  highest = 0;
  /** Measured requests left to send (requests mode), else Infinity. */
  quota: number;
  /** Open loop: next scheduled send time, ms. */
  due = 0;
  blocked = false;
  dead = false;
  finished = false;
  readonly loop: LoadLoop;
  readonly index: number;

  constructor(loop: LoadLoop, index: number, capacity: number, quota: number) {
    this.loop = loop;
    this.index = index;
    this.ids = new Uint32Array(capacity);
    this.sched = new Float64Array(capacity);
    this.sentAt = new Float64Array(capacity);
    this.state = new Uint8Array(capacity);
    this.mask = capacity - 1;
    this.quota = quota;
  }

  reply(id: number, atMs: number, bytes: number, error: string | null): void {
    this.loop.onReply(this, id, atMs, bytes, error);
  }

  closed(code: string): void {
    this.loop.onClosed(this, code);
  }

  drained(): void {
    this.blocked = false;
    this.loop.onDrained(this);
  }
}

/**
 * One thread's load: open its connections, then {@link start} them on a shared start time; it
 * reports an interval every second and a final record once drained.
 */
export class LoadLoop {
  readonly #plan: LoadPlan;
  readonly #thread: number;
  readonly #conns: Conn[] = [];
  readonly #open: DriverFactory;
  readonly #clock: () => number;
  readonly #intervalMs: number;
  readonly #datagram: boolean;
  readonly #openLoop: boolean;
  /** Open loop: per-connection schedule interval, ms. */
  readonly #period: number;
  readonly #maxInflight: number;
  #phase = Phase.Idle;
  #hooks: LoopHooks | null = null;
  #measureStart = 0;
  #measureEnd = Infinity;
  #sendEnd = 0;
  #ivIndex = 0;
  #ivStart = 0;
  #iv: Counters = emptyCounters();
  #ivHist: Histogram = createHistogram();
  /**
   * Run-length cache in front of #ivHist: equal latencies in a row (the replies of one chunk to the
   * requests of one top-up are all equal) go in with one recordValueWithCount. Value in whole µs.
   */
  #runValue = -1;
  #runCount = 0;
  readonly #uncorrected: Histogram | null;
  readonly #slip: Histogram | null;
  #timers = new Set<NodeJS.Timeout>();
  #tickPending = false;
  #immediate: NodeJS.Immediate | null = null;
  #connectionsLost = 0;
  /** Measured requests in flight over all connections: the drain ends when this reaches 0. */
  #liveInflight = 0;
  #loopDelay = monitorEventLoopDelay({ resolution: LOOP_DELAY_RESOLUTION_MS });
  #elu = performance.eventLoopUtilization();
  #probe: { conn: Conn; id: number; resolve: () => void } | null = null;

  constructor(opts: LoadLoopOptions) {
    const plan = opts.plan;
    this.#plan = plan;
    this.#thread = opts.thread;
    this.#open = opts.open;
    this.#clock = opts.clock ?? (() => performance.now());
    this.#intervalMs = opts.intervalMs ?? 1000;
    this.#datagram = plan.transport === 'udp' || plan.transport === 'raw-udp';
    this.#openLoop = plan.rate !== null;
    this.#period = plan.rate !== null ? (1000 * plan.connections) / plan.rate : 0;
    this.#maxInflight = plan.pipeline ?? (this.#datagram ? Number.POSITIVE_INFINITY : 1);
    this.#uncorrected = this.#openLoop ? createHistogram() : null;
    this.#slip = this.#openLoop ? createHistogram() : null;
    const perConnRate = plan.rate !== null ? plan.rate / plan.connections : 0;
    const cap = ringCapacity(plan, perConnRate);
    const [a, b] = opts.connections;
    for (let i = a; i < b; i++) {
      const quota = plan.requests !== null ? shareOf(plan.requests, i, plan.connections) : Number.POSITIVE_INFINITY;
      this.#conns.push(new Conn(this, i, cap, quota));
    }
  }

  /** Number of connections this thread owns. */
  get connectionCount(): number {
    return this.#conns.length;
  }

  /**
   * Opens every connection (at most 64 connects at a time). Over UDP, also checks that the target
   * answers: a datagram target that never replies is unreachable, not 100 % loss.
   * @throws TargetUnreachable, UsageError (e.g. a size over the server's limit)
   */
  async open(): Promise<void> {
    const batch = 64;
    for (let i = 0; i < this.#conns.length; i += batch) {
      await Promise.all(
        this.#conns.slice(i, i + batch).map(async (c) => {
          c.driver = await this.#open(c);
        }),
      );
    }
    const first = this.#conns[0];
    if (this.#datagram && first) await this.#probeTarget(first);
  }

  async #probeTarget(c: Conn): Promise<void> {
    const waitMs = Math.max(200, Math.min(this.#plan.timeoutMs, 1000));
    for (let attempt = 0; attempt < 3; attempt++) {
      const id = c.nextId;
      const answered = new Promise<boolean>((resolve) => {
        const t = setTimeout(() => resolve(false), waitMs);
        this.#probe = { conn: c, id, resolve: () => (clearTimeout(t), resolve(true)) };
      });
      this.#send(c, this.#clock(), this.#clock(), false);
      if (await answered) {
        this.#probe = null;
        return;
      }
    }
    this.#probe = null;
    throw new TargetUnreachable(this.#plan.host, this.#plan.port, 'ETIMEDOUT', `no reply to 3 ${this.#plan.transport} probes within ${waitMs} ms each`);
  }

  /**
   * Starts load at `startMs` (this thread's clock): warm-up, measuring, drain. Hooks are called
   * once a second and once at the end.
   */
  start(startMs: number, hooks: LoopHooks): void {
    this.#hooks = hooks;
    const plan = this.#plan;
    this.#measureStart = startMs + plan.warmupMs;
    this.#measureEnd = plan.durationMs !== null ? this.#measureStart + plan.durationMs : Number.POSITIVE_INFINITY;
    for (const c of this.#conns) {
      // Connection i of C fires at i/C of the period: the C schedules interleave, never in step.
      c.due = startMs + (this.#period * c.index) / plan.connections;
    }
    this.#at(startMs, () => this.#begin());
  }

  /**
   * Ends the measured window now (Ctrl-C): no new sends; what is in flight drains as at a normal end,
   * then `done` is called. During the warm-up nothing was measured, so the run ends empty.
   */
  endNow(): void {
    if (this.#phase === Phase.Idle || this.#phase >= Phase.Drain) return;
    const now = this.#clock();
    if (this.#phase === Phase.Warmup) {
      this.#measureStart = now;
      this.#ivStart = now;
    }
    this.#measureEnd = now;
    this.#endSending();
  }

  /** Stops everything and closes the connections (after `done`, or to abort). */
  async close(): Promise<void> {
    this.#phase = Phase.Done;
    for (const t of this.#timers) clearTimeout(t);
    this.#timers.clear();
    if (this.#immediate) clearImmediate(this.#immediate);
    this.#loopDelay.disable();
    await Promise.all(this.#conns.map((c) => c.driver?.close()));
  }

  #at(when: number, fn: () => void): void {
    const t = setTimeout(() => {
      this.#timers.delete(t);
      fn();
    }, Math.max(0, Math.ceil(when - this.#clock())));
    this.#timers.add(t);
  }

  #begin(): void {
    this.#phase = this.#plan.warmupMs > 0 ? Phase.Warmup : Phase.Measure;
    if (this.#phase === Phase.Measure) this.#beginMeasure();
    else this.#at(this.#measureStart, () => this.#beginMeasure());
    if (this.#openLoop) this.#tick();
    else for (const c of this.#conns) this.#fill(c);
    this.#sweepLater();
  }

  #beginMeasure(): void {
    if (this.#phase >= Phase.Drain) return;
    this.#phase = Phase.Measure;
    this.#ivStart = this.#measureStart;
    this.#loopDelay.enable();
    this.#elu = performance.eventLoopUtilization();
    if (this.#measureEnd !== Number.POSITIVE_INFINITY) this.#at(this.#measureEnd, () => this.#endSending());
    this.#scheduleInterval();
    // Closed loop connections are already full from the warm-up; with no warm-up they start here.
    if (!this.#openLoop) for (const c of this.#conns) this.#fill(c);
    this.#checkAllFinished();
  }

  #scheduleInterval(): void {
    const next = this.#measureStart + (this.#ivIndex + 1) * this.#intervalMs;
    if (next >= this.#measureEnd) return;
    this.#at(next, () => {
      if (this.#phase !== Phase.Measure) return;
      this.#emitInterval(next);
      this.#scheduleInterval();
    });
  }

  /** Records the cached run of equal latencies. */
  #flushRun(): void {
    if (this.#runCount > 0) this.#ivHist.recordValueWithCount(this.#runValue, this.#runCount);
    this.#runValue = -1;
    this.#runCount = 0;
  }

  #emitInterval(endAt: number): void {
    this.#flushRun();
    const iv: ThreadInterval = {
      thread: this.#thread,
      index: this.#ivIndex,
      startMs: this.#ivStart - this.#measureStart,
      endMs: endAt - this.#measureStart,
      counters: this.#iv,
      histogram: encodeHistogram(this.#ivHist),
    };
    this.#ivIndex++;
    this.#ivStart = endAt;
    this.#iv = emptyCounters();
    this.#ivHist.reset();
    this.#hooks?.interval(iv);
  }

  #endSending(): void {
    if (this.#phase >= Phase.Drain) return;
    this.#phase = Phase.Drain;
    this.#sendEnd = Math.min(this.#clock(), this.#measureEnd);
    this.#checkDrained();
  }

  #checkAllFinished(): void {
    if (this.#phase !== Phase.Measure || this.#plan.requests === null) return;
    for (const c of this.#conns) if (!c.dead && c.quota > 0) return;
    this.#endSending();
  }

  #checkDrained(): void {
    if (this.#phase === Phase.Drain && this.#liveInflight === 0) this.#finish();
  }

  #finish(): void {
    this.#phase = Phase.Done;
    const now = this.#clock();
    for (const t of this.#timers) clearTimeout(t);
    this.#timers.clear();
    this.#emitInterval(now);
    const elu = performance.eventLoopUtilization(this.#elu);
    const ld = this.#loopDelay;
    const ms = (ns: number): number => (Number.isFinite(ns) && ns > 0 ? Math.max(0, ns / 1e6 - LOOP_DELAY_RESOLUTION_MS) : 0);
    const final: ThreadFinal = {
      thread: this.#thread,
      uncorrected: this.#uncorrected ? encodeHistogram(this.#uncorrected) : null,
      slip: this.#slip ? encodeHistogram(this.#slip) : null,
      sendEndMs: this.#sendEnd - this.#measureStart,
      drainEndMs: now - this.#measureStart,
      loopDelayMs: { p50: ms(ld.percentile(50)), p99: ms(ld.percentile(99)), max: ms(ld.max) },
      utilization: elu.utilization,
      connectionsLost: this.#connectionsLost,
    };
    ld.disable();
    this.#hooks?.done(final);
  }

  /** Closed loop: tops a connection up to `pipeline` requests in flight. */
  #fill(c: Conn): void {
    if (this.#openLoop) return;
    const p = this.#phase;
    if (p !== Phase.Warmup && p !== Phase.Measure) return;
    // One clock read for the whole top-up: these requests leave together, in one write.
    const now = this.#clock();
    const measured = p === Phase.Measure;
    while (!c.dead && !c.blocked && c.inflight < this.#maxInflight) {
      if (measured && c.quota <= 0) {
        this.#checkAllFinished();
        return;
      }
      if (!this.#send(c, now, now, measured)) return;
    }
  }

  /**
   * Sends the next request of `c`, scheduled at `schedAt`. Returns false when the ring is full (the
   * oldest slot is still in flight).
   */
  #send(c: Conn, schedAt: number, now: number, measured: boolean): boolean {
    const id = c.nextId;
    const slot = id & c.mask;
    const st = c.state[slot]!;
    if (st === WARM || st === LIVE) return false;
    c.ids[slot] = id;
    c.sched[slot] = schedAt;
    c.sentAt[slot] = now;
    c.state[slot] = measured ? LIVE : WARM;
    c.nextId = id === 0xffff_ffff ? 1 : id + 1;
    c.inflight++;
    const driver = c.driver!;
    if (measured) {
      const iv = this.#iv;
      this.#liveInflight++;
      iv.sent++;
      iv.bytesSent += driver.requestBytes;
      c.quota--;
      if (this.#slip !== null) iv.clamped += recordClamped(this.#slip, (now - schedAt) * 1000);
    }
    if (!driver.send(id)) c.blocked = true;
    return true;
  }

  /** Open loop: sends everything due on every connection, then sleeps until the next due time. */
  readonly #tick = (): void => {
    this.#tickPending = false;
    this.#immediate = null;
    const p = this.#phase;
    if (p !== Phase.Warmup && p !== Phase.Measure) return;
    const now = this.#clock();
    let next = Number.POSITIVE_INFINITY;
    let waiting = false;
    let active = false;
    for (const c of this.#conns) {
      this.#pump(c, now);
      if (c.finished || c.dead) continue;
      active = true;
      if (c.due <= now) waiting = true; // blocked by backpressure or in-flight limit: a reply or drain re-pumps it
      else if (c.due < next) next = c.due;
    }
    if (!active) {
      this.#endSending();
      return;
    }
    if (next === Number.POSITIVE_INFINITY) {
      if (waiting) this.#wake(now + 1);
      return;
    }
    this.#wake(next);
  };

  #wake(when: number): void {
    if (this.#tickPending) return;
    this.#tickPending = true;
    const delay = when - this.#clock();
    // setTimeout cannot wait less than 1 ms; a sooner send goes on the next turn of the loop.
    if (delay < 1) this.#immediate = setImmediate(this.#tick);
    else {
      const t = setTimeout(() => {
        this.#timers.delete(t);
        this.#tick();
      }, Math.floor(delay));
      this.#timers.add(t);
    }
  }

  /** Open loop: sends the requests of `c` that are due by `now`, as far as the in-flight limit allows. */
  #pump(c: Conn, now: number): void {
    while (!c.dead && !c.blocked && !c.finished && c.due <= now && c.inflight < this.#maxInflight) {
      const due = c.due;
      if (due >= this.#measureEnd) {
        c.finished = true;
        return;
      }
      const measured = due >= this.#measureStart;
      if (measured && c.quota <= 0) {
        c.finished = true;
        return;
      }
      if (!this.#send(c, due, now, measured)) return;
      c.due = due + this.#period;
    }
  }

  /** Called by a connection for every reply. */
  onReply(c: Conn, id: number, at: number, bytes: number, error: string | null): void {
    const slot = id & c.mask;
    const iv = this.#iv;
    if (c.ids[slot] !== id) {
      iv.late++;
      return;
    }
    const st = c.state[slot]!;
    if (st === DONE) {
      iv.duplicates++;
      return;
    }
    if (st === LOST) {
      iv.late++;
      return;
    }
    if (st === FREE) return;
    c.state[slot] = DONE;
    c.inflight--;
    if (this.#datagram) {
      if (id < c.highest) {
        if (st === LIVE) iv.reordered++;
      } else c.highest = id;
    }
    if (st === LIVE) {
      this.#liveInflight--;
      if (error !== null) {
        countError(iv, error);
      } else {
        iv.completed++;
        iv.bytesReceived += bytes;
        const us = (at - c.sched[slot]!) * 1000;
        const v = us > 0 ? Math.round(us) : 0;
        if (v === this.#runValue) this.#runCount++;
        else if (v <= HIGHEST_US) {
          this.#flushRun();
          this.#runValue = v;
          this.#runCount = 1;
        } else iv.clamped += recordClamped(this.#ivHist, us);
        if (this.#uncorrected !== null) recordClamped(this.#uncorrected, (at - c.sentAt[slot]!) * 1000);
      }
    }
    if (this.#probe !== null && this.#probe.conn === c && this.#probe.id === id) this.#probe.resolve();
    this.#advanceTail(c);
    const phase = this.#phase;
    if (phase === Phase.Drain) {
      if (st === LIVE) this.#checkDrained();
      return;
    }
    if (phase !== Phase.Warmup && phase !== Phase.Measure) return;
    if (this.#openLoop) {
      if (c.due <= at) {
        this.#pump(c, this.#clock());
        if (c.due <= this.#clock()) this.#wake(this.#clock());
      }
    } else this.#fill(c);
  }

  #advanceTail(c: Conn): void {
    while (c.tail !== c.nextId) {
      const st = c.state[c.tail & c.mask]!;
      if (st === WARM || st === LIVE) return;
      c.tail = c.tail === 0xffff_ffff ? 1 : c.tail + 1;
    }
  }

  /** Called when a connection closes: its requests in flight are lost with `code`. */
  onClosed(c: Conn, code: string): void {
    if (c.dead || this.#phase === Phase.Done || this.#phase === Phase.Idle) {
      c.dead = true;
      return;
    }
    c.dead = true;
    this.#connectionsLost++;
    this.#iv.connectionsLost++;
    for (let id = c.tail; id !== c.nextId; id = id === 0xffff_ffff ? 1 : id + 1) {
      const slot = id & c.mask;
      const st = c.state[slot];
      if (st === LIVE) {
        countError(this.#iv, code);
        this.#liveInflight--;
      }
      if (st === LIVE || st === WARM) {
        c.state[slot] = LOST;
        c.inflight--;
      }
    }
    c.tail = c.nextId;
    this.#checkAllFinished();
    this.#checkDrained();
  }

  /** Called when a connection can send again after backpressure. */
  onDrained(c: Conn): void {
    if (this.#openLoop) this.#wake(this.#clock());
    else this.#fill(c);
  }

  /** Times out requests older than `timeout`, every timeout/4 (at most 100 ms, at least 5 ms). */
  #sweepLater(): void {
    const every = Math.min(100, Math.max(5, this.#plan.timeoutMs / 4));
    const t = setTimeout(() => {
      this.#timers.delete(t);
      if (this.#phase === Phase.Done) return;
      this.#sweep();
      if ((this.#phase as Phase) !== Phase.Done) this.#sweepLater();
    }, every);
    this.#timers.add(t);
  }

  #sweep(): void {
    const now = this.#clock();
    const deadline = now - this.#plan.timeoutMs;
    let freed = false;
    for (const c of this.#conns) {
      if (c.dead) continue;
      while (c.tail !== c.nextId) {
        const slot = c.tail & c.mask;
        const st = c.state[slot]!;
        if (st === WARM || st === LIVE) {
          if (c.sentAt[slot]! > deadline) break;
          if (st === LIVE) {
            this.#iv.timeouts++;
            this.#liveInflight--;
          }
          c.state[slot] = LOST;
          c.inflight--;
          freed = true;
        }
        c.tail = c.tail === 0xffff_ffff ? 1 : c.tail + 1;
      }
      if (freed && !this.#openLoop) this.#fill(c);
    }
    if (this.#phase === Phase.Drain) this.#checkDrained();
    else if (freed && this.#openLoop) this.#wake(now);
  }
}
