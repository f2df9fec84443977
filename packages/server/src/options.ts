/**
 * Options of the server: one table (`@sockbench/options`) that holds every option's CLI flag, unit,
 * default and allowed range. `fillOptions` merges the defaults once and validates; the CLI builds
 * `--help` and its parser from the same table, and a test checks the README against it.
 */
import { availableParallelism } from 'node:os';
import { OptionTable } from '@sockbench/options';
import {
  DEFAULT_MAX_ITERATIONS,
  DEFAULT_MAX_PAYLOAD,
  DEFAULT_MAX_STREAMS,
  DEFAULT_MAX_STREAMS_PER_CONNECTION,
  DEFAULT_MAX_STREAM_BITRATE,
  DEFAULT_MAX_STREAM_DURATION_MS,
  DEFAULT_PORT,
  HEADER_SIZE,
  MAX_PAYLOAD_LIMIT,
} from '@sockbench/protocol';
import type { Logger } from 'pino';
import { parseRedisUrl } from './chat/redis-url.js';
import { LOG_LEVELS } from './log.js';
import { RAW_MODE_NAMES, type RawModeName } from './raw/modes.js';
import { POOL_POLICIES, type PoolPolicy } from './pool/sched-policy.js';

/**
 * Default of `--max-buffered-bytes`, bytes per process (256 MiB): 256 frames of the default 1 MiB
 * `--max-payload` in flight at once. With one process per core that is 4 GiB on 16 cores at worst,
 * a share a LAN server can spare; an attacker parking frames gets that, not 10 GiB (issue 11).
 */
export const DEFAULT_MAX_BUFFERED_BYTES = 256 * 1024 * 1024;

/** Smallest `--max-buffered-bytes`, bytes: one socket read (64 KiB), so a budget can hold a read's frame. */
export const MIN_BUFFERED_BYTES = 64 * 1024;

/**
 * Default `--pool-nice` with `--dispatch inline`: the threads then run only COMPUTE, bulk work that
 * should yield the CPU to event loops (whose every request is short) when the cores are all busy; CFS
 * weighs nice 10 at about a tenth of nice 0. With `--dispatch pool` the threads carry every request,
 * so they keep the event loops' priority (0).
 */
export const DEFAULT_POOL_NICE = 10;

/**
 * Default `--pool-policy` with `--dispatch inline` on Linux (elsewhere `other`: SCHED_IDLE is
 * Linux's): SCHED_IDLE, which runs COMPUTE only on CPU time nothing else wants, so a woken event loop takes a core from a hashing thread at once. Nice alone
 * (10, even 19) still lets a hashing thread finish its slice first: measured on 2 cores, PING's p99
 * under saturating COMPUTE was 4.4× PING alone at nice 10 and 2.3× with SCHED_IDLE (medians of 3
 * alternating runs; npm run bench: 7.3× before, 2.5× after; issue 16).
 */
export const DEFAULT_POOL_POLICY: PoolPolicy = process.platform === 'linux' ? 'idle' : 'other';

/**
 * SO_RCVBUF asked for the framed UDP socket (and each stream session's) when `--udp-recv-buffer` is
 * not given, bytes (4 MiB, granted up to `net.core.rmem_max`). Linux's default (212,992 B) holds about
 * 270 small datagrams (each costs its skb, ~768 B): an event loop descheduled for a few ms at 40,000
 * req/s overflows it, and the knee of an open-loop sweep measured that buffer, not the server (issue 16:
 * on 2 shared cores 40,000 req/s lost 1.4 % with the default and 0 % with 4 MiB, which held 60,000).
 * Servers built for bursts of small datagrams ask the same way (quic-go asks 7 MiB and logs when it
 * gets less).
 */
export const DEFAULT_UDP_RECV_BUFFER = 4 * 1024 * 1024;

/** The SO_RCVBUF to ask for the framed UDP socket: `--udp-recv-buffer`, else {@link DEFAULT_UDP_RECV_BUFFER}, bytes. */
export function udpRecvBufferAsk(o: Pick<FilledOptions, 'udpRecvBuffer'>): number {
  return o.udpRecvBuffer ?? DEFAULT_UDP_RECV_BUFFER;
}

