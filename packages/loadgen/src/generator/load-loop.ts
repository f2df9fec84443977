/**
 * The load loop of one generator thread: its share of the connections, run through the phases below,
 * composed of named parts. Transport-agnostic (drivers.ts does the I/O) and clock-injectable, so it
 * runs the same inside a worker thread and in a test.
 *
 *   start ──── warm-up ────► measureStart ──── measured ────► measureEnd ── drain (≤ timeout) ──► done
 *              (not recorded)   requests sent here are counted;   no new sends; replies still
 *                               each one ends completed, error    arriving are recorded; the rest
 *                               or timeout                        become timeouts
 *
 * Parts: each connection's in-flight requests (inflight-ring.ts, in loop-connection.ts); when requests
 * leave (schedule.ts: closed-loop.ts or open-loop.ts, chosen once; the open loop's wait, pacing.ts);
 * what is recorded (recorder.ts); the thread watching itself (loop-monitor.ts); the UDP
 * reachability check (reachability-probe.ts); timers (timer-set.ts); building the connections
 * (connection-set.ts); the interval timers (interval-schedule.ts); the timeout sweep's pass
 * (timeout-sweep.ts); counting replies to no request in flight (stray-reply.ts); the options
 * (load-loop-options.ts). What stays here: the phases, the reply path, closing and the sweep's timer.
 */
import { performance } from 'node:perf_hooks';
import type { GrantedBuffers } from '@sockbench/client';
import type { LoadPlan } from '../options.js';
import { ClosedLoop } from './closed-loop.js';
import { addConnections, buffersOf, peersOf } from './connection-set.js';
import type { DriverFactory } from './drivers.js';
import { countUnexpected, type UnexpectedKind } from '../counters.js';
import { LIVE, WARM } from './inflight-ring.js';
import { scheduleIntervals } from './interval-schedule.js';
import type { LoadLoopOptions, LoopHooks } from './load-loop-options.js';
import { openConnections, type ConnectionEvents, type LoopConnection } from './loop-connection.js';
import { LoopMonitor } from './loop-monitor.js';
import { OpenLoop } from './open-loop.js';
import { ReachabilityProbe } from './reachability-probe.js';
import { countStray } from './stray-reply.js';
import type { ThreadFinal } from './messages.js';
import { createRecorder, type Recorder } from './recorder.js';
import { Phase, isDatagram, type Schedule, type ScheduleHost } from './schedule.js';
import { expireOlder, sweepEveryMs } from './timeout-sweep.js';
import { TimerSet, type LoopTimers } from './timer-set.js';

export type { LoadLoopOptions, LoopHooks } from './load-loop-options.js';

/**
 * One thread's load: open its connections, then {@link start} them on a shared start time; it
 * reports an interval every `intervalMs` and a final record once drained.
 */
export class LoadLoop implements ScheduleHost, ConnectionEvents {
  /** This thread's connections. */
  readonly conns: LoopConnection[] = [];
  /** The loop's clock, ms. */
  readonly clock: () => number;
  /** The loop's timers. */
  readonly timers: LoopTimers;
  readonly #plan: LoadPlan;
  readonly #thread: number;
  readonly #open: DriverFactory;
  readonly #intervalMs: number;
  readonly #datagram: boolean;
  readonly #schedule: Schedule;
  readonly #rec: Recorder;
  readonly #monitor = new LoopMonitor();
  readonly #probe = new ReachabilityProbe();
  #phase: Phase = Phase.Idle;
  #hooks: LoopHooks | null = null;
  #measureStart = 0;
  #measureEnd = Number.POSITIVE_INFINITY;
  #sendEnd = 0;
  #connectionsLost = 0;
  /** Measured requests in flight over all connections: the drain ends when this reaches 0. */
  #liveInflight = 0;
  /** Requests sent and replies received since the load started (warm-up included): the server's UDP split. */
  #loadSent = 0;
  #loadReplies = 0;

  constructor(opts: LoadLoopOptions) {
    const plan = opts.plan;
    this.#plan = plan;
    this.#thread = opts.thread;
    this.#open = opts.open;
    this.clock = opts.clock ?? (() => performance.now());
    this.timers = opts.timers ?? new TimerSet(this.clock);
    this.#intervalMs = opts.intervalMs ?? 1000;
    this.#datagram = isDatagram(plan);
    this.#rec = createRecorder(plan.rate !== null, opts.thread, this.clock);
    this.#schedule = plan.rate !== null ? new OpenLoop(this, plan) : new ClosedLoop(this, plan.pipeline ?? 1);
    addConnections(this.conns, this, plan, opts.connections);
  }

