import { describe, expect, it } from 'vitest';
import { Flags, MessageType } from './constants.js';
import { FrameDecoder } from './decoder.js';
import { FlushingBatch } from './flushing-batch.js';

/** A batch whose sink and schedule only record: `ticks` holds the scheduled flushes, run by hand. */
function recorded(): { batch: FlushingBatch; flushes: (number[] | null)[]; ticks: (() => void)[] } {
  const flushes: (number[] | null)[] = [];
  const ticks: (() => void)[] = [];
  const decoder = new FrameDecoder({ expect: 'replies' });
  const batch = new FlushingBatch(
    (out) => {
      if (out === null) return void flushes.push(null);
      const ids: number[] = [];
      decoder.push(out, (f) => ids.push(f.id));
      flushes.push(ids);
    },
    (fn) => ticks.push(fn),
  );
  return { batch, flushes, ticks };
}

const ping = (batch: FlushingBatch, id: number): void => batch.add(MessageType.PING, Flags.RESPONSE, id, Buffer.alloc(0));

describe('FlushingBatch', () => {
  it('outside a chunk: the first frame schedules one flush, which carries every frame queued before it runs', () => {
    const { batch, flushes, ticks } = recorded();
    ping(batch, 1);
    ping(batch, 2);
    ping(batch, 3);
    expect(ticks).toHaveLength(1);
    expect(flushes).toEqual([]);
    expect(batch.byteLength).toBe(36);
    ticks.shift()!();
    expect(flushes).toEqual([[1, 2, 3]]);
    expect(batch.byteLength).toBe(0);
    // The next frame schedules a fresh flush.
    ping(batch, 4);
    expect(ticks).toHaveLength(1);
    ticks.shift()!();
    expect(flushes).toEqual([[1, 2, 3], [4]]);
  });

  it('inside a chunk: nothing is scheduled; endChunk() writes the chunk\'s frames as one buffer', () => {
    const { batch, flushes, ticks } = recorded();
    batch.beginChunk();
    for (let id = 1; id <= 16; id++) ping(batch, id);
    expect(flushes).toEqual([]);
    batch.endChunk();
    expect(ticks).toEqual([]);
    expect(flushes).toEqual([Array.from({ length: 16 }, (_, i) => i + 1)]);
  });

  it('a flush scheduled before a chunk carries nothing the chunk already wrote: the sink gets null', () => {
    const { batch, flushes, ticks } = recorded();
    ping(batch, 1);
    batch.beginChunk();
    ping(batch, 2);
    batch.endChunk();
    expect(flushes).toEqual([[1, 2]]);
    ticks.shift()!();
    expect(flushes).toEqual([[1, 2], null]);
  });

  it('flush() writes at once; clear() drops the queued frames', () => {
    const { batch, flushes, ticks } = recorded();
    ping(batch, 7);
    batch.flush();
    expect(flushes).toEqual([[7]]);
    ping(batch, 8);
    ping(batch, 9);
    batch.clear();
    expect(batch.byteLength).toBe(0);
    ticks.forEach((t) => t());
    expect(flushes).toEqual([[7], null]);
  });
});
