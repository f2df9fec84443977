import { describe, expect, it } from 'vitest';
import { UsageError } from '../errors.js';
import { parseBitrate } from './bitrate.js';

describe('parseBitrate', () => {
  it('reads SI bit rates and iperf3 short forms (k = 10^3, M = 10^6, G = 10^9)', () => {
    expect(parseBitrate('150Mbit/s')).toBe(150_000_000);
    expect(parseBitrate('1.5 Gbit/s')).toBe(1_500_000_000);
    expect(parseBitrate('800kbit/s')).toBe(800_000);
    expect(parseBitrate('20000bit/s')).toBe(20_000);
    expect(parseBitrate('100M')).toBe(100_000_000);
    expect(parseBitrate('1.5G')).toBe(1_500_000_000);
    expect(parseBitrate('500k')).toBe(500_000);
    expect(parseBitrate('500K')).toBe(500_000);
    expect(parseBitrate('10Mbps')).toBe(10_000_000);
    expect(parseBitrate('64000')).toBe(64_000);
  });
  it('refuses bytes, words, zero and signs, naming the flag', () => {
    expect(() => parseBitrate('10MB/s')).toThrow(new UsageError('--bitrate is in bits per second (150Mbit/s, 1.5Gbit/s, 800kbit/s or iperf3-style 100M), not bytes: got "10MB/s"'));
    expect(() => parseBitrate('-5M')).toThrow(new UsageError('--bitrate needs a bit rate such as 150Mbit/s, 1.5Gbit/s, 800kbit/s or iperf3-style 100M (SI: k = 10^3, M = 10^6), got "-5M"'));
    expect(() => parseBitrate('0.0001')).toThrow(new UsageError('--bitrate must be at least 1 bit/s, got "0.0001"'));
    expect(() => parseBitrate('1Mbit/h')).toThrow(UsageError);
  });
});
