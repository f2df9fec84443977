/**
 * A TCP {@link FrameChannel}: one `net.Socket`, one {@link FrameDecoder}, writes batched per tick.
 *
 * Write batching: `send()` queues the frame in a {@link FlushingBatch} (the server's rule too); the
 * batch is encoded into one buffer and written once: right after the received chunk is decoded for
 * sends made from `onFrame` (a closed loop answering replies with requests), else on
 * `process.nextTick` after the first send of a tick. One buffer, one stream write and one syscall
 * (usually one TCP segment for small frames) per chunk or tick instead of one of each per frame.
 */
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import {
  DEFAULT_CONNECT_TIMEOUT_MS,
  DEFAULT_MAX_PAYLOAD,
  EMPTY_PAYLOAD,
  Flags,
  FlushingBatch,
  FrameDecoder,
  MessageType,
  ProtocolError,
  decodeWelcome,
  encodeHello,
  validateId,
  validateMaxPayload,
  type Frame,
  type Welcome,
} from '@sockbench/protocol';
import { errorFrameToError } from './reply-check.js';
import { HELLO_ID, type ChannelHandlers, type ChannelOptions, type FrameChannel } from './channel.js';
import { ConnectError, UnexpectedFrameError } from './errors.js';
import { tcpConnectOptions } from './socket-options.js';

/** Size of the buffer a channel with `reuseReadBuffer` reads into, bytes (libuv's own read size). */
const READ_BUFFER_SIZE = 64 * 1024;

/**
 * The one read buffer of every `reuseReadBuffer` channel of this thread (allocated on first use).
 * Sharing it is as safe as reusing it per connection: libuv reads one socket into it and Node calls
 * that socket's `onread` callback before the next read starts, and the decoder copies what it keeps
 * of a frame split across reads. One per connection cost 64 KiB of address space and at least a
 * resident page (4 KiB) each: most of the load generator's memory per connection at 10,000.
 */
let sharedReadBuffer: Buffer | null = null;
function readBuffer(): Buffer {
  return (sharedReadBuffer ??= Buffer.allocUnsafe(READ_BUFFER_SIZE));
}

/**
 * Node's `onread` options reading into the shared buffer and handing each chunk to `to.receive`
 * (set once the channel exists). Made here, not inside {@link openTcpChannel}: a callback created
 * there would keep that call's whole scope (its connect timer, its promise's settle functions) alive
 * for as long as the socket.
 */
function onreadInto(to: { receive: ((chunk: Buffer) => void) | null }): { buffer: Buffer; callback: (nread: number, buf: Uint8Array) => boolean } {
  return {
    buffer: readBuffer(),
    callback: (nread, buf) => {
      to.receive!((buf as Buffer).subarray(0, nread));
      return true;
    },
  };
}

/** How long `close()` waits for the server to close its side after our FIN before destroying, ms. */
const CLOSE_GRACE_MS = 2000;


