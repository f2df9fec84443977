/**
 * Closed loop (`--pipeline K`): every connection keeps K requests in flight; each reply (or timeout)
 * lets the next one leave at once, so the send time is the scheduled time and latency = reply − send.
 */
import { Phase, type Schedule, type ScheduleHost } from './schedule.js';
import type { LoopConnection } from './loop-connection.js';

/** Closed-loop pacer: tops a connection up to `pipeline` requests in flight whenever it can. */
export class ClosedLoop implements Schedule {
  readonly #host: ScheduleHost;
  readonly #pipeline: number;
  /** A closed loop never waits for a time: every send follows a reply. */
  readonly waitingMs = 0;

  /** @param pipeline requests in flight per connection, ≥ 1 */
  constructor(host: ScheduleHost, pipeline: number) {
    this.#host = host;
    this.#pipeline = pipeline;
  }

  start(): void {
    // Nothing is timed: the first requests leave when sending begins.
  }

  begin(): void {
    for (const c of this.#host.conns) this.#fill(c);
  }

  beginMeasure(): void {
    // The connections are already full from the warm-up; with no warm-up they start here.
    for (const c of this.#host.conns) this.#fill(c);
  }

  replied(c: LoopConnection): void {
    this.#fill(c);
  }

  drained(c: LoopConnection): void {
    this.#fill(c);
  }

  freed(c: LoopConnection): void {
    this.#fill(c);
  }

  closed(): void {
    // Nothing is timed: a closed connection is simply never filled again.
  }

  #fill(c: LoopConnection): void {
    const host = this.#host;
    const p = host.phase;
    if (p !== Phase.Warmup && p !== Phase.Measure) return;
    // One clock read for the whole top-up: these requests leave together, in one write.
    const now = host.clock();
    const measured = p === Phase.Measure;
    while (!c.dead && !c.blocked && c.ring.inflight < this.#pipeline) {
      if (measured && c.quota <= 0) {
        host.quotaSpent();
        return;
      }
      if (!host.send(c, now, now, measured)) return;
    }
  }

  windowEnded(_now: number): boolean {
    // Nothing is scheduled ahead in a closed loop: what is in flight drains.
    return true;
  }
}
