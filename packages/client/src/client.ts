/**
 * The promise-based client: one {@link FrameChannel} (TCP or UDP) plus a map of pending requests by id.
 * Every reply and push comes through the channel's single decode path; this layer only matches ids,
 * runs per-request timers and turns payloads into typed values.
 */
import { EventEmitter } from 'node:events';
import { performance } from 'node:perf_hooks';
import {
  COMPUTE_DIGEST_BYTES,
  Flags,
  HEADER_SIZE,
  MessageType,
  UDP_TYPES,
  decodeChat,
  decodeError,
  decodeStats,
  encodeCompute,
  encodeRoom,
  encodeSay,
  messageTypeName,
  type Chat,
  type Frame,
  type Hello,
  type StatsSnapshot,
  type Welcome,
} from '@sockbench/protocol';
import { HELLO_ID, type ChannelHandlers, type FrameChannel } from './channel.js';
import {
  ClientError,
  ConnectionClosedError,
  ErrorReply,
  TimeoutError,
  UnexpectedFrameError,
  UnsupportedOnUdpError,
  formatHostPort,
} from './errors.js';
import { fillConnectOptions, type ConnectOptions, type FilledConnectOptions } from './options.js';
import { nextRequestId } from './request-ids.js';
import { openTcpChannel } from './tcp-channel.js';
import { MAX_DATAGRAM_BYTES, openUdpChannel } from './udp-channel.js';

/** Events of a {@link Client}. */
export interface ClientEvents {
  /** The WELCOME (or, after a HELLO, its reply), once, on the tick after `connect()` resolved. TCP only. */
  welcome: [welcome: Welcome];
  /** A CHAT push from a room this connection joined. */
  chat: [chat: Chat];
  /**
   * Something the server sent that no request was waiting for: an ERROR push (id 0) as a
   * {@link ErrorReply}, or an {@link UnexpectedFrameError} (reply with an unknown id, unknown push).
   * Emitted only while an `error` listener is attached, so a stray frame never crashes the process.
   */
  error: [err: ClientError];
  /** Once, when the connection closed; `err` when it closed on an error. */
  close: [err?: Error];
}

/** A raw reply of {@link Client.request}. */
export interface Reply {
  /** The reply payload (may be a view into a received chunk). */
  payload: Buffer;
  /** Round-trip time from send to receive, ms (`performance.now()`, sub-µs resolution). */
  rttMs: number;
  /** The request id. */
  id: number;
}

interface Pending {
  type: number;
  sentAt: number;
  resolve: (reply: Reply) => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout | undefined;
}

/**
 * A connection to a sockbench server. Any number of requests may be in flight (pipelining); replies are
 * matched by id, in any order. When the connection closes, every pending request rejects with
 * {@link ConnectionClosedError}. Create one with {@link connect}.
 */
export class Client extends EventEmitter<ClientEvents> {
  /** Resolved options this client runs with. */
  readonly options: Readonly<FilledConnectOptions>;
  #channel: FrameChannel | null = null;
  #welcome: Welcome | undefined;
  readonly #pending = new Map<number, Pending>();
  #lastId = 0;
  #closed = false;
  #closeReason: Error | undefined;

  /** @internal use {@link connect} */
  private constructor(options: FilledConnectOptions) {
    super();
    this.options = options;
  }

  /** Opens a client; see {@link connect}. */
  static async connect(options: ConnectOptions = {}): Promise<Client> {
    const filled = fillConnectOptions(options);
    const client = new Client(filled);
    const handlers: ChannelHandlers = {
      onFrame: (frame, at) => client.#onFrame(frame, at),
      onClose: (err) => client.#onClose(err),
    };
    const channelOptions = {
      host: filled.host,
      port: filled.port,
      maxPayload: filled.maxPayload,
      connectTimeoutMs: filled.connectTimeoutMs,
    };
    if (filled.transport === 'udp') {
      client.#channel = await openUdpChannel(channelOptions, handlers);
    } else {
      const hello: Hello | undefined =
        filled.token !== undefined || filled.name !== undefined
          ? { ...(filled.name !== undefined && { client: filled.name }), ...(filled.token !== undefined && { token: filled.token }) }
          : undefined;
      const channel = await openTcpChannel({ ...channelOptions, ...(hello && { hello }) }, handlers);
      client.#channel = channel;
      client.#welcome = channel.welcome;
      // The channel used id 1 for its HELLO; start after it so ids never repeat within the first wrap.
      if (hello) client.#lastId = HELLO_ID;
      const welcome = channel.welcome;
      setImmediate(() => client.emit('welcome', welcome));
    }
    return client;
  }

  /** `'tcp'` or `'udp'`. */
  get transport(): 'tcp' | 'udp' {
    return this.options.transport;
  }

  /** The server's WELCOME (after a HELLO: the HELLO reply); undefined over UDP. */
  get welcome(): Welcome | undefined {
    return this.#welcome;
  }

