/**
 * Where a stream session's STREAM_DATA flows (docs/protocol.md, "Stream"): a TCP data connection
 * attached to the session (STREAM_ATTACH as its first request, on the session's worker), or a UDP
 * socket connected to the session's `udpPort` (first a keyed STREAM_BIND, answered with a challenge;
 * for down the challenge goes back in STREAM_VALIDATE over the control connection, for up the BIND
 * made this socket the session's source). Both expose the same {@link DataPath}: send one
 * message (backpressure over TCP), hear each arriving one, close.
 */
import type dgram from 'node:dgram';
import { performance } from 'node:perf_hooks';
import {
  DEFAULT_CONNECT_TIMEOUT_MS,
  Flags,
  HEADER_SIZE,
  MessageType,
  STREAM_DATA_MAX_SIZE,
  STREAM_MAX_BINDS,
  decodeDatagram,
  decodeStreamChallenge,
  encodeStreamAttach,
  encodeStreamBind,
  readStreamData,
  type Frame,
} from '@sockbench/protocol';
import type { FrameChannel } from '../channel.js';
import { StreamError } from '../errors.js';
import { errorFrameToError } from '../reply-check.js';
import { bindUdpSocket, createUdpSocket, grantedBuffers, type GrantedBuffers, type SocketOptions } from '../socket-options.js';
import { openTcpChannel } from '../tcp-channel.js';

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

const nowUs = (): number => performance.now() * 1000;

/** Id of the STREAM_ATTACH request (the data connection's first and only request). */
const ATTACH_ID = 1;

/**
 * Opens a TCP connection and attaches it to `session`. In a cluster the connection may land on
 * another worker than the session's: it is closed and another opened (at most `4 × N + 4` tries, N
 * the workers seen; docs/protocol.md, "Stream in a cluster").
 * @throws (rejects) ConnectError; ErrorReply when the server refuses the ATTACH (wrong key, ended
 *   session); StreamError when no connection reached `worker` or the ATTACH got no reply in
 *   `connectTimeoutMs` (default `DEFAULT_CONNECT_TIMEOUT_MS`; the connection is closed)
 */
export async function attachTcp(opts: DataPathOptions & { worker: number }): Promise<DataPath> {
  const seen = new Set<number>();
  for (let attempt = 0; attempt < 4 * Math.max(1, seen.size) + 4; attempt++) {
    const path = new TcpDataPath(opts);
    const channel = await openTcpChannel({ host: opts.host, port: opts.port, maxPayload: STREAM_DATA_MAX_SIZE, ...(opts.connectTimeoutMs !== undefined ? { connectTimeoutMs: opts.connectTimeoutMs } : {}), ...(opts.socket ? { socket: opts.socket } : {}) }, path.handlers);
    seen.add(channel.welcome.worker);
    if (channel.welcome.worker !== opts.worker) {
      await channel.close();
      continue;
    }
    await path.attach(channel, opts.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS);
    return path;
  }
  throw new StreamError(`no TCP connection to ${opts.host}:${opts.port} reached worker ${opts.worker}, which holds stream session ${opts.session} (workers seen: ${[...seen].join(', ')})`);
}

class TcpDataPath implements DataPath {
  readonly transport = 'tcp' as const;
  readonly buffers = null;
  #channel: FrameChannel | null = null;
  #sink: DataSink | null = null;
  #attached: { resolve: () => void; reject: (err: Error) => void } | null = null;
  #strays = 0;
  readonly #session: number;
  readonly #clock: () => number;

  constructor(opts: DataPathOptions) {
    this.#session = opts.session;
    this.#clock = opts.clock ?? nowUs;
    this.key = opts.key;
  }

  readonly key: string;

