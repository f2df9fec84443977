/** Splitting one plan over several generator machines. */
import { UsageError } from '../errors.js';
import { shareOf, type LoadPlan } from '../options.js';

/**
 * The shares of `plan` for `n` agents: connections divided as evenly as integers allow
 * ({@link shareOf}), the open-loop rate divided in proportion to each share's connections (every
 * connection keeps the per-connection rate of the whole plan), a request count divided like the
 * connections; the closed-loop pipeline (per connection), sizes, times and the target stay as they are.
 * `threads` is at most the share's connections.
 * @throws UsageError when there are fewer connections (or requests) than agents
 */
export function splitPlan(plan: LoadPlan, n: number): LoadPlan[] {
  if (plan.connections < n) throw new UsageError(`--agents ${n} needs at least ${n} connections (one per agent), got --connections ${plan.connections}`);
  if (plan.requests !== null && plan.requests < n) throw new UsageError(`--agents ${n} needs at least ${n} requests (one per agent), got --requests ${plan.requests}`);
  return Array.from({ length: n }, (_, i) => {
    const connections = shareOf(plan.connections, i, n);
    return {
      ...plan,
      connections,
      threads: Math.min(plan.threads, connections),
      rate: plan.rate === null ? null : (plan.rate * connections) / plan.connections,
      requests: plan.requests === null ? null : shareOf(plan.requests, i, n),
    };
  });
}
