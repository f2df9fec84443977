import { describe, expect, it } from 'vitest';
import type { DataPath } from './data-paths.js';
import { LiveSeconds, type Opened, type LiveInterval, type StreamRunOptions } from './stream-run.js';

/** Up sessions as LiveSeconds sees them (only the direction counts for up). */
function ups(n: number): Opened[] {
  return Array.from({ length: n }, (_, i) => ({
    direction: 'up' as const,
    grant: { session: i + 1, key: '0123456789abcdef', worker: 0, udpPort: 0, size: 100, durationMs: 3000, bitrate: 80_000 },
    path: {} as DataPath,
    receiver: null,
  }));
}

function live(durationMs: number, opened: Opened[]): { seconds: LiveSeconds; lines: LiveInterval[] } {
  const lines: LiveInterval[] = [];
  const opts = { durationMs, onInterval: (iv: LiveInterval) => lines.push(iv) } as unknown as StreamRunOptions;
  return { seconds: new LiveSeconds(opts, opened), lines };
}

describe('LiveSeconds (up, --parallel)', () => {
  it('a second one sender never reported (held, it sent nothing) is emitted once a later second is complete, in order', () => {
    const o = ups(2);
    const { seconds, lines } = live(3000, o);
    seconds.sent(o[0]!, { startMs: 0, bytes: 1000, messages: 10 });
    seconds.sent(o[1]!, { startMs: 0, bytes: 500, messages: 5 });
    seconds.sent(o[0]!, { startMs: 1000, bytes: 1000, messages: 10 }); // o[1] sent nothing in second 1 and never reports it
    expect(lines.map((l) => l.index)).toEqual([0]);
    seconds.sent(o[0]!, { startMs: 2000, bytes: 1000, messages: 10 });
    seconds.sent(o[1]!, { startMs: 2000, bytes: 200, messages: 2 });
    expect(lines.map((l) => [l.index, l.messages, l.bitsPerSec])).toEqual([
      [0, 15, 12_000],
      [1, 10, 8000],
      [2, 12, 9600],
    ]);
  });

  it('at the end, every second still waiting for a sender is emitted with what the others sent', () => {
    const o = ups(2);
    const { seconds, lines } = live(2500, o);
    seconds.sent(o[0]!, { startMs: 0, bytes: 1000, messages: 10 });
    seconds.sent(o[1]!, { startMs: 0, bytes: 1000, messages: 10 });
    seconds.sent(o[0]!, { startMs: 1000, bytes: 1000, messages: 10 });
    seconds.sent(o[0]!, { startMs: 2000, bytes: 500, messages: 5 });
    expect(lines.map((l) => l.index)).toEqual([0]);
    seconds.flushUp();
    // The last second covers half a second of the duration: bit/s and msg/s over that half.
    expect(lines.map((l) => [l.index, l.messages, l.bitsPerSec, l.messagesPerSec])).toEqual([
      [0, 20, 16_000, 20],
      [1, 10, 8000, 10],
      [2, 5, 8000, 10],
    ]);
    seconds.flushUp();
    expect(lines).toHaveLength(3);
  });
});
