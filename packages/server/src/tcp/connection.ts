/**
 * One accepted TCP connection of the framed protocol: decode → dispatch → encode → write, composed
 * of three parts and the socket's lifecycle (WELCOME, idle timeout, close):
 *
 *   socket ──'data'──► FrameDecoder ──frame──► StatelessDispatcher  PING, ECHO, COMPUTE ──┐
 *                                         └──► Session  auth, HELLO, rooms, STATS, BYE ───┤
 *   socket ◄── ReplyWriter  batch, COPY_LIMIT, backpressure, service time, FIN ◄──────────┘
 *
 * - Frames come from {@link FrameDecoder.push} as views into the socket chunk. Their replies leave in
 *   one write per chunk (else per tick: a pool batch's replies, CHAT pushes); replies above `COPY_LIMIT`
 *   (16 KiB) flush the batch, then go out as header + the payload view, no copy (ReplyWriter).
 * - Service time: every frame of a chunk is stamped with the chunk's arrival ('data' event) and
 *   recorded when the flush carrying its reply hands it to the socket, so one clock read per chunk
 *   and one per flush, runs of same-type replies in one histogram call (ReplyWriter).
 * - Backpressure: while more than `WRITE_HIGH_WATER_MARK` (1 MiB) bytes wait to be written, or more
 *   than that many request bytes wait on the pool, the socket stops reading; 'drain' and finished
 *   pool work resume it. A client that never reads cannot grow server memory past about twice that
 *   mark plus one chunk's worth of requests; a room member that never reads is closed once CHAT
 *   pushes queue past `SLOW_CONSUMER_MARGIN` (4 MiB) more (Session).
 * - Incomplete frames: a frame that spans chunks is charged its whole size to the process's
 *   {@link FrameBudget} when its header arrives; when it does not fit, the socket stops reading until
 *   the budget grants it; when it has not completed within `--frame-timeout`, the connection ends
 *   (FIN). A frame inside one chunk costs one comparison per chunk here, nothing more.
 * - Replies may leave out of order (pool work); the client matches them by id.
 * - BYE: requests before it are answered first (pool work included), the BYE reply last, then FIN;
 *   frames after BYE are ignored (Session).
 * - Fatal errors: the replies owed for earlier requests first (at most `drainTimeoutMs`), then the
 *   ERROR, then FIN (Session).
 * - Drain (docs/protocol.md, "Drain"): a request decoded after the drain began, BYE excepted, gets
 *   ERROR SHUTTING_DOWN (non-fatal); FIN once nothing is owed and the socket is quiet, that is, not
 *   paused and a turn of the event loop after the drain and after the last bytes read found none
 *   (checked with setImmediate, which runs right after the poll phase that reads sockets): what the
 *   peer sent before the drain is answered, never silently dropped.
 * - Fatal errors, the idle timeout and drain end with FIN after the queued replies; a peer that does
 *   not close within `CLOSE_LINGER_MS` (5 s) is destroyed (ReplyWriter).
 */
import type { Socket } from 'node:net';
import { EMPTY_PAYLOAD, ErrorCode, FrameDecoder, HEADER_SIZE, MessageType, ProtocolError, decodeStreamAttach, isFatalError, type Frame } from '@sockbench/protocol';
import type { ProcessContext } from '../context.js';
import type { StatelessDispatcher } from '../dispatch/stateless.js';
import type { Closable } from '../lifecycle.js';
import type { FrameBudget, FrameSlot } from './frame-budget.js';
import { isRefusal } from '../stream/registry.js';
import type { StreamSession } from '../stream/stream-session.js';
import { ReplyWriter } from './reply-writer.js';
import { Session } from './session.js';

/** One TCP connection; closes itself on BYE, fatal errors, idle timeout; `close()` drains it. */
export class Connection implements Closable {
  readonly #ctx: ProcessContext;
  readonly #socket: Socket;
  readonly #decoder: FrameDecoder;
  readonly #stateless: StatelessDispatcher;
  readonly #writer: ReplyWriter;
  readonly #session: Session;
  readonly #budget: FrameBudget;
  /** This connection's incomplete frame, as charged to the budget. */
  readonly #slot: FrameSlot;
  /** Arrival of the chunk being decoded, ms (the writer's clock). */
  #chunkAt = 0;
  /** The chunk being decoded (ECHO replies are written over their requests in it). */
  #chunk: Buffer = EMPTY_PAYLOAD;
  #frames = 0;
  /** True once `close()` began the drain. */
  #draining = false;
  /** Bytes arrived since the last quiet check (set per chunk; read only while draining). */
  #readSinceCheck = false;
  #checkScheduled = false;
  readonly #idleTimer: NodeJS.Timeout | null;
  readonly #closedPromise: Promise<void>;
  #resolveClosed!: () => void;
  /** The stream session this is the data connection of (after STREAM_ATTACH), else null. */
  #stream: StreamSession | null = null;