/**
 * The pool threads' niceness and policy for these options: as given, else the defaults of their
 * `dispatch` ({@link DEFAULT_POOL_NICE} and {@link DEFAULT_POOL_POLICY} inline; 0 and `other` with pool).
 */
export function poolPriority(o: Pick<FilledOptions, 'dispatch' | 'poolNice' | 'poolPolicy'>): [nice: number, policy: PoolPolicy] {
  const inline = o.dispatch === 'inline';
  return [o.poolNice ?? (inline ? DEFAULT_POOL_NICE : 0), o.poolPolicy ?? (inline ? DEFAULT_POOL_POLICY : 'other')];
}

/** How requests reach their handler: on the event loop, or every request through the thread pool. */
export const DISPATCH_MODES = ['inline', 'pool'] as const;
/** One of {@link DISPATCH_MODES}. */
export type DispatchMode = (typeof DISPATCH_MODES)[number];

/** Options of {@link createServer} (one process). Every field is optional; see {@link SERVER_OPTIONS}. */
export interface ServerOptions {
  /** Address to bind TCP, UDP and raw echo. Default `127.0.0.1`. */
  host?: string;
  /** TCP port; UDP is bound on the same number. 0 picks a free port. Default 7878. */
  port?: number;
  /** Raw echo port (TCP and UDP); undefined = no raw echo. Default undefined. */
  rawPort?: number;
  /** Reply mode of the raw echo port: `echo` (bytes back unchanged) or `sockperf` (sockperf's server). Default `echo`. */
  rawMode?: RawModeName;
  /** Worker threads in the COMPUTE pool. Default 2. */
  threads?: number;
  /** Requests that may be in the pool beyond one per thread (queued, batched or running; a batch counts each); past it, BUSY. Default 1024. */
  poolQueue?: number;
  /** `inline` (default) runs PING/ECHO on the event loop; `pool` sends them through the threads too. */
  dispatch?: DispatchMode;
  /**
   * Niceness added to each pool thread (nice(2), per thread on Linux; piscina's `niceIncrement`), 0..19.
   * Default {@link DEFAULT_POOL_NICE} with `dispatch` inline (the threads run only COMPUTE), 0 with pool.
   */
  poolNice?: number;
  /**
   * Scheduling policy of each pool thread ({@link POOL_POLICIES}): `idle` is SCHED_IDLE (sched(7), set
   * through chrt(1); where it cannot be, the thread keeps SCHED_OTHER at `poolNice`), `other` the default
   * policy at `poolNice`. Default {@link DEFAULT_POOL_POLICY} with `dispatch` inline, `other` with pool.
   */
  poolPolicy?: PoolPolicy;
  /** Open TCP connections per process; past it a new connection gets BUSY (id 0) and is closed. Default 10000. */
  maxConnections?: number;
  /** Largest request payload, bytes. Default 1 MiB, at most 16 MiB. */
  maxPayload?: number;
  /** A TCP connection that completes no frame for this long is closed, ms; 0 = never. Default 300000. */
  idleTimeoutMs?: number;
  /**
   * Bytes held in incomplete TCP frames across every connection of the process (the whole size of
   * each frame whose header is in and payload is not). Past it, a connection whose next frame does
   * not fit is not read until the budget frees. At least `maxPayload` + 12 (one frame). Default 256 MiB.
   */
  maxBufferedBytes?: number;
  /** A TCP frame whose header has arrived must complete within this, ms, else the connection is closed; 0 = never. Default 30000. */
  frameTimeoutMs?: number;
  /** COMPUTE iteration cap. Default 100000. */
  maxIterations?: number;
  /**
   * On close/SIGTERM, how long requests already received may take before connections are cut, ms;
   * also the longest a connection ending on a fatal error waits for the replies it owes. Default 10000.
   */
  drainTimeoutMs?: number;
  /** Shared secret: the first TCP request must be a HELLO carrying it. Default none. */
  token?: string;
  /** Serve UDP although a token is set (UDP carries no token). Default false. */
  udpWithToken?: boolean;
  /** Port for Prometheus `/metrics` and `/healthz` (HTTP); undefined = none. Default undefined. */
  metricsPort?: number;
  /**
   * Receive buffer (SO_RCVBUF) asked for the framed UDP socket, bytes; undefined asks
   * {@link DEFAULT_UDP_RECV_BUFFER}. Linux caps it at `net.core.rmem_max` and reports twice what it
   * grants (socket(7)).
   */
  udpRecvBuffer?: number;
  /**
   * Entries of the per-peer UDP table (STATS `udp.peers`), per process; past it the least recently
   * seen peer is evicted; 0 turns it off. Default 4096.
   */
  udpPeerTable?: number;
  /**
   * Chat bus between servers: `redis://[[USER]:PASSWORD@]HOST[:PORT][/DB]`. Every SAY is published
   * on this Redis and delivered by every server subscribed to it (docs/protocol.md, "Chat across
   * servers"); the DB number names the channel. Default none: chat stays on this server.
   */
  redis?: string;
  /** Stream sessions open at once per process; past it STREAM_OPEN gets BUSY. Default 16. */
  maxStreams?: number;
  /** Stream sessions open at once that one control connection opened; past it STREAM_OPEN gets BUSY. Default 8. */
  maxStreamsPerConnection?: number;
  /** Largest stream bitrate (UDP both ways, paced TCP), bit/s; above it STREAM_OPEN gets BAD_PAYLOAD. Default 10^9 (1 Gbit/s). */
  maxStreamBitrate?: number;
  /** Longest stream duration, ms; above it STREAM_OPEN gets BAD_PAYLOAD. Default 60000. */
  maxStreamDurationMs?: number;
  /** A pino logger; default silent (the in-process API stays quiet in tests). */
  logger?: Logger;
}

