import { describe, expect, it } from 'vitest';
import { CLI_OPTIONS, COMPUTE_OPTIONS, DEFAULT_CLI_ITERATIONS, PING_OPTIONS } from './command-options.js';

describe('command flags', () => {
  it('fill their defaults once from parsed argv', () => {
    expect(CLI_OPTIONS.fill(CLI_OPTIONS.fromArgv({ _: [] }))).toEqual({ udp: false });
    expect(PING_OPTIONS.fill(PING_OPTIONS.fromArgv({ c: 3, count: 3, interval: 0.2 }))).toEqual({ count: 3, intervalS: 0.2, json: false });
    expect(COMPUTE_OPTIONS.fill({})).toEqual({ iterations: DEFAULT_CLI_ITERATIONS });
  });

  it.each([
    [() => PING_OPTIONS.fill({ count: -1 }), RangeError, '--count must be an integer ≥ 0 requests, got -1'],
    [() => PING_OPTIONS.fill({ count: 1.5 }), TypeError, '--count must be an integer ≥ 0 requests, got 1.5'],
    [() => PING_OPTIONS.fill({ intervalS: 3601 }), RangeError, '--interval must be a number in 0..3600 seconds, got 3601'],
    [() => COMPUTE_OPTIONS.fill({ iterations: 0 }), RangeError, '--iterations must be an integer in 1..4294967295 SHA-256 rounds, got 0'],
  ])('%# refuses a bad value naming the flag, its value and the range', (fill, cls, message) => {
    expect(fill).toThrow(cls);
    expect(fill).toThrow(message);
  });
});
