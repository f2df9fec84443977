import { describe, expect, it } from 'vitest';
import { nextRequestId } from './request-ids.js';

describe('nextRequestId', () => {
  it('counts up by one', () => {
    expect(nextRequestId(0)).toBe(1);
    expect(nextRequestId(1)).toBe(2);
    expect(nextRequestId(0xffff_fffe)).toBe(0xffff_ffff);
  });

  it('wraps from 0xFFFFFFFF to 1, never 0', () => {
    expect(nextRequestId(0xffff_ffff)).toBe(1);
  });
});
