/**
 * The load plan: the one option table that feeds both `--help` and validation, its defaults, and
 * {@link resolveRunOptions}, which merges the defaults once and validates every field with a message
 * naming the flag, its value and the allowed range.
 */
import { availableParallelism } from 'node:os';
import { DEFAULT_PORT } from '@sockbench/client';
import { COMPUTE_ITERATIONS_BYTES, HEADER_SIZE, MAX_PAYLOAD_LIMIT } from '@sockbench/protocol';
import { UsageError } from './errors.js';

/** Transports the generator speaks: the sockbench protocol over TCP/UDP, or fixed-size raw echo. */
export const TRANSPORTS = ['tcp', 'udp', 'raw-tcp', 'raw-udp'] as const;
/** One of {@link TRANSPORTS}. */
export type Transport = (typeof TRANSPORTS)[number];

/** Request kinds: PING (empty), ECHO (`size` bytes), COMPUTE (`iterations` + `size` data bytes). */
export const OPS = ['ping', 'echo', 'compute'] as const;
/** One of {@link OPS}. */
export type Op = (typeof OPS)[number];

/** Largest UDP payload over IPv4 (65535 − 20-byte IP header − 8-byte UDP header), bytes. */
export const MAX_UDP_DATAGRAM = 65_507;

/** Smallest raw-udp message: its first 4 bytes carry the sequence number that matches replies, bytes. */
export const MIN_RAW_UDP_SIZE = 4;

/** Smallest COMPUTE data over UDP: the server never replies with more bytes than it got (32-byte digest). */
export const MIN_UDP_COMPUTE_DATA = 32;

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
  /** A request with no reply after this long is a timeout (UDP: lost), ms. */
  timeoutMs: number;
}

/** Everything `run` needs: the plan plus the credentials and outputs that are not part of it. */
export interface RunOptions {
  plan: LoadPlan;
  /** HELLO token for servers started with `--token` (never written to reports). */
  token: string | null;
  /** JSON report path, `-` for stdout, or null. */
  json: string | null;
  /** HdrHistogram log path, or null. */
  hdrLog: string | null;
  /** HTML report path, or null. */
  html: string | null;
  /** No per-interval lines (errors and the final table still go to stderr). */
  quiet: boolean;
}

/** Defaults merged by {@link resolveRunOptions}; the same values are printed by `--help`. */
export const DEFAULTS = {
  host: '127.0.0.1',
  port: DEFAULT_PORT,
  transport: 'tcp' as Transport,
  connections: 50,
  threads: availableParallelism(),
  op: 'echo' as Op,
  echoSize: 64,
  computeSize: 32,
  iterations: 1000,
  duration: '10s',
  warmup: '1s',
  pipeline: 1,
  timeoutMs: 1000,
} as const;

/** Ranges checked by {@link resolveRunOptions}. */
export const LIMITS = {
  port: [1, 65_535],
  connections: [1, 100_000],
  threads: [1, 256],
  iterations: [1, 0xffff_ffff],
  pipeline: [1, 65_536],
  rate: [1, 10_000_000],
  timeoutMs: [1, 600_000],
  requests: [1, Number.MAX_SAFE_INTEGER],
  durationMs: [1, 86_400_000],
  warmupMs: [0, 3_600_000],
} as const;

/** One flag of the table: its yargs type, help text (with units) and default as shown by `--help`. */
export interface OptionSpec {
  type: 'string' | 'number' | 'boolean';
  describe: string;
  default?: string | number | boolean;
  choices?: readonly string[];
  alias?: string;
  requiresArg?: boolean;
}

