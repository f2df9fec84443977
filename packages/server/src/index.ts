/**
 * @sockbench/server: the multi-client TCP/UDP server of sockbench (docs/protocol.md).
 * `createServer(options)` runs one process; the CLI `sockbench-server` adds the cluster.
 */
export { Server, createServer, type ServerAddresses, type ClusterLink } from './server.js';
export { SERVER_OPTIONS, DISPATCH_MODES, fillOptions, type ServerOptions, type FilledOptions, type DispatchMode } from './options.js';
export { SockbenchServerError, SockbenchServerErrorCodes, ServerStateError, ListenError, type SockbenchServerErrorCode } from './errors.js';
export { mergeStats, type ProcessStats, type ServerStatsSnapshot, type Backpressure } from './stats/counters.js';
export { WRITE_HIGH_WATER_MARK } from './tcp/reply-writer.js';
export type { RawAddresses } from './raw/echo.js';
export { RAW_MODE_NAMES, type RawMode, type RawModeName } from './raw/modes.js';
export type { Lifecycle, Closable } from './lifecycle.js';
