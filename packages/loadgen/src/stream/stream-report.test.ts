import type { StreamSessionResult } from '@sockbench/client';
import { describe, expect, it } from 'vitest';
import { createHistogram, encodeHistogram } from '../histogram.js';
import { DEFAULT_SOCKET_PLAN } from '../socket-plan.js';
import type { StreamPlan } from './stream-options.js';
import { buildStreamRun, spanOf } from './stream-report.js';

const plan: StreamPlan = { host: '10.0.0.1', port: 7000, transport: 'udp', direction: 'down', bidir: false, size: 1000, bitrate: 8_000_000, durationMs: 1500, parallel: 2, socket: DEFAULT_SOCKET_PLAN };

function hist(values: number[]): string {
  const h = createHistogram();
  for (const v of values) h.recordValue(v);
  return encodeHistogram(h);
}

/** One session's result with the given counts (µs durations; intervals of [messages, jitterMs]). */
function session(id: number, o: { sent: number; received: number; lost: number; ooo: number; dup: number; jitterMs: number; waitedMs: number; durationUs: number; intervals: [number, number][]; dv: number[] }): StreamSessionResult {
  return {
    session: id,
    direction: 'down',
    transport: 'udp',
    size: 1000,
    durationMs: 1500,
    bitrate: 8_000_000,
    buffers: id === 1 ? { sendBufferBytes: 212992, recvBufferBytes: 425984 } : null,
    strays: 0,
    sender: { bytes: o.sent * 1000, messages: o.sent, bitsPerSec: 0, durationUs: 1_500_000, intervals: null },
    receiver: {
      role: 'receiver',
      session: id,
      bytes: o.received * 1000,
      messages: o.received,
      lost: o.lost,
      lossPercent: (100 * o.lost) / o.sent,
      outOfOrder: o.ooo,
      duplicates: o.dup,
      jitterMs: o.jitterMs,
      delayVariation: hist(o.dv),
      bitsPerSec: 0,
      durationUs: o.durationUs,
      waitedMs: o.waitedMs,
      intervals: o.intervals.map(([messages, jitterMs], k) => ({ startMs: k * 1000, bytes: messages * 1000, messages, bitsPerSec: messages * 8000, jitterMs })),
    },
  };
}

describe('buildStreamRun', () => {
  it('adds sessions: counts summed, rates over the longest duration, jitter the mean, |D| merged, the last second over its part', () => {
    const a = session(1, { sent: 1500, received: 1490, lost: 10, ooo: 3, dup: 1, jitterMs: 0.2, waitedMs: 250, durationUs: 1_500_000, intervals: [[1000, 0.1], [490, 0.2]], dv: [10, 20, 30] });
    const b = session(2, { sent: 1500, received: 1500, lost: 0, ooo: 0, dup: 0, jitterMs: 0.4, waitedMs: 260, durationUs: 1_250_000, intervals: [[1000, 0.3], [500, 0.4]], dv: [40] });
    const run = buildStreamRun(plan, new Date('2026-01-01T00:00:00Z'), [a, b]);
    const rx = run.stream.receiver;
    expect({ messages: rx.messages, bytes: rx.bytes, lost: rx.lost, outOfOrder: rx.outOfOrder, duplicates: rx.duplicates, waitedMs: rx.waitedMs }).toEqual({ messages: 2990, bytes: 2_990_000, lost: 10, outOfOrder: 3, duplicates: 1, waitedMs: 260 });
    expect(rx.lossPercent).toBeCloseTo((100 * 10) / 3000, 12);
    expect(rx.bitsPerSec).toBeCloseTo((8 * 2_990_000) / 1.5, 6);
    expect(rx.jitterMs).toBeCloseTo(0.3, 12);
    expect(rx.delayVariationUs).toEqual({ p50: 20, p99: 40, max: 40 });
    // UDP/IPv4: 1000 + 8 + 20 + 38 = 1066 bytes on the wire per message.
    expect(rx.wireBitsPerSec).toBeCloseTo(rx.bitsPerSec * 1.066, 6);
    expect(run.stream.sender).toMatchObject({ messages: 3000, bytes: 3_000_000 });
    expect(run.intervals.map(({ jitterMs: _, ...iv }) => iv)).toEqual([
      { index: 0, startMs: 0, bitsPerSec: 16_000_000, messages: 2000 },
      { index: 1, startMs: 1000, bitsPerSec: (8 * 990_000) / 0.5, messages: 990 },
    ]);
    expect(run.intervals.map((iv) => iv.jitterMs)).toEqual([expect.closeTo(0.2, 12), expect.closeTo(0.3, 12)]);
    expect(run.socketBuffers).toEqual({ sendBufferBytes: 212992, recvBufferBytes: 425984 });
    expect(run.sessions).toHaveLength(2);
  });

  it('spanOf: a whole second, the last part, or a whole second past the duration', () => {
    expect([spanOf(1500, 0), spanOf(1500, 1), spanOf(1500, 2), spanOf(1000, 1)]).toEqual([1, 0.5, 1, 1]);
  });
});