/** The plan's flags, shared by `run` and `compare`; `--help` is generated from this table. */
export const PLAN_OPTIONS = {
  host: { type: 'string', describe: 'target host', default: DEFAULTS.host, requiresArg: true },
  port: { type: 'number', alias: 'p', describe: 'target port (the server\'s TCP/UDP port, or its raw port for raw-*)', default: DEFAULTS.port, requiresArg: true },
  transport: { type: 'string', describe: 'tcp | udp (sockbench protocol), raw-tcp | raw-udp (plain echo)', default: DEFAULTS.transport, choices: TRANSPORTS, requiresArg: true },
  connections: { type: 'number', alias: 'c', describe: `concurrent connections (UDP: sockets), ${LIMITS.connections[0]}..${LIMITS.connections[1]}`, default: DEFAULTS.connections, requiresArg: true },
  threads: { type: 'number', alias: 't', describe: 'generator worker threads (at most --connections)', default: DEFAULTS.threads, requiresArg: true },
  op: { type: 'string', describe: 'request: ping (empty), echo (--size bytes), compute (--iterations of SHA-256 over --size bytes)', default: DEFAULTS.op, choices: OPS, requiresArg: true },
  size: { type: 'number', alias: 's', describe: `payload bytes [default: ${DEFAULTS.echoSize} for echo and raw-*, ${DEFAULTS.computeSize} for compute, 0 for ping]`, requiresArg: true },
  iterations: { type: 'number', describe: 'COMPUTE iterations (op compute only)', default: DEFAULTS.iterations, requiresArg: true },
  duration: { type: 'string', alias: 'd', describe: `measured time, e.g. 10s, 500ms, 2m (a bare number is seconds) [default: ${DEFAULTS.duration}]; excludes --requests`, requiresArg: true },
  requests: { type: 'number', alias: 'n', describe: 'measured requests over all connections; excludes --duration', requiresArg: true },
  warmup: { type: 'string', describe: 'load before measuring, not recorded (e.g. 1s, 0)', default: DEFAULTS.warmup, requiresArg: true },
  pipeline: { type: 'number', alias: 'k', describe: `closed loop: requests in flight per connection [default: ${DEFAULTS.pipeline}]; excludes --rate`, requiresArg: true },
  rate: { type: 'number', alias: 'R', describe: 'open loop: total intended rate, req/s, spread over connections on phase-shifted schedules; latency counted from the scheduled send time', requiresArg: true },
  timeout: { type: 'number', describe: 'ms without a reply before a request counts as a timeout (UDP: lost)', default: DEFAULTS.timeoutMs, requiresArg: true },
  token: { type: 'string', describe: 'HELLO token for a server started with --token (tcp only; never written to reports)', requiresArg: true },
} as const satisfies Record<string, OptionSpec>;

/** Output flags of `run`, `compare` and `report`. */
export const OUTPUT_OPTIONS = {
  json: { type: 'string', describe: 'write the JSON report to FILE; "-" prints only JSON on stdout', requiresArg: true },
  'hdr-log': { type: 'string', describe: 'write an HdrHistogram interval log (µs, one line a second) to FILE', requiresArg: true },
  html: { type: 'string', describe: 'write a self-contained HTML report (charts inline, no network) to FILE', requiresArg: true },
  quiet: { type: 'boolean', alias: 'q', describe: 'no per-second lines on stderr', default: false },
} as const satisfies Record<string, OptionSpec>;

/** The raw flag values as the CLI parsed them (every field may be missing or malformed). */
export interface RunArgs {
  host?: unknown;
  port?: unknown;
  transport?: unknown;
  connections?: unknown;
  threads?: unknown;
  op?: unknown;
  size?: unknown;
  iterations?: unknown;
  duration?: unknown;
  requests?: unknown;
  warmup?: unknown;
  pipeline?: unknown;
  rate?: unknown;
  timeout?: unknown;
  token?: unknown;
  json?: unknown;
  hdrLog?: unknown;
  html?: unknown;
  quiet?: unknown;
}

/**
 * Parses a duration: `10s`, `500ms`, `2m`, `1.5s`, or a bare number of seconds.
 * @returns milliseconds (rounded to an integer)
 * @throws UsageError naming `flag` when the text is not a duration
 */
export function parseDuration(text: unknown, flag: string): number {
  const s = typeof text === 'number' ? String(text) : typeof text === 'string' ? text.trim() : '';
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(s);
  if (!m) throw new UsageError(`--${flag} must be a duration like 10s, 500ms or 2m, got ${JSON.stringify(text)}`);
  const n = Number(m[1]);
  const unit = m[2] ?? 's';
  const scale = unit === 'ms' ? 1 : unit === 's' ? 1000 : unit === 'm' ? 60_000 : 3_600_000;
  return Math.round(n * scale);
}

/** Formats ms back into the shortest duration text (`10000` → `10s`). */
export function formatDuration(ms: number): string {
  if (ms % 60_000 === 0 && ms >= 60_000) return `${ms / 60_000}m`;
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}

function intIn(value: unknown, flag: string, [lo, hi]: readonly [number, number], unit = ''): number {
  const u = unit ? ` ${unit}` : '';
  if (typeof value !== 'number' || !Number.isInteger(value) || value < lo || value > hi) {
    throw new UsageError(`--${flag} must be an integer in ${lo}..${hi}${u}, got ${String(value)}`);
  }
  return value;
}

function oneOf<T extends string>(value: unknown, flag: string, allowed: readonly T[]): T {
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    throw new UsageError(`--${flag} must be one of ${allowed.join(', ')}, got ${String(value)}`);
  }
  return value as T;
}

