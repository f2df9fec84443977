/**
 * The low-level connection the load generator and {@link Client} share: send a frame with the caller's
 * id, get every decoded frame back with its receive time. No promise and no map entry per request, so a
 * generator can keep thousands in flight and match replies by id itself.
 */
import type { Frame, Hello, ProtocolError } from '@sockbench/protocol';
import type { SocketOptions } from './socket-options.js';

/** Callbacks of a channel. */
export interface ChannelHandlers {
  /**
   * Every decoded frame (replies and pushes), with its receive time: `performance.now()` in ms
   * (sub-µs resolution), taken once per TCP chunk / UDP datagram before decoding. `frame.payload` may be
   * a view into the received chunk (with {@link ChannelOptions.reuseReadBuffer}, valid only during the call). Frames consumed while opening (the WELCOME push, the HELLO reply)
   * are not passed here.
   */
  onFrame(frame: Frame, receivedAtMs: number): void;
  /** Once, when the channel closes; `err` when it closed on an error (socket error, malformed frame). */
  onClose?(err?: Error): void;
  /**
   * UDP only: a datagram that is not exactly one frame (BadFrameError: shorter than the header, not the
   * size its header says, unknown version, reserved flags; FrameTooLargeError: a header over
   * `maxPayload`), with its receive time (ms). It is dropped either way and counted in
   * `droppedDatagrams`; this lets a caller count it by kind. A TCP channel reports a malformed frame
   * through `onClose(err)` instead, since it closes on it.
   */
  onUndecodable?(err: ProtocolError, receivedAtMs: number): void;
}

/** Options of {@link openTcpChannel} and {@link openUdpChannel}. */
export interface ChannelOptions {
  /** Server host name or IP address. */
  host: string;
  /** Server port (TCP and UDP share the number). */
  port: number;
  /** Largest reply payload accepted, bytes; default 1 MiB, at most 16 MiB. A larger one closes a TCP channel. */
  maxPayload?: number;
  /** Time allowed to connect and receive the WELCOME (and the HELLO reply), ms; default `DEFAULT_CONNECT_TIMEOUT_MS` (5000, protocol). */
  connectTimeoutMs?: number;
  /** TCP only: sent as HELLO (with id 1) right after the WELCOME; the channel opens once it is answered. */
  hello?: Hello;
  /**
   * TCP only: read every chunk into one 64 KiB buffer (Node's `onread`), shared by every such channel
   * of the thread, instead of a new buffer per read. Saves an allocation and its garbage per read, but a `frame.payload` handed
   * to `onFrame` is then valid only until `onFrame` returns: copy what you keep. Default false. The
   * load generator sets it; {@link Client} does not (it hands payloads to promises).
   */
  reuseReadBuffer?: boolean;
  /**
   * Local address/port, address family, UDP buffer sizes, TCP_NODELAY (socket-options.ts). A TCP
   * channel rejects buffer sizes with a RangeError (Node cannot set them on TCP).
   */
  socket?: SocketOptions;
}

/** One open connection (TCP) or connected socket (UDP) that carries frames. */
export interface FrameChannel {
  readonly transport: 'tcp' | 'udp';
  /**
   * Sends one frame with the caller's id (no promise, no per-request allocation beyond the frame bytes).
   * Returns false when the TCP write buffer is over its high-water mark (backpressure): wait for
   * {@link onDrain}. UDP: always true. Sending on a closed channel is a no-op that returns false.
   * @throws RangeError when `id` is not a u32 or the payload is over 16 MiB
   */
  send(type: number, id: number, payload?: Uint8Array): boolean;
  /** Sets the callback run each time the TCP write buffer drains; a later call replaces it. Never runs on UDP. */
  onDrain(cb: () => void): void;
  /** Bytes queued but not yet written (TCP), 0 for UDP. */
  readonly pendingBytes: number;
  /** Closes the channel (TCP: flushes, sends FIN, waits for the close); resolves once closed. Idempotent. */
  close(): Promise<void>;
}

/** Id the channel gives its own HELLO request; a caller's ids may start at 2 to never repeat it. */
export const HELLO_ID = 1;
