/**
 * STREAM_REPORT replies (docs/protocol.md, "STREAM_REPORT"): the receiver's report (goodput, loss,
 * reordering, duplicates, RFC 3550 jitter, the |D| histogram, per-second intervals) or the sender's.
 * The client's own receiver report (down) has the receiver's shape too.
 */
import { BadPayloadError } from '../errors.js';
import { encodeJson } from '../json-codec.js';
import { U32_MAX, intField, numField, strictObject } from './json-fields.js';

const MAX_SAFE = Number.MAX_SAFE_INTEGER;

/** One second of the receiver's clock from its start: arrivals in [startMs, startMs + 1000). */
export interface StreamInterval {
  /** Start of the interval from the receiver's start, ms (a multiple of 1000). */
  startMs: number;
  /** STREAM_DATA bytes received in it (whole frames, duplicates left out). */
  bytes: number;
  /** Distinct messages received in it. */
  messages: number;
  /** 8 × bytes per second, bit/s. */
  bitsPerSec: number;
  /** RFC 3550 jitter as it stood at the interval's end, ms. */
  jitterMs: number;
}

/** What a receiver counted (docs/protocol.md, "STREAM_REPORT"); every count ≥ 0. */
export interface StreamReceiverCounts {
  /** STREAM_DATA bytes received, whole frames, duplicates left out. */
  bytes: number;
  /** Distinct sequence numbers received. */
  messages: number;
  /** expected − messages, expected = max(sent, highest sequence + 1). */
  lost: number;
  /** 100 × lost / expected (0 when nothing was expected), %. */
  lossPercent: number;
  /** Messages that arrived after one with a higher sequence (late, never lost). */
  outOfOrder: number;
  /** Arrivals of a sequence already received. */
  duplicates: number;
  /** RFC 3550 A.8 interarrival jitter, ms. */
  jitterMs: number;
  /** The |D| values as HdrHistogram compressed base64 (V2; 1 µs .. 60 s, 3 digits); "" when none was recorded. */
  delayVariation: string;
  /** 8 × bytes / durationUs × 10^6, bit/s, payload layer. */
  bitsPerSec: number;
  /** Receiver start to last arrival, µs. */
  durationUs: number;
  /** Per second, at most 3600. */
  intervals: StreamInterval[];
}

/** The receiver's STREAM_REPORT reply. */
export interface StreamReceiverReport extends StreamReceiverCounts {
  role: 'receiver';
  session: number;
  /** How long the report waited for stragglers, ms. */
  waitedMs: number;
}

/** The sender's STREAM_REPORT reply (down: the server's). */
export interface StreamSenderReport {
  role: 'sender';
  session: number;
  /** STREAM_DATA bytes sent, whole frames. */
  bytes: number;
  /** Messages sent (the highest sequence + 1); the receiver's `sent`. */
  messages: number;
  /** 8 × bytes / durationUs × 10^6, bit/s. */
  bitsPerSec: number;
  /** STREAM_START to the last message sent, µs. */
  durationUs: number;
}

/** Either report. */
export type StreamReport = StreamReceiverReport | StreamSenderReport;

/** Encodes a STREAM_REPORT reply. */
export function encodeStreamReport(report: StreamReport): Buffer {
  return encodeJson(report);
}

const RECEIVER_FIELDS = ['role', 'session', 'bytes', 'messages', 'lost', 'lossPercent', 'outOfOrder', 'duplicates', 'jitterMs', 'delayVariation', 'bitsPerSec', 'durationUs', 'waitedMs', 'intervals'] as const;
const SENDER_FIELDS = ['role', 'session', 'bytes', 'messages', 'bitsPerSec', 'durationUs'] as const;
const INTERVAL_FIELDS = ['startMs', 'bytes', 'messages', 'bitsPerSec', 'jitterMs'] as const;

/** Every field name of each report, in docs order (the docs test checks them). */
export const STREAM_REPORT_FIELDS = { receiver: RECEIVER_FIELDS, sender: SENDER_FIELDS, interval: INTERVAL_FIELDS } as const;

/** Decodes a STREAM_REPORT reply. @throws BadPayloadError */
export function decodeStreamReport(bytes: Uint8Array, id = 0): StreamReport {
  const what = 'STREAM_REPORT reply';
  const probe = strictObject(bytes, what, RECEIVER_FIELDS, id);
  const int = (o: Record<string, unknown>, k: string, w = what): number => intField(o, k, w, id, 0, MAX_SAFE)!;
  const session = intField(probe, 'session', what, id, 1, U32_MAX)!;
  if (probe.role === 'sender') {
    const obj = strictObject(bytes, what, SENDER_FIELDS, id);
    return { role: 'sender', session, bytes: int(obj, 'bytes'), messages: int(obj, 'messages'), bitsPerSec: numField(obj, 'bitsPerSec', what, id), durationUs: int(obj, 'durationUs') };
  }
  if (probe.role !== 'receiver') throw new BadPayloadError(`${what}.role must be "receiver" or "sender"`, id);
  const intervals = probe.intervals;
  if (!Array.isArray(intervals)) throw new BadPayloadError(`${what}.intervals must be an array`, id);
  if (typeof probe.delayVariation !== 'string') throw new BadPayloadError(`${what}.delayVariation must be a string`, id);
  return {
    role: 'receiver',
    session,
    bytes: int(probe, 'bytes'),
    messages: int(probe, 'messages'),
    lost: int(probe, 'lost'),
    lossPercent: numField(probe, 'lossPercent', what, id),
    outOfOrder: int(probe, 'outOfOrder'),
    duplicates: int(probe, 'duplicates'),
    jitterMs: numField(probe, 'jitterMs', what, id),
    delayVariation: probe.delayVariation,
    bitsPerSec: numField(probe, 'bitsPerSec', what, id),
    durationUs: int(probe, 'durationUs'),
    waitedMs: int(probe, 'waitedMs'),
    intervals: intervals.map((iv: unknown): StreamInterval => {
      const w = `${what}.intervals[]`;
      if (typeof iv !== 'object' || iv === null || Array.isArray(iv)) throw new BadPayloadError(`${w} must be objects`, id);
      const o = iv as Record<string, unknown>;
      for (const k of Object.keys(o)) if (!(INTERVAL_FIELDS as readonly string[]).includes(k)) throw new BadPayloadError(`${w} has an unknown field ${JSON.stringify(k)}`, id);
      return { startMs: int(o, 'startMs', w), bytes: int(o, 'bytes', w), messages: int(o, 'messages', w), bitsPerSec: numField(o, 'bitsPerSec', w, id), jitterMs: numField(o, 'jitterMs', w, id) };
    }),
  };
}
