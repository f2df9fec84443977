/**
 * What one TCP connection's peer is to the server: who (auth with `--token`, the HELLO name), where
 * (its rooms, as a {@link RoomMember} receiving CHAT pushes) and how it ends (replies still owed,
 * BYE, drain). Stateless requests do not come here; their results do, through {@link Session.answer}
 * and, for those handed to the pool, {@link Session.poolReply} (it is their {@link PoolSink}).
 *
 * - BYE: requests before it are answered first (pool work included), the BYE reply last, then FIN;
 *   frames after BYE are not served ({@link Session.serving} turns false).
 * - Fatal errors end the same way (docs/protocol.md, "Fatal errors"): replies owed for earlier
 *   requests first, then the ERROR, then FIN; the wait is bounded by `drainTimeoutMs`, so pool work
 *   that never settles cannot keep a connection the server has given up on open.
 * - Slow consumer: a room member whose queued writes pass `WRITE_HIGH_WATER_MARK + maxPayload +`
 *   {@link SLOW_CONSUMER_MARGIN} is closed, since CHAT pushes are not paced by its own requests.
 */
import {
  EMPTY_PAYLOAD,
  ErrorCode,
  MessageType,
  decodeHello,
  decodeRoom,
  decodeSay,
  decodeStatsQuery,
  decodeStreamOpen,
  decodeStreamReportRequest,
  decodeStreamStart,
  decodeStreamValidate,
  encodeStats,
  type Frame,
} from '@sockbench/protocol';
import type { RoomMember } from '../chat/rooms.js';
import type { ProcessContext } from '../context.js';
import { QUEUED, type ExecResult } from '../dispatch/executor.js';
import type { PoolSink } from '../pool/sink.js';
import { isRefusal, type StreamAnswer } from '../stream/registry.js';
import { WRITE_HIGH_WATER_MARK, type ReplyWriter } from './reply-writer.js';
import { tokenMatches } from './token.js';

/**
 * A connection whose queued writes pass this many bytes beyond the largest reply it may be owed
 * (`WRITE_HIGH_WATER_MARK + maxPayload`) is a slow consumer: CHAT pushes, which it does not pace,
 * would otherwise grow without bound, so it is closed (as Redis does with pub/sub output limits).
 */
export const SLOW_CONSUMER_MARGIN = 4 * 1024 * 1024;

/** How a connection ends once no reply is owed: the BYE reply, or a fatal ERROR. */
type Ending =
  | { kind: 'bye'; id: number; t0: number }
  | { kind: 'fatal'; code: ErrorCode; id: number; message: string };

/** One connection's session: auth, name, rooms, replies owed, BYE, fatal errors. */
export class Session implements RoomMember, PoolSink {
  readonly #ctx: ProcessContext;
  readonly #writer: ReplyWriter;
  /** `from` of this connection's SAYs: the HELLO client name, else ip:port. */
  #name: string;
  #authed: boolean;
  readonly #joined = new Set<string>();
  /** Replies still owed (pool work, STATS). */
  #pending = 0;
  /** Set by BYE or a fatal error: written, then FIN, once nothing is owed. */
  #ending: Ending | null = null;
  /** Bounds the wait of a fatal error for the replies owed before it. */
  #fatalTimer: NodeJS.Timeout | null = null;
  readonly #slowConsumerLimit: number;
  readonly #onSettled: () => void;

  /**
   * @param peer the name used until a HELLO gives one, `ip:port`
   * @param onSettled called when the last owed reply has been written and no BYE or fatal error
   *   waits for it (the connection's drain closes then)
   */
  constructor(ctx: ProcessContext, writer: ReplyWriter, peer: string, onSettled: () => void = () => undefined) {
    this.#ctx = ctx;
    this.#writer = writer;
    this.#name = peer;
    this.#onSettled = onSettled;
    this.#authed = ctx.options.token === undefined;
    this.#slowConsumerLimit = WRITE_HIGH_WATER_MARK + ctx.options.maxPayload + SLOW_CONSUMER_MARGIN;
  }

  /** The HELLO client name, else `ip:port`. */
  get name(): string {
    return this.#name;
  }

  /** True once the peer may send requests: no token is set, or its HELLO carried the right one. */
  get authed(): boolean {
    return this.#authed;
  }

  /** False once no more frames are served: after BYE or a fatal error, or once the writer has ended. */
  get serving(): boolean {
    return this.#ending === null && !this.#writer.ended;
  }

  /** Replies still owed (pool work, STATS). */
  get pending(): number {
    return this.#pending;
  }

