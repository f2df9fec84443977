/**
 * The framed protocol over UDP, on the same port number as TCP (docs/protocol.md, "UDP rules"):
 * PING, ECHO and COMPUTE only; one frame per datagram; never a reply larger than the request (no
 * amplification: COMPUTE needs at least 32 data bytes); never an ERROR reply. Every datagram that is
 * not answered is dropped and counted in `udp.dropped`, `udp.droppedByReason` and `errors` under its
 * error code's name, and in its source's entry of the per-peer table ({@link PeerTable}).
 *
 * The reply path pays what a bare dgram echo pays and little more (see {@link UdpEndpoint.send}):
 * - PING and ECHO answered on the event loop are sent in the request's own buffer, its header
 *   rewritten in place (the reply is the request with the RESPONSE flag): no buffer, no list.
 * - The source address is an IP literal, so the socket's lookup answers at once instead of through
 *   `dns.lookup`, which defers every send to a `process.nextTick` even for an IP.
 * - No send-completion callback (Node runs one per datagram on a `process.nextTick`) while the send
 *   queue is empty, the usual case: the kernel takes the datagram inside `send()`. A send made while
 *   datagrams wait in the queue (a full socket buffer) carries the callback, so its failure is
 *   counted in `socketErrors`; one that fails at once with an empty queue is lost as any datagram is.
 *   `close()` waits on the queue itself (`getSendQueueCount()`).
 */
import { createSocket, type RemoteInfo, type Socket as UdpSocket } from 'node:dgram';
import { lookup as dnsLookup, type LookupOneOptions } from 'node:dns';
import { isIP, isIPv6, type AddressInfo } from 'node:net';
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
import { udpRecvBufferAsk } from '../options.js';
import type { Lifecycle } from '../lifecycle.js';
import type { PoolSink } from '../pool/sink.js';
import type { UdpPeerView } from '../stats/counters.js';
import { isStreamDatagram, serveStreamDatagram } from '../stream/udp-datagram.js';
import type { DatagramOut } from '../stream/sender.js';
import { Peer, PeerTable } from './peer-table.js';

/** Where a pooled request's reply goes: the source's peer-table entry, or the source (table off). */
type ReplyTo = Peer | RemoteInfo;

/** How often `close()` looks at the send queue while datagrams wait in it, ms. */
const SEND_QUEUE_POLL_MS = 1;

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string, family: number) => void;

/**
 * The socket's resolver (dgram's `lookup` option): an IP literal, which every reply's destination is
 * (a datagram's source), is answered at once; a host name (`--host localhost` at bind) goes to
 * `dns.lookup` as by default.
 */
