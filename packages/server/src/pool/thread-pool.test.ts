import { createHash } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { MessageType } from '@sockbench/protocol';
import { TaskKind } from './batch-layout.js';
import { waitFor } from '../../test/helpers.js';
import type { PoolSink } from './sink.js';
import { MAX_BATCH_BYTES, MAX_BATCH_REQUESTS, ThreadPool } from './thread-pool.js';
import type { PoolPolicy } from './sched-policy.js';
import { HAS_CHRT, SCHED_IDLE, threadsWithPolicy } from '../../test/proc-threads.js';

/** A sink that records every outcome as text, and resolves `all` once `expected` have come. */
class RecordingSink implements PoolSink {
  readonly got: string[] = [];
  readonly payloads = new Map<number, Buffer>();
  readonly costs: number[] = [];
  #expected: number;
  #resolve!: () => void;
  readonly all = new Promise<void>((resolve) => (this.#resolve = resolve));

  constructor(expected: number) {
    this.#expected = expected;
    if (expected === 0) this.#resolve();
  }

  poolReply(type: number, id: number, payload: Uint8Array, t0: number, cost: number, tag: unknown): void {
    this.got.push(`reply ${type} ${id} ${payload.length} B t0 ${t0} tag ${String(tag)}`);
    this.payloads.set(id, Buffer.from(payload));
    this.costs.push(cost);
    if (this.got.length === this.#expected) this.#resolve();
  }

  poolFailed(type: number, id: number, err: unknown): void {
    this.got.push(`failed ${type} ${id}: ${err instanceof Error ? err.message : String(err)}`);
    if (this.got.length === this.#expected) this.#resolve();
  }
}

const pools: ThreadPool[] = [];
function pool(threads: number, poolQueue: number, nice = 0, policy: PoolPolicy = 'other'): ThreadPool {
  const p = new ThreadPool(threads, poolQueue, nice, policy);
  pools.push(p);
  return p;
}
afterEach(async () => {
  await Promise.all(pools.splice(0).map((p) => p.close()));
});

/** How many threads of this process run at niceness `nice` above the process's own (/proc/self/task/<tid>/stat, field 19), as piscina's niceIncrement sets it. */
function threadsAtNice(nice: number): number {
  return threadsAtNiceness(Math.min(19, BASE_NICE + nice));
}

/** The niceness this test process runs at (a suite run under `nice -n 5` starts every thread at 5). */
const BASE_NICE = Number(readFileSync('/proc/self/stat', 'utf8').split(') ')[1]!.split(' ')[19 - 3]);

/** How many threads of this process run at the absolute niceness `nice`. */
function threadsAtNiceness(nice: number): number {
  let n = 0;
  for (const tid of readdirSync('/proc/self/task')) {
    const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces) start at field 3.
    if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19 - 3]) === nice) n++;
  }
  return n;
}

const echoData = (conn: number, id: number): Buffer => Buffer.from(`conn ${conn} id ${id} `.repeat(id % 5));

