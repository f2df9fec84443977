/**
 * IPC messages between the cluster primary and its workers. Every kind starts with `sb:` so they
 * never collide with prom-client's own cluster messages on the same channel.
 */
import type { CpuTimes } from '@sockbench/protocol';
import type { ServerAddresses } from '../server.js';
import type { ProcessStats } from '../stats/counters.js';

/** Worker → primary: bound, serving. */
export interface ListeningMsg { kind: 'sb:listening'; index: number; addrs: ServerAddresses }
/** Both ways: a SAY to deliver to other processes' room members. */
export interface SayMsg { kind: 'sb:say'; room: string; from: string; text: string }
/** Worker → primary: a client asked STATS; gather every process (with the entries of `peers`, when the query named some). */
export interface StatsRequestMsg { kind: 'sb:stats-request'; reqId: number; peers?: string[] }
/** Primary → worker: send your numbers for gathering `reqId`, with your entries of `peers` (only those travel). */
export interface StatsCollectMsg { kind: 'sb:stats-collect'; reqId: number; peers?: string[] }
/** Worker → primary: this process's numbers for gathering `reqId`. */
export interface StatsPartMsg { kind: 'sb:stats-part'; reqId: number; stats: ProcessStats }
/** Primary → worker: the gathered numbers for its request `reqId`, and the primary's own CPU (µs). */
export interface StatsReplyMsg { kind: 'sb:stats-reply'; reqId: number; parts: ProcessStats[]; primaryCpu: CpuTimes }
/** Primary → worker: drain and exit 0. */
export interface DrainMsg { kind: 'sb:drain' }

/** Any message of ours. */
export type ClusterMsg = ListeningMsg | SayMsg | StatsRequestMsg | StatsCollectMsg | StatsPartMsg | StatsReplyMsg | DrainMsg;

/** True for a message of ours (other senders, e.g. prom-client, share the channel). */
export function isClusterMsg(m: unknown): m is ClusterMsg {
  return typeof m === 'object' && m !== null && typeof (m as { kind?: unknown }).kind === 'string'
    && (m as { kind: string }).kind.startsWith('sb:');
}

/** Environment variables that carry a worker's slot and configuration. */
export const ENV_INDEX = 'SOCKBENCH_WORKER_INDEX';
export const ENV_CONFIG = 'SOCKBENCH_WORKER_CONFIG';