function literalLookup(address: string, family: number | LookupOneOptions, callback: LookupCallback): void {
  const literal = isIP(address);
  if (literal !== 0) callback(null, address, literal);
  else dnsLookup(address, family as LookupOneOptions, callback);
}

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
  #bound = false;
  #closing = false;
  #recvBufferBytes = 0;
  #idle: (() => void) | null = null;
  /** Completion of a send that carries a callback (queued behind others, or a stream datagram): counts its failure. */
  readonly #onSent = (err: Error | null): void => {
    if (err !== null) this.#ctx.counters.countSocketError((err as NodeJS.ErrnoException).code ?? 'UNKNOWN');
  };

  constructor(ctx: ProcessContext, port: number) {
    this.#ctx = ctx;
    this.#port = port;
    this.#peers = new PeerTable(ctx.options.udpPeerTable);
    this.#datagramOptions = { maxPayload: Math.min(ctx.options.maxPayload, MAX_UDP_DATAGRAM - HEADER_SIZE), expect: 'requests' };
    this.#stateless = new StatelessDispatcher(ctx.executor, { maxIterations: ctx.options.maxIterations, minDataBytes: COMPUTE_DIGEST_BYTES });
    this.#serving = ctx.options.token === undefined || ctx.options.udpWithToken;
    this.#socket = createSocket({ type: isIPv6(ctx.options.host) ? 'udp6' : 'udp4', lookup: literalLookup });
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
        try {
          this.#socket.setRecvBufferSize(udpRecvBufferAsk(this.#ctx.options));
        } catch (err) {
          // Asked for: the server does not start without it. The default ask refused (a kernel that
          // rejects rather than caps, e.g. ENOBUFS past FreeBSD's kern.ipc.maxsockbuf): the OS default.
          // (The socket is bound: the server's failed start closes it with the rest.)
          if (this.#ctx.options.udpRecvBuffer !== undefined) {
            reject(new ListenError('UDP', `${host}:${this.#port}`, err as Error));
            return;
          }
        }
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

  /**
   * Stops answering new datagrams, waits for pool work in flight and for the send queue to empty
   * (closing the socket would cancel what waits there), closes the socket.
   */
  async close(): Promise<void> {
    if (!this.#bound || this.#closing) return;
    this.#closing = true;
    if (this.#pending > 0) await new Promise<void>((resolve) => (this.#idle = resolve));
    while (this.#socket.getSendQueueCount() > 0) await new Promise((resolve) => setTimeout(resolve, SEND_QUEUE_POLL_MS));
    await new Promise<void>((resolve) => this.#socket.close(() => resolve()));
  }

  /** Sends one stream datagram from this socket (a BIND's challenge, down STREAM_DATA), counted in `udp.out`. */
  readonly out: DatagramOut = (datagram, port, address, sent) => {
    if (this.#closing) return sent?.();
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
    // Stream datagrams name a session only an authenticated control connection could open, a BIND carries its key
    // and up data counts only from the source a BIND bound: served under --token too.
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
    // PING and ECHO inline: the reply payload is the request's (a view of msg after the header, or
    // empty with an empty request), so the reply is msg with its header rewritten.
    if (result.length === msg.length - HEADER_SIZE && (result.length === 0 || (result.buffer === msg.buffer && result.byteOffset === msg.byteOffset + HEADER_SIZE))) {
      this.#sendInPlace(type, id, msg, rinfo, t0, peer);
    } else this.#send(type, id, result, rinfo, t0, peer);
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
    if (this.#pending === 0 && this.#idle !== null) {
      const idle = this.#idle;
      this.#idle = null;
      idle();
    }
  }

  /** Sends a reply made of a new header and `payload` in one buffer (COMPUTE, pool results). */
  #send(type: number, id: number, payload: Uint8Array, rinfo: { readonly address: string; readonly port: number }, t0: number, peer: Peer | null): void {
    const out = Buffer.allocUnsafe(HEADER_SIZE + payload.length);
    writeHeader(out, 0, type, Flags.RESPONSE, id, payload.length);
    out.set(payload, HEADER_SIZE);
    this.#sendDatagram(type, out, rinfo, t0, peer);
  }

  /** Sends `msg`, a request whose payload is its own reply's, back with the reply's header written over its own. */
  #sendInPlace(type: number, id: number, msg: Buffer, rinfo: RemoteInfo, t0: number, peer: Peer | null): void {
    writeHeader(msg, 0, type, Flags.RESPONSE, id, msg.length - HEADER_SIZE);
    this.#sendDatagram(type, msg, rinfo, t0, peer);
  }

  /** `peer`: its entry when the table holds one (an entry evicted meanwhile counts into nothing). */
  #sendDatagram(type: number, datagram: Buffer, rinfo: { readonly address: string; readonly port: number }, t0: number, peer: Peer | null): void {
    const socket = this.#socket;
    const handedAt = performance.now(); // before the send, as on TCP: the reply is handed to the socket now
    // See the file comment: a callback only for a send that queues behind others.
    if (socket.getSendQueueCount() === 0) socket.send(datagram, rinfo.port, rinfo.address);
    else socket.send(datagram, rinfo.port, rinfo.address, this.#onSent);
    const c = this.#ctx.counters;
    c.udpOut++;
    if (peer !== null) peer.answered++;
    c.serviceTimes.record(type, (handedAt - t0) * 1000);
  }
}