/** {@link ServerOptions} with every default merged and every value validated. */
export interface FilledOptions {
  host: string;
  port: number;
  rawPort: number | undefined;
  rawMode: RawModeName;
  threads: number;
  poolQueue: number;
  dispatch: DispatchMode;
  poolNice: number | undefined;
  poolPolicy: PoolPolicy | undefined;
  maxConnections: number;
  maxPayload: number;
  idleTimeoutMs: number;
  maxBufferedBytes: number;
  frameTimeoutMs: number;
  maxIterations: number;
  drainTimeoutMs: number;
  token: string | undefined;
  udpWithToken: boolean;
  metricsPort: number | undefined;
  udpRecvBuffer: number | undefined;
  udpPeerTable: number;
  redis: string | undefined;
  maxStreams: number;
  maxStreamsPerConnection: number;
  maxStreamBitrate: number;
  maxStreamDurationMs: number;
}

/**
 * Every option of {@link createServer}, in `--help` order: the one table that fills defaults,
 * validates (messages `options.port (--port) must be an integer in 0..65535, got 70000`), feeds
 * `--help` and is checked against the README.
 */
export const SERVER_OPTIONS = new OptionTable(
  [
    { key: 'host', flag: 'host', type: 'string', default: '127.0.0.1', expect: 'a non-empty address', description: 'address to bind (TCP, UDP, raw echo); non-loopback serves the network' },
    { key: 'port', flag: 'port', type: 'integer', default: DEFAULT_PORT, min: 0, max: 65535, description: 'TCP port of the framed protocol; UDP uses the same number; 0 picks a free one' },
    { key: 'rawPort', flag: 'raw-port', type: 'integer', min: 0, max: 65535, description: 'raw echo port, TCP and UDP (bytes back unchanged)' },
    { key: 'rawMode', flag: 'raw-mode', type: 'string', default: 'echo', choices: RAW_MODE_NAMES, description: "raw port replies: echo (bytes back unchanged) or sockperf (answer sockperf's client as its server does: messages asking for a reply, CLIENT flag cleared)" },
    { key: 'threads', flag: 'threads', type: 'integer', unit: 'threads per process', default: 2, min: 1, max: 256, description: 'worker threads of the COMPUTE pool (piscina)' },
    { key: 'poolQueue', flag: 'pool-queue', type: 'integer', unit: 'requests per process', default: 1024, min: 0, max: 1_000_000, description: 'requests that may be in the pool beyond one per thread (a batch counts each request); past it the reply is BUSY' },
    { key: 'dispatch', flag: 'dispatch', type: 'string', default: 'inline', choices: DISPATCH_MODES, description: 'inline: PING/ECHO on the event loop; pool: every request through the threads (measures the hand-off)' },
    { key: 'poolNice', flag: 'pool-nice', type: 'integer', unit: 'nice increment', min: 0, max: 19, defaultText: `${DEFAULT_POOL_NICE} with --dispatch inline, 0 with pool`, description: 'lower the pool threads\' CPU priority by this much (nice(2), per thread on Linux), so event loops are not starved of CPU while COMPUTE saturates the cores' },
    { key: 'poolPolicy', flag: 'pool-policy', type: 'string', choices: POOL_POLICIES, defaultText: 'idle with --dispatch inline on Linux, other otherwise', description: 'scheduling policy of the pool threads (sched(7), as chrt(1) names them): idle = SCHED_IDLE, run only on CPU time the event loops leave (where chrt cannot set it, the thread keeps other at --pool-nice); other = the default policy at --pool-nice' },
    { key: 'maxConnections', flag: 'max-connections', type: 'integer', unit: 'connections per process', default: 10_000, min: 1, max: 1_000_000, description: 'open TCP connections; past it a new one gets BUSY and is closed' },
    { key: 'maxPayload', flag: 'max-payload', type: 'integer', unit: 'bytes', default: DEFAULT_MAX_PAYLOAD, min: 0, max: MAX_PAYLOAD_LIMIT, description: 'largest request payload; a bigger header is FRAME_TOO_LARGE' },
    { key: 'idleTimeoutMs', flag: 'idle-timeout', type: 'integer', unit: 'ms', default: 300_000, min: 0, max: 86_400_000, description: 'close a TCP connection that completes no frame for this long; 0 = never' },
    { key: 'maxBufferedBytes', flag: 'max-buffered-bytes', type: 'integer', unit: 'bytes per process', default: DEFAULT_MAX_BUFFERED_BYTES, min: MIN_BUFFERED_BYTES, max: 2 ** 36, description: 'bytes held in incomplete TCP frames, all connections together; a connection whose next frame does not fit is not read until some frees; at least --max-payload + 12' },
    { key: 'frameTimeoutMs', flag: 'frame-timeout', type: 'integer', unit: 'ms', default: 30_000, min: 0, max: 86_400_000, description: 'close a TCP connection whose frame has not completed this long after its header arrived (waiting for budget included); 0 = never' },
    { key: 'maxIterations', flag: 'max-iterations', type: 'integer', unit: 'iterations', default: DEFAULT_MAX_ITERATIONS, min: 1, max: 0xffff_ffff, description: 'COMPUTE cap on SHA-256 rounds; above it BAD_PAYLOAD' },
    { key: 'drainTimeoutMs', flag: 'drain-timeout', type: 'integer', unit: 'ms', default: 10_000, min: 0, max: 3_600_000, description: 'on SIGINT/SIGTERM, time for requests already received to be answered before connections are cut; also the longest a connection ending on a fatal error waits for the replies it owes' },
    { key: 'token', flag: 'token', type: 'string', description: 'shared secret: the first TCP request must be HELLO with it (env SOCKBENCH_TOKEN)' },
    { key: 'udpWithToken', flag: 'udp-with-token', type: 'boolean', default: false, description: 'serve UDP although --token is set (UDP carries no token)' },
    { key: 'metricsPort', flag: 'metrics-port', type: 'integer', min: 0, max: 65535, description: 'HTTP port for Prometheus /metrics and /healthz' },
    { key: 'udpRecvBuffer', flag: 'udp-recv-buffer', type: 'integer', unit: 'bytes', min: 4096, max: 1 << 30, defaultText: `${DEFAULT_UDP_RECV_BUFFER} (4 MiB, capped by net.core.rmem_max)`, description: 'SO_RCVBUF of the framed UDP socket (and stream sessions\' sockets): datagrams that arrive while it is full are lost; capped by net.core.rmem_max (asked explicitly: a warning when capped)' },
    { key: 'udpPeerTable', flag: 'udp-peer-table', type: 'integer', unit: 'entries per process', default: 4096, min: 0, max: 1_000_000, description: 'UDP peers (source ip:port) whose received/answered/dropped counts STATS can report; past it the least recently seen is evicted; 0 = off' },
    { key: 'redis', flag: 'redis', type: 'string', expect: 'a URL redis://HOST[:PORT][/DB]', description: 'chat across servers: every SAY is published on this Redis (pub/sub) and delivered by every server subscribed to it; the DB number names the channel (env SOCKBENCH_REDIS)' },
    { key: 'maxStreams', flag: 'max-streams', type: 'integer', unit: 'sessions per process', default: DEFAULT_MAX_STREAMS, min: 0, max: 10_000, description: 'stream sessions open at once; past it STREAM_OPEN is refused with BUSY; 0 = no stream sessions' },
    { key: 'maxStreamsPerConnection', flag: 'max-streams-per-connection', type: 'integer', unit: 'sessions per connection', default: DEFAULT_MAX_STREAMS_PER_CONNECTION, min: 1, max: 10_000, description: 'stream sessions open at once that one control connection opened; past it STREAM_OPEN is refused with BUSY (one client cannot take every --max-streams slot)' },
    { key: 'maxStreamBitrate', flag: 'max-stream-bitrate', type: 'integer', unit: 'bit/s', default: DEFAULT_MAX_STREAM_BITRATE, min: 1, max: 400_000_000_000, description: 'largest stream bitrate (UDP both ways, paced TCP); above it STREAM_OPEN is refused with BAD_PAYLOAD' },
    { key: 'maxStreamDurationMs', flag: 'max-stream-duration', type: 'integer', unit: 'ms', default: DEFAULT_MAX_STREAM_DURATION_MS, min: 1, max: 3_600_000, description: 'longest stream duration; above it STREAM_OPEN is refused with BAD_PAYLOAD; a down sender stops by itself at its duration' },
  ],
  'option',
);

