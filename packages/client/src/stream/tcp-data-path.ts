/**
 * The TCP data path of a stream session (docs/protocol.md, "Stream"): a data connection attached to
 * the session with STREAM_ATTACH as its first request, on the session's worker.
 */
import {
  DEFAULT_CONNECT_TIMEOUT_MS,
  Flags,
  HEADER_SIZE,
  MessageType,
  STREAM_DATA_MAX_SIZE,
  encodeStreamAttach,
  readStreamData,
  type Frame,
} from '@sockbench/protocol';
import type { FrameChannel } from '../channel.js';
import { StreamError } from '../errors.js';
import { errorFrameToError } from '../reply-check.js';
import { openTcpChannel } from '../tcp-channel.js';
import { nowUs, type DataPath, type DataPathOptions, type DataSink } from './data-path-types.js';

/** Id of the STREAM_ATTACH request (the data connection's first and only request). */
const ATTACH_ID = 1;

/**
 * Opens a TCP connection and attaches it to `session`. In a cluster the connection may land on
 * another worker than the session's: it is closed and another opened (at most `4 × N + 4` tries, N
 * the workers seen; docs/protocol.md, "Stream in a cluster").
 * @throws (rejects) ConnectError; ErrorReply when the server refuses the ATTACH (wrong key, ended
 *   session); StreamError when no connection reached `worker` or the ATTACH got no reply in
 *   `connectTimeoutMs` (default `DEFAULT_CONNECT_TIMEOUT_MS`; the connection is closed)
 */
export async function attachTcp(opts: DataPathOptions & { worker: number }): Promise<DataPath> {
  const seen = new Set<number>();
  for (let attempt = 0; attempt < 4 * Math.max(1, seen.size) + 4; attempt++) {
    const path = new TcpDataPath(opts);
    const channel = await openTcpChannel({ host: opts.host, port: opts.port, maxPayload: STREAM_DATA_MAX_SIZE, ...(opts.connectTimeoutMs !== undefined ? { connectTimeoutMs: opts.connectTimeoutMs } : {}), ...(opts.socket ? { socket: opts.socket } : {}) }, path.handlers);
    seen.add(channel.welcome.worker);
    if (channel.welcome.worker !== opts.worker) {
      await channel.close();
      continue;
    }
    await path.attach(channel, opts.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS);
    return path;
  }
  throw new StreamError(`no TCP connection to ${opts.host}:${opts.port} reached worker ${opts.worker}, which holds stream session ${opts.session} (workers seen: ${[...seen].join(', ')})`);
}

class TcpDataPath implements DataPath {
  readonly transport = 'tcp' as const;
  readonly buffers = null;
  #channel: FrameChannel | null = null;
  #sink: DataSink | null = null;
  #attached: { resolve: () => void; reject: (err: Error) => void } | null = null;
  #strays = 0;
  readonly #session: number;
  readonly #clock: () => number;

  constructor(opts: DataPathOptions) {
    this.#session = opts.session;
    this.#clock = opts.clock ?? nowUs;
    this.key = opts.key;
  }

  readonly key: string;

  readonly handlers = {
    onFrame: (frame: Frame, atMs: number): void => {
      if (this.#attached !== null) {
        const waiter = this.#attached;
        this.#attached = null;
        if (frame.type === MessageType.ERROR) waiter.reject(errorFrameToError(frame));
        else if (frame.type === MessageType.STREAM_ATTACH && frame.id === ATTACH_ID && (frame.flags & Flags.RESPONSE) !== 0) waiter.resolve();
        else waiter.reject(new StreamError(`STREAM_ATTACH got a frame of type ${frame.type}, id ${frame.id}`));
        return;
      }
      if (frame.type !== MessageType.STREAM_DATA || frame.id !== this.#session || this.#sink === null || frame.payload.length < 16) {
        this.#strays++;
        return;
      }
      // Arrival time: the channel stamps each chunk (ms); without an injected clock that is the time used.
      const arrivalUs = this.#clock === nowUs ? atMs * 1000 : this.#clock();
      const { sequence, sentUs } = readStreamData(frame.payload, frame.id);
      this.#sink(sequence, sentUs, HEADER_SIZE + frame.payload.length, arrivalUs);
    },
    onClose: (err?: Error): void => {
      const waiter = this.#attached;
      this.#attached = null;
      waiter?.reject(new StreamError(`the data connection closed before STREAM_ATTACH was answered${err ? `: ${err.message}` : ''}`, { cause: err }));
    },
  };

  /** Sends STREAM_ATTACH; rejects (and closes the channel) on a refusal or no reply in `timeoutMs`. */
  attach(channel: FrameChannel, timeoutMs: number): Promise<void> {
    this.#channel = channel;
    let timer: NodeJS.Timeout | undefined;
    return new Promise<void>((resolve, reject) => {
      this.#attached = { resolve, reject };
      timer = setTimeout(() => {
        this.#attached = null;
        reject(new StreamError(`STREAM_ATTACH of stream session ${this.#session} got no reply in ${timeoutMs} ms`));
      }, timeoutMs);
      channel.send(MessageType.STREAM_ATTACH, ATTACH_ID, encodeStreamAttach({ session: this.#session, key: this.key }));
    })
      .finally(() => clearTimeout(timer))
      .catch(async (err: unknown) => {
        await channel.close();
        throw err;
      });
  }

  get strays(): number {
    return this.#strays;
  }

  send(frame: Buffer): boolean {
    return this.#channel!.send(MessageType.STREAM_DATA, this.#session, frame.subarray(HEADER_SIZE));
  }

  onDrain(cb: () => void): void {
    this.#channel!.onDrain(cb);
  }

  onData(sink: DataSink): void {
    this.#sink = sink;
  }

  finish(): void {
    void this.#channel?.close();
  }

  close(): Promise<void> {
    return this.#channel?.close() ?? Promise.resolve();
  }
}
