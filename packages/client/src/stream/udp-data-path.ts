/**
 * The UDP data path of a stream session (docs/protocol.md, "Stream"): a socket connected to the
 * session's `udpPort`, first a keyed STREAM_BIND answered with a challenge (for down the challenge
 * goes back in STREAM_VALIDATE over the control connection, for up the BIND made this socket the
 * session's source), then STREAM_DATA with a bounded send queue.
 */
import type dgram from 'node:dgram';
import {
  Flags,
  MessageType,
  STREAM_DATA_MAX_SIZE,
  STREAM_MAX_BINDS,
  decodeDatagram,
  decodeStreamChallenge,
  encodeStreamBind,
  readStreamData,
  type Frame,
} from '@sockbench/protocol';
import { StreamError } from '../errors.js';
import { bindUdpSocket, createUdpSocket, grantedBuffers, type GrantedBuffers } from '../socket-options.js';
import { nowUs, type DataPath, type DataPathOptions, type DataSink } from './data-path-types.js';

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
