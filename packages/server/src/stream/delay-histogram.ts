/**
 * The |D| histogram of a receiver (docs/protocol.md, "STREAM_REPORT" `delayVariation`): an
 * HdrHistogram with the bounds of the service-time ones (1 µs .. 60 s, 3 significant digits),
 * compressed base64, so readers decode both the same way.
 */
import { encodeIntoCompressedBase64 } from 'hdr-histogram-js';
import type { DelayVariationRecorder } from '@sockbench/protocol';
import { MAX_SERVICE_TIME_US, newServiceHistogram } from '../stats/service-time.js';

/** A {@link DelayVariationRecorder} over one HdrHistogram; `destroy()` frees it. */
export function newDelayHistogram(): DelayVariationRecorder & { destroy(): void } {
  const h = newServiceHistogram();
  return {
    recordValue: (us) => h.recordValue(us > MAX_SERVICE_TIME_US ? MAX_SERVICE_TIME_US : us),
    encode: () => encodeIntoCompressedBase64(h),
    destroy: () => h.destroy(),
  };
}
