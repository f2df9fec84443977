import { describe, expect, it } from 'vitest';
import { liveLine } from './stream-text.js';

describe('liveLine', () => {
  it('the last, partial second: msg/s over the same half second as bit/s', () => {
    // 0.5 s of a 2.5 s run: 625 messages of 1,400 bytes = 7 Mbit over 0.5 s.
    const line = liveLine('tcp', { direction: 'up', index: 2, bytes: 875_000, messages: 625, bitsPerSec: 14_000_000, messagesPerSec: 1250, lost: null, jitterMs: null });
    expect(line).toBe('tcp up     3s  sent  14.0 Mbit/s      1,250 msg/s');
  });

  it('down: msg/s, loss so far and jitter', () => {
    const line = liveLine('udp', { direction: 'down', index: 0, bytes: 140_000, messages: 100, bitsPerSec: 1_120_000, messagesPerSec: 100, lost: 3, jitterMs: 0.25 });
    expect(line).toBe('udp down   1s  received  1.12 Mbit/s        100 msg/s  lost so far 3  jitter 0.250 ms');
  });
});
