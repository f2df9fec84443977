/**
 * The in-process server: one process's TCP listener, UDP endpoint, optional raw echo and metrics
 * HTTP, a thread pool, rooms and counters. `createServer` is what `--workers 0` runs and what each
 * cluster worker runs; the CLI is a thin layer over it.
 */
import type { AddressInfo } from 'node:net';
import { pino, type Logger } from 'pino';
import { HEADER_SIZE, MAX_UDP_DATAGRAM, encodeChat, encodeWelcome, type CpuTimes, type StatsQuery } from '@sockbench/protocol';
import { newInstanceId } from './chat/bus-message.js';
import { RedisBus, BUS_OFF } from './chat/redis-bus.js';
import { parseRedisUrl } from './chat/redis-url.js';
import { Rooms, type RoomMember } from './chat/rooms.js';
import type { ProcessContext } from './context.js';
import { InlineExecutor, PoolExecutor, type Executor } from './dispatch/executor.js';
import { ServerStateError } from './errors.js';
import { MetricsHttp } from './metrics/http.js';
import { createProcessRegistry } from './metrics/registry.js';
import { fillOptions, poolPriority, type FilledOptions, type ServerOptions } from './options.js';
import { logRecvBufferShortfall } from './udp/recv-buffer.js';
import { ThreadPool } from './pool/thread-pool.js';
import { RawEcho, type RawAddresses } from './raw/echo.js';
import { rawMode } from './raw/modes.js';
import { Counters, mergeStats, type ProcessStats, type ServerStatsSnapshot } from './stats/counters.js';
import { readTcpRetransmits, readUdpKernelDrops } from './stats/proc-net.js';
import { TcpListener } from './tcp/listener.js';
import { UdpEndpoint } from './udp/endpoint.js';
import { StreamSessions } from './stream/registry.js';
import { openSessionSocket } from './stream/udp-datagram.js';
import { VERSION } from './version.js';
import type { Registry } from 'prom-client';

/** What `listen()` resolves with: bound addresses (real ports when 0 was asked). */
export interface ServerAddresses {
  /** Framed protocol over TCP. */
  tcp: AddressInfo;
  /** Framed protocol over UDP; always the same port number as `tcp`. */
  udp: AddressInfo;
  /** Raw echo, when `rawPort` was set. */
  raw?: RawAddresses;
  /** Prometheus `/metrics` and `/healthz`, when `metricsPort` was set. */
  metrics?: AddressInfo;
}

/**
 * How long `listen()` waits for the chat bus (`redis`) to connect before serving without it, ms: a
 * JOIN answered before the subscription is in place would not hold its guarantee across servers.
 */
export const BUS_START_WAIT_MS = 5_000;

/**
 * How a cluster worker's server reaches the other processes (cluster/worker.ts implements it over
 * IPC). Without one, the server is alone: STATS is its own, SAY stays local.
 */
export interface ClusterLink {
  /** 0-based index of this process (WELCOME.worker); stable across respawns of its slot. */
  readonly workerIndex: number;
  /** The server's instance id on the chat bus, shared by every process of the cluster. */
  readonly instanceId: string;
  /** Sends a SAY to every other process, which delivers it to its members of `room`. */
  publishSay(room: string, from: string, text: string): void;
  /**
   * Every process's stats, this one's included, each with the entries it holds of `peers` (the
   * addresses a STATS query named; undefined: none asked, none sent), and the CPU of the primary.
   */
  collectStats(peers: readonly string[] | undefined): Promise<GatheredStats>;
}

/** What {@link ClusterLink.collectStats} gathers. */
export interface GatheredStats {
  parts: ProcessStats[];
  /** CPU of the cluster primary, which sends no part, µs. */
  primaryCpu?: CpuTimes;
}

type State = 'new' | 'listening' | 'closing' | 'closed';

