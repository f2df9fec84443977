/**
 * The down sender of one session: STREAM_DATA on the schedule of a {@link Pacer}, to the validated
 * UDP address or on the TCP data connection, until the duration ends (it stops by itself) or
 * `stop()`. TCP: messages of one turn go out in one write; a full socket buffer waits for 'drain'.
 * UDP: at most {@link UDP_MAX_IN_FLIGHT} datagrams wait in the socket's queue; past that it waits too.
 * So UDP frames come from a ring of that many buffers, headers written once: a buffer is stamped
 * again only after its send's callback (dgram completes a socket's sends in order), so message k
 * reuses the buffer of k − 64, which that bound guarantees has reached the kernel.
 */
import type { Socket } from 'node:net';
import { HEADER_SIZE, MessageType, Flags, writeHeader, stampStreamData } from '@sockbench/protocol';
import { Pacer } from './pacer.js';

/**
 * Sends one datagram (the endpoint's or the session's own socket; it counts what it sends); `sent` is
 * called once the socket has handed it to the kernel (dgram's send callback).
 */
export type DatagramOut = (datagram: Buffer, port: number, address: string, sent?: () => void) => void;

/**
 * Datagrams a down/UDP sender may have handed to its socket and not yet seen reach the kernel. When
 * the kernel's send buffer is full (a link slower than the bitrate), libuv queues sends in memory
 * without bound and would send them after the duration; past this many the sender waits instead, as
 * iperf3's blocking socket does, and its report shows the rate the path took.
 */
export const UDP_MAX_IN_FLIGHT = 64;

/** Most bytes one unpaced TCP write carries. */
const TCP_CHUNK_BYTES = 256 * 1024;

/** What a sender did. */
export interface SentSoFar {
  messages: number;
  /** First and last send on the sender's clock, µs; null before any. */
  firstUs: number | null;
  lastUs: number | null;
  /** Its start (STREAM_START) on the sender's clock, µs. */
  startUs: number;
  /** When it ended, µs: its duration's end when it ended by itself, else the `stop()`'s time; null while it runs. */
  stoppedUs: number | null;
}

/** Where the messages go. */
export type SenderTarget = { kind: 'udp'; out: DatagramOut; port: number; address: string } | { kind: 'tcp'; socket: Socket; onBytes: (n: number) => void };

