/**
 * The load loop's connections as a set: built with their ring sizes and request quotas, and what
 * the loop reads off their drivers once a run (UDP source addresses, granted socket buffers).
 */
import type { GrantedBuffers } from '@sockbench/client';
import { shareOf, type LoadPlan } from '../options.js';
import { ringCapacity } from './inflight-ring.js';
import { LoopConnection, type ConnectionEvents } from './loop-connection.js';
import { ringSlots } from './schedule.js';

/**
 * Appends to `conns` the connections with global indices `[a, b)` of `plan`, reporting to `events`:
 * each ring sized by the plan's schedule (schedule.ts' `ringSlots`), each quota its share of
 * `--requests` (Infinity without it).
 */
export function addConnections(conns: LoopConnection[], events: ConnectionEvents, plan: LoadPlan, [a, b]: [number, number]): void {
  const slots = ringSlots(plan);
  const most = ringCapacity(slots.most);
  const initial = Math.min(most, ringCapacity(slots.initial));
  for (let i = a; i < b; i++) {
    const quota = plan.requests !== null ? shareOf(plan.requests, i, plan.connections) : Number.POSITIVE_INFINITY;
    conns.push(new LoopConnection(events, i, most, quota, initial));
  }
}

/** The UDP sockets' source addresses (`ip:port`, drivers.ts' `Driver.peer`) of `conns`; empty over TCP and raw. */
export function peersOf(conns: readonly LoopConnection[]): string[] {
  const out: string[] = [];
  for (const c of conns) if (c.driver?.peer) out.push(c.driver.peer);
  return out;
}

/** SO_SNDBUF/SO_RCVBUF the kernel granted the first UDP socket of `conns`, bytes; null over TCP. */
export function buffersOf(conns: readonly LoopConnection[]): GrantedBuffers | null {
  for (const c of conns) if (c.driver?.buffers) return c.driver.buffers;
  return null;
}
