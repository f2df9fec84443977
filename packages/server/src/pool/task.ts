/**
 * The piscina worker, loaded by file from dist/pool/task.js. Two exports, chosen per task with
 * piscina's `name` option:
 * - `default`: one COMPUTE, SHA-256 applied `iterations` times (docs/protocol.md: h1 = sha256(data),
 *   hk = sha256(h(k-1))).
 * - `runBatch`: a batch of PING and ECHO requests (batch-layout.ts), answered in place. They only
 *   exist on a thread so `--dispatch pool` can measure the hop.
 */
import { hash } from 'node:crypto';
import { threadId as jsThreadId, workerData } from 'node:worker_threads';
import { move } from 'piscina';
import { BATCH_HEADER_BYTES, RECORD_HEADER_BYTES, TaskKind } from './batch-layout.js';
import { enterIdlePolicy, type PoolPolicy } from './sched-policy.js';

/** What each thread is started with (piscina's `workerData`). */
export interface TaskWorkerData {
  /** The scheduling policy the thread puts itself in as it loads this file. */
  policy: PoolPolicy;
}

// As the thread loads this file (after piscina's niceIncrement): SCHED_IDLE where asked. A thread that
// cannot keeps its niceness and says why on stderr (a process warning), once.
if ((workerData as Partial<TaskWorkerData> | undefined)?.policy === 'idle') {
  const outcome = enterIdlePolicy();
  if (!outcome.ok) process.emitWarning(`pool thread ${jsThreadId} keeps SCHED_OTHER and its niceness: ${outcome.reason}`, { code: 'SOCKBENCH_POOL_POLICY' });
}

/** One COMPUTE as posted to a thread. `data` is a copy the thread owns (transferred, not cloned). */
export interface ComputeTask {
  iterations: number;
  data: Uint8Array;
}

/** One batch as posted to a thread: the buffer of batch-layout.ts (transferred, not cloned). */
export interface BatchTask {
  batch: ArrayBuffer;
}

/** Runs one COMPUTE; returns the 32-byte digest. */
export default function runCompute(task: ComputeTask): Uint8Array {
  let digest: Buffer = hash('sha256', task.data, 'buffer');
  for (let i = 1; i < task.iterations; i++) digest = hash('sha256', digest, 'buffer');
  return digest;
}

/**
 * Answers a batch of PING and ECHO records in place and moves the buffer back: a PING's reply is
 * empty, an ECHO's is its own bytes, already where the main thread expects them.
 * @throws RangeError for a record that is neither (the main thread never writes one) or runs past the buffer
 */
export function runBatch(task: BatchTask): unknown {
  const buf = task.batch;
  const view = new DataView(buf);
  const count = view.getUint32(0, true);
  let off = BATCH_HEADER_BYTES;
  for (let i = 0; i < count; i++) {
    const kind = view.getUint8(off);
    const n = view.getUint32(off + 4, true);
    if ((kind !== TaskKind.PING && kind !== TaskKind.ECHO) || (kind === TaskKind.PING && n !== 0)) throw new RangeError(`batch record ${i}: kind ${kind} with ${n} bytes is not a PING or ECHO`);
    off += RECORD_HEADER_BYTES + n;
    if (off > buf.byteLength) throw new RangeError(`batch record ${i} runs past the buffer (${off} > ${buf.byteLength} bytes)`);
  }
  return move(buf);
}
