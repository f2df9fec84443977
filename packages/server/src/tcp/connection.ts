/**
 * One accepted TCP connection of the framed protocol: decode → dispatch → encode → write.
 *
 * - Frames come from {@link FrameDecoder.push} as views into the socket chunk. Replies are queued
 *   in a {@link FrameBatch}, encoded into one buffer and written once: right after the chunk is
 *   decoded for replies made while decoding it, else on `process.nextTick` (pool results, CHAT
 *   pushes). A chunk of 16 pipelined requests costs one buffer and one `write`, not 16. Replies
 *   above {@link COPY_LIMIT} flush the batch, then go out as header + the payload view (no copy).
 * - Service time: every frame of a chunk is stamped with the chunk's arrival ('data' event) and
 *   recorded when the flush carrying its reply hands it to the socket, so one clock read per chunk
 *   and one per flush, and runs of same-type replies recorded in one histogram call.
 * - Backpressure: while more than {@link WRITE_HIGH_WATER_MARK} bytes wait to be written, or more
 *   than that many request bytes wait on the pool, the socket stops reading; 'drain' and finished
 *   pool work resume it. A client that never reads cannot grow server memory past about twice that
 *   mark plus one chunk's worth of requests; a room member that never reads is closed once CHAT
 *   pushes queue past {@link SLOW_CONSUMER_MARGIN} more.
 * - Replies may leave out of order (pool work); the client matches them by id.
 * - BYE: requests before it are answered first (pool work included), the BYE reply last, then FIN;
 *   frames after BYE are ignored.
 */
