/**
 * Raw echo on `--raw-port`, TCP and UDP: every byte back unchanged, no framing (the classic echo
 * server that netcat, plain socket clients and standard benchmark tools talk to). Replies pass
 * through a {@link RawMode} (see modes.ts), so `--raw-mode sockperf` answers the sockperf client.
 */
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { createServer as createNetServer, isIPv6, type AddressInfo, type Server as NetServer, type Socket } from 'node:net';
import type { Logger } from 'pino';
import type { Counters } from '../stats/counters.js';
import { ListenError } from '../errors.js';
import type { Lifecycle } from '../lifecycle.js';
import { rawMode, type RawMode } from './modes.js';

/** Bound addresses of the raw echo. */
export interface RawAddresses {
  tcp: AddressInfo;
  udp: AddressInfo;
}

/** Raw echo listener pair (TCP and UDP on the same port number). */
export class RawEcho implements Lifecycle<RawAddresses> {
  readonly #host: string;
  readonly #port: number;
  readonly #mode: RawMode;
  readonly #counters: Counters;
  readonly #logger: Logger;
  readonly #tcp: NetServer;
  readonly #udp: UdpSocket;
  readonly #sockets = new Set<Socket>();
  #listening = false;

  constructor(host: string, port: number, counters: Counters, logger: Logger, mode: RawMode = rawMode('echo')) {
    this.#host = host;
    this.#port = port;
    this.#mode = mode;
    this.#counters = counters;
    this.#logger = logger;
    this.#tcp = createNetServer({ noDelay: true }, (s) => this.#accept(s));
    this.#udp = createSocket(isIPv6(host) ? 'udp6' : 'udp4');
    this.#udp.on('message', (msg, rinfo) => {
      const reply = mode.datagramReply(msg);
      if (reply !== null) this.#udp.send(reply, rinfo.port, rinfo.address);
    });
    this.#udp.on('error', (err: NodeJS.ErrnoException) => counters.countSocketError(err.code ?? 'UNKNOWN'));
  }

  async listen(): Promise<RawAddresses> {
    const target = `${this.#host}:${this.#port}`;
    const tcp = await new Promise<AddressInfo>((resolve, reject) => {
      this.#tcp.once('error', (err) => reject(new ListenError('raw TCP', target, err)));
      this.#tcp.listen({ host: this.#host, port: this.#port }, () => resolve(this.#tcp.address() as AddressInfo));
    });
    const udp = await new Promise<AddressInfo>((resolve, reject) => {
      this.#udp.once('error', (err) => reject(new ListenError('raw UDP', `${this.#host}:${tcp.port}`, err)));
      this.#udp.bind({ address: this.#host, port: tcp.port }, () => resolve(this.#udp.address()));
    });
    this.#listening = true;
    return { tcp, udp };
  }

  /** Raw echo has nothing to drain: it stops accepting and closes its sockets (FIN). */
  async close(): Promise<void> {
    if (!this.#listening) return;
    this.#listening = false;
    this.#tcp.close();
    const closing = [...this.#sockets].map((s) => new Promise<void>((resolve) => {
      s.once('close', () => resolve());
      s.end();
    }));
    closing.push(new Promise<void>((resolve) => this.#udp.close(() => resolve())));
    await Promise.all(closing);
  }

  /** Destroys raw TCP sockets still open. */
  destroyAll(): void {
    for (const s of this.#sockets) s.destroy();
  }

  #accept(socket: Socket): void {
    this.#sockets.add(socket);
    socket.on('close', () => this.#sockets.delete(socket));
    socket.on('error', (err: NodeJS.ErrnoException) => {
      this.#counters.countSocketError(err.code ?? 'UNKNOWN');
      this.#logger.debug({ err: err.message }, 'raw echo connection error');
    });
    // Same backpressure rule as the framed listener: stop reading while the peer does not read.
    const replier = this.#mode.createStreamReplier();
    socket.on('data', (chunk: Buffer) => {
      const reply = replier(chunk);
      if (reply !== null && !socket.write(reply)) {
        socket.pause();
        socket.once('drain', () => socket.resume());
      }
    });
  }
}