/** One server process. Create with {@link createServer}. */
export class Server {
  readonly #options: FilledOptions;
  readonly #logger: Logger;
  readonly #counters = new Counters();
  readonly #rooms = new Rooms();
  readonly #link: ClusterLink | undefined;
  readonly #registry: Registry;
  #state: State = 'new';
  #pool: ThreadPool | null = null;
  #tcp: TcpListener | null = null;
  #udp: UdpEndpoint | null = null;
  #raw: RawEcho | null = null;
  #metrics: MetricsHttp | null = null;
  #addresses: ServerAddresses | null = null;
  #closing: Promise<void> | null = null;
  #ctx: ProcessContext | null = null;
  #bus: RedisBus | null = null;
  #streams: StreamSessions | null = null;
  readonly #instanceId: string;

  /** @throws TypeError / RangeError on a bad option (see options.ts) */
  constructor(options: ServerOptions = {}, link?: ClusterLink) {
    this.#options = fillOptions(options);
    this.#logger = options.logger ?? pino({ level: 'silent' });
    this.#link = link;
    this.#instanceId = link?.instanceId ?? newInstanceId();
    this.#registry = createProcessRegistry(
      () => this.processStats(),
      async () => {
        const udpPort = this.#addresses?.udp.port;
        const [tcpRetransmits, udpKernelDrops] = await Promise.all([readTcpRetransmits(), udpPort === undefined ? null : readUdpKernelDrops(udpPort)]);
        return { tcpRetransmits, udpKernelDrops };
      },
    );
  }

  /** The validated options, defaults merged. */
  get options(): Readonly<FilledOptions> {
    return this.#options;
  }

  /** Bound addresses once listening, else null. */
  get addresses(): ServerAddresses | null {
    return this.#addresses;
  }

  /** This server's instance id on the chat bus (`<host>/<pid>/<hex>`; a cluster's processes share it). */
  get instanceId(): string {
    return this.#instanceId;
  }

  /** This process's prom-client registry (the cluster primary aggregates these). */
  get registry(): Registry {
    return this.#registry;
  }

  /**
   * With `redis`, connects the chat bus first (waiting at most {@link BUS_START_WAIT_MS}: a JOIN is
   * answered only once this process is subscribed, unless Redis cannot be reached, which is logged);
   * then binds TCP, UDP on the same port number, raw echo and metrics when asked.
   * @throws ServerStateError when called twice or after close(), or when close() came while the bus
   *   was connecting; ListenError when a bind fails
   */
  async listen(): Promise<ServerAddresses> {
    if (this.#state !== 'new') throw new ServerStateError(`listen() on a server that is ${this.#state}`);
    this.#state = 'listening';
    const o = this.#options;
    const pool = new ThreadPool(o.threads, o.poolQueue, ...poolPriority(o));
    this.#pool = pool;
    const executor: Executor = o.dispatch === 'pool' ? new PoolExecutor(pool) : new InlineExecutor(pool);
    // Alone, a UDP session uses the server's port; in a cluster the workers share that socket, so each
    // UDP session gets one of its own (docs/protocol.md, "Stream in a cluster").
    let udpReady!: (udp: { port: number; out: UdpEndpoint['out'] }) => void;
    let udpFailed!: (err: Error) => void;
    const udpBound = new Promise<{ port: number; out: UdpEndpoint['out'] }>((resolve, reject) => {
      udpReady = resolve;
      udpFailed = reject;
    });
    udpBound.catch(() => undefined); // only STREAM_OPENs that came in the window wait on it
    const datagramOptions = { maxPayload: Math.min(o.maxPayload, MAX_UDP_DATAGRAM - HEADER_SIZE), expect: 'requests' as const };
    const streams = new StreamSessions({
      maxStreams: o.maxStreams,
      maxStreamsPerConnection: o.maxStreamsPerConnection,
      maxPayload: o.maxPayload,
      maxBitrate: o.maxStreamBitrate,
      maxDurationMs: o.maxStreamDurationMs,
      workerIndex: this.#link?.workerIndex ?? 0,
      logger: this.#logger,
      // The TCP listener serves before the UDP endpoint is bound: a STREAM_OPEN in that window waits for it.
      udp: async (transport) => {
        if (this.#link !== undefined && transport === 'udp') return openSessionSocket(ctx, datagramOptions);
        const udp = await udpBound;
        return { port: udp.port, out: udp.out, close: () => undefined };
      },
    });
    this.#streams = streams;
    const ctx: ProcessContext = {
      streams,
      options: o,
      counters: this.#counters,
      executor,
      rooms: this.#rooms,
      logger: this.#logger,
      welcome: encodeWelcome({
        message: 'welcome to sockbench',
        server: `sockbench/${VERSION}`,
        worker: this.#link?.workerIndex ?? 0,
        maxPayload: o.maxPayload,
        auth: o.token !== undefined,
      }),
      draining: false,
      stats: (query) => this.stats(query),
      say: (room, from, text, sender) => {
        const payload = encodeChat({ room, from, text });
        // Local first and never through Redis: this server's members get it whatever the bus does.
        this.#rooms.deliver(room, payload, sender as RoomMember);
        this.#link?.publishSay(room, from, text);
        this.#bus?.publish(room, payload);
      },
    };
    this.#ctx = ctx;
    try {
      if (o.redis !== undefined) {
        const target = parseRedisUrl(o.redis);
        this.#bus = new RedisBus({
          target,
          origin: this.#instanceId,
          logger: this.#logger,
          deliver: (room, payload) => this.#rooms.deliver(room, payload, null),
        });
        const connected = await this.#bus.start(BUS_START_WAIT_MS);
        if (this.#state !== 'listening') throw new ServerStateError('close() called while the chat bus was connecting');
        if (!connected) {
          this.#logger.warn({ redis: target.display, waitedMs: BUS_START_WAIT_MS }, 'chat bus not connected yet: serving anyway; chat stays on this server until it connects');
        }
      }
      this.#tcp = new TcpListener(ctx, o.port);
      const tcp = await this.#tcp.listen();
      this.#udp = new UdpEndpoint(ctx, tcp.port);
      const udp = await this.#udp.listen().catch((err: Error) => {
        udpFailed(err);
        throw err;
      });
      udpReady({ port: udp.port, out: this.#udp.out });
      const addrs: ServerAddresses = { tcp, udp };
      if (o.rawPort !== undefined) {
        this.#raw = new RawEcho(o.host, o.rawPort, this.#counters, this.#logger, rawMode(o.rawMode));
        addrs.raw = await this.#raw.listen();
      }
      if (o.metricsPort !== undefined) {
        this.#metrics = new MetricsHttp(o.host, o.metricsPort, this.#logger, async () => ({
          contentType: this.#registry.contentType,
          body: await this.#registry.metrics(),
        }));
        addrs.metrics = await this.#metrics.listen();
      }
      this.#addresses = addrs;
      const udpRecvBufferBytes = this.#udp.recvBufferBytes;
      logRecvBufferShortfall(this.#logger, o, udpRecvBufferBytes);
      this.#logger.info(
        { tcp: addrs.tcp, udp: addrs.udp, udpRecvBufferBytes, raw: addrs.raw, metrics: addrs.metrics, threads: o.threads, dispatch: o.dispatch, ...this.#busLog() },
        'listening',
      );
      return addrs;
    } catch (err) {
      await this.close();
      throw err;
    }
  }

  /**
   * Drains and closes (docs/protocol.md, "Drain"): stops accepting; requests decoded before get their
   * replies, later ones ERROR SHUTTING_DOWN (non-fatal, BYE excepted); each connection gets FIN once
   * nothing is owed and all it had sent is read; UDP drops later datagrams (counted SHUTTING_DOWN).
   * After `drainTimeoutMs` whatever is left is destroyed. Idempotent; never rejects.
   */
  close(): Promise<void> {
    if (this.#closing === null) this.#closing = this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    const wasListening = this.#state === 'listening';
    this.#state = 'closing';
    if (this.#ctx !== null) this.#ctx.draining = true;
    if (wasListening) this.#logger.info({ connections: this.#counters.connectionsCurrent }, 'draining');
    // Stream sessions end first: senders stop, data connections get FIN (docs/protocol.md, "Stream").
    this.#streams?.closeAll();
    const drained = Promise.all([this.#tcp?.close(), this.#udp?.close(), this.#raw?.close()]);
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), this.#options.drainTimeoutMs);
    });
    const outcome = await Promise.race([drained.then(() => 'drained' as const), deadline]);
    clearTimeout(timer);
    if (outcome === 'timeout') {
      this.#logger.warn({ drainTimeoutMs: this.#options.drainTimeoutMs }, 'drain timeout: closing the rest');
      this.#tcp?.destroyAll();
      this.#raw?.destroyAll();
    }
    // Pool last: replies in flight needed it; after the deadline its pending tasks are abandoned.
    await this.#pool?.close();
    await drained;
    // After the drain: SAYs answered during it were published.
    await this.#bus?.close();
    await this.#metrics?.close();
    this.#state = 'closed';
    if (wasListening) this.#logger.info('closed');
  }

  /**
   * This process's numbers (histograms encoded), as the cluster primary sums them.
   * @param peers addresses a STATS query named: their entries in this process's peer table are added
   */
  processStats(peers?: readonly string[]): ProcessStats {
    let paused = 0;
    let pendingWriteBytes = 0;
    let pendingWorkBytes = 0;
    for (const conn of this.#tcp?.connections ?? []) {
      if (conn.paused) paused++;
      pendingWriteBytes += conn.pendingWriteBytes;
      pendingWorkBytes += conn.pendingWorkBytes;
    }
    const pool = this.#pool?.stats() ?? { threads: 0, queued: 0, completed: 0 };
    const buffered = this.#tcp?.budget.stats() ?? { bytes: 0, limit: this.#options.maxBufferedBytes, waiting: 0, frameTimeouts: 0 };
    return this.#counters.snapshot(pool, { paused, pendingWriteBytes, pendingWorkBytes }, buffered, this.#udp ?? undefined, peers, this.#bus?.stats() ?? BUS_OFF, this.#streams?.stats());
  }

  /** The `redis` (password hidden) and `instance` fields of the `listening` log line; none without a bus. */
  #busLog(): { redis?: string; instance?: string } {
    return this.#options.redis === undefined ? {} : { redis: parseRedisUrl(this.#options.redis).display, instance: this.#instanceId };
  }

  /**
   * The STATS reply: this process's numbers, or every process's summed when in a cluster, with what
   * `query` asks (docs/protocol.md, "STATS query"). The host-wide /proc values are read here, once.
   */
  async stats(query: StatsQuery = {}): Promise<ServerStatsSnapshot> {
    const udpPort = this.#addresses?.udp.port;
    const alone: GatheredStats | undefined = this.#link === undefined ? { parts: [this.processStats(query.peers)] } : undefined;
    const [gathered, tcpRetransmits, kernelDrops] = await Promise.all([
      alone ?? this.#link!.collectStats(query.peers),
      readTcpRetransmits(),
      udpPort === undefined ? null : readUdpKernelDrops(udpPort),
    ]);
    return mergeStats(gathered.parts, Date.now(), {
      histograms: query.histograms === true,
      peers: query.peers !== undefined,
      extraCpu: gathered.primaryCpu,
      tcpRetransmits,
      kernelDrops,
    });
  }

  /** Delivers a SAY relayed from another process to this process's members of `room`. */
  deliverRemoteSay(room: string, from: string, text: string): void {
    this.#rooms.deliver(room, encodeChat({ room, from, text }), null);
  }
}

/**
 * Creates one server process (not listening yet). Options mirror the CLI flags in camelCase.
 * @throws TypeError / RangeError naming a bad option, its value and the allowed range
 */
export function createServer(options: ServerOptions = {}): Server {
  return new Server(options);
}
