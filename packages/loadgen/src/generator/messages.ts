/** Messages between the main thread and a generator thread (structured-clone safe, no classes). */
import type { ErrorCode } from '@sockbench/protocol';
import type { GrantedBuffers } from '@sockbench/client';
import type { LoadPlan } from '../options.js';
import type { LoopHealth } from './loop-monitor.js';
import type { RawInterval, RunHistograms } from './recorder.js';

export type { RawInterval, ThreadInterval } from './recorder.js';

/** What a thread sends when it is done (after its last interval). */
export interface ThreadFinal extends RunHistograms, LoopHealth {
  thread: number;
  /** End of sending, ms from the start of measuring. */
  sendEndMs: number;
  /** End of the drain, ms from the start of measuring. */
  drainEndMs: number;
  /** Connections that closed during the run. */
  connectionsLost: number;
  /**
   * Requests sent and replies received (any: late, duplicate, unexpected too) since the load
   * started, warm-up included: what the server's UDP counts since its first snapshot are held against.
   */
  loadSent: number;
  loadReplies: number;
}

/** `workerData` of a generator thread. */
export interface ThreadData {
  plan: LoadPlan;
  token: string | null;
  thread: number;
  /** Global connection indices `[start, end)`. */
  connections: [number, number];
}

/** Main → thread. `startEpochMs` is wall-clock ms with sub-ms precision (performance.timeOrigin + now). */
/** `end`: stop sending now, drain, report as usual (Ctrl-C). */
export type ToThread = { kind: 'start'; startEpochMs: number } | { kind: 'end' };

/** A failure, flattened for postMessage. */
export interface ThreadFailure {
  name: string;
  message: string;
  /** The stable code of a LoadgenError (`SOCKBENCH_…`). */
  code?: string;
  /** TargetUnreachable's OS code (`ECONNREFUSED`, …). */
  osCode?: string;
  /** TargetUnreachable's wire code, when the server refused the connection by ERROR (BUSY, …). */
  errorCode?: ErrorCode;
  host?: string;
  port?: number;
  exitCode?: number;
}

/** Thread → main. */
export type FromThread =
  /**
   * `peers`: the thread's UDP source addresses (`ip:port`), for the server's per-peer STATS;
   * `buffers`: the socket buffer sizes its first UDP socket was granted (null over TCP).
   */
  | { kind: 'ready'; thread: number; peers: string[]; buffers: GrantedBuffers | null }
  | { kind: 'failed'; thread: number; error: ThreadFailure }
  /** The histogram as counts, its buffer transferred (not copied); the main thread encodes it. */
  | { kind: 'interval'; interval: RawInterval }
  | { kind: 'done'; final: ThreadFinal }
  | { kind: 'closed'; thread: number };

/**
 * V8 heap limits of a generator thread (`new Worker(…, { resourceLimits })`). The young generation
 * is capped at 12 MiB (semi-spaces of 4 MiB) instead of V8's default, which grows to 48 MiB while a
 * thread opens thousands of connections (nearly everything allocated then survives, and V8 answers
 * a high survival rate by growing it) and keeps those pages resident for the run: at 10,000
 * connections over 2 threads that was 3 to 4 KiB of RSS per connection. Source: V8's heap sizing
 * (`Heap::ConfigureHeap`); measured by tools/limits/loadgen-memory.mjs (loadgen README, "Memory").
 */
export const GENERATOR_RESOURCE_LIMITS = { maxYoungGenerationSizeMb: 12 } as const;
