/**
 * The shape every stream data path shares (docs/protocol.md, "Stream"): {@link DataPath} (send one
 * message, hear each arriving one, close), where it connects ({@link DataPathOptions}), and the
 * default receiver clock.
 */
import { performance } from 'node:perf_hooks';
import type { GrantedBuffers, SocketOptions } from '../socket-options.js';

/** One STREAM_DATA message as it arrived: its fields, its whole-frame bytes, its arrival (µs, the path's clock). */
export type DataSink = (sequence: number, sentUs: number, bytes: number, arrivalUs: number) => void;

/** A session's data path. */
export interface DataPath {
  readonly transport: 'tcp' | 'udp';
  /**
   * Sends one STREAM_DATA frame: `frame` is the whole frame (header included, from
   * `newStreamDataFrame` + `stampStreamData`), owned by the path from here on. False:
   * backpressure (TCP: the write buffer; UDP: datagrams the kernel has not taken), wait for
   * {@link onDrain}; the frame itself is sent.
   */
  send(frame: Buffer): boolean;
  onDrain(cb: () => void): void;
  /** Where arriving STREAM_DATA goes (down). */
  onData(sink: DataSink): void;
  /** Frames or datagrams that were not this session's STREAM_DATA (dropped, counted). */
  readonly strays: number;
  /** UDP: SO_SNDBUF/SO_RCVBUF granted, bytes; null over TCP. */
  readonly buffers: GrantedBuffers | null;
  /** Up over TCP: ends the data connection after the last message (FIN), as the protocol asks. */
  finish(): void;
  /** Closes; resolves once closed. Idempotent. */
  close(): Promise<void>;
}

/** Where and how a data path connects. */
export interface DataPathOptions {
  host: string;
  /** TCP: the server's port; UDP: the session's `udpPort`. */
  port: number;
  session: number;
  /** The session's key, 16 hex digits. */
  key: string;
  socket?: SocketOptions;
  connectTimeoutMs?: number;
  /** The receiver's clock, µs (default `performance.now() × 1000`). */
  clock?: () => number;
}

/** The default receiver clock: `performance.now()` in µs. */
export const nowUs = (): number => performance.now() * 1000;
