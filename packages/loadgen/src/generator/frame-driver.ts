/**
 * The `tcp` / `udp` driver: the sockbench protocol through `@sockbench/client`'s frame channels,
 * each reply checked against its request (type, payload length, RESPONSE flag).
 */
import { openTcpChannel, openUdpChannel, type FrameChannel, type GrantedBuffers } from '@sockbench/client';
import {
  COMPUTE_DIGEST_BYTES,
  DEFAULT_CONNECT_TIMEOUT_MS,
  HEADER_SIZE,
  MessageType,
  decodeError,
  ErrorCode,
  Flags,
  ProtocolError,
  errorCodeName,
  formatPeerAddress,
  type Frame,
} from '@sockbench/protocol';
import type { UnexpectedKind } from '../counters.js';
import { UsageError } from '../errors.js';
import type { LoadPlan } from '../options.js';
import { socketOptions } from '../socket-plan.js';
import { BAD_REPLY, CONNECTION_CLOSED, requestPayload, unreachable, type Driver, type DriverFactory, type ReplySink } from './driver-types.js';

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

/** The driver factory of a `tcp` or `udp` plan; `token` (or null) goes in the HELLO over TCP. */
export function frameDriver(plan: LoadPlan, token: string | null): DriverFactory {
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
