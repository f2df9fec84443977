/**
 * The stream sessions of one server process (docs/protocol.md, "Stream"): opening within the caps,
 * the lookups every request and datagram makes (unknown, closed, someone else's), the control
 * requests, the UDP stream datagrams (counted when dropped, never answered but a BIND's challenge),
 * and the STATS `stream` numbers. Refusals come back as {@link Refusal} values with the exact reasons
 * of the doc's "Caps and refusals" table; the TCP session writes them as ERROR replies.
 */
import { randomBytes, randomInt, timingSafeEqual } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import {
  ErrorCode,
  STREAM_CLOSED_MEMORY,
  STREAM_KEY_BYTES,
  STREAM_MAX_BINDS,
  decodeStreamBind,
  encodeStreamChallenge,
  encodeStreamOpened,
  encodeStreamReport,
  encodeStreamStart,
  encodeStreamValidated,
  formatPeerAddress,
  readStreamData,
  MessageType,
  HEADER_SIZE,
  type StreamAttach,
  type StreamDatagramsDropped,
  type StreamOpen,
  type StreamReportRequest,
  type StreamSessionRef,
  type StreamStats,
  type StreamTransport,
  type StreamValidate,
} from '@sockbench/protocol';
import type { Logger } from 'pino';
import type { DatagramOut } from './sender.js';
import { StreamSession, type DataLink, type UdpAddress } from './stream-session.js';

/** A refused request: the ERROR code and its reason. */
export interface Refusal {
  refused: ErrorCode;
  reason: string;
}

/** What a control handler gives back: a reply payload, one to come, or a refusal. */
export type StreamAnswer = Buffer | Promise<Buffer> | Refusal;

/** True when `a` is a {@link Refusal}. */
export function isRefusal(a: unknown): a is Refusal {
  return typeof a === 'object' && a !== null && 'refused' in a;
}

const bad = (reason: string): Refusal => ({ refused: ErrorCode.BAD_PAYLOAD, reason });

/** The one reason of a refused STREAM_ATTACH on a connection that has not authenticated (under --token). */
export const ATTACH_REFUSED = 'STREAM_ATTACH refused: no stream session takes this connection';

/** True when `buf` from `from` on is all zero bytes (a STREAM_BIND's tail). */
function isZero(buf: Uint8Array, from: number): boolean {
  for (let i = from; i < buf.length; i++) if (buf[i] !== 0) return false;
  return true;
}

/** How a session gets its UDP port: the endpoint's (one process, and every TCP session), or a socket of its own (a UDP session in a cluster). */
export type UdpProvider = (transport: StreamTransport) => Promise<{ port: number; out: DatagramOut; close: () => void }>;

/** The registry's settings. */
export interface StreamSettings {
  maxStreams: number;
  /** Sessions open at once that one control connection opened (`--max-streams-per-connection`). */
  maxStreamsPerConnection: number;
  /** Largest frame payload the server reads (`--max-payload`), bytes: a session's `size` is at most this + 12. */
  maxPayload: number;
  maxBitrate: number;
  maxDurationMs: number;
  /** This process's index (WELCOME.worker); the top byte of its session ids. */
  workerIndex: number;
  /** UDP for a new udp session. */
  udp: UdpProvider;
  /** µs, monotonic. */
  clockUs?: () => number;
  /** Where a session's end is logged (debug); default: nowhere. */
  logger?: Pick<Logger, 'debug'>;
}

/** A UDP stream datagram's fate: handled (counted or answered), or dropped for a reason. */
export type DatagramOutcome = 'received' | 'answered' | keyof StreamDatagramsDropped;

/** Every stream session of one process. */
export class StreamSessions {
  readonly #s: StreamSettings;
  readonly #clockUs: () => number;
  readonly #open = new Map<number, StreamSession>();
  readonly #closed = new Set<number>();
  readonly #closedOrder: number[] = [];
  /** Ids of sessions whose UDP socket is binding (cluster), and their owners: they count against the caps already. */
  readonly #binding = new Map<number, object>();
  /** Control connections that have closed: a session whose socket was still binding is ended as it opens. */
  readonly #gone = new WeakSet<object>();
  #opened = 0;
  #refusedCount = 0;
  readonly #dropped: StreamDatagramsDropped = { unknownSession: 0, closedSession: 0, wrongSize: 0, refused: 0 };