/** One down stream's sender. */
export class DownSender {
  readonly #pacer: Pacer;
  readonly #session: number;
  readonly #size: number;
  readonly #target: SenderTarget;
  readonly #clock: () => number;
  readonly #sent: SentSoFar;
  #timer: NodeJS.Timeout | NodeJS.Immediate | null = null;
  #stopped = false;
  /** UDP: sends handed to the socket, not yet in the kernel. */
  #inFlight = 0;
  /** UDP: waiting for {@link UDP_MAX_IN_FLIGHT} to free. */
  #blocked = false;
  /** UDP: the frames, made as first needed (a short stream makes few). */
  readonly #ring: Buffer[] = [];
  readonly #onDone: () => void;
  readonly #onSent = (): void => {
    this.#inFlight--;
    if (this.#blocked && !this.#stopped) {
      this.#blocked = false;
      this.#timer = setImmediate(this.#tick);
    }
  };

  /** @param clock µs; @param onDone called once when it stops by itself (duration or schedule over) */
  constructor(session: number, size: number, durationMs: number, bitrate: number | null, target: SenderTarget, clock: () => number, onDone: () => void) {
    this.#session = session;
    this.#size = size;
    this.#target = target;
    this.#clock = clock;
    this.#onDone = onDone;
    const startUs = clock();
    this.#sent = { messages: 0, firstUs: null, lastUs: null, startUs, stoppedUs: null };
    this.#pacer = new Pacer(startUs, durationMs, size, bitrate);
    this.#tick();
  }

  /** What was sent so far. */
  get sent(): Readonly<SentSoFar> {
    return this.#sent;
  }

  /**
   * Its elapsed time, µs, as iperf3's sender side divides by the test's time: from its start to its
   * end, the end being the duration's end when it ends by itself (the duration over, or the whole
   * paced schedule sent), the `stop()`'s time when that comes first (an early STREAM_REPORT, the
   * session's end), and never before its last send; while it runs, up to now. A sender held by
   * backpressure for most of the duration so reports the rate the path took. The sender report's
   * `durationUs` (bytes over it are its `bitsPerSec`).
   */
  get durationUs(): number {
    const s = this.#sent;
    const end = s.stoppedUs ?? Math.min(this.#clock(), this.#pacer.endUs);
    return Math.max(0, Math.round(Math.max(end, s.lastUs ?? s.startUs) - s.startUs));
  }

  /** Stops sending now (idempotent). */
  stop(): void {
    if (!this.#stopped) this.#sent.stoppedUs = Math.min(this.#clock(), this.#pacer.endUs);
    this.#stopped = true;
    if (this.#timer !== null) {
      clearTimeout(this.#timer as NodeJS.Timeout);
      clearImmediate(this.#timer as NodeJS.Immediate);
      this.#timer = null;
    }
    if (this.#target.kind === 'tcp') this.#target.socket.off('drain', this.#tick);
  }

  readonly #tick = (): void => {
    this.#timer = null;
    if (this.#stopped) return;
    const now = this.#clock();
    const sent = this.#sent;
    if (this.#pacer.done(now, sent.messages)) {
      this.stop();
      sent.stoppedUs = this.#pacer.endUs; // ended by itself: the duration is its time
      this.#onDone();
      return;
    }
    const due = this.#pacer.due(now, sent.messages);
    const t = this.#target;
    if (t.kind === 'udp') {
      for (let i = 0; i < due; i++) {
        if (this.#inFlight >= UDP_MAX_IN_FLIGHT) {
          this.#blocked = true; // #onSent resumes
          return;
        }
        const frame = this.#udpFrame(sent.messages);
        this.#inFlight++;
        t.out(stampStreamData(frame, sent.messages, now), t.port, t.address, this.#onSent);
        this.#count(now);
      }
    } else if (due > 0) {
      const n = Math.max(1, Math.min(due, Math.floor(TCP_CHUNK_BYTES / this.#size)));
      const chunk = Buffer.alloc(n * this.#size);
      for (let i = 0; i < n; i++) {
        const frame = chunk.subarray(i * this.#size, (i + 1) * this.#size);
        writeHeader(frame, 0, MessageType.STREAM_DATA, Flags.NONE, this.#session, this.#size - HEADER_SIZE);
        stampStreamData(frame, sent.messages, now);
        this.#count(now);
      }
      t.onBytes(chunk.length);
      if (t.socket.destroyed || !t.socket.writable) return this.stop();
      if (!t.socket.write(chunk)) {
        t.socket.once('drain', this.#tick);
        return;
      }
      if (due === Number.POSITIVE_INFINITY) {
        this.#timer = setImmediate(this.#tick);
        return;
      }
    }
    const waitMs = Math.max(1, (this.#pacer.nextDueUs(sent.messages) - this.#clock()) / 1000);
    this.#timer = setTimeout(this.#tick, Math.min(waitMs, (this.#pacer.endUs - this.#clock()) / 1000 + 1));
  };

  #udpFrame(sequence: number): Buffer {
    const slot = sequence % UDP_MAX_IN_FLIGHT;
    let frame = this.#ring[slot];
    if (frame === undefined) {
      frame = Buffer.alloc(this.#size);
      writeHeader(frame, 0, MessageType.STREAM_DATA, Flags.NONE, this.#session, this.#size - HEADER_SIZE);
      this.#ring[slot] = frame;
    }
    return frame;
  }

  #count(now: number): void {
    const s = this.#sent;
    s.messages++;
    if (s.firstUs === null) s.firstUs = now;
    s.lastUs = now;
  }
}