function optionalPath(value: unknown, flag: string): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string' || value === '') throw new UsageError(`--${flag} needs a file name, got ${JSON.stringify(value)}`);
  return value;
}

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
 * Merges the defaults into parsed flags and validates every field.
 * @throws UsageError (one line, naming the flag, its value and the allowed range) on a bad or
 *   conflicting flag: `--pipeline` with `--rate`, `--duration` with `--requests`, a size the
 *   transport cannot carry, a non-echo op on a raw transport, `--token` over UDP.
 */
export function resolveRunOptions(args: RunArgs): RunOptions {
  for (const [key, value] of Object.entries(args)) {
    if (Array.isArray(value)) throw new UsageError(`--${key === 'hdrLog' ? 'hdr-log' : key} was given more than once (${value.map(String).join(', ')})`);
  }
  if (args.pipeline !== undefined && args.rate !== undefined) {
    throw new UsageError('--pipeline (closed loop) and --rate (open loop) cannot be used together');
  }
  if (args.requests !== undefined && args.duration !== undefined) {
    throw new UsageError('--duration and --requests cannot be used together');
  }
  const host = args.host ?? DEFAULTS.host;
  if (typeof host !== 'string' || host === '') throw new UsageError(`--host must be a host name or address, got ${JSON.stringify(host)}`);
  const port = intIn(args.port ?? DEFAULTS.port, 'port', LIMITS.port);
  const transport = oneOf(args.transport ?? DEFAULTS.transport, 'transport', TRANSPORTS);
  const connections = intIn(args.connections ?? DEFAULTS.connections, 'connections', LIMITS.connections);
  const threads = Math.min(intIn(args.threads ?? DEFAULTS.threads, 'threads', LIMITS.threads), connections);
  const op = oneOf(args.op ?? DEFAULTS.op, 'op', OPS);
  if (transport.startsWith('raw-') && op !== 'echo') {
    throw new UsageError(`--op ${op} needs the sockbench protocol; --transport ${transport} only echoes bytes (use --op echo)`);
  }
  let size: number;
  if (op === 'ping') {
    if (args.size !== undefined && args.size !== 0) throw new UsageError(`--size does not apply to --op ping (PING has an empty payload), got ${String(args.size)}`);
    size = 0;
  } else {
    const lo = minSize(transport, op);
    const hi = maxSize(transport, op);
    size = intIn(args.size ?? (op === 'compute' ? DEFAULTS.computeSize : DEFAULTS.echoSize), 'size', [lo, hi], `bytes for --transport ${transport} --op ${op}`);
  }
  let iterations = 0;
  if (op === 'compute') iterations = intIn(args.iterations ?? DEFAULTS.iterations, 'iterations', LIMITS.iterations);
  let durationMs: number | null = null;
  let requests: number | null = null;
  if (args.requests !== undefined) {
    requests = intIn(args.requests, 'requests', LIMITS.requests);
  } else {
    durationMs = intIn(parseDuration(args.duration ?? DEFAULTS.duration, 'duration'), 'duration', LIMITS.durationMs, 'ms');
  }
  const warmupMs = intIn(parseDuration(args.warmup ?? DEFAULTS.warmup, 'warmup'), 'warmup', LIMITS.warmupMs, 'ms');
  let pipeline: number | null = null;
  let rate: number | null = null;
  if (args.rate !== undefined) {
    if (typeof args.rate !== 'number' || !Number.isFinite(args.rate) || args.rate < LIMITS.rate[0] || args.rate > LIMITS.rate[1]) {
      throw new UsageError(`--rate must be a number in ${LIMITS.rate[0]}..${LIMITS.rate[1]} req/s, got ${String(args.rate)}`);
    }
    rate = args.rate;
  } else {
    pipeline = intIn(args.pipeline ?? DEFAULTS.pipeline, 'pipeline', LIMITS.pipeline);
  }
  const timeoutMs = intIn(args.timeout ?? DEFAULTS.timeoutMs, 'timeout', LIMITS.timeoutMs, 'ms');
  let token: string | null = null;
  if (args.token !== undefined) {
    if (typeof args.token !== 'string' || args.token === '') throw new UsageError('--token must be a non-empty string');
    if (transport !== 'tcp') throw new UsageError(`--token guards TCP only; it does not apply to --transport ${transport}`);
    token = args.token;
  }
  return {
    plan: { host, port, transport, connections, threads, op, size, iterations, durationMs, requests, warmupMs, pipeline, rate, timeoutMs },
    token,
    json: optionalPath(args.json, 'json'),
    hdrLog: optionalPath(args.hdrLog, 'hdr-log'),
    html: optionalPath(args.html, 'html'),
    quiet: args.quiet === true,
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
