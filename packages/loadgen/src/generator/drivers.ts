/**
 * Transport drivers: the only code that touches sockets. A driver sends request `id` and reports each
 * reply by id with its receive time; the load loop (load-loop.ts) does all timing and counting.
 *
 * - `tcp` / `udp`: the sockbench protocol through `@sockbench/client`'s frame channels.
 * - `raw-tcp`: `size`-byte messages on a plain stream; an echo server answers in order, so the reply
 *   to the oldest outstanding request is complete each time another `size` bytes came back.
 * - `raw-udp`: one `size`-byte datagram per request whose first 4 bytes carry the id (big-endian), so
 *   replies match by id even when datagrams are lost or reordered.
 */
import type dgram from 'node:dgram';
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import { ConnectError, ErrorReply, bindUdpSocket, createUdpSocket, grantedBuffers, nextRequestId, openTcpChannel, openUdpChannel, tcpConnectOptions, type FrameChannel, type GrantedBuffers } from '@sockbench/client';
import {
  COMPUTE_DIGEST_BYTES,
  DEFAULT_CONNECT_TIMEOUT_MS,
  HEADER_SIZE,
  MessageType,
  decodeError,
  encodeCompute,
  ErrorCode,
  Flags,
  ProtocolError,
  errorCodeName,
  formatPeerAddress,
  type Frame,
} from '@sockbench/protocol';
import type { UnexpectedKind } from '../counters.js';
import { TargetUnreachable, UsageError } from '../errors.js';
import type { LoadPlan } from '../options.js';
import { socketOptions } from '../socket-plan.js';

/** What a driver reports to the load loop. */
export interface ReplySink {
  /** A reply to request `id` arrived at `atMs` (performance.now()); `bytes` on the wire; `error` null when good. */
  reply(id: number, atMs: number, bytes: number, error: string | null): void;
  /** The connection ended; every request in flight on it is lost with `code` (an OS code or CONNECTION_CLOSED). */
  closed(code: string): void;
  /** A driver that returned false from `send` can send again. */
  drained(): void;
  /**
   * Bytes from the target that decode as no frame (`badFrame`, `frameTooLarge`): a protocol error,
   * counted apart from requests. (Replies to ids never sent come through {@link reply}: only the load
   * loop knows which ids were sent.)
   */
  unexpected(kind: UnexpectedKind): void;
}

/** One connection (or UDP socket) as the load loop sees it. */
export interface Driver {
  /** Sends request `id`; false = backpressure: stop until `sink.drained()`. */
  send(id: number): boolean;
  /** Bytes one request puts on the wire (frame header included for tcp/udp). */
  readonly requestBytes: number;
  /**
   * udp: the socket's source address as the server sees it without a NAT or proxy in between
   * (`ip:port`, IPv6 as `[addr]:port`: the key of the server's per-peer STATS counters); else null.
   */
  readonly peer: string | null;
  /** UDP (udp, raw-udp): SO_SNDBUF/SO_RCVBUF the kernel granted, bytes; null over TCP (Node cannot read them there). */
  readonly buffers?: GrantedBuffers | null;
  /** Closes; resolves once closed. Idempotent. */
  close(): Promise<void>;
}

/** Opens one driver; rejects with TargetUnreachable or UsageError. */
export type DriverFactory = (sink: ReplySink) => Promise<Driver>;

/** Reply code for a reply that does not match its request (wrong type or size, or no RESPONSE flag). */
export const BAD_REPLY = 'BAD_REPLY';
/** Loss code for requests in flight on a connection that the server closed without an OS error. */
export const CONNECTION_CLOSED = 'CONNECTION_CLOSED';

function unreachable(err: unknown, plan: LoadPlan): Error {
  // The server answered the opening with an ERROR: a wrong token is the user's to fix (usage); any
  // other refusal (BUSY at its connection limit, SHUTTING_DOWN) leaves the target unusable.
  if (err instanceof ErrorReply) {
    if (err.codeName === 'UNAUTHORIZED') return new UsageError(`${plan.host}:${plan.port} refused the token: UNAUTHORIZED (${err.message})`);
    return new TargetUnreachable(plan.host, plan.port, err.errorCode, err.message);
  }
  if (err instanceof ConnectError) return new TargetUnreachable(plan.host, plan.port, err.osCode, (err.cause as Error | undefined)?.message ?? '');
  const e = err as NodeJS.ErrnoException;
  if (typeof e?.code === 'string') return new TargetUnreachable(plan.host, plan.port, e.code, e.message);
  return err instanceof Error ? err : new Error(String(err));
}

/** The request payload of a plan (built once; every request of a connection shares it). */
export function requestPayload(plan: LoadPlan): Buffer {
  const data = Buffer.alloc(plan.size, 0x61);
  if (plan.op === 'compute') return encodeCompute(plan.iterations, data);
  if (plan.op === 'echo') return data;
  return Buffer.alloc(0);
}

function messageType(plan: LoadPlan): MessageType {
  return plan.op === 'ping' ? MessageType.PING : plan.op === 'compute' ? MessageType.COMPUTE : MessageType.ECHO;
}