  readonly handlers = {
    onFrame: (frame: Frame, atMs: number): void => {
      if (this.#attached !== null) {
        const waiter = this.#attached;
        this.#attached = null;
        if (frame.type === MessageType.ERROR) waiter.reject(errorFrameToError(frame));
        else if (frame.type === MessageType.STREAM_ATTACH && frame.id === ATTACH_ID && (frame.flags & Flags.RESPONSE) !== 0) waiter.resolve();
        else waiter.reject(new StreamError(`STREAM_ATTACH got a frame of type ${frame.type}, id ${frame.id}`));
        return;
      }
      if (frame.type !== MessageType.STREAM_DATA || frame.id !== this.#session || this.#sink === null || frame.payload.length < 16) {
        this.#strays++;
        return;
      }
      // Arrival time: the channel stamps each chunk (ms); without an injected clock that is the time used.
      const arrivalUs = this.#clock === nowUs ? atMs * 1000 : this.#clock();
      const { sequence, sentUs } = readStreamData(frame.payload, frame.id);
      this.#sink(sequence, sentUs, HEADER_SIZE + frame.payload.length, arrivalUs);
    },
    onClose: (err?: Error): void => {
      const waiter = this.#attached;
      this.#attached = null;
      waiter?.reject(new StreamError(`the data connection closed before STREAM_ATTACH was answered${err ? `: ${err.message}` : ''}`, { cause: err }));
    },
  };

  /** Sends STREAM_ATTACH; rejects (and closes the channel) on a refusal or no reply in `timeoutMs`. */
  attach(channel: FrameChannel, timeoutMs: number): Promise<void> {
    this.#channel = channel;
    let timer: NodeJS.Timeout | undefined;
    return new Promise<void>((resolve, reject) => {
      this.#attached = { resolve, reject };
      timer = setTimeout(() => {
        this.#attached = null;
        reject(new StreamError(`STREAM_ATTACH of stream session ${this.#session} got no reply in ${timeoutMs} ms`));
      }, timeoutMs);
      channel.send(MessageType.STREAM_ATTACH, ATTACH_ID, encodeStreamAttach({ session: this.#session, key: this.key }));
    })
      .finally(() => clearTimeout(timer))
      .catch(async (err: unknown) => {
        await channel.close();
        throw err;
      });
  }

  get strays(): number {
    return this.#strays;
  }

  send(frame: Buffer): boolean {
    return this.#channel!.send(MessageType.STREAM_DATA, this.#session, frame.subarray(HEADER_SIZE));
  }

  onDrain(cb: () => void): void {
    this.#channel!.onDrain(cb);
  }

  onData(sink: DataSink): void {
    this.#sink = sink;
  }

  finish(): void {
    void this.#channel?.close();
  }

  close(): Promise<void> {
    return this.#channel?.close() ?? Promise.resolve();
  }
}

/** Datagrams libuv may hold unsent before a UDP data path reports backpressure. */
export const UDP_SEND_QUEUE_LIMIT = 64;

/** How long to wait for a STREAM_BIND reply before sending the next BIND, ms. */
const BIND_RETRY_MS = 200;

/**
 * Opens a UDP socket connected to the session's `udpPort` (bound per `opts.socket`), for up or down.
 * @throws (rejects) the lookup, bind or connect error
 */
export async function openUdp(opts: DataPathOptions): Promise<UdpDataPath> {
  const { socket } = await createUdpSocket(opts.host, opts.socket);
  try {
    await bindUdpSocket(socket, opts.socket);
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.connect(opts.port, opts.host, () => {
        socket.off('error', reject);
        resolve();
      });
    });
  } catch (err) {
    socket.close();
    throw err;
  }
  return new UdpDataPath(socket, opts);
}

/** A UDP data path; {@link UdpDataPath.bind} proves the address for down and binds the source for up. */
export class UdpDataPath implements DataPath {
  readonly transport = 'udp' as const;
  readonly #socket: dgram.Socket;
  readonly #session: number;
  readonly #key: Buffer;
  readonly #clock: () => number;
  #sink: DataSink | null = null;
  #challenge: ((c: Buffer) => void) | null = null;
  #strays = 0;
  #closed = false;
  #drain: (() => void) | null = null;
  #queueTimer: NodeJS.Timeout | null = null;
  /**
   * 'error' events of the socket (an ECONNREFUSED an ICMP port-unreachable may surface as on a
   * connected socket). Not failed sends: Node drops the error of a send with no callback (ENOBUFS,
   * EMSGSIZE) and emits no 'error', so such a message shows only as lost at the receiver (a callback
   * per send would cost the hot path).
   */
  sendErrors = 0;

