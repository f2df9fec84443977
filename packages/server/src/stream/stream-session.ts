/**
 * One stream session's state (docs/protocol.md, "Session lifecycle"): who owns it, its data
 * connection or validated UDP address, the receiver (up) or the sender (down), its timers, and how it
 * ends. The registry ({@link StreamSessions}) decides the refusals; this holds what they check.
 */
import type { Socket } from 'node:net';
import {
  STREAM_REPORT_GRACE_MS,
  STREAM_START_TIMEOUT_MS,
  STREAM_STRAGGLER_MAX_MS,
  STREAM_STRAGGLER_QUIET_MS,
  StreamReceiver,
  type StreamDirection,
  type StreamReceiverReport,
  type StreamSenderReport,
  type StreamTransport,
} from '@sockbench/protocol';
import { newDelayHistogram } from './delay-histogram.js';
import { DownSender, type DatagramOut } from './sender.js';

/** A TCP data connection attached to a session. */
export interface DataLink {
  readonly socket: Socket;
  /** Ends the connection (FIN once its queued bytes are written). */
  end(): void;
  /** Counts bytes the sender writes on it (STATS `bytes.out`). */
  countOut(bytes: number): void;
}

/** A UDP address, as a datagram's source. */
export interface UdpAddress {
  readonly address: string;
  readonly port: number;
}

/** What the session was opened with, as granted. */
export interface SessionPlan {
  direction: StreamDirection;
  transport: StreamTransport;
  size: number;
  durationMs: number;
  bitrate: number | null;
}

/** `opened` → `started` → `reporting` → `closed`. */
export type SessionState = 'opened' | 'started' | 'reporting' | 'closed';

/** One session. Create through the registry. */
export class StreamSession {
  readonly id: number;
  readonly key: Buffer;
  /** The control connection's session object that opened it. */
  readonly owner: object;
  readonly plan: SessionPlan;
  /** The port STREAM_DATA and STREAM_BIND go to. */
  readonly udpPort: number;
  state: SessionState = 'opened';
  data: DataLink | null = null;
  /** The data connection has closed (TCP): every byte the client sent on it is in. */
  dataEnded = false;
  challenge: Buffer | null = null;
  challengeTo: UdpAddress | null = null;
  binds = 0;
  /** down/UDP: where data goes, once STREAM_VALIDATE proved it receives. */
  validated: UdpAddress | null = null;
  /** up/UDP: the source of the latest keyed STREAM_BIND; the only one whose data counts. */
  source: UdpAddress | null = null;
  receiver: StreamReceiver | null = null;
  sender: DownSender | null = null;
  #histogram: ReturnType<typeof newDelayHistogram> | null = null;
  #timer: NodeJS.Timeout | null = null;
  #waiter: { timer: NodeJS.Timeout | null; done: () => void } | null = null;
  readonly #clockUs: () => number;
  readonly #onEnd: (s: StreamSession, why: string) => void;
  /** Where down/UDP datagrams go (the endpoint's socket, or the session's own in a cluster). */
  readonly out: DatagramOut;
  /** Closes the session's own UDP socket, if it has one. */
  readonly #closeUdp: () => void;

  constructor(id: number, key: Buffer, owner: object, plan: SessionPlan, udp: { port: number; out: DatagramOut; close: () => void }, clockUs: () => number, onEnd: (s: StreamSession, why: string) => void) {
    this.id = id;
    this.key = key;
    this.owner = owner;
    this.plan = plan;
    this.udpPort = udp.port;
    this.out = udp.out;
    this.#closeUdp = udp.close;
    this.#clockUs = clockUs;
    this.#onEnd = onEnd;
    this.#timer = setTimeout(() => this.end('not started in time'), STREAM_START_TIMEOUT_MS).unref();
  }