/** The kind of unexpected reply a frame that failed to decode is (see {@link UnexpectedKind}). */
export function undecodableKind(err: ProtocolError): UnexpectedKind {
  return err.errorCode === ErrorCode.FRAME_TOO_LARGE ? 'frameTooLarge' : 'badFrame';
}

/** Reply payload length a good reply has, bytes. */
function expectedReplyLength(plan: LoadPlan): number {
  return plan.op === 'ping' ? 0 : plan.op === 'compute' ? COMPUTE_DIGEST_BYTES : plan.size;
}

/**
 * What a frame reply must be for one plan (its request type, the payload length a good reply has,
 * whether over datagrams): one per plan, shared by its connections.
 */
interface ReplyCheck {
  readonly type: MessageType;
  readonly want: number;
  readonly datagram: boolean;
}

/**
 * A channel's handlers for one connection: checks each reply against the plan and hands it to the
 * load loop. A class, so that its methods are shared by every connection (at 10,000 connections a
 * closure per handler per connection cost more than the ring).
 */
class FrameReplies {
  readonly #sink: ReplySink;
  readonly #check: ReplyCheck;

  constructor(sink: ReplySink, check: ReplyCheck) {
    this.#sink = sink;
    this.#check = check;
  }

  onFrame(frame: Frame, at: number): void {
    const sink = this.#sink;
    const { type, want, datagram } = this.#check;
    if (frame.id === 0) {
      // A push (CHAT, an ERROR before a close) is no reply over TCP; over UDP the server never
      // pushes (docs/protocol.md, "UDP rules"), so id 0 there is a reply to an id never sent.
      if (datagram) sink.unexpected('unsentId');
      return;
    }
    const bytes = HEADER_SIZE + frame.payload.length;
    if (frame.type === MessageType.ERROR) {
      let code = BAD_REPLY;
      try {
        code = errorCodeName(decodeError(frame.payload, frame.id).code);
      } catch {
        // An ERROR whose payload does not decode is still an error reply to this id.
      }
      sink.reply(frame.id, at, bytes, code);
    } else if (frame.type !== type || frame.payload.length !== want || (frame.flags & Flags.RESPONSE) === 0) {
      sink.reply(frame.id, at, bytes, BAD_REPLY);
    } else {
      sink.reply(frame.id, at, bytes, null);
    }
  }

  onClose(err?: Error): void {
    // A malformed frame closed the connection (the stream can no longer be trusted): it is one
    // unexpected reply, and the requests it strands are errors under the wire code's name.
    if (err instanceof ProtocolError) {
      this.#sink.unexpected(undecodableKind(err));
      this.#sink.closed(err.codeName);
    } else this.#sink.closed((err as NodeJS.ErrnoException | undefined)?.code ?? CONNECTION_CLOSED);
  }

  onUndecodable(err: ProtocolError): void {
    this.#sink.unexpected(undecodableKind(err));
  }
}

/** A {@link Driver} over a frame channel (methods shared by every connection, as {@link FrameReplies}'). */
class ChannelDriver implements Driver {
  readonly requestBytes: number;
  readonly peer: string | null;
  readonly buffers: GrantedBuffers | null;
  readonly #channel: FrameChannel;
  readonly #type: MessageType;
  readonly #payload: Buffer;

  constructor(channel: FrameChannel, type: MessageType, payload: Buffer, peer: string | null, buffers: GrantedBuffers | null) {
    this.#channel = channel;
    this.#type = type;
    this.#payload = payload;
    this.requestBytes = HEADER_SIZE + payload.length;
    this.peer = peer;
    this.buffers = buffers;
  }

  send(id: number): boolean {
    return this.#channel.send(this.#type, id, this.#payload);
  }

  close(): Promise<void> {
    return this.#channel.close();
  }
}

function frameDriver(plan: LoadPlan, token: string | null): DriverFactory {
  const type = messageType(plan);
  const payload = requestPayload(plan);
  const check: ReplyCheck = { type, want: expectedReplyLength(plan), datagram: plan.transport === 'udp' };
  // reuseReadBuffer: onFrame reads each reply's header fields and never keeps a payload.
  const opts = { host: plan.host, port: plan.port, connectTimeoutMs: DEFAULT_CONNECT_TIMEOUT_MS, reuseReadBuffer: true, socket: socketOptions(plan), ...(token !== null ? { hello: { client: 'sockbench-loadgen', token } } : {}) };
  return async (sink) => {
    const handlers = new FrameReplies(sink, check);
    let channel: FrameChannel;
    let peer: string | null = null;
    let buffers: GrantedBuffers | null = null;
    try {
      if (plan.transport === 'tcp') {
        const tcp = await openTcpChannel(opts, handlers);
        if (tcp.welcome.auth && token === null) {
          await tcp.close();
          throw new UsageError(`${plan.host}:${plan.port} requires a token (its WELCOME says auth: true): pass --token`);
        }
        const limit = tcp.welcome.maxPayload;
        if (payload.length > limit) {
          await tcp.close();
          throw new UsageError(`--size ${plan.size} makes a ${payload.length}-byte payload, over the server's limit of ${limit} bytes (its --max-payload)`);
        }
        channel = tcp;
      } else {
        const udp = await openUdpChannel(opts, handlers);
        const local = udp.localAddress;
        peer = local === null ? null : formatPeerAddress(local.address, local.port);
        buffers = udp.buffers;
        channel = udp;
      }
    } catch (err) {
      throw err instanceof UsageError ? err : unreachable(err, plan);
    }
    channel.onDrain(() => sink.drained());
    return new ChannelDriver(channel, type, payload, peer, buffers);
  };
}

