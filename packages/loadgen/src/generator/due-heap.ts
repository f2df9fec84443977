/**
 * The open loop's connections by next send time: a binary min-heap on `due` (ties by `index`, so the
 * order is the same on every run), each item holding its own place (`heapIndex`, −1 when out) so
 * that it can be moved or taken out without a search. A tick then costs what it sends, O(log C) a
 * send, instead of a scan of every connection of the thread (5,000 per wake at 10,000 connections
 * over 2 threads). Nothing allocates but the array's growth.
 *
 *            [0]            items[i]'s children are items[2i + 1] and items[2i + 2];
 *          /     \          every item's due is at or before its children's
 *       [1]       [2]
 *      /   \     /   \
 *    [3]  [4]  [5]   [6]
 */

/** What the heap orders: a due time (ms), a tie-break and the item's place in the heap. */
export interface DueItem {
  /** Next send time, ms. */
  due: number;
  /** Tie-break between equal due times (the connection's index). */
  readonly index: number;
  /** Place in its heap, −1 when in none (the heap keeps it). */
  heapIndex: number;
}

/** Items by `(due, index)`, smallest first. */
export class DueHeap<T extends DueItem> {
  readonly #items: T[] = [];

  /** Items in the heap. */
  get size(): number {
    return this.#items.length;
  }

  /** The item due first, or undefined when empty. */
  top(): T | undefined {
    return this.#items[0];
  }

  /** Puts `x` in (or, when it is in already, to its place for its due time now). */
  push(x: T): void {
    if (x.heapIndex >= 0) {
      this.update(x);
      return;
    }
    x.heapIndex = this.#items.length;
    this.#items.push(x);
    this.#up(x.heapIndex);
  }

  /** Moves `x` to its place after its due time changed; nothing when it is not in. */
  update(x: T): void {
    const i = x.heapIndex;
    if (i < 0) return;
    if (!this.#up(i)) this.#down(i);
  }

  /** Takes `x` out; nothing when it is not in. */
  remove(x: T): void {
    const i = x.heapIndex;
    if (i < 0) return;
    x.heapIndex = -1;
    const last = this.#items.pop()!;
    if (last === x) return;
    this.#items[i] = last;
    last.heapIndex = i;
    if (!this.#up(i)) this.#down(i);
  }

  #before(a: T, b: T): boolean {
    return a.due < b.due || (a.due === b.due && a.index < b.index);
  }

  /** Moves items[i] up while it goes before its parent; true when it moved. */
  #up(i: number): boolean {
    const items = this.#items;
    const x = items[i]!;
    let moved = false;
    while (i > 0) {
      const p = (i - 1) >> 1;
      const parent = items[p]!;
      if (!this.#before(x, parent)) break;
      items[i] = parent;
      parent.heapIndex = i;
      i = p;
      moved = true;
    }
    items[i] = x;
    x.heapIndex = i;
    return moved;
  }

  /** Moves items[i] down while a child goes before it. */
  #down(i: number): void {
    const items = this.#items;
    const n = items.length;
    const x = items[i]!;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const c = r < n && this.#before(items[r]!, items[l]!) ? r : l;
      const child = items[c]!;
      if (!this.#before(child, x)) break;
      items[i] = child;
      child.heapIndex = i;
      i = c;
    }
    items[i] = x;
    x.heapIndex = i;
  }
}