  /** The UDP sockets' source addresses (`ip:port`, drivers.ts' `Driver.peer`); empty over TCP and raw. */
  peers(): string[] {
    return peersOf(this.conns);
  }

  /** SO_SNDBUF/SO_RCVBUF the kernel granted the first UDP socket, bytes; null over TCP. */
  buffers(): GrantedBuffers | null {
    return buffersOf(this.conns);
  }

  /** Current phase (see the timeline above). */
  get phase(): Phase {
    return this.#phase;
  }

  /**
   * Opens every connection (at most 64 connects at a time). Over UDP, also checks that the target
   * answers: a datagram target that never replies is unreachable, not 100 % loss.
   * @throws TargetUnreachable, UsageError (e.g. a size over the server's limit)
   */
  async open(): Promise<void> {
    await openConnections(this.conns, this.#open);
    const first = this.conns[0];
    if (!this.#datagram || !first) return;
    await this.#probe.check(this.#plan, () => {
      const id = first.ring.next;
      const now = this.clock();
      this.send(first, now, now, false);
      return id;
    });
  }

  /**
   * Starts load at `startMs` (this thread's clock): warm-up, measuring, drain. Hooks are called
   * once an interval and once at the end.
   */
  start(startMs: number, hooks: LoopHooks): void {
    this.#hooks = hooks;
    const plan = this.#plan;
    this.#measureStart = startMs + plan.warmupMs;
    this.#measureEnd = plan.durationMs !== null ? this.#measureStart + plan.durationMs : Number.POSITIVE_INFINITY;
    this.#schedule.start(startMs, this.#measureStart, this.#measureEnd);
    this.timers.at(startMs, () => this.#begin());
  }

  /**
   * Ends the measured window now (Ctrl-C): no new sends; what is in flight drains as at a normal end,
   * then `done` is called. During the warm-up nothing was measured, so the run ends empty.
   */
  endNow(): void {
    if (this.#phase === Phase.Idle || this.#phase >= Phase.Drain) return;
    const now = this.clock();
    if (this.#phase === Phase.Warmup) {
      this.#measureStart = now;
      this.#rec.begin(now);
    }
    this.#measureEnd = now;
    this.endSending();
  }

  /** Stops everything and closes the connections (after `done`, or to abort). */
  async close(): Promise<void> {
    this.#phase = Phase.Done;
    this.timers.clear();
    this.#monitor.close();
    await Promise.all(this.conns.map((c) => c.driver?.close()));
  }

  #begin(): void {
    // The reachability probe's datagrams came before the server's first snapshot: not counted.
    this.#loadSent = 0;
    this.#loadReplies = 0;
    this.#phase = this.#plan.warmupMs > 0 ? Phase.Warmup : Phase.Measure;
    if (this.#phase === Phase.Measure) this.#beginMeasure();
    else this.timers.at(this.#measureStart, () => this.#beginMeasure());
    this.#schedule.begin();
    this.#sweepLater();
  }

  #beginMeasure(): void {
    if (this.#phase >= Phase.Drain) return;
    this.#phase = Phase.Measure;
    this.#rec.begin(this.#measureStart);
    this.#monitor.start();
    if (this.#measureEnd !== Number.POSITIVE_INFINITY) this.timers.at(this.#measureEnd, () => this.#windowEnded());
    scheduleIntervals(this.timers, this.#measureStart, this.#intervalMs, this.#measureEnd, (at) => {
      if (this.#phase !== Phase.Measure) return false;
      this.#hooks?.interval(this.#rec.cutRaw(at));
      return true;
    });
    this.#schedule.beginMeasure();
    this.quotaSpent();
  }

  /**
   * The window's end: sending stops, unless requests scheduled inside it are still to leave (open
   * loop behind schedule); those get at most one timeout past the end.
   */
  #windowEnded(): void {
    if (this.#phase >= Phase.Drain) return;
    if (this.#schedule.windowEnded(this.clock())) this.endSending();
    else this.timers.at(this.#measureEnd + this.#plan.timeoutMs, () => this.endSending());
  }

  /** Sends the next request of `c` (see {@link ScheduleHost.send}). */
  send(c: LoopConnection, schedAt: number, now: number, measured: boolean): boolean {
    const id = c.ring.push(schedAt, now, measured);
    if (id === 0) return false;
    this.#loadSent++;
    const driver = c.driver!;
    if (measured) {
      this.#liveInflight++;
      // Infinity (no --requests) is a heap number: decrementing it would allocate one per request.
      if (c.quota !== Number.POSITIVE_INFINITY) c.quota--;
      this.#rec.sent(driver.requestBytes, now - schedAt);
    }
    if (!driver.send(id)) c.blocked = true;
    return true;
  }

  /** Ends sending once every live connection has spent its quota (requests mode). */
  quotaSpent(): void {
    if (this.#phase !== Phase.Measure || this.#plan.requests === null) return;
    for (const c of this.conns) if (!c.dead && c.quota > 0) return;
    this.endSending();
  }

  /** No new sends from now: the drain starts (idempotent). */
  endSending(): void {
    if (this.#phase >= Phase.Drain) return;
    this.#phase = Phase.Drain;
    this.#sendEnd = Math.min(this.clock(), this.#measureEnd);
    this.#checkDrained();
  }

  #checkDrained(): void {
    if (this.#phase === Phase.Drain && this.#liveInflight === 0) this.#finish();
  }

  #finish(): void {
    this.#phase = Phase.Done;
    this.timers.clear();
    const last = this.#rec.last();
    this.#hooks?.interval(last);
    const final: ThreadFinal = {
      thread: this.#thread,
      ...this.#rec.histograms(),
      sendEndMs: this.#sendEnd - this.#measureStart,
      drainEndMs: last.endMs,
      ...this.#monitor.stop(this.#schedule.waitingMs),
      connectionsLost: this.#connectionsLost,
      loadSent: this.#loadSent,
      loadReplies: this.#loadReplies,
    };
    this.#hooks?.done(final);
  }

  /** A reply to request `id` of `c` at `at` (ms): settles it, records it, lets the schedule send on. */
  onReply(c: LoopConnection, id: number, at: number, bytes: number, error: string | null): void {
    this.#loadReplies++;
    const st = c.ring.settle(id);
    const rec = this.#rec;
    if (st !== WARM && st !== LIVE) {
      countStray(rec.counters, st);
      return;
    }
    if (this.#datagram) {
      if (id < c.highest) {
        if (st === LIVE) rec.counters.reordered++;
      } else c.highest = id;
    }
    if (st === LIVE) {
      this.#liveInflight--;
      if (error !== null) rec.failed(error);
      else {
        const ring = c.ring;
        const slot = id & ring.mask;
        rec.completed(at, ring.sched[slot]!, ring.sentAt[slot]!, bytes);
      }
    }
    const phase = this.#phase;
    if (phase === Phase.Warmup || phase === Phase.Measure) this.#schedule.replied(c, at);
    else if (phase === Phase.Drain) {
      if (st === LIVE) this.#checkDrained();
    } else if (phase === Phase.Idle && c === this.conns[0]) this.#probe.answered(id);
  }

  /** `c` closed: its measured requests in flight are errors of `code`. */
  onClosed(c: LoopConnection, code: string): void {
    // Before the load and after it nothing is counted; a second close of one connection neither.
    const counted = !c.dead && this.#phase !== Phase.Done && this.#phase !== Phase.Idle;
    if (!c.dead) {
      c.dead = true;
      this.#schedule.closed(c);
    }
    if (!counted) return;
    this.#connectionsLost++;
    this.#rec.counters.connectionsLost++;
    const lost = c.ring.loseAll();
    if (lost > 0) this.#rec.failed(code, lost);
    this.#liveInflight -= lost;
    this.quotaSpent();
    this.#checkDrained();
  }

  /** `c`'s target sent something no request asked for: counted in any phase (a protocol error is one whenever it comes). */
  onUnexpected(_c: LoopConnection, kind: UnexpectedKind): void {
    countUnexpected(this.#rec.counters, kind);
  }

  /** `c` can write again. */
  onDrained(c: LoopConnection): void {
    this.#schedule.drained(c);
  }

  /** Times out requests older than `timeout`, every timeout/4 (at most 100 ms, at least 5 ms: timeout-sweep.ts). */
  #sweepLater(): void {
    this.timers.after(sweepEveryMs(this.#plan.timeoutMs), () => {
      if (this.#phase === Phase.Done) return;
      this.#sweep();
      if ((this.#phase as Phase) !== Phase.Done) this.#sweepLater();
    });
  }

  #sweep(): void {
    const now = this.clock();
    const expired = (live: number): void => {
      this.#rec.timedOut(live);
      this.#liveInflight -= live;
    };
    expireOlder(this.conns, now - this.#plan.timeoutMs, expired, (c) => {
      if (this.#phase !== Phase.Drain) this.#schedule.freed(c, now);
    });
    if (this.#phase === Phase.Drain) this.#checkDrained();
  }
}
