/** Results derived from a run's counters, duration and histograms: rates, bit rates at three layers, loss, latency. */
import { isIPv6 } from 'node:net';
import { ErrorCode, HEADER_SIZE } from '@sockbench/protocol';
import type { Counters } from '../counters.js';
import { decodeHistogram, summarize } from '../histogram.js';
import type { LoadPlan } from '../options.js';
import type { LayerRates, RunResults } from './schema.js';

/** Bytes of one request at each layer: payload, frame (+12 B header; raw: none), wire estimate. */
export function requestLayerBytes(plan: LoadPlan): LayerRates {
  const payload = plan.op === 'ping' ? 0 : plan.op === 'compute' ? 4 + plan.size : plan.size;
  const frame = plan.transport.startsWith('raw-') ? payload : payload + HEADER_SIZE;
  const v6 = isIPv6(plan.host);
  const datagram = plan.transport === 'udp' || plan.transport === 'raw-udp';
  const perPacket = datagram ? (v6 ? 48 : 28) : v6 ? 60 : 40;
  return { payload, frame, wire: frame + perPacket };
}

/** Error codes that are replies from the target (an ERROR frame, or a reply that did not match). */
function replyErrors(counters: Counters): number {
  let n = 0;
  for (const [code, count] of Object.entries(counters.errorsByCode)) {
    if (code === 'BAD_REPLY' || code in ErrorCode) n += count;
  }
  return n;
}

/** Replies that came back in the window: completed, error replies, late and duplicate replies. */
export function repliesReceived(counters: Counters): number {
  return counters.completed + replyErrors(counters) + counters.late + counters.duplicates;
}

/**
 * Computes {@link RunResults} from counters, the duration and the compressed histograms.
 * Bit rates: `packetsPerSec.sent × bytes × 8 / 10^6`, so with every request completed
 * `mbitPerSec.payload = requestsPerSec × payload bytes × 8 / 10^6` exactly.
 */
export function deriveResults(plan: LoadPlan, counters: Counters, durationMs: number, latency: string, uncorrected: string | null): RunResults {
  const seconds = durationMs / 1000;
  const perSec = (n: number): number => (seconds > 0 ? n / seconds : 0);
  const sentPerSec = perSec(counters.sent);
  const bytes = requestLayerBytes(plan);
  const mbit = (b: number): number => (sentPerSec * b * 8) / 1e6;
  return {
    requestsPerSec: perSec(counters.completed),
    mbitPerSec: { payload: mbit(bytes.payload), frame: mbit(bytes.frame), wire: mbit(bytes.wire) },
    packetsPerSec: { sent: sentPerSec, received: perSec(repliesReceived(counters)) },
    mbPerSecSent: perSec(counters.bytesSent) / 1e6,
    mbPerSecReceived: perSec(counters.bytesReceived) / 1e6,
    lossPercent: counters.sent > 0 ? (100 * counters.timeouts) / counters.sent : 0,
    latencyUs: summarize(decodeHistogram(latency)),
    uncorrectedUs: uncorrected === null ? null : summarize(decodeHistogram(uncorrected)),
  };
}
