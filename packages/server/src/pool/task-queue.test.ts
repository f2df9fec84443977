import { queueOptionsSymbol, type TaskQueue } from 'piscina';
import { describe, expect, it } from 'vitest';
import { LIGHT_BURST, LightFirstQueue } from './task-queue.js';

type Task = Parameters<TaskQueue['push']>[0];

/** A task as piscina would queue it: only its class matters to the queue. */
function task(name: string, light: boolean, requests = 1): Task & { name: string } {
  return { name, [queueOptionsSymbol]: { light, requests } } as unknown as Task & { name: string };
}

function drain(q: LightFirstQueue): string[] {
  const out: string[] = [];
  for (let t = q.shift(); t !== null; t = q.shift()) out.push((t as unknown as { name: string }).name);
  return out;
}

describe('LightFirstQueue', () => {
  it('hands out light tasks before COMPUTEs, each class in arrival order, and counts requests', () => {
    const q = new LightFirstQueue();
    q.push(task('c1', false));
    q.push(task('b1', true, 40));
    q.push(task('c2', false));
    q.push(task('b2', true, 3));
    expect([q.size, q.requests]).toEqual([4, 45]);
    expect(drain(q)).toEqual(['b1', 'b2', 'c1', 'c2']);
    expect([q.size, q.requests]).toEqual([0, 0]);
    expect(q.shift()).toBeNull();
  });

  it(`lets at most ${LIGHT_BURST} light tasks in a row pass a waiting COMPUTE`, () => {
    const q = new LightFirstQueue();
    q.push(task('c1', false));
    q.push(task('c2', false));
    for (let i = 0; i < 2 * LIGHT_BURST + 1; i++) q.push(task(`b${i}`, true));
    const burst = Array.from({ length: LIGHT_BURST }, (_, i) => `b${i}`);
    const second = Array.from({ length: LIGHT_BURST }, (_, i) => `b${LIGHT_BURST + i}`);
    expect(drain(q)).toEqual([...burst, 'c1', ...second, 'c2', `b${2 * LIGHT_BURST}`]);
  });

  it('light tasks with no COMPUTE waiting never count toward the burst', () => {
    const q = new LightFirstQueue();
    for (let i = 0; i < 3 * LIGHT_BURST; i++) {
      q.push(task(`b${i}`, true));
      expect(drain(q)).toEqual([`b${i}`]);
    }
    // A COMPUTE arriving now waits for a whole burst, not for none.
    q.push(task('c', false));
    for (let i = 0; i < LIGHT_BURST + 1; i++) q.push(task(`x${i}`, true));
    expect(drain(q).indexOf('c')).toBe(LIGHT_BURST);
  });

  it('unshift puts a task back at the front of its class (piscina: taken, no thread free); remove takes it out', () => {
    const q = new LightFirstQueue();
    const b1 = task('b1', true, 5);
    const c1 = task('c1', false);
    q.push(b1);
    q.push(task('b2', true, 2));
    q.push(c1);
    const first = q.shift();
    expect(first).toBe(b1);
    q.unshift(first!);
    expect(q.requests).toBe(8);
    q.remove(c1);
    expect([q.size, q.requests]).toEqual([2, 7]);
    expect(drain(q)).toEqual(['b1', 'b2']);
  });
});
