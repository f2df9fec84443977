import { describe, expect, it } from 'vitest';
import { DueHeap, type DueItem } from './due-heap.js';

const item = (index: number, due: number): DueItem => ({ index, due, heapIndex: -1 });

/** Takes everything out in order: [index, due] pairs. */
function drain(h: DueHeap<DueItem>): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (let x = h.top(); x !== undefined; x = h.top()) {
    out.push([x.index, x.due]);
    h.remove(x);
  }
  return out;
}

describe('DueHeap', () => {
  it('gives items back by due time, equal ones by index', () => {
    const h = new DueHeap<DueItem>();
    for (const [i, d] of [[0, 5], [1, 3], [2, 5], [3, 1], [4, 3]] as const) h.push(item(i, d));
    expect(h.size).toBe(5);
    expect(drain(h)).toEqual([[3, 1], [1, 3], [4, 3], [0, 5], [2, 5]]);
    expect(h.size).toBe(0);
  });

  it('moves an item whose due time changed, later or sooner; push of an item already in moves it too', () => {
    const h = new DueHeap<DueItem>();
    const xs = [item(0, 10), item(1, 20), item(2, 30), item(3, 40)];
    for (const x of xs) h.push(x);
    xs[0]!.due = 35; // the top sent, its next send a period later
    h.update(xs[0]!);
    expect(h.top()).toBe(xs[1]);
    xs[3]!.due = 5;
    h.push(xs[3]!); // already in: moved, not added twice
    expect(h.size).toBe(4);
    expect(drain(h)).toEqual([[3, 5], [1, 20], [2, 30], [0, 35]]);
  });

  it('takes an item out from the middle and keeps the rest in order; remove and update of one not in do nothing', () => {
    const h = new DueHeap<DueItem>();
    const xs = [1, 2, 3, 4, 5, 6, 7].map((d, i) => item(i, d));
    for (const x of xs) h.push(x);
    h.remove(xs[2]!);
    h.remove(xs[5]!);
    expect([xs[2]!.heapIndex, xs[5]!.heapIndex]).toEqual([-1, -1]);
    h.remove(xs[2]!);
    xs[2]!.due = 0;
    h.update(xs[2]!);
    expect(h.size).toBe(5);
    expect(drain(h)).toEqual([[0, 1], [1, 2], [3, 4], [4, 5], [6, 7]]);
  });

  it('every item knows its place: heapIndex points back at it after any mix of operations', () => {
    const h = new DueHeap<DueItem>();
    const xs = Array.from({ length: 40 }, (_, i) => item(i, (i * 37) % 11));
    for (const x of xs) h.push(x);
    for (let k = 0; k < 40; k += 3) h.remove(xs[k]!);
    for (let k = 1; k < 40; k += 4) {
      xs[k]!.due += 7;
      h.update(xs[k]!);
    }
    const inHeap = xs.filter((x) => x.heapIndex >= 0);
    expect(inHeap.length).toBe(h.size);
    const order = drain(h);
    const want = inHeap.map((x) => [x.index, x.due] as [number, number]).sort((a, b) => a[1] - b[1] || a[0] - b[0]);
    expect(order).toEqual(want);
  });
});
