/**
 * Service time per message type: from the chunk (TCP) or datagram (UDP) carrying a request arriving
 * to its reply being handed to the socket, in microseconds, one HdrHistogram per type (hdr-histogram-js, 3 significant digits).
 * Histograms cross process boundaries as compressed base64 (HdrHistogram's own encoding), so the
 * primary can merge them exactly.
 */
import { build, decodeFromCompressedBase64, encodeIntoCompressedBase64, type Histogram } from 'hdr-histogram-js';
import { messageTypeName, type ServiceTimeSummary } from '@sockbench/protocol';

/** Largest recorded service time, µs (60 s); longer ones are clamped so recording never throws. */
export const MAX_SERVICE_TIME_US = 60_000_000;

/**
 * The server's one histogram factory: every service-time histogram (recording, and merging in the
 * primary) is built here, so encoded histograms of every process add up exactly. Bounds: values in
 * whole µs from 1 (`lowestDiscernibleValue`) to {@link MAX_SERVICE_TIME_US} = 60 s
 * (`highestTrackableValue`; {@link ServiceTimes.recordMany} clamps into that range), 3 significant
 * digits (a value is reported within 0.1 % of what was recorded), no auto-resize (a fixed 69 KiB of 32-bit
 * counts per message type in use, and recording never allocates).
 */
export function newServiceHistogram(): Histogram {
  return build({ lowestDiscernibleValue: 1, highestTrackableValue: MAX_SERVICE_TIME_US, numberOfSignificantValueDigits: 3, autoResize: false });
}

/** Histograms as they travel over IPC: type name → compressed base64. */
export type EncodedServiceTimes = Record<string, string>;

/** One histogram per message type, created on first use. */
export class ServiceTimes {
  /** Indexed by type byte (0..255) so the hot path does no map lookup by name. */
  readonly #byType: (Histogram | undefined)[] = new Array<Histogram | undefined>(256);

  /** Records one service time, µs (fractions rounded; clamped to 1..60 s). */
  record(type: number, micros: number): void {
    this.recordMany(type, micros, 1);
  }

  /** Records `count` replies of one type that took the same time, µs (as {@link record}). */
  recordMany(type: number, micros: number, count: number): void {
    let h = this.#byType[type];
    if (h === undefined) {
      h = newServiceHistogram();
      this.#byType[type] = h;
    }
    const v = micros < 1 ? 1 : micros > MAX_SERVICE_TIME_US ? MAX_SERVICE_TIME_US : Math.round(micros);
    h.recordValueWithCount(v, count);
  }

  /** Every non-empty histogram, encoded for IPC. */
  encode(): EncodedServiceTimes {
    const out: EncodedServiceTimes = {};
    for (let t = 0; t < 256; t++) {
      const h = this.#byType[t];
      if (h !== undefined && h.totalCount > 0) out[messageTypeName(t)] = encodeIntoCompressedBase64(h);
    }
    return out;
  }
}

/**
 * Merges encoded histograms from several processes into one histogram per type name (HdrHistogram
 * `add`, exact). The caller owns the result: `destroy()` each when done.
 */
export function mergeServiceTimes(parts: readonly EncodedServiceTimes[]): Map<string, Histogram> {
  const merged = new Map<string, Histogram>();
  for (const part of parts) {
    for (const [name, b64] of Object.entries(part)) {
      const h = decodeFromCompressedBase64(b64);
      let into = merged.get(name);
      if (into === undefined) {
        into = newServiceHistogram();
        merged.set(name, into);
      }
      into.add(h);
      h.destroy();
    }
  }
  return merged;
}

/** Summaries (µs) of merged histograms, by type name in name order. */
export function summarizeMerged(merged: ReadonlyMap<string, Histogram>): Record<string, ServiceTimeSummary> {
  const out: Record<string, ServiceTimeSummary> = {};
  for (const [name, h] of [...merged].sort((a, b) => a[0].localeCompare(b[0]))) {
    out[name] = {
      count: h.totalCount,
      p50: h.getValueAtPercentile(50),
      p99: h.getValueAtPercentile(99),
      p999: h.getValueAtPercentile(99.9),
      max: h.maxValue,
    };
  }
  return out;
}

/** Merged histograms encoded as STATS `serviceTimeHistograms` carries them (compressed base64, V2). */
export function encodeMergedServiceTimes(merged: ReadonlyMap<string, Histogram>): EncodedServiceTimes {
  const out: EncodedServiceTimes = {};
  for (const [name, h] of [...merged].sort((a, b) => a[0].localeCompare(b[0]))) out[name] = encodeIntoCompressedBase64(h);
  return out;
}

/** Merges encoded histograms from several processes and summarizes each type (µs). */
export function summarizeServiceTimes(parts: readonly EncodedServiceTimes[]): Record<string, ServiceTimeSummary> {
  const merged = mergeServiceTimes(parts);
  const out = summarizeMerged(merged);
  for (const h of merged.values()) h.destroy();
  return out;
}
