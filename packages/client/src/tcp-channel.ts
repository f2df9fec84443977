/**
 * A TCP {@link FrameChannel}: one `net.Socket`, one {@link FrameDecoder}, writes batched per tick.
 *
 * Write batching: the first `send()` in a tick corks the socket and schedules one `uncork()` on
 * `process.nextTick`, so every frame sent in that tick leaves in one `writev` (one syscall, usually
 * one TCP segment for small frames) instead of one write per frame.
 */
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import {
  DEFAULT_MAX_PAYLOAD,
  FrameDecoder,
  MessageType,
  ProtocolError,
  decodeError,
  decodeWelcome,
  encodeFrame,
  encodeHello,
  validateMaxPayload,
  type Frame,
  type Welcome,
} from '@sockbench/protocol';
import { DEFAULT_CONNECT_TIMEOUT_MS, HELLO_ID, type ChannelHandlers, type ChannelOptions, type FrameChannel } from './channel.js';
import { ConnectError, ServerError, UnexpectedFrameError } from './errors.js';

/** How long `close()` waits for the server to close its side after our FIN before destroying, ms. */
const CLOSE_GRACE_MS = 2000;

class TcpChannel implements FrameChannel {
  readonly transport = 'tcp' as const;
  welcome!: Welcome;
  readonly #socket: net.Socket;
  readonly #decoder: FrameDecoder;
  readonly #handlers: ChannelHandlers;
  /** While opening, frames go to the opener instead of `handlers.onFrame`. */
  #route: ((frame: Frame, at: number) => void) | null = null;
  #corked = false;
  #closed = false;
  #error: Error | undefined;
  #drain: (() => void) | null = null;
  #closedPromise: Promise<void>;
  #rxAt = 0;
  readonly #onDecoded = (frame: Frame): void => {
    if (this.#route !== null) this.#route(frame, this.#rxAt);
    else this.#handlers.onFrame(frame, this.#rxAt);
  };
  readonly #uncork = (): void => {
    this.#corked = false;
    this.#socket.uncork();
  };

  constructor(socket: net.Socket, maxPayload: number, handlers: ChannelHandlers) {
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
    socket.on('drain', () => this.#drain?.());
    socket.on('data', (chunk: Buffer) => {
      this.#rxAt = performance.now();
      try {
        this.#decoder.push(chunk, this.#onDecoded);
      } catch (err) {
        // A malformed frame from the server (bad version, too large, reserved flags): the stream can
        // no longer be trusted, so the connection ends with that error.
        socket.destroy(err as Error);
      }
    });
  }

  get pendingBytes(): number {
    return this.#socket.writableLength;
  }

  get closed(): boolean {
    return this.#closed;
  }

  send(type: number, id: number, payload?: Uint8Array): boolean {
    const bytes = encodeFrame(type, id, payload);
    if (this.#closed || this.#socket.destroyed || this.#socket.writableEnded) return false;
    if (!this.#corked) {
      this.#corked = true;
      this.#socket.cork();
      process.nextTick(this.#uncork);
    }
    return this.#socket.write(bytes);
  }

  onDrain(cb: () => void): void {
    this.#drain = cb;
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
      if (this.#corked) this.#uncork();
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
 * @throws (rejects) ConnectError: the OS refused or timed out (`connectTimeoutMs`, code `ETIMEDOUT`) or
 *   the connection closed before the WELCOME; ServerError: the server refused with an ERROR frame
 *   (BUSY instead of WELCOME, UNAUTHORIZED after HELLO); RangeError: bad `maxPayload`
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
    const socket = net.connect({ host, port, noDelay: true });
    const channel = new TcpChannel(socket, maxPayload, opening);
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
      resolve(channel);
    }

    channel.setRoute((frame) => {
      try {
        if (frame.type === MessageType.ERROR) {
          const { code, message } = decodeError(frame.payload, frame.id);
          fail(new ServerError(code, message, frame.id));
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
