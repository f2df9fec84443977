/**
 * {@link runStreams}: one stream test, iperf3's way, over one control connection: for each direction
 * asked (`up`, `down`, or both at once for `--bidir`), `parallel` sessions are opened, their data
 * paths attached (TCP) or bound and validated (UDP down), all started, run for the duration, and
 * each session's report fetched. Up: this side sends ({@link sendStream}) and the server's receiver
 * report comes back. Down: the server sends, this side counts with the protocol's
 * {@link StreamReceiver} (the same accounting the server runs), waits for stragglers the way the
 * server does (250 ms quiet, 2 s at most), then asks the server's sender report for `sent`; stopped
 * early (`onStart`'s stop: Ctrl-C), it asks that report first, which stops the server's sender, and
 * then waits for what was in flight.
 */
import { performance } from 'node:perf_hooks';
import {
  STREAM_STRAGGLER_MAX_MS,
  STREAM_STRAGGLER_QUIET_MS,
  StreamReceiver,
  type DelayVariationRecorder,
  type StreamDirection,
  type StreamInterval,
  type StreamOpened,
  type StreamReceiverReport,
  type StreamTransport,
} from '@sockbench/protocol';
import { Client } from '../client.js';
import { StreamError } from '../errors.js';
import type { GrantedBuffers, SocketOptions } from '../socket-options.js';
import { attachTcp, openUdp, type DataPath, type UdpDataPath } from './data-paths.js';
import { StreamControl } from './stream-control.js';
import { sendStream, type RunningSender, type SenderCounts, type SenderInterval } from './stream-sender.js';

/** What {@link runStreams} runs. */
export interface StreamRunOptions {
  host: string;
  port: number;
  /** HELLO token of a server started with `--token` (the control connection authenticates). */
  token?: string | null;
  transport: StreamTransport;
  /** Directions run at once: `['up']`, `['down']` (reverse) or both (bidir). */
  directions: StreamDirection[];
  /** Bytes of every STREAM_DATA frame, header included: 28..65507. */
  size: number;
  /** bit/s per session over whole frames; required for udp; null: unpaced TCP. */
  bitrate: number | null;
  durationMs: number;
  /** Sessions per direction (iperf3 `--parallel`), each with its own data path. */
  parallel: number;
  /** Socket options of the data paths (socket-options.ts). */
  socket?: SocketOptions;
  /** |D| recorder of each down session's receiver (an HdrHistogram); default: none. */
  recorder?: () => DelayVariationRecorder;
  /** µs, monotonic; default `performance.now() × 1000`. */
  clock?: () => number;
  /** One second of one direction, summed over its sessions: sent (up) or received (down) so far. */
  onInterval?: (iv: LiveInterval) => void;
  /** Called once the sessions are started, with a function that ends them early (Ctrl-C). */
  onStart?: (stop: () => void) => void;
}

/**
 * A second of one direction, as it happens (up: what this side sent; down: what it received).
 * `bitsPerSec` is over the part of the second the duration covers (the last may be partial); a down
 * second past the duration holds stragglers and counts over a whole second.
 */
export interface LiveInterval {
  direction: StreamDirection;
  index: number;
  bytes: number;
  messages: number;
  bitsPerSec: number;
  /** `messages` over the same part of the second as `bitsPerSec`, msg/s. */
  messagesPerSec: number;
  /** Down: distinct messages missing so far over the sessions (gaps below the highest), null for up. */
  lost: number | null;
  /** Down: RFC 3550 jitter at the second's end, ms (the mean over sessions); null for up. */
  jitterMs: number | null;
}

/** One session's outcome: both sides' figures. */
export interface StreamSessionResult {
  session: number;
  direction: StreamDirection;
  transport: StreamTransport;
  size: number;
  durationMs: number;
  bitrate: number | null;
  sender: Omit<SenderCounts, 'intervals'> & { intervals: SenderInterval[] | null };
  /** The receiver's report (up: the server's; down: this side's, with the server's `sent`). */
  receiver: StreamReceiverReport;
  /** UDP: SO_SNDBUF/SO_RCVBUF granted this side's socket, bytes; null over TCP. */
  buffers: GrantedBuffers | null;
  /** Frames or datagrams on this session's data path that were not its STREAM_DATA. */
  strays: number;
}

const defaultClock = (): number => performance.now() * 1000;

/** A session opened on the control connection: its grant, its data path and (down) its receiver. */
export interface Opened {
  direction: StreamDirection;
  grant: StreamOpened;
  path: DataPath;
  receiver: StreamReceiver | null;
}

/**
 * Runs the streams; resolves with one result per session (up sessions first).
 * @throws (rejects) ConnectError, ErrorReply (UNAUTHORIZED, a refusal of STREAM_OPEN with its
 *   reason: BAD_PAYLOAD over a cap, BUSY at `--max-streams`), StreamUnsupportedError (the server
 *   predates streams), StreamError (a data path failed)
 */
