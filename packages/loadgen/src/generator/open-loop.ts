/**
 * Open loop (`--rate R` over C connections): connection i of C sends at start + (i/C + k)·C/R ms, so
 * the C schedules interleave evenly and never fire together. A request that cannot leave on time
 * leaves as soon as it can, still carrying its scheduled time: latency counts from the schedule
 * (coordinated omission corrected, as wrk2 does) and the lateness is recorded as send slip. Over TCP
 * a connection keeps one request in flight (wrk2's model: a request that cannot leave waits, and the
 * wait counts against its latency); over UDP requests leave on schedule whatever is in flight, since
 * a lost datagram must not hold back the next.
 *
 * How a thread waits for the next send is its {@link Pacer} (`--pacing`, pacing.ts). A busy wait
 * (spin pacing) keeps the event loop busy without doing work, so the loop counts it apart
 * ({@link OpenLoop.waitingMs}): from the start of a busy wait to the first thing that happens in it
 * (a reply, by its receive time; a drain or a timeout) is the pacer's waiting, and from there to the
 * next tick is work. A wait in which nothing happens is waiting throughout, the ticks in it that
 * send nothing included. The first event's time is the one its driver stamps when its callback runs,
 * not the start of the turn it came in: a thread the OS set aside mid-wait on a shared machine finds
 * replies waiting once it runs again, and the time it was away was no work. The loop's own timers
 * (the per-second interval, the timeout sweep) are not seen here: their work inside a wait counts
 * as waiting, well under 1 % of the time.
 *
 * A tick finds what is due in a heap of the connections by due time (due-heap.ts), so it costs what
 * it sends, not a scan of every connection. A connection leaves the heap while it waits for an
 * event (a reply under the in-flight limit, a drain, the sweep) and comes back with it; it leaves
 * for good once finished or closed, and the loop's sending ends when none is left.
 */
import type { LoadPlan } from '../options.js';
import { DueHeap } from './due-heap.js';
import type { LoopConnection } from './loop-connection.js';
import { DEFAULT_PACING, createPacer, type Pacer } from './pacing.js';
import { Phase, isDatagram, type Schedule, type ScheduleHost } from './schedule.js';

/** Open-loop pacer: sends what is due on every connection, then sleeps until the next due time. */
export class OpenLoop implements Schedule {
  readonly #host: ScheduleHost;
  readonly #connections: number;
  /** Per-connection schedule interval, ms. */
  readonly #period: number;
  readonly #maxInflight: number;
  readonly #pacer: Pacer;
  /** Connections whose next send waits only for its time, by due time. */
  readonly #heap = new DueHeap<LoopConnection>();
  /** Connections neither finished nor closed. */
  #active = 0;
  #tickPending = false;
  /** When the pending tick's busy wait began (clock ms), or −1 when the pending tick is not a busy wait. */
  #spinFrom = -1;
  /** Something was sent, or a reply, drain or timeout came, since {@link #spinFrom}. */
  #worked = false;
  /** When the first of those came (clock ms). */
  #workFrom = 0;
  #waitingMs = 0;
  #measureStart = 0;
  #measureEnd = Number.POSITIVE_INFINITY;

  /** @param plan an open-loop plan (`rate` set) */
  constructor(host: ScheduleHost, plan: LoadPlan) {
    this.#host = host;
    this.#connections = plan.connections;
    this.#period = (1000 * plan.connections) / plan.rate!;
    this.#maxInflight = isDatagram(plan) ? Number.POSITIVE_INFINITY : 1;
    this.#pacer = createPacer(plan.pacing ?? DEFAULT_PACING, host.timers);
  }

  /** Time the pacer busy-waited since the measured window began, ms on the loop's clock (0 with timer pacing). */
  get waitingMs(): number {
    return this.#waitingMs;
  }

  /** Per-connection schedule interval, ms (C/R s). */
  get periodMs(): number {
    return this.#period;
  }

