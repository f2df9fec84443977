/**
 * The load plan: the one option table that feeds both `--help` and validation, its defaults, and
 * {@link resolveRunOptions}, which merges the defaults once and validates every field with a message
 * naming the flag, its value and the allowed range. The other commands' tables live in
 * command-options.ts and are re-exported here.
 */
import { availableParallelism } from 'node:os';
import { OptionTable, isOptionError, type TableGiven } from '@sockbench/options';
import { COMPUTE_DIGEST_BYTES, COMPUTE_ITERATIONS_BYTES, DEFAULT_PORT, HEADER_SIZE, MAX_PAYLOAD_LIMIT, MAX_UDP_DATAGRAM } from '@sockbench/protocol';
import { UsageError } from './errors.js';
import { DEFAULT_PERCENTILES, parsePercentiles } from './report/percentiles.js';
import { checkSlosApply } from './slo/evaluate.js';
import { parseSlos, type Slo } from './slo/parse.js';
import { DEFAULT_PACING, PACINGS, type Pacing } from './generator/pacing.js';
import { SOCKET_OPTIONS, resolveSocketPlan, type SocketArgs, type SocketPlan } from './socket-plan.js';

/** Transports the generator speaks: the sockbench protocol over TCP/UDP, or fixed-size raw echo. */
export const TRANSPORTS = ['tcp', 'udp', 'raw-tcp', 'raw-udp'] as const;
/** One of {@link TRANSPORTS}. */
export type Transport = (typeof TRANSPORTS)[number];

/** Request kinds: PING (empty), ECHO (`size` bytes), COMPUTE (`iterations` + `size` data bytes). */
export const OPS = ['ping', 'echo', 'compute'] as const;
/** One of {@link OPS}. */
export type Op = (typeof OPS)[number];

/** Smallest raw-udp message: its first 4 bytes carry the sequence number that matches replies, bytes. */
export const MIN_RAW_UDP_SIZE = 4;

/** Smallest COMPUTE data over UDP: the server never replies with more bytes than it got (32-byte digest). */
export const MIN_UDP_COMPUTE_DATA = COMPUTE_DIGEST_BYTES;

/**
 * What a run does, independent of where its output goes. Saved in every report, compared by `merge`.
 * Units: ms for times, bytes for `size`, req/s for `rate`.
 */
export interface LoadPlan {
  host: string;
  port: number;
  transport: Transport;
  /** Concurrent connections (UDP: sockets), over all generator threads. */
  connections: number;
  /** Generator worker threads (at most `connections`). */
  threads: number;
  op: Op;
  /** ECHO payload, COMPUTE data or raw message size, bytes (0 for PING). */
  size: number;
  /** COMPUTE iterations (0 for other ops). */
  iterations: number;
  /** Measured time, ms; null when the run is bounded by `requests`. */
  durationMs: number | null;
  /** Measured requests over all connections; null when bounded by `durationMs`. */
  requests: number | null;
  /** Load before measuring starts, not recorded, ms. */
  warmupMs: number;
  /** Closed loop: requests in flight per connection (null in open loop). */
  pipeline: number | null;
  /** Open loop: total intended rate over all connections, req/s (null in closed loop). */
  rate: number | null;
  /** Open loop: how a thread waits for send times (generator/pacing.ts); null in closed loop. */
  pacing: Pacing | null;
  /** A request with no reply after this long is a timeout (UDP: lost), ms. */
  timeoutMs: number;
  /**
   * `--bind`, `-4`/`-6`, `--sndbuf`/`--rcvbuf`, `--no-nodelay` (socket-plan.ts); added within
   * version 2: absent in older reports, which read as {@link DEFAULT_SOCKET_PLAN}.
   */
  socket?: SocketPlan;
}

/** Everything `run` needs: the plan plus the credentials and outputs that are not part of it. */
export interface RunOptions {
  plan: LoadPlan;
  /** HELLO token for servers started with `--token` (never written to reports). */
  token: string | null;
  /** Where the server's STATS is asked (tcp, udp: default the target's host and port); null for raw transports. */
  stats: { host: string; port: number } | null;
  /** JSON report path, `-` for stdout, or null. */
  json: string | null;
  /** HdrHistogram log path, or null. */
  hdrLog: string | null;
  /** HTML report path, or null. */
  html: string | null;
  /** No per-interval lines (errors and the final table still go to stderr). */
  quiet: boolean;
  /** One JSON object per line on stdout as the run goes (report/json-stream.ts); excludes `json: '-'`. */
  jsonStream: boolean;
  /** The table's latency percentiles, each in (0, 100], increasing. */
  percentiles: number[];
  /** The `--slo` objectives every run is judged by (`[]`: none); a failed one makes the CLI exit 4. */
  slo: Slo[];
}

