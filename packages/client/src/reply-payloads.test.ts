import { describe, expect, it } from 'vitest';
import { MessageType, type StatsSnapshot } from '@sockbench/protocol';
import { UnexpectedFrameError } from './errors.js';
import { computeDigest, statsSnapshot } from './reply-payloads.js';

describe('computeDigest', () => {
  it('a 32-byte payload is the digest; any other size is UnexpectedFrameError', () => {
    const digest = Buffer.alloc(32, 9);
    expect(computeDigest({ payload: digest, rttMs: 1, id: 5 })).toBe(digest);
    for (const n of [0, 31, 33]) {
      const err = (() => {
        try {
          computeDigest({ payload: Buffer.alloc(n), rttMs: 1, id: 5 });
        } catch (e) {
          return e as UnexpectedFrameError;
        }
        throw new Error('expected a throw');
      })();
      expect(err).toBeInstanceOf(UnexpectedFrameError);
      expect([err.type, err.id, err.message]).toEqual([MessageType.COMPUTE, 5, `COMPUTE reply of ${n} bytes, expected 32`]);
    }
  });
});

describe('statsSnapshot', () => {
  const snapshot: StatsSnapshot = {
    uptimeMs: 1,
    processes: 1,
    connections: { current: 1, total: 1 },
    frames: { in: 1, out: 1 },
    bytes: { in: 12, out: 12 },
    errors: {},
    udp: { in: 0, out: 0, dropped: 0 },
    pool: { threads: 1, queued: 0, completed: 0 },
    serviceTimeUs: {},
  };

  it('decodes the STATS JSON', () => {
    expect(statsSnapshot({ payload: Buffer.from(JSON.stringify(snapshot)), rttMs: 1, id: 3 })).toMatchObject(snapshot);
  });

  it('a payload that is not the schema is UnexpectedFrameError "bad STATS reply" with the decode error as cause', () => {
    expect(() => statsSnapshot({ payload: Buffer.from('[]'), rttMs: 1, id: 3 })).toThrow(UnexpectedFrameError);
    expect(() => statsSnapshot({ payload: Buffer.from('{'), rttMs: 1, id: 3 })).toThrow(/^bad STATS reply: /);
  });
});