  /**
   * The first frame under `--token`: a HELLO with the right token is answered with the WELCOME
   * payload; anything else gets UNAUTHORIZED and the connection ends.
   */
  authenticate(frame: Frame, t0: number): void {
    if (frame.type !== MessageType.HELLO) {
      this.fatal(ErrorCode.UNAUTHORIZED, frame.id, 'the first request must be HELLO with the token');
      return;
    }
    let token: string | undefined;
    let client: string | undefined;
    try {
      ({ token, client } = decodeHello(frame.payload, frame.id));
    } catch {
      // A HELLO we cannot read carries no token we can check: same answer as a wrong token.
      token = undefined;
    }
    if (token === undefined || !tokenMatches(token, this.#ctx.options.token!)) {
      this.fatal(ErrorCode.UNAUTHORIZED, frame.id, 'HELLO token missing or wrong');
      return;
    }
    this.#authed = true;
    if (client !== undefined && client.length > 0) this.#name = client;
    this.#writer.reply(MessageType.HELLO, frame.id, this.#ctx.welcome, t0);
  }

  /**
   * Serves a request that is not stateless: HELLO, JOIN, LEAVE, SAY, STATS, BYE, the stream control
   * requests (this connection is their owner: docs/protocol.md, "Stream"); UNKNOWN_TYPE for any other type.
   * @throws ProtocolError (BadPayloadError) for a payload its decoder refuses; the caller answers it
   */
  handle(type: number, id: number, payload: Buffer, t0: number): void {
    const ctx = this.#ctx;
    const writer = this.#writer;
    switch (type) {
      case MessageType.HELLO: {
        const hello = decodeHello(payload, id);
        if (hello.client !== undefined && hello.client.length > 0) this.#name = hello.client;
        writer.reply(type, id, ctx.welcome, t0);
        return;
      }
      case MessageType.JOIN: {
        const room = decodeRoom(payload, id);
        this.#joined.add(room);
        ctx.rooms.join(room, this);
        writer.reply(type, id, EMPTY_PAYLOAD, t0);
        return;
      }
      case MessageType.LEAVE: {
        const room = decodeRoom(payload, id);
        if (!this.#joined.delete(room)) {
          writer.error(ErrorCode.NOT_IN_ROOM, id, `not in room ${JSON.stringify(room)}`);
          return;
        }
        ctx.rooms.leave(room, this);
        writer.reply(type, id, EMPTY_PAYLOAD, t0);
        return;
      }
      case MessageType.SAY: {
        const say = decodeSay(payload, id);
        if (!this.#joined.has(say.room)) {
          writer.error(ErrorCode.NOT_IN_ROOM, id, `not in room ${JSON.stringify(say.room)}`);
          return;
        }
        ctx.say(say.room, this.#name, say.text, this);
        writer.reply(type, id, EMPTY_PAYLOAD, t0);
        return;
      }
      case MessageType.STATS: {
        const query = decodeStatsQuery(payload, id);
        this.answer(type, id, ctx.stats(query).then(encodeStats), t0, 0);
        return;
      }
      case MessageType.BYE:
        if (payload.length !== 0) {
          writer.error(ErrorCode.BAD_PAYLOAD, id, `BYE payload must be empty, got ${payload.length} bytes`);
          return;
        }
        this.#ending = { kind: 'bye', id, t0 };
        if (this.#pending === 0) this.#finish();
        return;
      case MessageType.STREAM_OPEN: {
        let req;
        try {
          req = decodeStreamOpen(payload, id);
        } catch (err) {
          ctx.streams.refusedOpen(); // counted as the caps' refusals are (STATS stream.refused)
          throw err;
        }
        return this.#streamAnswer(type, id, ctx.streams.open(this, req), t0);
      }
      case MessageType.STREAM_VALIDATE:
        return this.#streamAnswer(type, id, ctx.streams.validate(this, decodeStreamValidate(payload, id)), t0);
      case MessageType.STREAM_START:
        return this.#streamAnswer(type, id, ctx.streams.start(this, decodeStreamStart(payload, id)), t0);
      case MessageType.STREAM_REPORT:
        return this.#streamAnswer(type, id, ctx.streams.report(this, decodeStreamReportRequest(payload, id)), t0);
      case MessageType.STREAM_ATTACH:
        writer.error(ErrorCode.BAD_PAYLOAD, id, 'STREAM_ATTACH must be the first request on its connection');
        return;
      case MessageType.STREAM_DATA:
        writer.error(ErrorCode.BAD_PAYLOAD, id, "STREAM_DATA on a connection that is not an up stream's data connection");
        return;
      default:
        writer.error(ErrorCode.UNKNOWN_TYPE, id, `type 0x${type.toString(16).padStart(2, '0')} is not a request`);
    }
  }

  /** A stream control request's answer: its ERROR when refused, else the reply (now or owed). */
  #streamAnswer(type: number, id: number, answer: StreamAnswer, t0: number): void {
    if (isRefusal(answer)) this.#writer.error(answer.refused, id, answer.reason);
    else this.answer(type, id, answer, t0, 0);
  }

  /**
   * Writes a reply now, or owes it until it comes: QUEUED (the pool calls {@link poolReply} or
   * {@link poolFailed}), or a promise (STATS); null means the pool is full (BUSY). A failed promise
   * is answered BUSY ("request failed on the server").
   * @param cost request payload bytes the pending work holds (backpressure counts them)
   */
  answer(type: number, id: number, result: ExecResult | Promise<Uint8Array>, t0: number, cost: number): void {
    const writer = this.#writer;
    if (result === null) {
      writer.error(ErrorCode.BUSY, id, 'thread pool queue is full');
      return;
    }
    if (result === QUEUED) {
      this.#pending++;
      writer.holdWork(cost);
      return;
    }
    if (!(result instanceof Promise)) {
      writer.reply(type, id, result, t0);
      return;
    }
    this.#pending++;
    writer.holdWork(cost);
    result.then(
      (payload) => this.poolReply(type, id, payload, t0, cost),
      (err: unknown) => this.poolFailed(type, id, err, cost),
    );
  }

  /** The reply owed for request `id` (answered QUEUED): written now (in this tick's batch), its cost released. */
  poolReply(type: number, id: number, payload: Uint8Array, t0: number, cost: number): void {
    const writer = this.#writer;
    this.#pending--;
    writer.reply(type, id, payload, t0);
    writer.releaseWork(cost);
    this.#afterPending();
  }

  /** The work owed for request `id` failed: logged, answered BUSY, its cost released. */
  poolFailed(type: number, id: number, err: unknown, cost: number): void {
    const writer = this.#writer;
    this.#pending--;
    this.#ctx.logger.error({ err: err instanceof Error ? err.message : String(err), type }, 'request failed');
    // No wire code means "internal failure"; BUSY tells the client to retry later, which is true.
    writer.error(ErrorCode.BUSY, id, 'request failed on the server');
    writer.releaseWork(cost);
    this.#afterPending();
  }

  /**
   * A fatal error at request `id`: serves no more frames; once the replies owed for earlier requests
   * are written, sends ERROR `code` and ends the connection (logged at debug with the peer's name).
   * Waits at most `drainTimeoutMs` for them: then the ERROR goes out anyway and later replies are
   * dropped. Ignored after BYE (frames after it are not served) or an earlier fatal error.
   */
  fatal(code: ErrorCode, id: number, message: string): void {
    if (this.#ending !== null || this.#writer.ended) return;
    this.#ctx.logger.debug({ peer: this.#name, code, message, owed: this.#pending }, 'closing connection on error');
    this.#ending = { kind: 'fatal', code, id, message };
    const bound = this.#ctx.options.drainTimeoutMs;
    if (this.#pending === 0 || bound === 0) {
      this.#finish();
      return;
    }
    this.#fatalTimer = setTimeout(() => {
      this.#fatalTimer = null;
      this.#ctx.logger.debug({ peer: this.#name, code, owed: this.#pending, waitedMs: bound }, 'replies owed before a fatal error did not come in time: closing');
      this.#finish();
    }, bound).unref();
  }

  /** Pushes one CHAT frame (id 0); closes the connection when it is a slow consumer. */
  pushChat(payload: Buffer): void {
    const writer = this.#writer;
    if (writer.ended) return;
    const queued = writer.pendingWriteBytes;
    if (queued > this.#slowConsumerLimit) {
      this.#ctx.counters.slowConsumersClosed++;
      this.#ctx.logger.warn({ peer: this.#name, queuedBytes: queued }, 'closing slow consumer');
      writer.abort();
      return;
    }
    writer.push(MessageType.CHAT, payload);
  }

  /** Leaves every room joined (the socket closed). */
  leaveAll(): void {
    for (const room of this.#joined) this.#ctx.rooms.leave(room, this);
    this.#joined.clear();
  }

  #afterPending(): void {
    if (this.#pending !== 0 || this.#writer.ended) return;
    if (this.#ending !== null) this.#finish();
    else this.#onSettled();
  }

  /** Writes the BYE reply or the fatal ERROR, then FIN. */
  #finish(): void {
    const ending = this.#ending!;
    if (this.#fatalTimer !== null) {
      clearTimeout(this.#fatalTimer);
      this.#fatalTimer = null;
    }
    if (ending.kind === 'bye') this.#writer.reply(MessageType.BYE, ending.id, EMPTY_PAYLOAD, ending.t0);
    else this.#writer.error(ending.code, ending.id, ending.message);
    this.#writer.end();
  }
}
