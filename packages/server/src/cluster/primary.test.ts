import { describe, expect, it } from 'vitest';
import { RESPAWN_MAX_MS, respawnDelayMs } from './primary.js';

describe('respawnDelayMs', () => {
  it('doubles from 100 ms per quick crash and caps at 5 s', () => {
    expect([0, 1, 2, 3, 4, 5, 6, 20].map(respawnDelayMs)).toEqual([100, 200, 400, 800, 1600, 3200, RESPAWN_MAX_MS, RESPAWN_MAX_MS]);
  });
});