  /** Starts: the receiver's clock (up) or the sender (down); arms the report grace. */
  start(): void {
    this.state = 'started';
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = setTimeout(() => this.end('no report in time'), this.plan.durationMs + STREAM_REPORT_GRACE_MS).unref();
    const { direction, transport, size, durationMs, bitrate } = this.plan;
    if (direction === 'up') {
      this.#histogram = newDelayHistogram();
      this.receiver = new StreamReceiver({ clock: this.#clockUs, recorder: this.#histogram });
      return;
    }
    const target =
      transport === 'udp'
        ? { kind: 'udp' as const, out: this.out, port: this.validated!.port, address: this.validated!.address }
        : { kind: 'tcp' as const, socket: this.data!.socket, onBytes: (n: number) => this.data?.countOut(n) };
    this.sender = new DownSender(this.id, size, durationMs, bitrate, target, this.#clockUs, () => undefined);
  }

  /**
   * One up STREAM_DATA message, `bytes` long (the whole frame), arrived at `arrivalUs` (default now).
   * Returns false when the receiver refused it (a sequence jump no sender makes) or there is none.
   */
  receive(sequence: number, sentUs: number, bytes: number, arrivalUs?: number): boolean {
    const r = this.receiver;
    if (r === null) return false;
    const kind = r.receive(sequence, sentUs, bytes, arrivalUs);
    this.#poke();
    return kind !== 'refused';
  }

  /** The TCP data connection closed. */
  dataClosed(): void {
    this.dataEnded = true;
    this.data = null;
    this.#poke();
  }

  /**
   * The report of the server's side; the receiver's after waiting for stragglers (at most
   * STREAM_STRAGGLER_MAX_MS). The caller ends the session once it resolves.
   */
  async report(sent: number | undefined): Promise<StreamReceiverReport | StreamSenderReport> {
    this.state = 'reporting';
    if (this.plan.direction === 'down') {
      // Reported before its START: a sender that sent nothing.
      const sender = this.sender;
      sender?.stop();
      const messages = sender?.sent.messages ?? 0;
      const durationUs = sender?.durationUs ?? 0;
      const bytes = messages * this.plan.size;
      return { role: 'sender', session: this.id, bytes, messages, bitsPerSec: durationUs === 0 ? 0 : (8 * bytes * 1e6) / durationUs, durationUs };
    }
    const askedAt = this.#clockUs();
    await this.#stragglers(askedAt);
    const waitedMs = Math.round((this.#clockUs() - askedAt) / 1000);
    const receiver = this.receiver ?? new StreamReceiver({ clock: this.#clockUs });
    return { role: 'receiver', session: this.id, ...receiver.counts(sent), waitedMs };
  }

  /** Ends the session (idempotent): stops the sender, FIN on the data connection, frees the rest; `why` is logged. */
  end(why: string): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.sender?.stop();
    this.data?.end();
    this.data = null;
    // Data that still comes (a data connection not closed yet) finds no receiver, and the histogram is freed.
    this.receiver = null;
    this.#histogram?.destroy();
    this.#histogram = null;
    this.#closeUdp();
    if (this.#waiter !== null) this.#waiter.done();
    this.#onEnd(this, why);
  }

  /** Waits until the data is all in (TCP FIN), or STRAGGLER_QUIET_MS pass with no message, at most STRAGGLER_MAX_MS. */
  #stragglers(askedAt: number): Promise<void> {
    return new Promise((resolve) => {
      const deadline = askedAt + STREAM_STRAGGLER_MAX_MS * 1000;
      const done = (): void => {
        if (this.#waiter?.timer) clearTimeout(this.#waiter.timer);
        this.#waiter = null;
        resolve();
      };
      this.#waiter = { timer: null, done };
      this.#check(askedAt, deadline);
    });
  }

  /** A message or the data connection's end arrived: a waiting report checks again. */
  #poke(): void {
    const w = this.#waiter;
    if (w === null) return;
    if (this.plan.transport === 'tcp' && this.dataEnded) w.done();
  }

  #check(askedAt: number, deadline: number): void {
    const w = this.#waiter;
    if (w === null) return;
    const now = this.#clockUs();
    if ((this.plan.transport === 'tcp' && this.dataEnded) || this.state === 'closed') return w.done();
    const last = Math.max(askedAt, this.receiver?.lastArrivalUs ?? askedAt);
    const quietAt = last + STREAM_STRAGGLER_QUIET_MS * 1000;
    if (now >= quietAt || now >= deadline) return w.done();
    w.timer = setTimeout(() => this.#check(askedAt, deadline), Math.max(1, (Math.min(quietAt, deadline) - now) / 1000));
  }
}