  constructor(socket: dgram.Socket, opts: DataPathOptions) {
    this.#socket = socket;
    this.#session = opts.session;
    this.#key = Buffer.from(opts.key, 'hex');
    this.#clock = opts.clock ?? nowUs;
    socket.on('error', () => {
      this.sendErrors++;
    });
    socket.on('message', (msg: Buffer) => this.#onMessage(msg));
  }

  #onMessage(msg: Buffer): void {
    const arrivalUs = this.#clock();
    let frame: Frame;
    try {
      frame = decodeDatagram(msg, { expect: 'replies', maxPayload: STREAM_DATA_MAX_SIZE });
    } catch {
      this.#strays++;
      return;
    }
    if (frame.id !== this.#session) {
      this.#strays++;
    } else if (frame.type === MessageType.STREAM_DATA && this.#sink !== null && frame.payload.length >= 16) {
      const { sequence, sentUs } = readStreamData(frame.payload, frame.id);
      this.#sink(sequence, sentUs, msg.length, arrivalUs);
    } else if (frame.type === MessageType.STREAM_BIND && (frame.flags & Flags.RESPONSE) !== 0 && this.#challenge !== null) {
      try {
        this.#challenge(decodeStreamChallenge(frame.payload, frame.id));
      } catch {
        this.#strays++;
      }
    } else {
      this.#strays++;
    }
  }

  /**
   * Sends STREAM_BIND (again every 200 ms, at most 8 times, the server's limit) until a challenge
   * comes back on this socket: for down, address validation's steps 1 and 2; for up, the server now
   * counts data from this socket only (docs/protocol.md, "the bound source"), and the reply says the
   * BIND arrived. Call it before STREAM_START for both directions.
   * @returns the challenge, for STREAM_VALIDATE over the control connection (down)
   * @throws (rejects) StreamError when no challenge came back
   */
  bind(): Promise<Buffer> {
    const bind = encodeStreamBind(this.#session, this.#key);
    return new Promise((resolve, reject) => {
      let tries = 0;
      let timer: NodeJS.Timeout | null = null;
      const attempt = (): void => {
        if (tries++ >= STREAM_MAX_BINDS || this.#closed) {
          this.#challenge = null;
          reject(new StreamError(`no STREAM_BIND reply for stream session ${this.#session} after ${STREAM_MAX_BINDS} tries, ${BIND_RETRY_MS} ms apart (is UDP to the server's stream port blocked?)`));
          return;
        }
        this.#socket.send(bind);
        timer = setTimeout(attempt, BIND_RETRY_MS);
      };
      this.#challenge = (c) => {
        if (timer !== null) clearTimeout(timer);
        this.#challenge = null;
        resolve(c);
      };
      attempt();
    });
  }

  get strays(): number {
    return this.#strays;
  }

  get buffers(): GrantedBuffers | null {
    return this.#closed ? null : grantedBuffers(this.#socket);
  }

  /** The socket's local `ip:port`. */
  get localAddress(): string {
    const a = this.#socket.address();
    return a.family === 'IPv6' ? `[${a.address}]:${a.port}` : `${a.address}:${a.port}`;
  }

  /**
   * Sends one datagram. False when libuv holds {@link UDP_SEND_QUEUE_LIMIT} datagrams the kernel
   * has not taken (its socket buffer is full: the local link is slower than the offered rate): the
   * sender then waits, as iperf3's blocking socket does, instead of queueing without bound and
   * counting as sent what has not left.
   */
  send(frame: Buffer): boolean {
    if (this.#closed) return false;
    this.#socket.send(frame);
    if (this.#socket.getSendQueueCount() < UDP_SEND_QUEUE_LIMIT) return true;
    this.#watchQueue();
    return false;
  }

  /** Polls the send queue every ms until it is half empty, then tells the sender (libuv has no UDP drain event). */
  #watchQueue(): void {
    if (this.#queueTimer !== null) return;
    const check = (): void => {
      this.#queueTimer = null;
      if (this.#closed) return;
      if (this.#socket.getSendQueueCount() > UDP_SEND_QUEUE_LIMIT / 2) {
        this.#queueTimer = setTimeout(check, 1);
        return;
      }
      this.#drain?.();
    };
    this.#queueTimer = setTimeout(check, 1);
  }

  onDrain(cb: () => void): void {
    this.#drain = cb;
  }

  onData(sink: DataSink): void {
    this.#sink = sink;
  }

  finish(): void {
    // Nothing to end: a datagram stream has no FIN; STREAM_REPORT's `sent` tells the receiver.
  }

  close(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    this.#closed = true;
    if (this.#queueTimer !== null) clearTimeout(this.#queueTimer);
    return new Promise((resolve) => this.#socket.close(() => resolve()));
  }
}
