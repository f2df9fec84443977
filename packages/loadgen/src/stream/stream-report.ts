/**
 * The stream report, schema `sockbench.loadgen.stream` version 1: one run per transport and
 * direction (a `--bidir` test makes two, `compare --mode stream` one per transport). Each run keeps
 * its plan, both sides' figures added over its `--parallel` sessions (`stream`, the names scripts
 * read), the wire estimate beside the payload-layer goodput, per-second receiver intervals, the |D|
 * histogram and each session as the server and this side reported it.
 *
 * Units: bit/s (SI prefixes when shown; payload layer = whole STREAM_DATA messages as the
 * application sends them, the header of the sockbench frame included), bytes, messages/s, ms, µs
 * for |D|.
 */
import type { GrantedBuffers, StreamSessionResult } from '@sockbench/client';
import type { StreamDirection } from '@sockbench/protocol';
import { encodeHistogram, mergeEncoded, summarize } from '../histogram.js';
import type { SloResult } from '../slo/evaluate.js';
import type { StreamPlan } from './stream-options.js';
import { wireBytesPerMessage, wireNote } from './wire.js';

/** Schema name of a stream report. */
export const STREAM_REPORT_SCHEMA = 'sockbench.loadgen.stream';
/** Its version. */
export const STREAM_REPORT_VERSION = 1;

/** The sending side, added over sessions. */
export interface StreamSenderFigures {
  /** Goodput, payload layer: 8 × bytes / the longest session's sending time, bit/s. */
  bitsPerSec: number;
  messages: number;
  bytes: number;
  messagesPerSec: number;
  /** `bitsPerSec` × wire bytes per message ÷ message bytes (see `wire`). */
  wireBitsPerSec: number;
}

/** The receiving side, added over sessions (docs/protocol.md, "STREAM_REPORT"). */
export interface StreamReceiverFigures {
  /** Goodput at the receiver, payload layer, bit/s. */
  bitsPerSec: number;
  /** Distinct messages received. */
  messages: number;
  bytes: number;
  /** Never sent on, never arrived: gaps and the tail the sender's count shows (reordering is not loss). */
  lost: number;
  /** 100 × lost ÷ (messages + lost), %. */
  lossPercent: number;
  outOfOrder: number;
  duplicates: number;
  /** RFC 3550 A.8 jitter, ms (the mean over sessions, as iperf3 sums streams). */
  jitterMs: number;
  /** Longest wait for stragglers before a session reported, ms. */
  waitedMs: number;
  messagesPerSec: number;
  wireBitsPerSec: number;
  /** |D| (interarrival delay variation) percentiles, µs; null with fewer than 2 messages. */
  delayVariationUs: { p50: number; p99: number; max: number } | null;
}

/** One second of the receiver's clock, added over sessions. */
export interface StreamIntervalFigures {
  index: number;
  startMs: number;
  /** Receiver goodput in that second, bit/s, over the part of it the duration covers ({@link spanOf}). */
  bitsPerSec: number;
  messages: number;
  /** Jitter at the second's end, ms (mean over sessions). */
  jitterMs: number;
}

/** One run: one transport, one direction. */
export interface StreamRunReport {
  plan: StreamPlan;
  /** Wall clock of the start, ISO 8601. */
  startedAt: string;
  stream: { direction: StreamDirection; sender: StreamSenderFigures; receiver: StreamReceiverFigures };
  /** Bytes on the wire per message of `plan.size`, and how they are counted. */
  wire: { bytesPerMessage: number; note: string };
  intervals: StreamIntervalFigures[];
  /** Every |D| of every session, HdrHistogram compressed base64, µs. */
  delayVariation: string;
  sessions: StreamSessionResult[];
  /** UDP: SO_SNDBUF/SO_RCVBUF granted this side's first data socket, bytes. */
  socketBuffers?: GrantedBuffers;
  /** Present and true when Ctrl-C ended it early. */
  interrupted?: boolean;
  /** `--slo` verdicts, in the order given. */
  slo: SloResult[];
}

/** The file. */
export interface StreamReport {
  schema: typeof STREAM_REPORT_SCHEMA;
  version: typeof STREAM_REPORT_VERSION;
  createdAt: string;
  tool: { name: string; version: string; node: string };
  runs: StreamRunReport[];
}

