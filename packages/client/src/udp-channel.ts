/**
 * A UDP {@link FrameChannel}: one connected `dgram` socket (so the kernel filters datagrams from other
 * peers), one frame per datagram. No retransmission and no ordering: a lost request or reply just never
 * comes back, which is what the load generator counts as loss from the ids.
 *
 * Sending allocates nothing once the channel has sent a frame of the same size: on a connected socket
 * with an empty send queue the kernel takes the datagram inside `send()`, so the buffer is free again
 * at the next send and the frame is written over it. While datagrams wait in the queue (a full socket
 * buffer), the queued ones may still be read, so each send then gets a buffer of its own.
 */
import type dgram from 'node:dgram';
import { performance } from 'node:perf_hooks';
import { DEFAULT_CONNECT_TIMEOUT_MS, DEFAULT_MAX_PAYLOAD, EMPTY_PAYLOAD, Flags, HEADER_SIZE, decodeDatagram, encodeFrame, validateId, validateMaxPayload, writeHeader, type ProtocolError } from '@sockbench/protocol';
import { type ChannelHandlers, type ChannelOptions, type FrameChannel } from './channel.js';
import { ConnectError } from './errors.js';
import { bindUdpSocket, createUdpSocket, grantedBuffers, type GrantedBuffers } from './socket-options.js';

/** A UDP {@link FrameChannel} with its counters and local address, as {@link openUdpChannel} returns it. */
export interface UdpFrameChannel extends FrameChannel {
  readonly transport: 'udp';
  readonly droppedDatagrams: number;
  readonly sendErrors: number;
  readonly localAddress: { address: string; family: 'IPv4' | 'IPv6'; port: number } | null;
  /** SO_SNDBUF / SO_RCVBUF the kernel granted, bytes (socket-options.ts); null once closed. */
  readonly buffers: GrantedBuffers | null;
}

class UdpChannel implements UdpFrameChannel {
  readonly transport = 'udp' as const;
  readonly pendingBytes = 0;
  readonly #socket: dgram.Socket;
  readonly #handlers: ChannelHandlers;
  readonly #maxPayload: number;
  #closed = false;
  #closedPromise: Promise<void>;
  #dropped = 0;
  #sendErrors = 0;
  /** The last frame sent, written over by the next one of the same size when the send queue is empty. */
  #out: Buffer | null = null;

