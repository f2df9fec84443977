/**
 * Where a stream session's STREAM_DATA flows (docs/protocol.md, "Stream"): a TCP data connection
 * attached to the session (STREAM_ATTACH as its first request, on the session's worker), or a UDP
 * socket connected to the session's `udpPort` (first a keyed STREAM_BIND, answered with a challenge;
 * for down the challenge goes back in STREAM_VALIDATE over the control connection, for up the BIND
 * made this socket the session's source). Both expose the same {@link DataPath}: send one
 * message (backpressure over TCP), hear each arriving one, close.
 */
export { type DataPath, type DataPathOptions, type DataSink } from './data-path-types.js';
export { attachTcp } from './tcp-data-path.js';
export { UDP_SEND_QUEUE_LIMIT, UdpDataPath, openUdp } from './udp-data-path.js';
