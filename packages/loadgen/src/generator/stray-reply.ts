/**
 * How the load loop counts a reply that settled no request in flight (inflight-ring.ts' slot
 * states): a duplicate, a reply to an id never sent, or a late one.
 */
import { countUnexpected, type Counters } from '../counters.js';
import { DONE, UNSENT, type FREE, type LOST, type STALE } from './inflight-ring.js';

/**
 * Counts in `counters` a reply whose request's slot was in state `st` (neither WARM nor LIVE):
 * DONE is a duplicate, UNSENT an unexpected `unsentId`, LOST (timed out, or its connection closed)
 * or STALE (its slot reused since) a late reply.
 */
export function countStray(counters: Counters, st: typeof FREE | typeof DONE | typeof LOST | typeof STALE | typeof UNSENT): void {
  if (st === DONE) counters.duplicates++;
  else if (st === UNSENT) countUnexpected(counters, 'unsentId');
  else counters.late++;
}