  /** Requests sent and not yet answered, timed out or rejected. */
  get pendingRequests(): number {
    return this.#pending.size;
  }

  /** True once the connection has closed (or `close()` was called). */
  get closed(): boolean {
    return this.#closed;
  }

  /** `host:port` of the server. */
  get address(): string {
    return formatHostPort(this.options.host, this.options.port);
  }

  /**
   * Sends one request of any type and resolves with its raw reply (the building block of the typed
   * methods; also how to send a type this client has no method for).
   * @param timeoutMs overrides `options.timeoutMs` for this request (0 = none, TCP only)
   * @throws (rejects) ErrorReply, TimeoutError, ConnectionClosedError, UnsupportedOnUdpError,
   *   UnexpectedFrameError (reply of the wrong type); RangeError when the frame cannot fit a datagram
   */
  request(type: number, payload?: Uint8Array, timeoutMs: number = this.options.timeoutMs): Promise<Reply> {
    const channel = this.#channel;
    if (this.#closed || channel === null) {
      return Promise.reject(new ConnectionClosedError('connection is closed', { cause: this.#closeReason }));
    }
    if (channel.transport === 'udp') {
      if (!UDP_TYPES.has(type)) return Promise.reject(new UnsupportedOnUdpError(type));
      const size = HEADER_SIZE + (payload?.length ?? 0);
      if (size > MAX_DATAGRAM_BYTES) {
        return Promise.reject(
          new RangeError(`a ${messageTypeName(type)} frame of ${size} bytes does not fit one UDP datagram (max ${MAX_DATAGRAM_BYTES} bytes)`),
        );
      }
    }
    let id = nextRequestId(this.#lastId);
    // After a wrap, an id still pending (a very slow request) is skipped rather than shadowed.
    while (this.#pending.has(id)) id = nextRequestId(id);
    this.#lastId = id;
    return new Promise<Reply>((resolve, reject) => {
      const pending: Pending = { type, sentAt: performance.now(), resolve, reject, timer: undefined };
      if (timeoutMs > 0) {
        pending.timer = setTimeout(() => {
          this.#pending.delete(id);
          reject(new TimeoutError(type, id, timeoutMs));
        }, timeoutMs);
      }
      this.#pending.set(id, pending);
      channel.send(type, id, payload);
    });
  }

  /** PING; resolves with the round-trip time, ms. */
  async ping(): Promise<number> {
    return (await this.request(MessageType.PING)).rttMs;
  }

  /** ECHO; resolves with the bytes the server sent back (the same bytes). */
  async echo(bytes: Uint8Array | string): Promise<Buffer> {
    const payload = typeof bytes === 'string' ? Buffer.from(bytes, 'utf8') : bytes;
    return (await this.request(MessageType.ECHO, payload)).payload;
  }

  /**
   * COMPUTE: the server applies SHA-256 `iterations` times to `data` (on its thread pool) and replies
   * with the 32-byte digest. Over UDP `data` must be at least 32 bytes (the server never amplifies).
   * @throws (rejects) RangeError: iterations not a u32, or under 32 data bytes over UDP;
   *   ErrorReply BAD_PAYLOAD: iterations 0 or over the server's cap; BUSY: pool queue full
   */
  async compute(iterations: number, data: Uint8Array | string): Promise<Buffer> {
    const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    if (this.transport === 'udp' && bytes.length < COMPUTE_DIGEST_BYTES) {
      throw new RangeError(
        `over UDP, COMPUTE data must be at least ${COMPUTE_DIGEST_BYTES} bytes (the reply may not exceed the request), got ${bytes.length}`,
      );
    }
    const payload = encodeCompute(iterations, bytes);
    const reply = await this.request(MessageType.COMPUTE, payload);
    if (reply.payload.length !== COMPUTE_DIGEST_BYTES) {
      throw new UnexpectedFrameError(
        MessageType.COMPUTE,
        reply.id,
        `COMPUTE reply of ${reply.payload.length} bytes, expected ${COMPUTE_DIGEST_BYTES}`,
      );
    }
    return reply.payload;
  }

  /** JOIN a room (idempotent). @throws (rejects) BadPayloadError for a name that is not 1..64 bytes without control characters */
  async join(room: string): Promise<void> {
    if (this.transport === 'udp') throw new UnsupportedOnUdpError(MessageType.JOIN);
    await this.request(MessageType.JOIN, encodeRoom(room));
  }

  /** LEAVE a room. @throws (rejects) ErrorReply NOT_IN_ROOM when not joined */
  async leave(room: string): Promise<void> {
    if (this.transport === 'udp') throw new UnsupportedOnUdpError(MessageType.LEAVE);
    await this.request(MessageType.LEAVE, encodeRoom(room));
  }

  /**
   * SAY `text` (at most 4096 bytes of UTF-8) to `room`; every other member gets a CHAT push.
   * @throws (rejects) ErrorReply NOT_IN_ROOM when not joined; BadPayloadError for a bad name or long text
   */
  async say(room: string, text: string): Promise<void> {
    if (this.transport === 'udp') throw new UnsupportedOnUdpError(MessageType.SAY);
    await this.request(MessageType.SAY, encodeSay(room, text));
  }

  /** STATS: the whole server's counters (docs/protocol.md, "STATS schema"). */
  async stats(): Promise<StatsSnapshot> {
    const reply = await this.request(MessageType.STATS);
    try {
      return decodeStats(reply.payload, reply.id);
    } catch (err) {
      throw new UnexpectedFrameError(MessageType.STATS, reply.id, `bad STATS reply: ${(err as Error).message}`, { cause: err });
    }
  }

  /**
   * BYE: the server answers every earlier request, then this one, then closes the connection.
   * Resolves with the BYE reply; the `close` event follows.
   */
  async bye(): Promise<void> {
    await this.request(MessageType.BYE);
  }

  /**
   * Closes the connection (TCP: flush, FIN, wait for the server to close). Every pending request
   * rejects at once with ConnectionClosedError. Idempotent.
   */
  async close(): Promise<void> {
    if (!this.#closed) {
      this.#closed = true;
      this.#rejectAll(new ConnectionClosedError('connection closed by the client'));
    }
    await this.#channel?.close();
  }

  #onFrame(frame: Frame, at: number): void {
    const id = frame.id;
    if (id === 0) {
      this.#onPush(frame);
      return;
    }
    const pending = this.#pending.get(id);
    if (pending === undefined) {
      this.#emitError(
        new UnexpectedFrameError(frame.type, id, `${messageTypeName(frame.type)} reply with id ${id}, which no request is waiting for (late, duplicate or unknown)`),
      );
      return;
    }
    this.#pending.delete(id);
    if (pending.timer !== undefined) clearTimeout(pending.timer);
    if ((frame.flags & Flags.RESPONSE) === 0) {
      pending.reject(new UnexpectedFrameError(frame.type, id, `frame with id ${id} lacks the RESPONSE flag`));
    } else if (frame.type === MessageType.ERROR) {
      pending.reject(this.#errorReply(frame));
    } else if (frame.type !== pending.type) {
      pending.reject(
        new UnexpectedFrameError(
          frame.type,
          id,
          `${messageTypeName(pending.type)} request ${id} got a ${messageTypeName(frame.type)} reply`,
        ),
      );
    } else {
      pending.resolve({ payload: frame.payload, rttMs: at - pending.sentAt, id });
    }
  }

  #onPush(frame: Frame): void {
    try {
      switch (frame.type) {
        case MessageType.CHAT:
          this.emit('chat', decodeChat(frame.payload));
          return;
        case MessageType.ERROR:
          this.#emitError(this.#errorReply(frame));
          return;
        default:
          this.#emitError(new UnexpectedFrameError(frame.type, 0, `unexpected push of type ${messageTypeName(frame.type)} (0x${frame.type.toString(16)})`));
      }
    } catch (err) {
      this.#emitError(new UnexpectedFrameError(frame.type, 0, `bad ${messageTypeName(frame.type)} push: ${(err as Error).message}`, { cause: err }));
    }
  }

  #errorReply(frame: Frame): ClientError {
    try {
      const { code, message } = decodeError(frame.payload, frame.id);
      return new ErrorReply(code, message, frame.id);
    } catch (err) {
      return new UnexpectedFrameError(frame.type, frame.id, (err as Error).message, { cause: err });
    }
  }

  #emitError(err: ClientError): void {
    if (this.listenerCount('error') > 0) this.emit('error', err);
  }

  #onClose(err?: Error): void {
    this.#closed = true;
    this.#closeReason = err;
    this.#rejectAll(
      new ConnectionClosedError(err ? `connection closed: ${err.message}` : 'connection closed by the server', { cause: err }),
    );
    this.emit('close', err);
  }

  #rejectAll(err: ConnectionClosedError): void {
    for (const pending of this.#pending.values()) {
      if (pending.timer !== undefined) clearTimeout(pending.timer);
      pending.reject(err);
    }
    this.#pending.clear();
  }
}

/**
 * Connects to a sockbench server. Over TCP it resolves once the WELCOME push arrived (with `token` or
 * `name`, after the HELLO exchange); over UDP once the socket is connected (nothing is exchanged).
 * @throws (rejects) TypeError / RangeError for bad options (naming option, value and range);
 *   ConnectError (refused, unreachable, timed out; `osCode` is the OS code); ErrorReply (BUSY instead of
 *   WELCOME, UNAUTHORIZED after HELLO)
 */
export function connect(options: ConnectOptions = {}): Promise<Client> {
  return Client.connect(options);
}
