/**
 * The piscina worker: runs one request's work on a thread. Loaded by file from dist/pool/task.js.
 * COMPUTE is SHA-256 applied `iterations` times (docs/protocol.md: h1 = sha256(data),
 * hk = sha256(h(k-1))); PING and ECHO only exist here so `--dispatch pool` can measure the hop.
 */
import { hash } from 'node:crypto';
import { move } from 'piscina';

/** Work kinds a thread runs (numbers, so the message stays tiny). */
export const TaskKind = { PING: 0, ECHO: 1, COMPUTE: 2 } as const;

/** One task as posted to a thread. `data` is a copy the thread owns (transferred, not cloned). */
export interface PoolTask {
  kind: number;
  iterations: number;
  data: Uint8Array;
}

const EMPTY = new Uint8Array(0);

/** Runs one task; returns the reply payload (COMPUTE: the 32-byte digest). */
export default function runTask(task: PoolTask): Uint8Array {
  if (task.kind === TaskKind.COMPUTE) {
    let digest: Buffer = hash('sha256', task.data, 'buffer');
    for (let i = 1; i < task.iterations; i++) digest = hash('sha256', digest, 'buffer');
    return digest;
  }
  if (task.kind === TaskKind.ECHO) return move(task.data) as Uint8Array;
  return EMPTY;
}