export async function runStreams(opts: StreamRunOptions): Promise<StreamSessionResult[]> {
  const clock = opts.clock ?? defaultClock;
  const client = await Client.connect({ host: opts.host, port: opts.port, ...(opts.token ? { token: opts.token, name: 'sockbench stream' } : {}) });
  const control = new StreamControl(client);
  const opened: Opened[] = [];
  try {
    for (const direction of opts.directions) {
      for (let i = 0; i < opts.parallel; i++) {
        const grant = await control.open({ direction, transport: opts.transport, size: opts.size, durationMs: opts.durationMs, ...(opts.bitrate !== null ? { bitrate: opts.bitrate } : {}) });
        const base = { host: opts.host, session: grant.session, key: grant.key, clock, ...(opts.socket ? { socket: opts.socket } : {}) };
        let path: DataPath;
        if (opts.transport === 'tcp') path = await attachTcp({ ...base, port: opts.port, worker: grant.worker });
        else {
          const udp: UdpDataPath = await openUdp({ ...base, port: grant.udpPort });
          path = udp;
          // Down: the challenge proves this socket receives. Up: the BIND makes this socket the
          // session's source, the only one whose data the server counts (its challenge is not needed).
          const challenge = await udp.bind();
          if (direction === 'down') await control.validate(grant.session, challenge);
        }
        opened.push({ direction, grant, path, receiver: null });
      }
    }
    return await run(control, opened, opts, clock);
  } finally {
    await Promise.all(opened.map((o) => o.path.close()));
    await client.close();
  }
}

async function run(control: StreamControl, opened: Opened[], opts: StreamRunOptions, clock: () => number): Promise<StreamSessionResult[]> {
  const live = new LiveSeconds(opts, opened);
  const senders = new Map<Opened, RunningSender>();
  try {
    for (const o of opened) {
      if (o.direction === 'down') {
        // The receiver's clock starts at its START, as the server's does.
        const receiver = new StreamReceiver({ clock, ...(opts.recorder ? { recorder: opts.recorder() } : {}) });
        o.receiver = receiver;
        o.path.onData((seq, sentUs, bytes, at) => receiver.receive(seq, sentUs, bytes, at));
      }
      await control.start(o.grant.session);
      if (o.direction === 'up') senders.set(o, sendStream(o.path, { session: o.grant.session, size: o.grant.size, bitrate: o.grant.bitrate, durationMs: o.grant.durationMs, clock, onInterval: (iv) => live.sent(o, iv) }));
    }
  } catch (err) {
    // A later START refused: the senders already started stop (their deadline timers would keep
    // the process alive up to the duration).
    for (const s of senders.values()) s.stop();
    throw err;
  }
  const startedUs = clock();
  /**
   * Down sessions' sender reports asked for early: a stop before the end asks them at once, which
   * stops the server's senders (a STREAM_REPORT before the end does), so the straggler wait that
   * follows waits for what is in flight, not for senders that would go on to the end.
   */
  const asked = new Map<Opened, ReturnType<StreamControl['report']>>();
  /** The reports are being asked one by one (a stop now has nothing left to stop). */
  let reporting = false;
  let stopEarly: () => void = () => undefined;
  const early = new Promise<void>((resolve) => {
    stopEarly = () => {
      for (const s of senders.values()) s.stop();
      for (const o of opened) {
        if (o.direction !== 'down' || asked.has(o) || reporting) continue;
        const report = control.report(o.grant.session);
        report.catch(() => undefined); // awaited below; a failure before then is not unhandled
        asked.set(o, report);
      }
      resolve();
    };
  });
  opts.onStart?.(stopEarly);
  const ticker = setInterval(() => live.tick(clock()), 1000);
  let waitedMs = 0;
  try {
    const ups = Promise.all([...senders.values()].map((s) => s.done));
    const downs = opened.some((o) => o.direction === 'down') ? waitDown(opened, opts.durationMs, startedUs, clock, early) : Promise.resolve(0);
    [, waitedMs] = await Promise.all([ups, downs]);
  } finally {
    clearInterval(ticker);
  }
  live.tick(clock(), true);
  live.flushUp();
  reporting = true;
  const results: StreamSessionResult[] = [];
  for (const o of opened) {
    const sender = senders.get(o);
    const buffers = o.path.buffers;
    const base = { session: o.grant.session, direction: o.direction, transport: opts.transport, size: o.grant.size, durationMs: o.grant.durationMs, bitrate: o.grant.bitrate, buffers, strays: o.path.strays };
    if (sender !== undefined) {
      const sent = await sender.done;
      const report = await control.report(o.grant.session, sent.messages);
      if (report.role !== 'receiver') throw new StreamError(`STREAM_REPORT of up session ${o.grant.session} came back as a ${report.role} report`);
      results.push({ ...base, sender: sent, receiver: report });
    } else {
      const report = await (asked.get(o) ?? control.report(o.grant.session));
      if (report.role !== 'sender') throw new StreamError(`STREAM_REPORT of down session ${o.grant.session} came back as a ${report.role} report`);
      const counts = o.receiver!.counts(report.messages);
      results.push({
        ...base,
        sender: { bytes: report.bytes, messages: report.messages, bitsPerSec: report.bitsPerSec, durationUs: report.durationUs, intervals: null },
        receiver: { role: 'receiver', session: o.grant.session, waitedMs, ...counts },
      });
    }
  }
  return results;
}