  constructor(socket: dgram.Socket, maxPayload: number, handlers: ChannelHandlers) {
    this.#socket = socket;
    this.#handlers = handlers;
    this.#maxPayload = maxPayload;
    this.#closedPromise = new Promise((resolve) => {
      socket.once('close', () => {
        this.#closed = true;
        resolve();
        this.#handlers.onClose?.();
      });
    });
    // An 'error' on a connectionless socket (an ECONNREFUSED an ICMP port-unreachable may surface as
    // on a connected socket) is counted, not the end of the channel. A failed send emits none: Node
    // drops the error of a send with no callback (EMSGSIZE, ENOBUFS); it shows only as a lost datagram.
    socket.on('error', () => {
      this.#sendErrors++;
    });
    socket.on('message', (msg) => {
      const at = performance.now();
      let frame;
      try {
        frame = decodeDatagram(msg, { maxPayload: this.#maxPayload, expect: 'replies' });
      } catch (err) {
        this.#dropped++;
        // decodeDatagram throws only ProtocolErrors (its docstring): the kind is in err.errorCode.
        this.#handlers.onUndecodable?.(err as ProtocolError, at);
        return;
      }
      this.#handlers.onFrame(frame, at);
    });
  }

  /** Datagrams received that did not decode as one frame (dropped, never passed to onFrame). */
  get droppedDatagrams(): number {
    return this.#dropped;
  }

  /**
   * 'error' events of the socket (e.g. an ICMP port-unreachable surfacing as ECONNREFUSED). Not sends
   * that failed locally (EMSGSIZE, ENOBUFS): Node drops the error of a send with no callback.
   */
  get sendErrors(): number {
    return this.#sendErrors;
  }

  /**
   * The socket's local address and port (`getsockname` of the connected socket: the source address
   * the peer sees unless a NAT or proxy is in between); null once closed.
   */
  get localAddress(): { address: string; family: 'IPv4' | 'IPv6'; port: number } | null {
    if (this.#closed) return null;
    const a = this.#socket.address();
    return { address: a.address, family: a.family === 'IPv6' ? 'IPv6' : 'IPv4', port: a.port };
  }

  get buffers(): GrantedBuffers | null {
    return this.#closed ? null : grantedBuffers(this.#socket);
  }

  send(type: number, id: number, payload: Uint8Array = EMPTY_PAYLOAD): boolean {
    const socket = this.#socket;
    const size = HEADER_SIZE + payload.length;
    let bytes = this.#out;
    if (bytes !== null && bytes.length === size && !this.#closed && socket.getSendQueueCount() === 0) {
      // See the file comment: the kernel has copied the last datagram, its buffer is ours again.
      writeHeader(bytes, 0, type, Flags.NONE, validateId(id), payload.length);
      bytes.set(payload, HEADER_SIZE);
    } else {
      bytes = encodeFrame(type, id, payload); // validates id and size even on a closed channel
      this.#out = bytes;
    }
    if (this.#closed) return false;
    socket.send(bytes);
    return true;
  }

  onDrain(_cb: () => void): void {
    // UDP has no send buffer to wait on: send() always returns true, so there is nothing to drain.
  }

  close(): Promise<void> {
    if (!this.#closed) {
      this.#closed = true;
      this.#socket.close();
    }
    return this.#closedPromise;
  }
}

/**
 * Opens a UDP channel: resolves `host`, creates a socket of its family and connects it to `port`.
 * `hello` is ignored (the token guards TCP only).
 * @returns the channel, also exposing `droppedDatagrams` and `sendErrors` counters and the socket's
 *   `localAddress`
 * @throws (rejects) ConnectError: the host does not resolve (`ENOTFOUND`), connect fails, or it takes
 *   over `connectTimeoutMs` (`ETIMEDOUT`), the local address in `opts.socket` cannot be bound
 *   (`EADDRNOTAVAIL`, `EADDRINUSE`); RangeError: bad `maxPayload`
 */
export async function openUdpChannel(
  opts: ChannelOptions,
  handlers: ChannelHandlers,
): Promise<UdpFrameChannel> {
  const { host, port } = opts;
  const maxPayload = validateMaxPayload(opts.maxPayload ?? DEFAULT_MAX_PAYLOAD, 'maxPayload');
  const timeoutMs = opts.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
  let socket: dgram.Socket;
  try {
    ({ socket } = await createUdpSocket(host, opts.socket));
  } catch (err) {
    throw new ConnectError(host, port, (err as NodeJS.ErrnoException).code ?? 'ENOTFOUND', (err as Error).message, {
      cause: err,
    });
  }
  try {
    await bindUdpSocket(socket, opts.socket);
  } catch (err) {
    socket.close();
    throw new ConnectError(host, port, (err as NodeJS.ErrnoException).code ?? 'EADDRNOTAVAIL', (err as Error).message, { cause: err });
  }
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.close();
      reject(new ConnectError(host, port, 'ETIMEDOUT', `UDP connect took over ${timeoutMs} ms`));
    }, timeoutMs);
    const onError = (err: NodeJS.ErrnoException): void => {
      clearTimeout(timer);
      socket.close();
      reject(new ConnectError(host, port, err.code ?? 'EIO', err.message, { cause: err }));
    };
    socket.once('error', onError);
    socket.connect(port, host, () => {
      clearTimeout(timer);
      socket.off('error', onError);
      resolve(new UdpChannel(socket, maxPayload, handlers));
    });
  });
}
