import { describe, expect, it } from 'vitest';
import { ErrorCode } from '@sockbench/protocol';
import { PeerTable } from './peer-table.js';

describe('PeerTable (bounded LRU of UDP peers)', () => {
  it('counts received per (address, port), answered and drops by reason on the entry', () => {
    const t = new PeerTable(8);
    for (let i = 0; i < 3; i++) t.seen('127.0.0.1', 5000)!.answered++;
    const p = t.seen('127.0.0.1', 5000)!;
    p.drop(ErrorCode.UNSUPPORTED);
    t.seen('127.0.0.1', 5001)!.drop(ErrorCode.BAD_FRAME);
    t.seen('::1', 5000);
    expect(t.lookup(['127.0.0.1:5000', '127.0.0.1:5001', '[::1]:5000'])).toEqual({
      '127.0.0.1:5000': { received: 4, answered: 3, dropped: { UNSUPPORTED: 1 } },
      '127.0.0.1:5001': { received: 1, answered: 0, dropped: { BAD_FRAME: 1 } },
      '[::1]:5000': { received: 1, answered: 0, dropped: {} },
    });
    expect(t.stats()).toEqual({ size: 3, capacity: 8, evicted: 0 });
  });

  it('leaves out peers not held and strings that are no ip:port', () => {
    const t = new PeerTable(8);
    t.seen('127.0.0.1', 5000);
    expect(t.lookup(['127.0.0.1:5001', '10.0.0.1:5000', 'nonsense', '127.0.0.1', '::1:5000', '127.0.0.1:05000'])).toEqual({});
  });

  it('past its capacity evicts the least recently seen, counting evictions', () => {
    const t = new PeerTable(2);
    t.seen('127.0.0.1', 1);
    t.seen('127.0.0.1', 2);
    t.seen('127.0.0.1', 1); // 1 is now the most recent: 2 goes first
    t.seen('127.0.0.1', 3);
    expect(Object.keys(t.lookup(['127.0.0.1:1', '127.0.0.1:2', '127.0.0.1:3']))).toEqual(['127.0.0.1:1', '127.0.0.1:3']);
    expect(t.stats()).toEqual({ size: 2, capacity: 2, evicted: 1 });
    // A peer seen again after eviction starts from zero.
    t.seen('127.0.0.1', 2);
    expect(t.lookup(['127.0.0.1:2', '127.0.0.1:1'])).toEqual({ '127.0.0.1:2': { received: 1, answered: 0, dropped: {} } });
    expect(t.stats()).toEqual({ size: 2, capacity: 2, evicted: 2 });
  });

  it('keeps evicting under a flood of new sources, with every address distinct (spare port maps reused)', () => {
    const t = new PeerTable(3);
    for (let i = 0; i < 1000; i++) t.seen(`10.0.${i >> 8}.${i & 255}`, 9);
    expect(t.stats()).toEqual({ size: 3, capacity: 3, evicted: 997 });
    expect(Object.keys(t.lookup(['10.0.3.229:9', '10.0.3.230:9', '10.0.3.231:9', '10.0.3.228:9']))).toEqual(['10.0.3.229:9', '10.0.3.230:9', '10.0.3.231:9']);
  });

  it('capacity 0 turns it off', () => {
    const t = new PeerTable(0);
    expect(t.seen('127.0.0.1', 1)).toBeNull();
    expect(t.lookup(['127.0.0.1:1'])).toEqual({});
    expect(t.stats()).toEqual({ size: 0, capacity: 0, evicted: 0 });
  });
});