/** Default `--size` of ECHO and raw messages, bytes. */
export const DEFAULT_ECHO_SIZE = 64;

/** Default `--size` of COMPUTE data, bytes: the smallest that also goes over UDP. */
export const DEFAULT_COMPUTE_SIZE = MIN_UDP_COMPUTE_DATA;

/**
 * The plan's flags, shared by `run` and `compare`, in `--help` order: the one table that feeds
 * `--help`, the defaults merged by {@link resolveRunOptions}, the validation and the README check.
 * Messages name the flag alone (`--connections must be an integer in 1..100000, got 0`).
 */
export const PLAN_OPTIONS = new OptionTable(
  [
    { key: 'host', flag: 'host', type: 'string', default: '127.0.0.1', expect: 'a host name or address', description: 'target host' },
    { key: 'port', flag: 'port', alias: 'p', type: 'integer', default: DEFAULT_PORT, min: 1, max: 65_535, description: "target port (the server's TCP/UDP port, or its raw port for raw-*)" },
    { key: 'serverHost', flag: 'server-host', type: 'string', defaultText: 'the --host', expect: 'a host name or address', description: "where the server's STATS is asked for its view of the run (its TCP port), when the load goes through a proxy or balancer" },
    { key: 'serverPort', flag: 'server-port', type: 'integer', defaultText: 'the --port', min: 1, max: 65_535, description: "the server's TCP port for STATS" },
    { key: 'transport', flag: 'transport', type: 'string', default: 'tcp', choices: TRANSPORTS, description: 'tcp | udp (sockbench protocol), raw-tcp | raw-udp (plain echo)' },
    { key: 'connections', flag: 'connections', alias: 'c', type: 'integer', default: 50, min: 1, max: 100_000, description: 'concurrent connections (UDP: sockets)' },
    { key: 'threads', flag: 'threads', alias: 't', type: 'integer', default: availableParallelism(), defaultText: 'available parallelism', min: 1, max: 256, description: 'generator worker threads (at most --connections)' },
    { key: 'op', flag: 'op', type: 'string', default: 'echo', choices: OPS, description: 'request: ping (empty), echo (--size bytes), compute (--iterations of SHA-256 over --size bytes)' },
    // The range depends on --transport and --op (maxSize/minSize): checked with those bounds, not here.
    { key: 'size', flag: 'size', alias: 's', type: 'integer', unit: 'bytes', defaultText: `${DEFAULT_ECHO_SIZE} (echo, raw), ${DEFAULT_COMPUTE_SIZE} (compute), 0 (ping), 1400 (stream)`, description: 'payload (stream: each message, its 12-byte frame header included, 28..65507)' },
    { key: 'iterations', flag: 'iterations', type: 'integer', default: 1000, min: 1, max: 0xffff_ffff, description: 'COMPUTE iterations (op compute only)' },
    { key: 'duration', flag: 'duration', alias: 'd', type: 'duration', default: '10s', min: 1, max: 86_400_000, description: 'measured time, e.g. 10s, 500ms, 2m (a bare number is seconds); excludes --requests' },
    { key: 'requests', flag: 'requests', alias: 'n', type: 'integer', min: 1, max: Number.MAX_SAFE_INTEGER, description: 'measured requests over all connections; excludes --duration' },
    { key: 'warmup', flag: 'warmup', type: 'duration', default: '1s', min: 0, max: 3_600_000, description: 'load before measuring, not recorded (e.g. 1s, 0)' },
    { key: 'pipeline', flag: 'pipeline', alias: 'k', type: 'integer', default: 1, min: 1, max: 65_536, description: 'closed loop: requests in flight per connection; excludes --rate' },
    { key: 'rate', flag: 'rate', alias: 'R', type: 'number', unit: 'req/s', min: 1, max: 10_000_000, description: 'open loop: total intended rate, spread over connections on phase-shifted schedules; latency counted from the scheduled send time' },
    {
      key: 'pacing',
      flag: 'pacing',
      type: 'string',
      choices: PACINGS,
      defaultText: `${DEFAULT_PACING} (with --rate)`,
      description: 'open loop: how a thread waits for its next send: spin (µs slip; busy-waits, a core per thread from ~1,000 req/s per thread) | timer (1 ms timers: up to ~1 ms slip, counted in latency; little CPU, for a generator sharing its host)',
    },
    { key: 'timeout', flag: 'timeout', type: 'integer', unit: 'ms', default: 1000, min: 1, max: 600_000, description: 'ms without a reply before a request counts as a timeout (UDP: lost)' },
    { key: 'token', flag: 'token', type: 'string', expect: 'a non-empty string', description: 'HELLO token for a server started with --token (tcp: every connection; udp: the STATS connection; never written to reports)' },
  ],
  'flag',
);