describe('ThreadPool: batches', () => {
  it('the PING/ECHO handed over in one turn, from three sinks, cross as one task; each sink gets exactly its replies', async () => {
    const p = pool(2, 1024);
    const sinks = [new RecordingSink(10), new RecordingSink(10), new RecordingSink(10)];
    for (let id = 1; id <= 10; id++) {
      sinks.forEach((sink, conn) => {
        const ok =
          id % 3 === 0
            ? p.light(MessageType.PING, TaskKind.PING, id, Buffer.alloc(0), sink, id * 10, 0, `c${conn}`)
            : p.light(MessageType.ECHO, TaskKind.ECHO, id, echoData(conn, id), sink, id * 10, echoData(conn, id).length, `c${conn}`);
        expect(ok).toBe(true);
      });
    }
    // Not sent yet: the batch waits for the end of the turn, and counts as queued.
    expect([p.tasks, p.stats().queued]).toEqual([0, 30]);
    await Promise.all(sinks.map((s) => s.all));
    expect(p.tasks).toBe(1);
    expect(p.stats()).toEqual({ threads: 2, queued: 0, completed: 30 });
    sinks.forEach((sink, conn) => {
      const want = Array.from({ length: 10 }, (_, i) => {
        const id = i + 1;
        return id % 3 === 0 ? `reply ${MessageType.PING} ${id} 0 B t0 ${id * 10} tag c${conn}` : `reply ${MessageType.ECHO} ${id} ${echoData(conn, id).length} B t0 ${id * 10} tag c${conn}`;
      });
      expect(sink.got).toEqual(want);
      for (let id = 1; id <= 10; id++) expect(sink.payloads.get(id)!.equals(id % 3 === 0 ? Buffer.alloc(0) : echoData(conn, id))).toBe(true);
      expect(sink.costs).toEqual(Array.from({ length: 10 }, (_, i) => (i + 1) % 3 === 0 ? 0 : echoData(conn, i + 1).length));
    });
  });

  it(`a turn of more than ${MAX_BATCH_REQUESTS} requests, or of more than ${MAX_BATCH_BYTES} bytes, is split; a larger ECHO goes alone`, async () => {
    const p = pool(2, 4096);
    const many = new RecordingSink(MAX_BATCH_REQUESTS + 1);
    for (let id = 1; id <= MAX_BATCH_REQUESTS + 1; id++) p.light(MessageType.PING, TaskKind.PING, id, Buffer.alloc(0), many, 0, 0, null);
    // The batch is sent the moment it is full, within the turn.
    expect(p.tasks).toBe(1);
    await many.all;
    expect(p.tasks).toBe(2);
    expect(many.got).toHaveLength(MAX_BATCH_REQUESTS + 1);

    const big = new RecordingSink(4);
    const half = MAX_BATCH_BYTES / 2 - 100; // two fit in one batch
    const huge = Buffer.alloc(3 * MAX_BATCH_BYTES, 0x68);
    p.light(MessageType.ECHO, TaskKind.ECHO, 1, Buffer.alloc(half, 1), big, 0, half, null);
    p.light(MessageType.ECHO, TaskKind.ECHO, 2, Buffer.alloc(half, 2), big, 0, half, null);
    expect(p.tasks).toBe(2);
    p.light(MessageType.ECHO, TaskKind.ECHO, 3, huge, big, 0, huge.length, null);
    // 1 and 2 left when 3 did not fit beside them; 3, larger than a batch, left alone at once.
    expect(p.tasks).toBe(4);
    p.light(MessageType.ECHO, TaskKind.ECHO, 4, Buffer.alloc(half, 4), big, 0, half, null);
    await big.all;
    expect(p.tasks).toBe(5);
    const want = [Buffer.alloc(half, 1), Buffer.alloc(half, 2), huge, Buffer.alloc(half, 4)];
    expect(want.map((w, i) => big.payloads.get(i + 1)!.equals(w))).toEqual([true, true, true, true]);
  });

  it('admits threads + poolQueue requests, counting each request of a batch; a settled batch frees its room', async () => {
    const p = pool(1, 2);
    const sink = new RecordingSink(3);
    const admitted = [1, 2, 3, 4, 5].map((id) => p.light(MessageType.PING, TaskKind.PING, id, Buffer.alloc(0), sink, 0, 0, null));
    expect(admitted).toEqual([true, true, true, false, false]);
    expect(p.compute(MessageType.COMPUTE, 6, 1, new Uint8Array(1), sink, 0, 5, null)).toBe(false);
    await sink.all;
    expect(sink.got.map((g) => g.split(' ')[2])).toEqual(['1', '2', '3']);
    const next = new RecordingSink(1);
    expect(p.light(MessageType.PING, TaskKind.PING, 7, Buffer.alloc(0), next, 0, 0, null)).toBe(true);
    await next.all;
  });

  it('COMPUTE: one task per request, the right digest, its cost and tag back', async () => {
    const p = pool(2, 16);
    const sink = new RecordingSink(2);
    const data = Buffer.from('abc');
    p.compute(MessageType.COMPUTE, 1, 3, new Uint8Array(data), sink, 5, 7, 't');
    p.compute(MessageType.COMPUTE, 2, 1, new Uint8Array(data), sink, 6, 7, 't');
    expect(p.tasks).toBe(2);
    await sink.all;
    let h = createHash('sha256').update(data).digest();
    const one = h;
    for (let i = 1; i < 3; i++) h = createHash('sha256').update(h).digest();
    expect(sink.payloads.get(1)!.equals(h)).toBe(true);
    expect(sink.payloads.get(2)!.equals(one)).toBe(true);
    expect(sink.got.sort()).toEqual([`reply ${MessageType.COMPUTE} 1 32 B t0 5 tag t`, `reply ${MessageType.COMPUTE} 2 32 B t0 6 tag t`]);
    expect(sink.costs).toEqual([7, 7]);
  });

  it('close() sends the batch being filled; what the threads did not finish fails to its sink', async () => {
    const p = new ThreadPool(1, 8);
    const sink = new RecordingSink(3);
    p.compute(MessageType.COMPUTE, 1, 5_000_000, new Uint8Array(1), sink, 0, 5, null);
    p.light(MessageType.PING, TaskKind.PING, 2, Buffer.alloc(0), sink, 0, 0, null);
    p.light(MessageType.ECHO, TaskKind.ECHO, 3, Buffer.from('x'), sink, 0, 1, null);
    await p.close();
    await sink.all;
    expect(sink.got.map((g) => g.split(':')[0]).sort()).toEqual([`failed ${MessageType.COMPUTE} 1`, `failed ${MessageType.ECHO} 3`, `failed ${MessageType.PING} 2`].sort());
    expect(p.tasks).toBe(2);
  });

  it.runIf(process.platform === 'linux')('nice: each thread, and only the threads, run at the niceness asked (piscina niceIncrement)', async () => {
    expect(threadsAtNice(7)).toBe(0);
    const p = pool(2, 4, 7);
    const sink = new RecordingSink(1);
    p.light(MessageType.PING, TaskKind.PING, 1, Buffer.alloc(0), sink, 0, 0, null);
    await sink.all;
    // A thread renices itself as it starts; the other may still be starting.
    await waitFor(() => threadsAtNice(7) === 2, 10_000, 'both threads at nice 7');
    expect(threadsAtNice(7)).toBe(2);
  });

  it.runIf(HAS_CHRT)('policy idle: each thread, and only the threads, move to SCHED_IDLE as they start; other leaves them', async () => {
    const before = threadsWithPolicy(SCHED_IDLE);
    const other = pool(1, 4, 0, 'other');
    const idle = pool(2, 4, 0, 'idle');
    const sinks = [new RecordingSink(1), new RecordingSink(1)];
    other.light(MessageType.PING, TaskKind.PING, 1, Buffer.alloc(0), sinks[0]!, 0, 0, null);
    idle.light(MessageType.PING, TaskKind.PING, 2, Buffer.alloc(0), sinks[1]!, 0, 0, null);
    await Promise.all(sinks.map((s) => s.all));
    await waitFor(() => threadsWithPolicy(SCHED_IDLE) === before + 2, 10_000, 'both idle-policy threads at SCHED_IDLE');
    // The 'other' pool's thread answered, so it has loaded the task file: it stayed where it was.
    expect(threadsWithPolicy(SCHED_IDLE)).toBe(before + 2);
  });
});
