import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatDuration, parseDuration } from './duration.js';

describe('durations', () => {
  it('reads units and bare seconds', () => {
    expect(parseDuration('10s')).toBe(10_000);
    expect(parseDuration('500ms')).toBe(500);
    expect(parseDuration(' 2m ')).toBe(120_000);
    expect(parseDuration('1h')).toBe(3_600_000);
    expect(parseDuration('1.5')).toBe(1500);
    expect(parseDuration(3)).toBe(3000);
    for (const bad of ['-1s', 'soon', '', '1d', null, undefined, true]) expect(parseDuration(bad), String(bad)).toBeUndefined();
  });

  it('formats back to text that parses to the same ms', () => {
    expect([formatDuration(10_000), formatDuration(120_000), formatDuration(1500)]).toEqual(['10s', '2m', '1500ms']);
    fc.assert(fc.property(fc.integer({ min: 0, max: 1e9 }), (ms) => parseDuration(formatDuration(ms)) === ms));
  });
});