/** Output flags of `run`, `compare` (all) and `merge` / `report` (some). */
export const OUTPUT_OPTIONS = new OptionTable(
  [
    { key: 'json', flag: 'json', type: 'string', unit: 'file', expect: 'a file name', description: 'write the JSON report to FILE; "-" prints only JSON on stdout' },
    { key: 'hdrLog', flag: 'hdr-log', type: 'string', unit: 'file', expect: 'a file name', description: 'write an HdrHistogram interval log (µs, one line a second) to FILE' },
    { key: 'html', flag: 'html', type: 'string', unit: 'file', expect: 'a file name', description: 'write a self-contained HTML report (charts inline, no network) to FILE' },
    { key: 'quiet', flag: 'quiet', alias: 'q', type: 'boolean', default: false, description: 'no per-second lines on stderr' },
    { key: 'jsonStream', flag: 'json-stream', type: 'boolean', default: false, description: 'one JSON object per line on stdout as the run goes: start, one interval a second, end (the run\'s summary), done; not with --json -' },
    { key: 'percentiles', flag: 'percentiles', type: 'string', default: DEFAULT_PERCENTILES, expect: 'a list such as 50,90,99,99.9', description: 'latency percentiles the table shows, comma-separated, each in (0,100], increasing (the JSON keeps its full summary and the histogram)' },
  ],
  'flag',
);

/**
 * `--slo`, on its own because it is the one flag that may be repeated (yargs collects the values
 * into an array; {@link parseSlos} reads either form). `sweep` shares it.
 */
export const SLO_OPTIONS = new OptionTable(
  [
    {
      key: 'slo',
      flag: 'slo',
      type: 'string',
      expect: 'an expression such as p99<5ms',
      description: 'a service-level objective, repeatable: p99<5ms, p99.9<=20ms, loss<1%, errors==0, rate>=95% (open loop), throughput>=500Mbit/s (payload); any failed one exits 4',
    },
  ],
  'flag',
);

export { AGENT_OPTIONS, COMPARE_MODES, COMPARE_OPTIONS, DEFAULT_SWEEP_SLOS, DISTRIBUTE_OPTIONS, MERGE_OPTIONS, SWEEP_OPTIONS } from './command-options.js';

/** The raw flag values as the CLI parsed them, by key (every field may be missing or malformed). */
export type RunArgs = TableGiven<typeof PLAN_OPTIONS> & TableGiven<typeof OUTPUT_OPTIONS> & TableGiven<typeof SLO_OPTIONS> & SocketArgs;

export { SOCKET_OPTIONS };

/**
 * The largest `--size` a transport and op can carry, bytes: TCP is bounded by the protocol's 16 MiB
 * frame limit (the server's own limit, 1 MiB by default, is checked against its WELCOME); UDP by one
 * IPv4 datagram holding the 12-byte header and the payload.
 */
export function maxSize(transport: Transport, op: Op): number {
  const opBytes = op === 'compute' ? COMPUTE_ITERATIONS_BYTES : 0;
  switch (transport) {
    case 'tcp':
      return MAX_PAYLOAD_LIMIT - opBytes;
    case 'udp':
      return MAX_UDP_DATAGRAM - HEADER_SIZE - opBytes;
    case 'raw-tcp':
      return MAX_PAYLOAD_LIMIT;
    case 'raw-udp':
      return MAX_UDP_DATAGRAM;
  }
}

/** The smallest `--size` for a transport and op, bytes. */
export function minSize(transport: Transport, op: Op): number {
  if (transport === 'raw-udp') return MIN_RAW_UDP_SIZE;
  if (transport === 'raw-tcp') return 1;
  if (transport === 'udp' && op === 'compute') return MIN_UDP_COMPUTE_DATA;
  return 0;
}

/**
 * Merges the defaults into parsed flags and validates every field (the tables above).
 * @throws UsageError (one line, naming the flag, its value and the allowed range) on a bad or
 *   conflicting flag: `--pipeline` with `--rate`, `--duration` with `--requests`, a size the
 *   transport cannot carry, a non-echo op on a raw transport, `--token` over UDP, `--json -` with
 *   `--json-stream`, a bad `--percentiles` list, a bad `--slo` expression or `rate` in closed loop,
 *   a bad or conflicting socket flag (socket-plan.ts). `context.mixed`: compare's runs share flags,
 *   so `--no-nodelay` is not refused on its UDP runs.
 */