function rawTcpDriver(plan: LoadPlan): DriverFactory {
  const message = requestPayload(plan);
  const size = plan.size;
  return (sink) =>
    new Promise((resolve, reject) => {
      const socket = net.connect({ host: plan.host, port: plan.port, ...tcpConnectOptions(socketOptions(plan)) });
      let open = false;
      let corked = false;
      let nextReplyId = 1; // the load loop numbers raw-tcp requests 1, 2, 3, …: echoes come back in order
      let partial = 0;
      let lastError: string | null = null;
      const uncork = (): void => {
        corked = false;
        socket.uncork();
      };
      const timer = setTimeout(() => socket.destroy(Object.assign(new Error(`no connection within ${DEFAULT_CONNECT_TIMEOUT_MS} ms`), { code: 'ETIMEDOUT' })), DEFAULT_CONNECT_TIMEOUT_MS);
      socket.on('error', (err: NodeJS.ErrnoException) => {
        lastError = err.code ?? 'EIO';
        if (!open) {
          clearTimeout(timer);
          reject(unreachable(err, plan));
        }
      });
      socket.on('close', () => {
        if (open) sink.closed(lastError ?? CONNECTION_CLOSED);
      });
      socket.on('drain', () => sink.drained());
      socket.on('data', (chunk: Buffer) => {
        const at = performance.now();
        partial += chunk.length;
        while (partial >= size) {
          partial -= size;
          const id = nextReplyId;
          nextReplyId = nextRequestId(id);
          sink.reply(id, at, size, null);
        }
      });
      socket.once('connect', () => {
        clearTimeout(timer);
        open = true;
        resolve({
          requestBytes: size,
          peer: null,
          buffers: null,
          send(): boolean {
            if (socket.destroyed) return false;
            if (!corked) {
              corked = true;
              socket.cork();
              process.nextTick(uncork);
            }
            return socket.write(message);
          },
          close: () =>
            new Promise<void>((done) => {
              if (socket.destroyed) return done();
              socket.once('close', () => done());
              socket.end();
              setTimeout(() => socket.destroy(), 1000).unref();
            }),
        });
      });
    });
}

function rawUdpDriver(plan: LoadPlan): DriverFactory {
  const size = plan.size;
  const template = Buffer.alloc(size, 0x61);
  return async (sink) => {
    const sockOpts = socketOptions(plan);
    let socket: dgram.Socket;
    try {
      ({ socket } = await createUdpSocket(plan.host, sockOpts));
    } catch (err) {
      throw unreachable(err, plan);
    }
    try {
      await bindUdpSocket(socket, sockOpts);
    } catch (err) {
      socket.close();
      throw unreachable(err, plan);
    }
    let closed = false;
    // A failed send or an ICMP error on a connected socket loses one datagram; the timeout counts it.
    socket.on('error', () => undefined);
    socket.on('message', (msg: Buffer) => {
      const at = performance.now();
      if (msg.length < 4) {
        sink.unexpected('badFrame'); // too short to carry an id
        return;
      }
      sink.reply(msg.readUInt32BE(0), at, msg.length, msg.length === size ? null : BAD_REPLY);
    });
    await new Promise<void>((resolve, reject) => {
      socket.once('error', (err: NodeJS.ErrnoException) => reject(unreachable(err, plan)));
      socket.connect(plan.port, plan.host, () => resolve());
    });
    return {
      requestBytes: size,
      peer: null,
      buffers: grantedBuffers(socket),
      send(id: number): boolean {
        if (closed) return false;
        // dgram.send keeps the buffer until the datagram leaves, so each request needs its own.
        const msg = Buffer.allocUnsafe(size);
        template.copy(msg);
        msg.writeUInt32BE(id, 0);
        socket.send(msg);
        return true;
      },
      close: () =>
        new Promise<void>((done) => {
          if (closed) return done();
          closed = true;
          socket.close(() => done());
        }),
    };
  };
}

/** The driver factory of a plan's transport. */
export function driverFactory(plan: LoadPlan, token: string | null): DriverFactory {
  switch (plan.transport) {
    case 'tcp':
    case 'udp':
      return frameDriver(plan, token);
    case 'raw-tcp':
      return rawTcpDriver(plan);
    case 'raw-udp':
      return rawUdpDriver(plan);
  }
}
