/**
 * What every connection and endpoint of one process shares: options, counters, the executor, the
 * rooms, and the process-wide operations that may cross processes (STATS, SAY relay).
 */
import type { Logger } from 'pino';
import type { StatsQuery } from '@sockbench/protocol';
import type { Executor } from './dispatch/executor.js';
import type { Rooms } from './chat/rooms.js';
import type { FilledOptions } from './options.js';
import type { Counters, ServerStatsSnapshot } from './stats/counters.js';
import type { StreamSessions } from './stream/registry.js';

/** Shared state of one server process. */
export interface ProcessContext {
  readonly options: FilledOptions;
  readonly counters: Counters;
  readonly executor: Executor;
  readonly rooms: Rooms;
  /** This process's stream sessions (docs/protocol.md, "Stream"). */
  readonly streams: StreamSessions;
  readonly logger: Logger;
  /** Pre-encoded WELCOME payload (also the HELLO reply). */
  readonly welcome: Buffer;
  /** True once the server began draining: new requests get SHUTTING_DOWN. */
  draining: boolean;
  /** The whole server's STATS (summed over processes in a cluster), with what `query` asks. */
  stats(query?: StatsQuery): Promise<ServerStatsSnapshot>;
  /** Delivers a SAY to this process's members of `room` (except `sender`) and to the other processes. */
  say(room: string, from: string, text: string, sender: object): void;
}