/**
 * Down: waits out the duration (from the start), then for stragglers: until no message arrived for
 * 250 ms on any session, at most 2 s (docs/protocol.md, "STREAM_REPORT"). Resolves with the wait, ms.
 */
async function waitDown(opened: Opened[], durationMs: number, startedUs: number, clock: () => number, early: Promise<void>): Promise<number> {
  const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, Math.max(0, ms)).unref());
  await Promise.race([sleep(durationMs - (clock() - startedUs) / 1000), early]);
  const from = clock();
  for (;;) {
    const now = clock();
    const last = Math.max(startedUs, ...opened.map((o) => o.receiver?.lastArrivalUs ?? startedUs));
    const waited = (now - from) / 1000;
    if ((now - last) / 1000 >= STREAM_STRAGGLER_QUIET_MS || waited >= STREAM_STRAGGLER_MAX_MS) return Math.round(waited);
    await sleep(Math.min(50, STREAM_STRAGGLER_MAX_MS - waited));
  }
}

/**
 * Adds each second over the sessions of a direction and emits it once complete (an up second: once
 * every sender reported it, or a later one is complete; {@link LiveSeconds.flushUp} emits the rest at
 * the end). Exported for tests.
 */
export class LiveSeconds {
  readonly #opts: StreamRunOptions;
  readonly #opened: Opened[];
  readonly #up = new Map<number, { bytes: number; messages: number; parts: number }>();
  #downEmitted = 0;

  constructor(opts: StreamRunOptions, opened: Opened[]) {
    this.#opts = opts;
    this.#opened = opened;
  }

  /** Seconds of the duration that second `k` covers: 1, the last one's part, or 1 for a second past the duration (stragglers). */
  #span(k: number): number {
    const left = this.#opts.durationMs / 1000 - k;
    return left >= 1 || left <= 0 ? 1 : left;
  }

  /** An up sender finished second `iv`. */
  sent(_o: Opened, iv: SenderInterval): void {
    const k = iv.startMs / 1000;
    const acc = this.#up.get(k) ?? { bytes: 0, messages: 0, parts: 0 };
    acc.bytes += iv.bytes;
    acc.messages += iv.messages;
    acc.parts++;
    this.#up.set(k, acc);
    const ups = this.#opened.filter((o) => o.direction === 'up').length;
    if (acc.parts !== ups) return;
    // Every sender reports its seconds in order: one that reported k sent all it will before k.
    for (const j of [...this.#up.keys()].sort((a, b) => a - b)) if (j < k) this.#emitUp(j);
    this.#emitUp(k);
  }

  /**
   * The end: emits, in order, every up second some sender never reported (one held by backpressure
   * sends nothing in it, so it never reports it), with what the others sent in it.
   */
  flushUp(): void {
    for (const k of [...this.#up.keys()].sort((a, b) => a - b)) this.#emitUp(k);
  }

  #emitUp(k: number): void {
    const acc = this.#up.get(k)!;
    this.#up.delete(k);
    this.#opts.onInterval?.({ direction: 'up', index: k, bytes: acc.bytes, messages: acc.messages, bitsPerSec: (8 * acc.bytes) / this.#span(k), messagesPerSec: acc.messages / this.#span(k), lost: null, jitterMs: null });
  }

  /** Down: emits every second of the receivers' clocks that is over (all of them at the end). */
  tick(nowUs: number, final = false): void {
    const downs = this.#opened.filter((o) => o.receiver !== null);
    if (downs.length === 0 || this.#opts.onInterval === undefined) return;
    const counts = downs.map((o) => o.receiver!.counts());
    const over = final ? Math.max(0, ...counts.map((c) => c.intervals.length)) : Math.floor((nowUs - Math.min(...downs.map((o) => o.receiver!.originUs))) / 1e6);
    for (; this.#downEmitted < over; this.#downEmitted++) {
      const k = this.#downEmitted;
      const ivs = counts.map((c) => c.intervals[k]).filter((x): x is StreamInterval => x !== undefined);
      const bytes = ivs.reduce((n, iv) => n + iv.bytes, 0);
      const messages = ivs.reduce((n, iv) => n + iv.messages, 0);
      const lost = counts.reduce((n, c) => n + c.lost, 0);
      const jitterMs = ivs.length === 0 ? 0 : ivs.reduce((n, iv) => n + iv.jitterMs, 0) / ivs.length;
      this.#opts.onInterval({ direction: 'down', index: k, bytes, messages, bitsPerSec: (8 * bytes) / this.#span(k), messagesPerSec: messages / this.#span(k), lost, jitterMs });
    }
  }
}