  constructor(settings: StreamSettings) {
    this.#s = settings;
    this.#clockUs = settings.clockUs ?? (() => performance.now() * 1000);
  }

  /** STATS `stream`, this process's part. */
  stats(): StreamStats {
    let data = 0;
    for (const s of this.#open.values()) if (s.data !== null) data++;
    return { sessions: this.#open.size, opened: this.#opened, refused: this.#refusedCount, dataConnections: data, datagramsDropped: { ...this.#dropped } };
  }

  /** A STREAM_OPEN its decoder refused (counted in STATS `stream.refused` as the caps' refusals are). */
  refusedOpen(): void {
    this.#refusedCount++;
  }

  /** True while `owner` (a control connection) holds an open session: its idle timeout waits. */
  owns(owner: object): boolean {
    for (const s of this.#open.values()) if (s.owner === owner) return true;
    return false;
  }

  /** STREAM_OPEN from control connection `owner`. */
  open(owner: object, req: StreamOpen): StreamAnswer {
    const s = this.#s;
    const refuse = (r: Refusal): Refusal => {
      this.#refusedCount++;
      return r;
    };
    const maxSize = s.maxPayload + HEADER_SIZE;
    if (req.size > maxSize) return refuse(bad(`size ${req.size} is over the server's cap of ${maxSize} bytes (--max-payload + 12)`));
    if (req.bitrate !== undefined && req.bitrate > s.maxBitrate) {
      return refuse(bad(`bitrate ${req.bitrate} bit/s is over the server's cap of ${s.maxBitrate} bit/s (--max-stream-bitrate)`));
    }
    if (req.durationMs > s.maxDurationMs) return refuse(bad(`durationMs ${req.durationMs} is over the server's cap of ${s.maxDurationMs} ms (--max-stream-duration)`));
    if (this.#open.size + this.#binding.size >= s.maxStreams) return refuse({ refused: ErrorCode.BUSY, reason: `${s.maxStreams} stream sessions are open, the server's cap (--max-streams)` });
    if (this.#ownedCount(owner) >= s.maxStreamsPerConnection) {
      return refuse({ refused: ErrorCode.BUSY, reason: `${s.maxStreamsPerConnection} stream sessions are open on this connection, the server's cap (--max-streams-per-connection)` });
    }
    const id = this.#newId();
    const key = randomBytes(8);
    const plan = { direction: req.direction, transport: req.transport, size: req.size, durationMs: req.durationMs, bitrate: req.bitrate ?? null };
    const make = (udp: { port: number; out: DatagramOut; close: () => void }): Buffer => {
      this.#binding.delete(id);
      const session = new StreamSession(id, key, owner, plan, udp, this.#clockUs, (ended, why) => this.#forget(ended, why));
      this.#open.set(id, session);
      this.#opened++;
      // Its control connection closed while the socket bound: the reply goes nowhere, the session ends.
      if (this.#gone.has(owner)) session.end('control connection closed');
      return encodeStreamOpened({ session: id, key: key.toString('hex'), worker: s.workerIndex, udpPort: udp.port, size: plan.size, durationMs: plan.durationMs, bitrate: plan.bitrate });
    };
    // The id is reserved while a session socket binds, so the cap and uniqueness hold meanwhile.
    this.#binding.set(id, owner);
    let socket: ReturnType<UdpProvider>;
    try {
      socket = s.udp(plan.transport);
    } catch (err) {
      socket = Promise.reject(err); // a provider that throws must not keep the slot
    }
    return socket.then(make, (err: unknown) => {
      this.#binding.delete(id);
      throw err;
    });
  }

  /**
   * STREAM_ATTACH on a new connection, which becomes the session's data connection. `authed`: false
   * on a connection that has not sent the HELLO under --token; then every refusal has one reason, so
   * a peer without the token learns nothing of which sessions are live.
   */
  attach(req: StreamAttach, link: DataLink, authed = true): StreamSession | Refusal {
    const r = this.#attach(req, link);
    return isRefusal(r) && !authed ? bad(ATTACH_REFUSED) : r;
  }

  #attach(req: StreamAttach, link: DataLink): StreamSession | Refusal {
    const found = this.#find(req.session);
    if (isRefusal(found)) return found;
    if (!timingSafeEqual(Buffer.from(req.key, 'hex'), found.key)) return bad(`wrong key for stream session ${found.id}`);
    if (found.plan.transport !== 'tcp' || found.data !== null || found.dataEnded || found.state !== 'opened') {
      return bad(`stream session ${found.id} takes no (more) data connection`);
    }
    found.data = link;
    return found;
  }

  /** STREAM_VALIDATE from `owner`. */
  validate(owner: object, req: StreamValidate): StreamAnswer {
    const s = this.#owned(owner, req.session);
    if (isRefusal(s)) return s;
    if (s.state !== 'opened') return bad(`stream session ${s.id} is already started`);
    const given = Buffer.from(req.challenge, 'hex');
    if (s.challenge === null || s.challengeTo === null || !timingSafeEqual(given, s.challenge)) {
      return bad(`challenge does not match the one sent for stream session ${s.id}`);
    }
    s.validated = s.challengeTo;
    return encodeStreamValidated({ address: formatPeerAddress(s.validated.address, s.validated.port) });
  }

  /** STREAM_START from `owner`. */
  start(owner: object, req: StreamSessionRef): StreamAnswer {
    const s = this.#owned(owner, req.session);
    if (isRefusal(s)) return s;
    if (s.state !== 'opened') return bad(`stream session ${s.id} is already started`);
    if (s.plan.transport === 'tcp' && s.data === null) return bad(`stream session ${s.id} has no data connection (STREAM_ATTACH first)`);
    if (s.plan.transport === 'udp' && s.plan.direction === 'down' && s.validated === null) {
      return bad(`stream session ${s.id} has no validated UDP address (STREAM_BIND, then STREAM_VALIDATE first)`);
    }
    if (s.plan.transport === 'udp' && s.plan.direction === 'up' && s.source === null) {
      return bad(`stream session ${s.id} has no bound UDP source (STREAM_BIND from the sending socket first)`);
    }
    s.start();
    return encodeStreamStart({ session: s.id });
  }

  /** STREAM_REPORT from `owner`: the server side's report, then the session ends. */
  report(owner: object, req: StreamReportRequest): StreamAnswer {
    const s = this.#owned(owner, req.session);
    if (isRefusal(s)) return s;
    if (s.state === 'reporting') return bad(`stream session ${s.id} is already reporting`);
    return s.report(req.sent).then((r) => {
      s.end('reported');
      return encodeStreamReport(r);
    });
  }

  /** Ends every session `owner` opened (its control connection closed). */
  closeOwnedBy(owner: object): void {
    if (this.#binding.size !== 0) for (const o of this.#binding.values()) if (o === owner) this.#gone.add(owner);
    // Every connection's close comes here: most hold no session.
    if (this.#open.size === 0) return;
    for (const s of [...this.#open.values()]) if (s.owner === owner) s.end('control connection closed');
  }

  /** Ends every session (the server drains). */
  closeAll(): void {
    for (const s of [...this.#open.values()]) s.end('server closing');
  }

  /**
   * A UDP STREAM_DATA or STREAM_BIND datagram (its header already checked), `from` its source, `out`
   * the socket it came in on. Returns what became of it; the caller counts the drops.
   */
  datagram(type: number, id: number, payload: Buffer, from: UdpAddress, out: DatagramOut): DatagramOutcome {
    const s = this.#open.get(id);
    if (s === undefined) return this.#drop(this.#closed.has(id) ? 'closedSession' : 'unknownSession');
    if (type === MessageType.STREAM_DATA) {
      if (payload.length + HEADER_SIZE !== s.plan.size) return this.#drop('wrongSize');
      if (s.plan.transport !== 'udp' || s.plan.direction !== 'up' || s.receiver === null) return this.#drop('refused');
      // Only the bound source's data counts (docs/protocol.md, "the bound source"): one compare each.
      const src = s.source!;
      if (from.port !== src.port || from.address !== src.address) return this.#drop('refused');
      const { sequence, sentUs } = readStreamData(payload);
      return s.receive(sequence, sentUs, s.plan.size) ? 'received' : this.#drop('refused');
    }
    let key: Buffer;
    try {
      key = decodeStreamBind(payload, id);
    } catch {
      return this.#drop('wrongSize');
    }
    if (s.plan.transport !== 'udp' || s.state !== 'opened' || s.binds >= STREAM_MAX_BINDS || !timingSafeEqual(key, s.key) || !isZero(payload, STREAM_KEY_BYTES)) {
      return this.#drop('refused');
    }
    s.binds++;
    s.challenge = randomBytes(16);
    const address = { address: from.address, port: from.port };
    if (s.plan.direction === 'up') s.source = address;
    else s.challengeTo = address;
    out(encodeStreamChallenge(id, s.challenge), from.port, from.address);
    return 'answered';
  }

  /**
   * STREAM_DATA on an up TCP data connection of `session`, arrived at `arrivalUs` (the chunk's stamp;
   * default now). Ignored before START, after the session ended, or of another size: returns
   * whether it was counted.
   */
  tcpData(session: StreamSession, payload: Buffer, arrivalUs?: number): boolean {
    if (session.state === 'opened' || session.state === 'closed' || payload.length + HEADER_SIZE !== session.plan.size) return false;
    const { sequence, sentUs } = readStreamData(payload);
    return session.receive(sequence, sentUs, session.plan.size, arrivalUs);
  }

  #ownedCount(owner: object): number {
    let n = 0;
    for (const s of this.#open.values()) if (s.owner === owner) n++;
    for (const o of this.#binding.values()) if (o === owner) n++;
    return n;
  }

  #drop(reason: keyof StreamDatagramsDropped): keyof StreamDatagramsDropped {
    this.#dropped[reason]++;
    return reason;
  }

  /** An open session by id, or the refusal for an unknown or closed one. */
  #find(id: number): StreamSession | Refusal {
    const s = this.#open.get(id);
    if (s !== undefined) return s;
    if (this.#closed.has(id)) return bad(`stream session ${id} is closed`);
    const worker = id >>> 24;
    if (worker !== this.#s.workerIndex % 256) return bad(`stream session ${id} is held by worker ${worker}; this connection is on worker ${this.#s.workerIndex}`);
    return bad(`unknown stream session ${id}`);
  }

  #owned(owner: object, id: number): StreamSession | Refusal {
    const s = this.#find(id);
    if (isRefusal(s)) return s;
    if (s.owner !== owner) return bad(`stream session ${id} belongs to another control connection`);
    return s;
  }

  /** A random id not in use: this worker's index in the top byte, 24 random bits below, never 0. */
  #newId(): number {
    const top = (this.#s.workerIndex % 256) * 2 ** 24;
    for (;;) {
      const id = top + randomInt(1, 2 ** 24);
      if (!this.#open.has(id) && !this.#closed.has(id) && !this.#binding.has(id)) return id;
    }
  }

  #forget(s: StreamSession, why: string): void {
    if (this.#open.get(s.id) !== s) return;
    this.#s.logger?.debug({ session: s.id, ...s.plan, why }, 'stream session ended');
    this.#open.delete(s.id);
    this.#closed.add(s.id);
    this.#closedOrder.push(s.id);
    if (this.#closedOrder.length > STREAM_CLOSED_MEMORY) this.#closed.delete(this.#closedOrder.shift()!);
  }
}