export function resolveRunOptions(args: RunArgs, context: { mixed?: boolean } = {}): RunOptions {
  try {
    return resolve(args, context);
  } catch (err) {
    // The CLI's usage status (2) and the library's one error type for a bad plan.
    if (isOptionError(err)) throw new UsageError(err.message);
    throw err;
  }
}

function resolve(args: RunArgs, context: { mixed?: boolean }): RunOptions {
  // A flag given twice is reported before any conflict it may take part in.
  PLAN_OPTIONS.refuseRepeats(args);
  OUTPUT_OPTIONS.refuseRepeats(args);
  if (args.pipeline !== undefined && args.rate !== undefined) {
    throw new UsageError('--pipeline (closed loop) and --rate (open loop) cannot be used together');
  }
  if (args.pacing !== undefined && args.rate === undefined) {
    throw new UsageError(`--pacing paces the open loop: it needs --rate (got --pacing ${String(args.pacing)} without it)`);
  }
  if (args.requests !== undefined && args.duration !== undefined) {
    throw new UsageError('--duration and --requests cannot be used together');
  }
  const P = PLAN_OPTIONS;
  const host = P.take('host', args.host);
  const port = P.take('port', args.port);
  const transport = P.take('transport', args.transport);
  const connections = P.take('connections', args.connections);
  const threads = Math.min(P.take('threads', args.threads), connections);
  const op = P.take('op', args.op);
  if (transport.startsWith('raw-') && op !== 'echo') {
    throw new UsageError(`--op ${op} needs the sockbench protocol; --transport ${transport} only echoes bytes (use --op echo)`);
  }
  let size: number;
  if (op === 'ping') {
    if (args.size !== undefined && args.size !== 0) throw new UsageError(`--size does not apply to --op ping (PING has an empty payload), got ${String(args.size)}`);
    size = 0;
  } else {
    const bounds = { min: minSize(transport, op), max: maxSize(transport, op), unit: `bytes for --transport ${transport} --op ${op}` };
    size = P.take('size', args.size ?? (op === 'compute' ? DEFAULT_COMPUTE_SIZE : DEFAULT_ECHO_SIZE), bounds)!;
  }
  const iterations = op === 'compute' ? P.take('iterations', args.iterations) : 0;
  const requests = args.requests !== undefined ? P.take('requests', args.requests)! : null;
  const durationMs = requests === null ? P.take('duration', args.duration) : null;
  const warmupMs = P.take('warmup', args.warmup);
  const rate = args.rate !== undefined ? P.take('rate', args.rate)! : null;
  const pipeline = rate === null ? P.take('pipeline', args.pipeline) : null;
  const pacing = rate !== null ? P.take('pacing', args.pacing ?? DEFAULT_PACING)! : null;
  const timeoutMs = P.take('timeout', args.timeout);
  const token = P.take('token', args.token) ?? null;
  const raw = transport === 'raw-tcp' || transport === 'raw-udp';
  if (token !== null && raw) throw new UsageError(`--token is for sockbench servers; --transport ${transport} talks to a plain echo server`);
  const serverHost = P.take('serverHost', args.serverHost);
  const serverPort = P.take('serverPort', args.serverPort);
  if (raw && (serverHost !== undefined || serverPort !== undefined)) {
    throw new UsageError(`--server-host and --server-port ask a sockbench server's STATS; --transport ${transport} talks to a plain echo server, which has none`);
  }
  const out = OUTPUT_OPTIONS.fill(args);
  if (out.json === '-' && out.jsonStream) throw new UsageError('--json - and --json-stream both write to stdout: give --json a file name');
  const socket = resolveSocketPlan(args, { host, transport, sockets: connections, ...context });
  const plan: LoadPlan = { host, port, transport, connections, threads, op, size, iterations, durationMs, requests, warmupMs, pipeline, rate, pacing, timeoutMs, socket };
  const slo = parseSlos(args.slo);
  checkSlosApply(slo, plan);
  return {
    plan,
    token,
    stats: raw ? null : { host: serverHost ?? host, port: serverPort ?? port },
    json: out.json ?? null,
    hdrLog: out.hdrLog ?? null,
    html: out.html ?? null,
    quiet: out.quiet,
    jsonStream: out.jsonStream,
    percentiles: parsePercentiles(out.percentiles),
    slo,
  };
}

/** The per-connection share of a total: connection `i` of `n` gets `floor((i+1)t/n) − floor(it/n)`. */
export function shareOf(total: number, i: number, n: number): number {
  return Math.floor(((i + 1) * total) / n) - Math.floor((i * total) / n);
}

/** The connection indices `[start, end)` that generator thread `t` of `threads` owns. */
export function threadConnections(connections: number, t: number, threads: number): [number, number] {
  return [Math.floor((t * connections) / threads), Math.floor(((t + 1) * connections) / threads)];
}