class TcpChannel implements FrameChannel {
  readonly transport = 'tcp' as const;
  welcome!: Welcome;
  readonly #socket: net.Socket;
  readonly #decoder: FrameDecoder;
  /** The opener's handlers while opening, then the caller's (see {@link setHandlers}). */
  #handlers: ChannelHandlers;
  /** While opening, frames go to the opener instead of `handlers.onFrame`. */
  #route: ((frame: Frame, at: number) => void) | null = null;
  #closed = false;
  #error: Error | undefined;
  #drain: (() => void) | null = null;
  #closedPromise: Promise<void>;
  #rxAt = 0;
  readonly #onDecoded = (frame: Frame): void => {
    if (this.#route !== null) this.#route(frame, this.#rxAt);
    else this.#handlers.onFrame(frame, this.#rxAt);
  };
  /** True after `send()` returned false, until the caller has been told to go on. */
  #owesDrain = false;
  /** Writes one flush's frames as one buffer. */
  readonly #write = (out: Buffer | null): void => {
    const socket = this.#socket;
    if (out === null || socket.destroyed || socket.writableEnded) return;
    // A write the kernel takes whole returns true and is followed by no 'drain': then the caller,
    // told "false" by send(), hears it here.
    if (socket.write(out) && this.#owesDrain) this.#emitDrain();
  };
  readonly #batch = new FlushingBatch(this.#write);
  readonly #emitDrain = (): void => {
    this.#owesDrain = false;
    this.#drain?.();
  };

  /** @param ownData false when the socket delivers chunks through `onread` (which calls {@link receive}) */
  constructor(socket: net.Socket, maxPayload: number, handlers: ChannelHandlers, ownData = true) {
    this.#socket = socket;
    this.#handlers = handlers;
    this.#decoder = new FrameDecoder({ maxPayload, expect: 'replies' });
    this.#closedPromise = new Promise((resolve) => {
      socket.once('close', () => {
        this.#closed = true;
        resolve();
        this.#handlers.onClose?.(this.#error);
      });
    });
    socket.on('error', (err) => {
      this.#error ??= err;
    });
    socket.on('drain', this.#emitDrain);
    if (ownData) socket.on('data', this.receive);
  }

  /** Decodes one received chunk. */
  readonly receive = (chunk: Buffer): void => {
    this.#rxAt = performance.now();
    this.#batch.beginChunk();
    try {
      this.#decoder.push(chunk, this.#onDecoded);
    } catch (err) {
      // A malformed frame from the server (bad version, too large, reserved flags): the stream can
      // no longer be trusted, so the connection ends with that error.
      this.#socket.destroy(err as Error);
    }
    this.#batch.endChunk();
  };

  get pendingBytes(): number {
    return this.#socket.writableLength + this.#batch.byteLength;
  }

  get closed(): boolean {
    return this.#closed;
  }

  send(type: number, id: number, payload: Uint8Array = EMPTY_PAYLOAD): boolean {
    // Checked even on a closed channel, so a bad argument always throws.
    this.#batch.add(type, Flags.NONE, validateId(id), payload);
    const socket = this.#socket;
    if (this.#closed || socket.destroyed || socket.writableEnded) {
      this.#batch.clear(); // nothing will carry them
      return false;
    }
    if (socket.writableLength + this.#batch.byteLength < socket.writableHighWaterMark) return true;
    this.#owesDrain = true;
    return false;
  }

  onDrain(cb: () => void): void {
    this.#drain = cb;
  }

  /**
   * Hands events to `handlers` from now on. Opening ends with the caller's own, so that the opener's
   * (and the scope of {@link openTcpChannel} they hold) are not kept for the connection's life.
   */
  setHandlers(handlers: ChannelHandlers): void {
    this.#handlers = handlers;
  }

  /** Routes frames to `fn` while opening (null: to the handlers). */
  setRoute(fn: ((frame: Frame, at: number) => void) | null): void {
    this.#route = fn;
  }

  destroy(err?: Error): void {
    this.#socket.destroy(err);
  }

  close(): Promise<void> {
    if (!this.#closed && !this.#socket.destroyed) {
      this.#batch.flush();
      this.#socket.end();
      const timer = setTimeout(() => this.#socket.destroy(), CLOSE_GRACE_MS);
      timer.unref();
      void this.#closedPromise.then(() => clearTimeout(timer));
    }
    return this.#closedPromise;
  }
}

/**
 * Opens a TCP channel: connects, waits for the WELCOME push and, with `opts.hello`, sends HELLO (id 1)
 * and waits for its reply. Frames after that go to `handlers.onFrame`.
 * @returns the channel, with the WELCOME (or the HELLO reply, which is a WELCOME payload) as `welcome`
 * @throws (rejects) ConnectError: the OS refused or timed out (`connectTimeoutMs`, osCode `ETIMEDOUT`) or
 *   the connection closed before the WELCOME; ErrorReply: the server refused with an ERROR frame
 *   (BUSY instead of WELCOME, UNAUTHORIZED after HELLO); RangeError: bad `maxPayload`, or buffer
 *   sizes in `opts.socket` (TCP cannot set them)
 */
export function openTcpChannel(
  opts: ChannelOptions,
  handlers: ChannelHandlers,
): Promise<FrameChannel & { readonly welcome: Welcome }> {
  const { host, port } = opts;
  const timeoutMs = opts.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
  return new Promise((resolve, reject) => {
    // Thrown inside the executor, so a bad option rejects like every other failure.
    const maxPayload = validateMaxPayload(opts.maxPayload ?? DEFAULT_MAX_PAYLOAD, 'maxPayload');
    let state: 'opening' | 'open' | 'failed' = 'opening';
    // Until the channel opens, its close rejects this promise; the caller's onClose hears only of a
    // channel it was given.
    const opening: ChannelHandlers = {
      onFrame: (frame, at) => handlers.onFrame(frame, at),
      onClose: (err) => {
        if (state === 'open') handlers.onClose?.(err);
        else {
          const code = osCode(err);
          // An OS error's own message only repeats code, host and port; other causes need saying.
          const detail = err === undefined ? 'closed before the WELCOME' : isOsError(err) ? undefined : err.message;
          fail(new ConnectError(host, port, code, detail, { cause: err }));
        }
      },
    };
    const reuse = opts.reuseReadBuffer === true;
    const reader: { receive: ((chunk: Buffer) => void) | null } = { receive: null };
    const socket = net.connect({ host, port, ...tcpConnectOptions(opts.socket), ...(reuse && { onread: onreadInto(reader) }) });
    const channel = new TcpChannel(socket, maxPayload, opening, !reuse);
    reader.receive = channel.receive;
    const timer = setTimeout(() => {
      fail(new ConnectError(host, port, 'ETIMEDOUT', `no WELCOME within ${timeoutMs} ms`));
    }, timeoutMs);

    function fail(err: Error): void {
      if (state !== 'opening') return;
      state = 'failed';
      clearTimeout(timer);
      channel.destroy();
      reject(err);
    }
    function open(): void {
      state = 'open';
      clearTimeout(timer);
      channel.setRoute(null);
      // From here the opener's handlers would only pass events on: the caller's take them directly.
      channel.setHandlers(handlers);
      resolve(channel);
    }

    channel.setRoute((frame) => {
      try {
        if (frame.type === MessageType.ERROR) {
          fail(errorFrameToError(frame));
        } else if (frame.id === 0 && frame.type === MessageType.WELCOME && channel.welcome === undefined) {
          channel.welcome = decodeWelcome(frame.payload);
          if (opts.hello === undefined) open();
          else channel.send(MessageType.HELLO, HELLO_ID, encodeHello(opts.hello));
        } else if (frame.id === HELLO_ID && frame.type === MessageType.HELLO && opts.hello !== undefined) {
          channel.welcome = decodeWelcome(frame.payload, frame.id);
          open();
        } else {
          fail(
            new UnexpectedFrameError(frame.type, frame.id, `unexpected frame while opening: type ${frame.type}, id ${frame.id}`),
          );
        }
      } catch (err) {
        fail(new UnexpectedFrameError(frame.type, frame.id, `bad frame while opening: ${(err as Error).message}`, { cause: err }));
      }
    });
  });
}

/**
 * The OS error code of a socket error (`'ECONNREFUSED'`); `'EPROTO'` for a malformed frame from the
 * server; `'ECONNRESET'` when the server closed without an error.
 */
function osCode(err: Error | undefined): string {
  if (err instanceof ProtocolError) return 'EPROTO';
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return typeof code === 'string' ? code : 'ECONNRESET';
}

function isOsError(err: Error): boolean {
  return typeof (err as NodeJS.ErrnoException).code === 'string' && typeof (err as NodeJS.ErrnoException).syscall === 'string';
}
