/**
 * The promise-based client: a thin public class over named parts. One {@link FrameChannel} (TCP or UDP,
 * opened by client-channel.ts) carries every frame through its single decode path; the requests in
 * flight live in {@link PendingRequests} (ids, timeouts, settling from replies, reply checks in
 * reply-check.ts); pushes go through pushes.ts; UDP's limits are udp-requests.ts; typed values come
 * from reply-payloads.ts.
 */
import { EventEmitter } from 'node:events';
import { MessageType, encodeCompute, encodeRoom, encodeSay, type Chat, type Frame, type StatsSnapshot, type Welcome } from '@sockbench/protocol';
import type { FrameChannel } from './channel.js';
import { openClientChannel } from './client-channel.js';
import { ClientError, ConnectionClosedError, UnsupportedOnUdpError, formatHostPort } from './errors.js';
import { fillConnectOptions, type ConnectOptions, type FilledConnectOptions } from './options.js';
import { PendingRequests, type Reply } from './pending-requests.js';
import { dispatchPush, type PushSink } from './pushes.js';
import { strayReplyError } from './reply-check.js';
import { computeDigest, statsSnapshot } from './reply-payloads.js';
import { assertUdpComputeData, udpRequestError } from './udp-requests.js';

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
  readonly #pending = new PendingRequests();
  #closed = false;
  #closeReason: Error | undefined;
  /** Where pushes go: created once, so a push allocates no callbacks. */
  readonly #pushSink: PushSink = {
    chat: (chat) => this.emit('chat', chat),
    error: (err) => this.#emitError(err),
  };

  /** @internal use {@link connect} */
  private constructor(options: FilledConnectOptions) {
    super();
    this.options = options;
  }

  /** Opens a client; see {@link connect}. */
  static async connect(options: ConnectOptions = {}): Promise<Client> {
    const client = new Client(fillConnectOptions(options));
    const { channel, welcome, lastUsedId } = await openClientChannel(client.options, {
      onFrame: (frame, at) => client.#onFrame(frame, at),
      onClose: (err) => client.#onClose(err),
    });
    client.#channel = channel;
    client.#welcome = welcome;
    // After a HELLO (id 1) the first request is 2, so ids never repeat within the first wrap.
    client.#pending.continueAfter(lastUsedId);
    if (welcome !== undefined) setImmediate(() => client.emit('welcome', welcome));
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
      const err = udpRequestError(type, payload?.length ?? 0);
      if (err !== undefined) return Promise.reject(err);
    }
    return this.#pending.send(channel, type, payload, timeoutMs);
  }

  /** PING; resolves with the round-trip time, ms. */
  async ping(): Promise<number> {
    return (await this.request(MessageType.PING)).rttMs;
  }

  /** ECHO; resolves with the bytes the server sent back (the same bytes). */
  async echo(bytes: Uint8Array | string): Promise<Buffer> {
    return (await this.request(MessageType.ECHO, utf8Bytes(bytes))).payload;
  }

  /**
   * COMPUTE: the server applies SHA-256 `iterations` times to `data` (on its thread pool) and replies
   * with the 32-byte digest. Over UDP `data` must be at least 32 bytes (the server never amplifies).
   * @throws (rejects) RangeError: iterations not a u32, or under 32 data bytes over UDP;
   *   ErrorReply BAD_PAYLOAD: iterations 0 or over the server's cap; BUSY: pool queue full
   */
  async compute(iterations: number, data: Uint8Array | string): Promise<Buffer> {
    const bytes = utf8Bytes(data);
    if (this.transport === 'udp') assertUdpComputeData(bytes.length);
    return computeDigest(await this.request(MessageType.COMPUTE, encodeCompute(iterations, bytes)));
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
    return statsSnapshot(await this.request(MessageType.STATS));
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
      this.#pending.rejectAll(new ConnectionClosedError('connection closed by the client'));
    }
    await this.#channel?.close();
  }

  #onFrame(frame: Frame, at: number): void {
    if (frame.id === 0) dispatchPush(frame, this.#pushSink);
    else if (!this.#pending.settle(frame, at)) this.#emitError(strayReplyError(frame));
  }

  #emitError(err: ClientError): void {
    if (this.listenerCount('error') > 0) this.emit('error', err);
  }

  #onClose(err?: Error): void {
    this.#closed = true;
    this.#closeReason = err;
    this.#pending.rejectAll(
      new ConnectionClosedError(err ? `connection closed: ${err.message}` : 'connection closed by the server', { cause: err }),
    );
    this.emit('close', err);
  }
}

/** Text as its UTF-8 bytes; bytes as they are. */
function utf8Bytes(data: Uint8Array | string): Uint8Array {
  return typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
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