const sum = (xs: number[]): number => xs.reduce((a, b) => a + b, 0);

/**
 * Seconds of the duration that second `k` covers: 1, the last second's part (a 1.5 s run's second
 * 2 covers 0.5 s), or 1 for a second past the duration (it holds only stragglers).
 */
export function spanOf(durationMs: number, k: number): number {
  const left = durationMs / 1000 - k;
  return left >= 1 || left <= 0 ? 1 : left;
}

/** Adds one direction's sessions into its run (the SLO verdicts are filled by the caller). */
export function buildStreamRun(plan: StreamPlan, startedAt: Date, sessions: StreamSessionResult[], interrupted = false): StreamRunReport {
  const perMessage = wireBytesPerMessage(plan);
  const wireFactor = perMessage / plan.size;
  const sendUs = Math.max(0, ...sessions.map((s) => s.sender.durationUs));
  const recvUs = Math.max(0, ...sessions.map((s) => s.receiver.durationUs));
  const sBytes = sum(sessions.map((s) => s.sender.bytes));
  const sMsgs = sum(sessions.map((s) => s.sender.messages));
  const rBytes = sum(sessions.map((s) => s.receiver.bytes));
  const rMsgs = sum(sessions.map((s) => s.receiver.messages));
  const lost = sum(sessions.map((s) => s.receiver.lost));
  const perSec = (n: number, us: number): number => (us === 0 ? 0 : (n * 1e6) / us);
  const histograms = sessions.map((s) => s.receiver.delayVariation).filter((h) => h !== '');
  const merged = mergeEncoded(histograms);
  const dv = merged.totalCount === 0 ? null : (() => {
    const x = summarize(merged);
    return { p50: x.p50, p99: x.p99, max: x.max };
  })();
  const byIndex = new Map<number, { bytes: number; messages: number; jitter: number[] }>();
  for (const s of sessions) {
    s.receiver.intervals.forEach((iv, k) => {
      const acc = byIndex.get(k) ?? { bytes: 0, messages: 0, jitter: [] };
      acc.bytes += iv.bytes;
      acc.messages += iv.messages;
      acc.jitter.push(iv.jitterMs);
      byIndex.set(k, acc);
    });
  }
  const intervals = [...byIndex.entries()]
    .sort(([a], [b]) => a - b)
    .map(([index, a]) => ({ index, startMs: index * 1000, bitsPerSec: (8 * a.bytes) / spanOf(plan.durationMs, index), messages: a.messages, jitterMs: sum(a.jitter) / a.jitter.length }));
  const buffers = sessions.find((s) => s.buffers !== null)?.buffers ?? undefined;
  const senderBits = perSec(8 * sBytes, sendUs);
  const receiverBits = perSec(8 * rBytes, recvUs);
  return {
    plan,
    startedAt: startedAt.toISOString(),
    stream: {
      direction: plan.direction,
      sender: { bitsPerSec: senderBits, messages: sMsgs, bytes: sBytes, messagesPerSec: perSec(sMsgs, sendUs), wireBitsPerSec: senderBits * wireFactor },
      receiver: {
        bitsPerSec: receiverBits,
        messages: rMsgs,
        bytes: rBytes,
        lost,
        lossPercent: rMsgs + lost === 0 ? 0 : (100 * lost) / (rMsgs + lost),
        outOfOrder: sum(sessions.map((s) => s.receiver.outOfOrder)),
        duplicates: sum(sessions.map((s) => s.receiver.duplicates)),
        jitterMs: sessions.length === 0 ? 0 : sum(sessions.map((s) => s.receiver.jitterMs)) / sessions.length,
        waitedMs: Math.max(0, ...sessions.map((s) => s.receiver.waitedMs)),
        messagesPerSec: perSec(rMsgs, recvUs),
        wireBitsPerSec: receiverBits * wireFactor,
        delayVariationUs: dv,
      },
    },
    wire: { bytesPerMessage: perMessage, note: wireNote(plan) },
    intervals,
    delayVariation: encodeHistogram(merged),
    sessions,
    ...(buffers ? { socketBuffers: buffers } : {}),
    ...(interrupted ? { interrupted } : {}),
    slo: [],
  };
}