import type { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import {
  EMPTY_PAYLOAD,
  ErrorCode,
  Flags,
  FrameBatch,
  FrameDecoder,
  HEADER_SIZE,
  MessageType,
  ProtocolError,
  decodeCompute,
  decodeHello,
  decodeRoom,
  decodeSay,
  encodeError,
  encodeFrame,
  encodeStats,
  isFatalError,
  writeHeader,
  type Frame,
} from '@sockbench/protocol';
import type { RoomMember } from '../chat/rooms.js';
import type { ProcessContext } from '../context.js';
import type { ExecResult } from '../dispatch/executor.js';
import type { Closable } from '../lifecycle.js';
import { tokenMatches } from './token.js';

/** Pending write bytes above which the connection stops reading, bytes (1 MiB). */
export const WRITE_HIGH_WATER_MARK = 1024 * 1024;

/** Reply payloads up to this size are copied behind their header in one buffer, bytes. */
export const COPY_LIMIT = 16 * 1024;

/**
 * A connection whose queued writes pass this many bytes beyond the largest reply it may be owed
 * (`WRITE_HIGH_WATER_MARK + maxPayload`) is a slow consumer: CHAT pushes, which it does not pace,
 * would otherwise grow without bound, so it is closed (as Redis does with pub/sub output limits).
 */
export const SLOW_CONSUMER_MARGIN = 4 * 1024 * 1024;

/** After the server ends a connection (FIN), how long it waits for the peer's FIN before destroying, ms. */
export const CLOSE_LINGER_MS = 5_000;

const ERROR_FLAGS_FOR = (id: number): number => (id === 0 ? Flags.NONE : Flags.RESPONSE);

/** One TCP connection; closes itself on BYE, fatal errors, idle timeout; `close()` drains it. */
export class Connection implements RoomMember, Closable {
  readonly #socket: Socket;
  readonly #ctx: ProcessContext;
  readonly #decoder: FrameDecoder;
  /** `from` of this connection's SAYs: the HELLO client name, else ip:port. */
  #name: string;
  #authed: boolean;
  readonly #joined = new Set<string>();
  /** Replies still owed (pool work, STATS). */
  #pending = 0;
  /** Request payload bytes handed to the pool and not answered yet (counts toward backpressure). */
  #pendingBytes = 0;
  readonly #slowConsumerLimit: number;
  /** Id of the BYE received (0 = none). */
  #byeId = 0;
  #byeAt = 0;
  /** True once no more frames are served (BYE, fatal error, drain finished, closed). */
  #ignoring = false;
  #ended = false;
  #closed = false;
  readonly #batch = new FrameBatch();
  #flushScheduled = false;
  /** True while a chunk is being decoded: its replies are flushed when it is done, no tick needed. */
  #decoding = false;
  /** Service-time runs waiting for the flush that carries their replies: type, t0 (ms), count. */
  readonly #runTypes: number[] = [];
  readonly #runT0: number[] = [];
  readonly #runCounts: number[] = [];
  #runs = 0;
  /** performance.now() when the chunk being decoded arrived, ms. */
  #chunkAt = 0;
  #paused = false;
  #frames = 0;
  readonly #idleTimer: NodeJS.Timeout | null;
  #lingerTimer: NodeJS.Timeout | null = null;
  readonly #closedPromise: Promise<void>;
  #resolveClosed!: () => void;

  readonly #flushTick = (): void => {
    this.#flushScheduled = false;
    this.#flush();
  };

  /** Pauses reading while replies or pool work above the mark are queued; resumes below it. */
  readonly #checkPressure = (): void => {
    const over = this.#socket.writableLength > WRITE_HIGH_WATER_MARK || this.#pendingBytes > WRITE_HIGH_WATER_MARK;
    if (over && !this.#paused) {
      this.#paused = true;
      this.#socket.pause();
    } else if (!over && this.#paused) {
      this.#paused = false;
      if (!this.#closed) this.#socket.resume();
    }
  };

  readonly #onFrame = (frame: Frame): void => {
    if (this.#ignoring) return;
    this.#frames++;
    this.#ctx.counters.framesIn++;
    this.#dispatch(frame, this.#chunkAt);
  };

  constructor(socket: Socket, ctx: ProcessContext) {
    this.#socket = socket;
    this.#ctx = ctx;
    this.#decoder = new FrameDecoder({ maxPayload: ctx.options.maxPayload, expect: 'requests' });
    this.#name = `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? 0}`;
    this.#authed = ctx.options.token === undefined;
    this.#slowConsumerLimit = WRITE_HIGH_WATER_MARK + ctx.options.maxPayload + SLOW_CONSUMER_MARGIN;
    this.#closedPromise = new Promise((resolve) => {
      this.#resolveClosed = resolve;
    });
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.#onData(chunk));
    socket.on('error', (err: NodeJS.ErrnoException) => {
      ctx.counters.countSocketError(err.code ?? 'UNKNOWN');
      ctx.logger.debug({ err: err.message, code: err.code, peer: this.#name }, 'connection error');
    });
    socket.on('close', () => this.#onClose());
    // 'drain' follows every write() that returned false, so a paused socket always gets this call.
    socket.on('drain', this.#checkPressure);
    const idle = ctx.options.idleTimeoutMs;
    this.#idleTimer = idle > 0 ? setTimeout(() => this.#onIdle(), idle).unref() : null;
    // Written on its own, not through the batch: a connection that never sends a request (10,000
    // idle ones, say) then never grows the batch's arrays.
    socket.write(encodeFrame(MessageType.WELCOME, 0, ctx.welcome));
    ctx.counters.framesOut++;
    ctx.counters.bytesOut += HEADER_SIZE + ctx.welcome.length;
  }

  /** Resolves when the socket has closed. */
  get closed(): Promise<void> {
    return this.#closedPromise;
  }

  /** Pushes one CHAT frame (id 0); closes the connection when it is a slow consumer. */
  pushChat(payload: Buffer): void {
    if (this.#ended) return;
    const queued = this.pendingWriteBytes;
    if (queued > this.#slowConsumerLimit) {
      this.#ctx.counters.slowConsumersClosed++;
      this.#ctx.logger.warn({ peer: this.#name, queuedBytes: queued }, 'closing slow consumer');
      this.#ended = true;
      this.#ignoring = true;
      this.#socket.destroy();
      return;
    }
    this.#writeFrame(MessageType.CHAT, Flags.NONE, 0, payload);
  }

  /**
   * Drains: requests already received get their replies, later ones SHUTTING_DOWN, then FIN.
   * Resolves when the socket has closed (the server destroys stragglers at its drain deadline).
   */
  close(): Promise<void> {
    if (!this.#closed && this.#pending === 0 && this.#byeId === 0) this.#end();
    return this.#closedPromise;
  }

  /** Closes the socket now, without waiting for replies. */
  destroy(): void {
    this.#socket.destroy();
  }

  /** Bytes queued for writing on this socket (replies not flushed yet included). */
  get pendingWriteBytes(): number {
    return this.#socket.writableLength + this.#batch.byteLength;
  }

  /** Request payload bytes handed to the pool and not answered yet. */
  get pendingWorkBytes(): number {
    return this.#pendingBytes;
  }

  /** True while reading is paused for backpressure. */
  get paused(): boolean {
    return this.#paused;
  }

  #onData(chunk: Buffer): void {
    this.#ctx.counters.bytesIn += chunk.length;
    if (this.#ignoring) return;
    this.#chunkAt = performance.now();
    const before = this.#frames;
    this.#decoding = true;
    try {
      this.#decoder.push(chunk, this.#onFrame);
    } catch (err) {
      if (!(err instanceof ProtocolError)) throw err;
      this.#fatal(err.errorCode, err.id, err.message);
      return;
    } finally {
      this.#decoding = false;
    }
    this.#flush();
    if (this.#frames !== before && this.#idleTimer !== null) this.#idleTimer.refresh();
  }

  #dispatch(frame: Frame, t0: number): void {
    const { type, id, payload } = frame;
    const ctx = this.#ctx;
    if (!this.#authed) {
      this.#authenticate(frame, t0);
      return;
    }
    if (ctx.draining) {
      this.#sendError(ErrorCode.SHUTTING_DOWN, id, 'server is shutting down');
      return;
    }
    try {
      switch (type) {
        case MessageType.PING:
          if (payload.length !== 0) this.#badPayload(id, `PING payload must be empty, got ${payload.length} bytes`);
          else this.#answer(type, id, ctx.executor.ping(), t0, 0);
          return;
        case MessageType.ECHO:
          this.#answer(type, id, ctx.executor.echo(payload), t0, payload.length);
          return;
        case MessageType.COMPUTE: {
          const req = decodeCompute(payload, id, { maxIterations: ctx.options.maxIterations });
          this.#answer(type, id, ctx.executor.compute(req.iterations, req.data), t0, payload.length);
          return;
        }
        case MessageType.HELLO: {
          const hello = decodeHello(payload, id);
          if (hello.client !== undefined && hello.client.length > 0) this.#name = hello.client;
          this.#reply(type, id, ctx.welcome, t0);
          return;
        }
        case MessageType.JOIN: {
          const room = decodeRoom(payload, id);
          this.#joined.add(room);
          ctx.rooms.join(room, this);
          this.#reply(type, id, EMPTY_PAYLOAD, t0);
          return;
        }
        case MessageType.LEAVE: {
          const room = decodeRoom(payload, id);
          if (!this.#joined.delete(room)) {
            this.#sendError(ErrorCode.NOT_IN_ROOM, id, `not in room ${JSON.stringify(room)}`);
            return;
          }
          ctx.rooms.leave(room, this);
          this.#reply(type, id, EMPTY_PAYLOAD, t0);
          return;
        }
        case MessageType.SAY: {
          const say = decodeSay(payload, id);
          if (!this.#joined.has(say.room)) {
            this.#sendError(ErrorCode.NOT_IN_ROOM, id, `not in room ${JSON.stringify(say.room)}`);
            return;
          }
          ctx.say(say.room, this.#name, say.text, this);
          this.#reply(type, id, EMPTY_PAYLOAD, t0);
          return;
        }
        case MessageType.STATS:
          if (payload.length !== 0) this.#badPayload(id, `STATS payload must be empty, got ${payload.length} bytes`);
          else this.#answer(type, id, ctx.stats().then(encodeStats), t0, 0);
          return;
        case MessageType.BYE:
          if (payload.length !== 0) {
            this.#badPayload(id, `BYE payload must be empty, got ${payload.length} bytes`);
            return;
          }
          this.#ignoring = true;
          this.#byeId = id;
          this.#byeAt = t0;
          if (this.#pending === 0) this.#finishBye();
          return;
        default:
          this.#sendError(ErrorCode.UNKNOWN_TYPE, id, `type 0x${type.toString(16).padStart(2, '0')} is not a request`);
      }
    } catch (err) {
      if (!(err instanceof ProtocolError)) throw err;
      this.#sendError(err.errorCode, id, err.message);
      if (isFatalError(err.errorCode)) this.#end();
    }
  }

  #authenticate(frame: Frame, t0: number): void {
    if (frame.type !== MessageType.HELLO) {
      this.#fatal(ErrorCode.UNAUTHORIZED, frame.id, 'the first request must be HELLO with the token');
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
      this.#fatal(ErrorCode.UNAUTHORIZED, frame.id, 'HELLO token missing or wrong');
      return;
    }
    this.#authed = true;
    if (client !== undefined && client.length > 0) this.#name = client;
    this.#reply(MessageType.HELLO, frame.id, this.#ctx.welcome, t0);
  }

  #badPayload(id: number, message: string): void {
    this.#sendError(ErrorCode.BAD_PAYLOAD, id, message);
  }

  /**
   * Writes a reply now, or when the pool/STATS settles; null means the pool is full (BUSY).
   * @param cost request payload bytes the pending work holds (backpressure counts them)
   */
  #answer(type: number, id: number, result: ExecResult, t0: number, cost: number): void {
    if (result === null) {
      this.#sendError(ErrorCode.BUSY, id, 'thread pool queue is full');
      return;
    }
    if (!(result instanceof Promise)) {
      this.#reply(type, id, result, t0);
      return;
    }
    this.#pending++;
    this.#pendingBytes += cost;
    if (this.#pendingBytes > WRITE_HIGH_WATER_MARK) this.#checkPressure();
    result.then(
      (payload) => {
        this.#pending--;
        this.#pendingBytes -= cost;
        this.#reply(type, id, payload, t0);
        this.#afterPending();
      },
      (err: unknown) => {
        this.#pending--;
        this.#pendingBytes -= cost;
        this.#ctx.logger.error({ err: err instanceof Error ? err.message : String(err), type }, 'request failed');
        // No wire code means "internal failure"; BUSY tells the client to retry later, which is true.
        this.#sendError(ErrorCode.BUSY, id, 'request failed on the server');
        this.#afterPending();
      },
    );
  }

  #afterPending(): void {
    if (this.#paused) this.#checkPressure();
    if (this.#pending !== 0 || this.#ended) return;
    if (this.#byeId !== 0) this.#finishBye();
    else if (this.#ctx.draining) this.#end();
  }

  #finishBye(): void {
    this.#reply(MessageType.BYE, this.#byeId, EMPTY_PAYLOAD, this.#byeAt);
    this.#end();
  }

  #reply(type: number, id: number, payload: Uint8Array, t0: number): void {
    if (this.#ended) return;
    // Queued before the write, so the flush that hands this reply to the socket records it (a
    // reply over COPY_LIMIT flushes at once, before its own write).
    const r = this.#runs - 1;
    if (r >= 0 && this.#runTypes[r] === type && this.#runT0[r] === t0) {
      this.#runCounts[r]!++;
    } else {
      this.#runTypes[r + 1] = type;
      this.#runT0[r + 1] = t0;
      this.#runCounts[r + 1] = 1;
      this.#runs = r + 2;
    }
    this.#writeFrame(type, Flags.RESPONSE, id, payload);
  }

  #sendError(code: ErrorCode, id: number, message: string): void {
    this.#ctx.counters.countError(code);
    if (this.#ended) return;
    this.#writeFrame(MessageType.ERROR, ERROR_FLAGS_FOR(id), id, encodeError(code, message));
  }

  #fatal(code: ErrorCode, id: number, message: string): void {
    this.#ctx.logger.debug({ peer: this.#name, code, message }, 'closing connection on error');
    this.#sendError(code, id, message);
    this.#end();
  }

  #writeFrame(type: number, flags: number, id: number, payload: Uint8Array): void {
    const socket = this.#socket;
    // Reset by the peer, 'close' not emitted yet: a write now would only raise ERR_STREAM_DESTROYED.
    if (socket.destroyed) return;
    const n = payload.length;
    if (n <= COPY_LIMIT) {
      this.#batch.add(type, flags, id, payload);
      if (!this.#decoding && !this.#flushScheduled) {
        this.#flushScheduled = true;
        process.nextTick(this.#flushTick);
      }
    } else {
      this.#flush();
      const header = Buffer.allocUnsafe(HEADER_SIZE);
      writeHeader(header, 0, type, flags, id, n);
      socket.cork();
      socket.write(header);
      socket.write(payload);
      socket.uncork();
      if (!this.#paused && socket.writableLength > WRITE_HIGH_WATER_MARK) this.#checkPressure();
    }
    const counters = this.#ctx.counters;
    counters.framesOut++;
    counters.bytesOut += HEADER_SIZE + n;
  }

  /** Writes the queued replies as one buffer and records their service times. */
  #flush(): void {
    const socket = this.#socket;
    const out = this.#batch.encode();
    if (out !== null && !socket.destroyed) {
      socket.write(out);
      if (!this.#paused && socket.writableLength > WRITE_HIGH_WATER_MARK) this.#checkPressure();
    }
    const runs = this.#runs;
    if (runs === 0) return;
    const now = performance.now();
    const serviceTimes = this.#ctx.counters.serviceTimes;
    for (let r = 0; r < runs; r++) {
      serviceTimes.recordMany(this.#runTypes[r]!, (now - this.#runT0[r]!) * 1000, this.#runCounts[r]!);
    }
    this.#runs = 0;
  }

  /** Stops serving and sends FIN after the queued replies; destroys if the peer never closes. */
  #end(): void {
    this.#ignoring = true;
    if (this.#ended) return;
    this.#ended = true;
    this.#flush();
    this.#socket.end();
    // Keep reading (and discarding) so the peer's late bytes do not turn our FIN into a RST.
    if (this.#paused) {
      this.#paused = false;
      this.#socket.resume();
    }
    this.#lingerTimer = setTimeout(() => this.#socket.destroy(), CLOSE_LINGER_MS).unref();
  }

  #onIdle(): void {
    this.#ctx.logger.debug({ peer: this.#name }, 'closing idle connection');
    this.#end();
  }

  #onClose(): void {
    this.#closed = true;
    this.#ignoring = true;
    this.#ended = true;
    if (this.#idleTimer !== null) clearTimeout(this.#idleTimer);
    if (this.#lingerTimer !== null) clearTimeout(this.#lingerTimer);
    for (const room of this.#joined) this.#ctx.rooms.leave(room, this);
    this.#joined.clear();
    this.#resolveClosed();
  }
}