/**
 * Options of the CLI only (the cluster and the log), validated and shown like {@link SERVER_OPTIONS}.
 * `--workers` defaults to this machine's available parallelism.
 */
export const CLI_OPTIONS = new OptionTable(
  [
    { key: 'workers', flag: 'workers', type: 'integer', unit: 'processes', default: availableParallelism(), defaultText: 'available parallelism', min: 0, max: 1024, description: 'cluster worker processes sharing the ports; 0 runs everything in one process' },
    { key: 'logLevel', flag: 'log-level', type: 'string', default: 'info', choices: LOG_LEVELS, description: 'pino log level' },
  ],
  'option',
);

/**
 * Merges defaults into `options` once and validates every field ({@link SERVER_OPTIONS}).
 * @throws OptionTypeError (a TypeError) / OptionRangeError (a RangeError) naming the option, its value and the allowed range
 */
export function fillOptions(options: ServerOptions = {}): FilledOptions {
  return checkAcross(SERVER_OPTIONS.fill(options));
}

/**
 * The checks the table cannot make alone (two options together, the form of the `--redis` URL);
 * returns `filled` unchanged.
 * @throws OptionRangeError when `maxBufferedBytes` cannot hold one frame of `maxPayload`;
 *   OptionTypeError when `redis` is not a `redis://HOST[:PORT][/DB]` URL
 */
export function checkAcross(filled: FilledOptions): FilledOptions {
  if (filled.redis !== undefined) parseRedisUrl(filled.redis);
  // A budget smaller than one frame would leave that frame waiting for ever (until --frame-timeout).
  const oneFrame = filled.maxPayload + HEADER_SIZE;
  if (filled.maxBufferedBytes < oneFrame) {
    SERVER_OPTIONS.check('maxBufferedBytes', filled.maxBufferedBytes, { min: oneFrame, unit: `bytes per process (one frame of --max-payload ${filled.maxPayload} and its header, at least)` });
  }
  return filled;
}
