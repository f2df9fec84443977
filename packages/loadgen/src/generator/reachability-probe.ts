/**
 * Before a datagram run: does the target answer at all? A UDP target that never replies would
 * otherwise read as 100 % loss; it is unreachable (exit 3) instead. A few probes, each a normal
 * request sent before the load starts (so never recorded), each given `waitMs` to come back.
 */
import { TargetUnreachable } from '../errors.js';
import type { LoadPlan } from '../options.js';

/** Probes sent before giving up. */
export const PROBE_ATTEMPTS = 3;

/** Time one probe is given, ms: the plan's timeout, kept within 200..1000 ms. */
export function probeWaitMs(timeoutMs: number): number {
  return Math.max(200, Math.min(timeoutMs, 1000));
}

/** One reachability check: the loop sends, routes replies that arrive before the load to {@link answered}. */
export class ReachabilityProbe {
  #id = -1;
  #resolve: (() => void) | null = null;

  /**
   * Sends up to {@link PROBE_ATTEMPTS} probes through `send` (which returns the id it sent) and
   * resolves at the first reply to the probe in flight.
   * @throws TargetUnreachable (osCode ETIMEDOUT) when none came back within `waitMs` each
   */
  async check(plan: LoadPlan, send: () => number, waitMs = probeWaitMs(plan.timeoutMs)): Promise<void> {
    try {
      for (let attempt = 0; attempt < PROBE_ATTEMPTS; attempt++) {
        const answered = new Promise<boolean>((resolve) => {
          const t = setTimeout(() => resolve(false), waitMs);
          this.#resolve = () => (clearTimeout(t), resolve(true));
        });
        this.#id = send();
        if (await answered) return;
      }
    } finally {
      this.#id = -1;
      this.#resolve = null;
    }
    throw new TargetUnreachable(plan.host, plan.port, 'ETIMEDOUT', `no reply to ${PROBE_ATTEMPTS} ${plan.transport} probes within ${waitMs} ms each`);
  }

  /** A reply to `id` arrived before the load started; ends the wait when it answers the probe in flight. */
  answered(id: number): void {
    if (id === this.#id) this.#resolve?.();
  }
}
