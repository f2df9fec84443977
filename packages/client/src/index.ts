/**
 * @sockbench/client: the promise-based {@link Client} (TCP and UDP) and the low-level frame channels
 * the load generator drives. See ../README.md.
 */
export { Client, connect, type ClientEvents } from './client.js';
export type { Reply } from './pending-requests.js';
export {
  ClientError,
  ClientErrorCodes,
  ConnectError,
  ConnectionClosedError,
  ErrorReply,
  TimeoutError,
  UnexpectedFrameError,
  UnsupportedOnUdpError,
  StreamError,
  StreamUnsupportedError,
  formatHostPort,
  type ClientErrorCode,
} from './errors.js';
export {
  HELLO_ID,
  type ChannelHandlers,
  type ChannelOptions,
  type FrameChannel,
} from './channel.js';
export { openTcpChannel } from './tcp-channel.js';
export { openUdpChannel, type UdpFrameChannel } from './udp-channel.js';
export { bindUdpSocket, createUdpSocket, grantedBuffers, tcpConnectOptions, type GrantedBuffers, type SocketOptions } from './socket-options.js';
export {
  CONNECT_OPTIONS,
  DEFAULT_TIMEOUT_MS,
  fillConnectOptions,
  type ConnectOptions,
  type FilledConnectOptions,
} from './options.js';
export { nextRequestId } from './request-ids.js';
export { summarizeRtts, type RttSummary } from './rtt-summary.js';
export { StreamControl } from './stream/stream-control.js';
export { runStreams, type LiveInterval, type StreamRunOptions, type StreamSessionResult } from './stream/stream-run.js';
export { sendStream, SENDER_TURN_BYTES, type RunningSender, type SenderCounts, type SenderInterval, type SendOptions, type SenderTimers } from './stream/stream-sender.js';
export { SlotPacer, DEFAULT_MAX_BURST, type SlotPacerOptions } from './stream/slot-pacer.js';
export { attachTcp, openUdp, UdpDataPath, type DataPath, type DataPathOptions, type DataSink } from './stream/data-paths.js';