  /** Routes one decoded frame: the drain check first (BYE excepted), auth, stateless requests, the rest. */
  readonly #onFrame = (frame: Frame): void => {
    const session = this.#session;
    if (!session.serving) return;
    this.#frames++;
    this.#ctx.counters.framesIn++;
    const t0 = this.#chunkAt;
    const { type, id, payload } = frame;
    if (this.#ctx.draining && type !== MessageType.BYE) {
      this.#writer.error(ErrorCode.SHUTTING_DOWN, id, 'server is shutting down');
      return;
    }
    // Stream data first: the hot path of a data connection (which needs no HELLO: its key came from
    // an authenticated control connection).
    // The chunk's stamp is the arrival: one clock read per chunk, not per message.
    if (type === MessageType.STREAM_DATA && this.#stream !== null && this.#stream.plan.direction === 'up') {
      this.#ctx.streams.tcpData(this.#stream, payload, t0 * 1000);
      return;
    }
    if (type === MessageType.STREAM_ATTACH && this.#frames === 1) {
      this.#attach(id, payload, t0);
      return;
    }
    if (!session.authed) {
      session.authenticate(frame, t0);
      return;
    }
    try {
      const result = this.#stateless.run(type, id, payload, session, t0, null);
      // An inline ECHO answers with its request's own payload: when that is a view into the chunk
      // (the decoder's frames inside one chunk: header right before it), the reply is written over the request.
      const chunk = this.#chunk;
      if (result === payload && type === MessageType.ECHO && payload.buffer === chunk.buffer && payload.length !== 0) {
        const offset = payload.byteOffset - chunk.byteOffset - HEADER_SIZE;
        if (offset >= 0 && offset + HEADER_SIZE + payload.length <= chunk.length) {
          this.#writer.replyInPlace(type, id, chunk, offset, payload.length, t0);
          return;
        }
      }
      if (result !== undefined) session.answer(type, id, result, t0, payload.length);
      else session.handle(type, id, payload, t0);
    } catch (err) {
      if (!(err instanceof ProtocolError)) throw err;
      if (isFatalError(err.errorCode)) session.fatal(err.errorCode, id, err.message);
      else this.#writer.error(err.errorCode, id, err.message);
    }
  };

  /**
   * @param stateless the listener's PING/ECHO/COMPUTE dispatcher (TCP limits)
   * @param budget the process's budget of incomplete frames (the listener's)
   */
  constructor(socket: Socket, ctx: ProcessContext, stateless: StatelessDispatcher, budget: FrameBudget) {
    this.#socket = socket;
    this.#ctx = ctx;
    this.#stateless = stateless;
    this.#budget = budget;
    this.#slot = budget.slot({
      granted: () => this.#writer.releaseReading(),
      expired: () => this.#onFrameTimeout(),
    });
    this.#decoder = new FrameDecoder({ maxPayload: ctx.options.maxPayload, expect: 'requests' });
    this.#writer = new ReplyWriter(socket, ctx.counters);
    this.#session = new Session(ctx, this.#writer, `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? 0}`, () => {
      if (this.#draining) this.#scheduleQuietCheck();
    });
    this.#closedPromise = new Promise((resolve) => {
      this.#resolveClosed = resolve;
    });
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.#onData(chunk));
    socket.on('error', (err: NodeJS.ErrnoException) => {
      ctx.counters.countSocketError(err.code ?? 'UNKNOWN');
      ctx.logger.debug({ err: err.message, code: err.code, peer: this.#session.name }, 'connection error');
    });
    socket.on('close', () => this.#onClose());
    const idle = ctx.options.idleTimeoutMs;
    this.#idleTimer = idle > 0 ? setTimeout(() => this.#onIdle(), idle).unref() : null;
    this.#writer.writeAlone(MessageType.WELCOME, 0, ctx.welcome);
  }

  /** Resolves when the socket has closed. */
  get closed(): Promise<void> {
    return this.#closedPromise;
  }

  /**
   * Drains: requests decoded before get their replies, later ones SHUTTING_DOWN; FIN once nothing is
   * owed and the socket is quiet (see the file comment). Resolves when the socket has closed (the
   * server destroys stragglers at its drain deadline).
   */
  close(): Promise<void> {
    if (!this.#draining) {
      this.#draining = true;
      // The first check only starts the count: a whole turn of the loop after this one must read nothing.
      this.#readSinceCheck = true;
      // Paused for unwritten replies: their 'drain' resumes reading, then the check runs again.
      this.#socket.on('drain', this.#scheduleQuietCheck);
      this.#scheduleQuietCheck();
    }
    return this.#closedPromise;
  }

  /** Closes the socket now, without waiting for replies. */
  destroy(): void {
    this.#socket.destroy();
  }

  /** Bytes queued for writing on this socket (replies not flushed yet included). */
  get pendingWriteBytes(): number {
    return this.#writer.pendingWriteBytes;
  }

  /** Request payload bytes handed to the pool and not answered yet. */
  get pendingWorkBytes(): number {
    return this.#writer.pendingWorkBytes;
  }

  /** True while reading is paused for backpressure. */
  get paused(): boolean {
    return this.#writer.paused;
  }

  #onData(chunk: Buffer): void {
    this.#ctx.counters.bytesIn += chunk.length;
    this.#readSinceCheck = true;
    if (!this.#session.serving) return;
    const before = this.#frames;
    const writer = this.#writer;
    this.#chunkAt = writer.beginChunk();
    this.#chunk = chunk;
    try {
      this.#decoder.push(chunk, this.#onFrame);
      if (this.#frames !== before && this.#idleTimer !== null) this.#idleTimer.refresh();
    } catch (err) {
      if (!(err instanceof ProtocolError)) throw err;
      this.#session.fatal(err.errorCode, err.id, err.message);
    } finally {
      this.#chunk = EMPTY_PAYLOAD;
      writer.endChunk();
    }
    // The hot path: frames wholly inside the chunk leave nothing pending and nothing charged.
    const pending = this.#decoder.pendingFrameBytes;
    if (pending !== 0 || this.#slot.size !== 0) this.#charge(pending, this.#frames !== before);
  }

  /**
   * Settles the budget after a chunk: `pending` is the whole size of the frame left incomplete (0 =
   * none), `completed` whether the chunk completed any frame (then a pending frame is a new one).
   */
  #charge(pending: number, completed: boolean): void {
    const slot = this.#slot;
    const budget = this.#budget;
    if (slot.size !== 0) {
      if (pending !== 0 && !completed) return; // the same frame, still arriving: its reservation covers it
      budget.end(slot);
    }
    // A connection that stopped serving (BYE, fatal error) decodes no further chunk: the tail of this
    // one is freed with the socket, within CLOSE_LINGER_MS, and is not worth a reservation.
    if (pending === 0 || !this.#session.serving) return;
    if (!budget.begin(slot, pending, this.#decoder.bufferedBytes, this.#chunkAt)) this.#writer.holdReading();
  }

  /** STREAM_ATTACH as the first request: this becomes the session's data connection. */
  #attach(id: number, payload: Buffer, t0: number): void {
    let req;
    try {
      req = decodeStreamAttach(payload, id);
    } catch (err) {
      if (!(err instanceof ProtocolError)) throw err;
      this.#writer.error(err.errorCode, id, err.message);
      return;
    }
    const counters = this.#ctx.counters;
    const attached = this.#ctx.streams.attach(
      req,
      {
        socket: this.#socket,
        end: () => this.#writer.end(),
        countOut: (n) => (counters.bytesOut += n),
      },
      this.#session.authed,
    );
    if (isRefusal(attached)) {
      this.#writer.error(attached.refused, id, attached.reason);
      return;
    }
    this.#stream = attached;
    this.#writer.reply(MessageType.STREAM_ATTACH, id, EMPTY_PAYLOAD, t0);
  }

  #onFrameTimeout(): void {
    this.#ctx.logger.debug(
      { peer: this.#session.name, frameBytes: this.#slot.size, receivedBytes: this.#decoder.bufferedBytes, frameTimeoutMs: this.#ctx.options.frameTimeoutMs },
      'closing connection: frame not completed within the frame timeout',
    );
    this.#writer.end();
  }

  readonly #scheduleQuietCheck = (): void => {
    if (this.#checkScheduled) return;
    this.#checkScheduled = true;
    setImmediate(this.#quietCheck);
  };

  /** Draining: ends the connection once nothing is owed and a turn of the loop read nothing; else checks again. */
  readonly #quietCheck = (): void => {
    this.#checkScheduled = false;
    const session = this.#session;
    // BYE or a fatal error ends the connection itself; owed replies call back when they settle.
    if (!session.serving || session.pending !== 0) return;
    // Paused: bytes may wait unread; the socket's 'drain' calls back once reading resumes.
    if (this.#writer.paused) return;
    if (this.#readSinceCheck || this.#socket.readableLength > 0) {
      this.#readSinceCheck = false;
      this.#scheduleQuietCheck();
      return;
    }
    this.#writer.end();
  };

  #onIdle(): void {
    // A stream's connections are silent by design: the control one for the whole stream, a down data
    // one always. They wait while a session is open (docs/protocol.md, "Session lifecycle").
    if ((this.#stream !== null && this.#stream.state !== 'closed') || this.#ctx.streams.owns(this.#session)) {
      this.#idleTimer?.refresh();
      return;
    }
    this.#ctx.logger.debug({ peer: this.#session.name }, 'closing idle connection');
    this.#writer.end();
  }

  #onClose(): void {
    if (this.#idleTimer !== null) clearTimeout(this.#idleTimer);
    this.#budget.end(this.#slot);
    this.#session.leaveAll();
    this.#stream?.dataClosed();
    this.#stream = null;
    this.#ctx.streams.closeOwnedBy(this.#session);
    this.#resolveClosed();
  }
}