  start(startMs: number, measureStart: number, measureEnd: number): void {
    this.#measureStart = measureStart;
    this.#measureEnd = measureEnd;
    // Connection i of C fires at i/C of the period: the C schedules interleave, never in step.
    this.#active = 0;
    for (const c of this.#host.conns) {
      c.due = startMs + (this.#period * c.index) / this.#connections;
      if (c.dead || c.finished) continue;
      this.#active++;
      this.#heap.push(c);
    }
  }

  begin(): void {
    this.#tick();
  }

  beginMeasure(): void {
    // The schedule runs on through the warm-up's end: due times decide what is measured.
    this.#waitingMs = 0;
    this.#work(this.#host.clock());
  }

  replied(c: LoopConnection, atMs: number): void {
    this.#work(atMs);
    if (c.due > atMs) return;
    const now = this.#host.clock();
    this.#pump(c, now);
    if (c.due > now) this.#requeue(c);
    else this.#wake(now);
  }

  drained(c: LoopConnection): void {
    const now = this.#host.clock();
    this.#work(now);
    this.#requeue(c);
    this.#wake(now);
  }

  freed(c: LoopConnection, now: number): void {
    this.#work(now);
    this.#requeue(c);
    this.#wake(now);
  }

  closed(c: LoopConnection): void {
    if (!c.finished) this.#active--;
    this.#heap.remove(c);
  }

  windowEnded(now: number): boolean {
    // A stall over the window's end must not drop the requests scheduled before it: that would hide
    // exactly the latency coordinated-omission correction exists to count.
    let owed = false;
    const heap = this.#heap;
    for (const c of this.#host.conns) {
      const wasDue = c.due <= now;
      this.#pump(c, now);
      // Its next request falls after the window: nothing of it is owed, however early `now` is.
      if (c.due >= this.#measureEnd) this.#finish(c);
      // As #tick does: a pumped connection still in the heap takes its new place (its due time
      // moved), or leaves it while still due; a stale place would make the next wake late.
      else if (wasDue && c.heapIndex >= 0) {
        if (c.due <= now) heap.remove(c);
        else heap.update(c);
      }
      if (!c.finished && !c.dead) owed = true;
    }
    if (owed) this.#wake(now);
    return !owed;
  }

  /** Sends everything due on every connection, then sleeps until the next due time (allocated once). */
  readonly #tick = (): void => {
    this.#tickPending = false;
    const host = this.#host;
    host.timers.ranSoon();
    const p = host.phase;
    if (p !== Phase.Warmup && p !== Phase.Measure) return;
    const now = host.clock();
    if (this.#spinFrom >= 0) {
      this.#waitingMs += (this.#worked ? this.#workFrom : now) - this.#spinFrom;
      this.#spinFrom = -1;
    }
    // Whether this tick sends: a tick that sends nothing is part of the wait (its scan of the
    // connections is what a busy wait costs, turn after turn).
    this.#worked = false;
    const heap = this.#heap;
    for (let c = heap.top(); c !== undefined && c.due <= now; c = heap.top()) {
      this.#pump(c, now);
      // Still due: blocked by backpressure or the in-flight limit, it waits out of the heap until a
      // reply, drain or sweep brings it back (finished or closed, it has left already).
      if (c.due <= now) heap.remove(c);
      else heap.update(c);
    }
    if (this.#active <= 0) {
      host.endSending();
      return;
    }
    const idleSince = this.#worked ? -1 : now;
    // None waits only for its time: every one left waits for an event; look again in 1 ms.
    this.#wake(heap.top()?.due ?? now + 1, idleSince);
  };

  /** `c` may send again on its schedule: back in the heap unless finished or closed. */
  #requeue(c: LoopConnection): void {
    if (!c.finished && !c.dead) this.#heap.push(c);
  }

  /** `c` is past the end of its schedule or quota: it never sends again. */
  #finish(c: LoopConnection): void {
    if (c.finished) return;
    c.finished = true;
    if (!c.dead) this.#active--;
    this.#heap.remove(c);
  }

  /**
   * Arranges the next tick for `when`. A busy wait starts now, or at `idleSince` (clock ms) when
   * the tick calling this sent nothing since then.
   */
  #wake(when: number, idleSince = -1): void {
    if (this.#tickPending) return;
    this.#tickPending = true;
    const now = this.#host.clock();
    if (this.#pacer.wake(this.#tick, when, now)) {
      this.#spinFrom = idleSince >= 0 ? idleSince : now;
      this.#worked = false;
    }
  }

  /** Something that is work happened at `at` (clock ms): the busy wait, if one is pending, ended there. */
  #work(at: number): void {
    if (this.#worked) return;
    this.#worked = true;
    // Never before the wait began (a receive time stamped just before it, handled just after).
    this.#workFrom = at > this.#spinFrom ? at : this.#spinFrom;
  }

  /** Sends the requests of `c` that are due by `now`, as far as the in-flight limit allows. */
  #pump(c: LoopConnection, now: number): void {
    const host = this.#host;
    while (!c.dead && !c.blocked && !c.finished && c.due <= now && c.ring.inflight < this.#maxInflight) {
      const due = c.due;
      if (due >= this.#measureEnd) {
        this.#finish(c);
        return;
      }
      const measured = due >= this.#measureStart;
      if (measured && c.quota <= 0) {
        this.#finish(c);
        return;
      }
      if (!host.send(c, due, now, measured)) return;
      this.#work(now);
      c.due = due + this.#period;
    }
  }
}
