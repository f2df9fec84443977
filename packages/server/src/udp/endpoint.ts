/**
 * The framed protocol over UDP, on the same port number as TCP (docs/protocol.md, "UDP rules"):
 * PING, ECHO and COMPUTE only; one frame per datagram; never a reply larger than the request (no
 * amplification: COMPUTE needs at least 32 data bytes); never an ERROR reply. Every datagram that is
 * not answered is dropped and counted in `udp.dropped`, `udp.droppedByReason` and `errors` under its
 * error code's name, and in its source's entry of the per-peer table ({@link PeerTable}).
 */
import { createSocket, type RemoteInfo, type Socket as UdpSocket } from 'node:dgram';
import { isIPv6, type AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import {
  COMPUTE_DIGEST_BYTES,
  ErrorCode,
  Flags,
  HEADER_SIZE,
  MAX_UDP_DATAGRAM,
  ProtocolError,
  decodeDatagram,
  writeHeader,
  type DatagramOptions,
} from '@sockbench/protocol';
import type { ProcessContext } from '../context.js';
import { QUEUED, type ExecResult } from '../dispatch/executor.js';
import { StatelessDispatcher } from '../dispatch/stateless.js';
import { ListenError } from '../errors.js';
import type { Lifecycle } from '../lifecycle.js';
import type { PoolSink } from '../pool/sink.js';
import type { UdpPeerView } from '../stats/counters.js';
import { isStreamDatagram, serveStreamDatagram } from '../stream/udp-datagram.js';
import type { DatagramOut } from '../stream/sender.js';
import { Peer, PeerTable } from './peer-table.js';

/** Where a pooled request's reply goes: the source's peer-table entry, or the source (table off). */
type ReplyTo = Peer | RemoteInfo;

/** Serves PING, ECHO, COMPUTE datagrams. */
export class UdpEndpoint implements Lifecycle<AddressInfo>, UdpPeerView, PoolSink {
  readonly #ctx: ProcessContext;
  /** Per source address: received, answered, dropped (`--udp-peer-table` entries). */
  readonly #peers: PeerTable;
  readonly #socket: UdpSocket;
  readonly #port: number;
  readonly #datagramOptions: DatagramOptions;
  /** PING/ECHO/COMPUTE with the UDP limits: COMPUTE needs ≥ 32 data bytes, so its digest reply is never larger than the request. */
  readonly #stateless: StatelessDispatcher;
  /** False when a token is set without `udpWithToken`: every datagram is dropped as UNAUTHORIZED. */
  readonly #serving: boolean;
  /** Pool work in flight. */
  #pending = 0;
  /** send() calls not yet completed: close() waits for them, or the last replies would be lost. */
  #sending = 0;
  #bound = false;
  #closing = false;
  #recvBufferBytes = 0;
  #idle: (() => void) | null = null;
  readonly #onSent = (err: Error | null): void => {
    this.#sending--;
    if (err !== null) this.#ctx.counters.countSocketError((err as NodeJS.ErrnoException).code ?? 'UNKNOWN');
    this.#maybeIdle();
  };

  constructor(ctx: ProcessContext, port: number) {
    this.#ctx = ctx;
    this.#port = port;
    this.#peers = new PeerTable(ctx.options.udpPeerTable);
    this.#datagramOptions = { maxPayload: Math.min(ctx.options.maxPayload, MAX_UDP_DATAGRAM - HEADER_SIZE), expect: 'requests' };
    this.#stateless = new StatelessDispatcher(ctx.executor, { maxIterations: ctx.options.maxIterations, minDataBytes: COMPUTE_DIGEST_BYTES });
    this.#serving = ctx.options.token === undefined || ctx.options.udpWithToken;
    this.#socket = createSocket(isIPv6(ctx.options.host) ? 'udp6' : 'udp4');
    this.#socket.on('message', (msg, rinfo) => this.#onMessage(msg, rinfo));
    this.#socket.on('error', (err: NodeJS.ErrnoException) => {
      ctx.counters.countSocketError(err.code ?? 'UNKNOWN');
      ctx.logger.debug({ err: err.message, code: err.code }, 'udp socket error');
    });
  }

  listen(): Promise<AddressInfo> {
    const { host } = this.#ctx.options;
    return new Promise((resolve, reject) => {
      const onError = (err: Error): void => reject(new ListenError('UDP', `${host}:${this.#port}`, err));
      this.#socket.once('error', onError);
      this.#socket.bind({ address: host, port: this.#port }, () => {
        this.#socket.off('error', onError);
        this.#bound = true;
        const asked = this.#ctx.options.udpRecvBuffer;
        if (asked !== undefined) this.#socket.setRecvBufferSize(asked);
        this.#recvBufferBytes = this.#socket.getRecvBufferSize();
        resolve(this.#socket.address());
      });
    });
  }

  /**
   * The socket's receive buffer as the kernel reports it (SO_RCVBUF), bytes; 0 before `listen()`.
   * Linux reports twice the size granted, and grants at most `net.core.rmem_max` (socket(7)).
   */
  get recvBufferBytes(): number {
    return this.#recvBufferBytes;
  }

  /** Stops answering new datagrams, waits for pool work in flight, closes the socket. */
  async close(): Promise<void> {
    if (!this.#bound || this.#closing) return;
    this.#closing = true;
    if (this.#pending > 0 || this.#sending > 0) await new Promise<void>((resolve) => (this.#idle = resolve));
    await new Promise<void>((resolve) => this.#socket.close(() => resolve()));
  }

  /** Sends one stream datagram from this socket (a BIND's challenge, down STREAM_DATA), counted in `udp.out`. */
  readonly out: DatagramOut = (datagram, port, address, sent) => {
    if (this.#closing) return sent?.();
    this.#sending++;
    this.#socket.send(datagram, port, address, sent === undefined ? this.#onSent : (err) => {
      this.#onSent(err);
      sent();
    });
    this.#ctx.counters.udpOut++;
  };

  /** Fill of the per-peer table (STATS `udp.peerTable`). */
  get peerTable(): ReturnType<PeerTable['stats']> {
    return this.#peers.stats();
  }

  /** The named peers' entries this process holds (STATS `udp.peers`). */
  peers(addresses: readonly string[]): ReturnType<PeerTable['lookup']> {
    return this.#peers.lookup(addresses);
  }

  #drop(code: ErrorCode, peer: Peer | null): void {
    this.#ctx.counters.countUdpDrop(code);
    peer?.drop(code);
  }

  #onMessage(msg: Buffer, rinfo: RemoteInfo): void {
    const ctx = this.#ctx;
    ctx.counters.udpIn++;
    const peer = this.#peers.seen(rinfo.address, rinfo.port);
    // Stream datagrams name a session only an authenticated control connection could open: served under --token too.
    if (isStreamDatagram(msg)) {
      if (this.#closing || ctx.draining) return this.#drop(ErrorCode.SHUTTING_DOWN, peer);
      const result = serveStreamDatagram(ctx, msg, rinfo, this.out, this.#datagramOptions);
      if (!result.served) return this.#drop(result.code, peer);
      if (result.answered && peer !== null) peer.answered++;
      return;
    }
    if (!this.#serving) return this.#drop(ErrorCode.UNAUTHORIZED, peer);
    if (this.#closing || ctx.draining) return this.#drop(ErrorCode.SHUTTING_DOWN, peer);
    const t0 = performance.now();
    let result: ExecResult | undefined;
    let type: number;
    let id: number;
    try {
      const frame = decodeDatagram(msg, this.#datagramOptions);
      type = frame.type;
      id = frame.id;
      // The way back for pool work, with nothing allocated: the peer's entry (it holds the address
      // and port), or the source itself when the table holds none.
      result = this.#stateless.run(type, id, frame.payload, this, t0, peer ?? rinfo);
    } catch (err) {
      if (!(err instanceof ProtocolError)) throw err;
      return this.#drop(err.errorCode, peer);
    }
    if (result === undefined) return this.#drop(ErrorCode.UNSUPPORTED, peer);
    if (result === null) return this.#drop(ErrorCode.BUSY, peer);
    if (result === QUEUED) {
      this.#pending++;
      return;
    }
    this.#send(type, id, result, rinfo, t0, peer);
  }

  /** A pooled request's reply (PoolSink): sent to the datagram's source. */
  poolReply(type: number, id: number, payload: Uint8Array, t0: number, _cost: number, tag: unknown): void {
    const to = tag as ReplyTo;
    this.#pending--;
    this.#send(type, id, payload, to, t0, to instanceof Peer ? to : null);
    this.#maybeIdle();
  }

  /** A pooled request failed (PoolSink): dropped and counted as BUSY. */
  poolFailed(_type: number, _id: number, _err: unknown, _cost: number, tag: unknown): void {
    this.#pending--;
    this.#drop(ErrorCode.BUSY, tag instanceof Peer ? tag : null);
    this.#maybeIdle();
  }

  #maybeIdle(): void {
    if (this.#pending === 0 && this.#sending === 0 && this.#idle !== null) {
      const idle = this.#idle;
      this.#idle = null;
      idle();
    }
  }

  /** `peer`: its entry when the table holds one (an entry evicted meanwhile counts into nothing). */
  #send(type: number, id: number, payload: Uint8Array, rinfo: { readonly address: string; readonly port: number }, t0: number, peer: Peer | null): void {
    const header = Buffer.allocUnsafe(HEADER_SIZE);
    writeHeader(header, 0, type, Flags.RESPONSE, id, payload.length);
    this.#sending++;
    const handedAt = performance.now(); // before the send, as on TCP: the reply is handed to the socket now
    this.#socket.send(payload.length === 0 ? header : [header, payload], rinfo.port, rinfo.address, this.#onSent);
    const c = this.#ctx.counters;
    c.udpOut++;
    if (peer !== null) peer.answered++;
    c.serviceTimes.record(type, (handedAt - t0) * 1000);
  }
}
