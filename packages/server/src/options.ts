/**
 * Options of the server: one table that holds every option's CLI flag, unit, default and allowed
 * range. `fillOptions` merges the defaults once and validates; the CLI builds `--help` and its
 * parser from the same table, so the three never drift (STYLE.md item 3).
 */
import { availableParallelism } from 'node:os';
import { DEFAULT_MAX_ITERATIONS, DEFAULT_MAX_PAYLOAD, MAX_PAYLOAD_LIMIT } from '@sockbench/protocol';
import type { Logger } from 'pino';
import { RAW_MODE_NAMES, type RawModeName } from './raw/modes.js';

/** How requests reach their handler: on the event loop, or every request through the thread pool. */
export type DispatchMode = 'inline' | 'pool';

/** Options of {@link createServer} (one process). Every field is optional; see {@link OPTION_TABLE}. */
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
  /** Requests that may wait for a pool thread beyond those running; past it, BUSY. Default 1024. */
  poolQueue?: number;
  /** `inline` (default) runs PING/ECHO on the event loop; `pool` sends them through the threads too. */
  dispatch?: DispatchMode;
  /** Open TCP connections per process; past it a new connection gets BUSY (id 0) and is closed. Default 10000. */
  maxConnections?: number;
  /** Largest request payload, bytes. Default 1 MiB, at most 16 MiB. */
  maxPayload?: number;
  /** A TCP connection that completes no frame for this long is closed, ms; 0 = never. Default 300000. */
  idleTimeoutMs?: number;
  /** COMPUTE iteration cap. Default 100000. */
  maxIterations?: number;
  /** On close/SIGTERM, how long requests already received may take before connections are cut, ms. Default 10000. */
  drainTimeoutMs?: number;
  /** Shared secret: the first TCP request must be a HELLO carrying it. Default none. */
  token?: string;
  /** Serve UDP although a token is set (UDP carries no token). Default false. */
  udpWithToken?: boolean;
  /** Port for Prometheus `/metrics` and `/healthz` (HTTP); undefined = none. Default undefined. */
  metricsPort?: number;
  /**
   * Receive buffer (SO_RCVBUF) asked for the framed UDP socket, bytes; undefined = the OS default.
   * Linux caps it at `net.core.rmem_max` and reports twice what it grants (socket(7)).
   */
  udpRecvBuffer?: number;
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
  maxConnections: number;
  maxPayload: number;
  idleTimeoutMs: number;
  maxIterations: number;
  drainTimeoutMs: number;
  token: string | undefined;
  udpWithToken: boolean;
  metricsPort: number | undefined;
  udpRecvBuffer: number | undefined;
}

/** Default TCP/UDP port of the framed protocol. */
export const DEFAULT_PORT = 7878;

/** One row of {@link OPTION_TABLE}. */
export interface OptionSpec {
  /** Key in {@link ServerOptions} (camelCase of the flag). */
  key: keyof FilledOptions | 'workers';
  /** The CLI flag, without dashes. */
  flag: string;
  type: 'number' | 'string' | 'boolean';
  /** Unit shown in `--help` (bytes, ms, …); '' when none. */
  unit: string;
  describe: string;
  /** Default; undefined means "off". */
  default: number | string | boolean | undefined;
  /** How `--help` shows the default when the value alone would mislead (e.g. machine-dependent). */
  defaultText?: string;
  /** Inclusive integer range for numbers. */
  min?: number;
  max?: number;
  choices?: readonly string[];
}

/** Every option of the server, in `--help` order. `workers` is CLI-only (the cluster). */
export const OPTION_TABLE: readonly OptionSpec[] = [
  { key: 'host', flag: 'host', type: 'string', unit: '', default: '127.0.0.1', describe: 'address to bind (TCP, UDP, raw echo); non-loopback serves the network' },
  { key: 'port', flag: 'port', type: 'number', unit: '', default: DEFAULT_PORT, min: 0, max: 65535, describe: 'TCP port of the framed protocol; UDP uses the same number; 0 picks a free one' },
  { key: 'rawPort', flag: 'raw-port', type: 'number', unit: '', default: undefined, min: 0, max: 65535, describe: 'raw echo port, TCP and UDP (bytes back unchanged); off when unset' },
  { key: 'rawMode', flag: 'raw-mode', type: 'string', unit: '', default: 'echo', choices: RAW_MODE_NAMES, describe: "raw port replies: echo (bytes back unchanged) or sockperf (answer sockperf's client as its server does: messages asking for a reply, CLIENT flag cleared)" },
  { key: 'workers', flag: 'workers', type: 'number', unit: 'processes', default: availableParallelism(), defaultText: `available parallelism (${availableParallelism()} here)`, min: 0, max: 1024, describe: 'cluster worker processes sharing the ports; 0 runs everything in one process' },
  { key: 'threads', flag: 'threads', type: 'number', unit: 'threads per process', default: 2, min: 1, max: 256, describe: 'worker threads of the COMPUTE pool (piscina)' },
  { key: 'poolQueue', flag: 'pool-queue', type: 'number', unit: 'requests per process', default: 1024, min: 0, max: 1_000_000, describe: 'requests that may wait for a pool thread; past it the reply is BUSY' },
  { key: 'dispatch', flag: 'dispatch', type: 'string', unit: '', default: 'inline', choices: ['inline', 'pool'], describe: 'inline: PING/ECHO on the event loop; pool: every request through the threads (measures the hand-off)' },
  { key: 'maxConnections', flag: 'max-connections', type: 'number', unit: 'connections per process', default: 10_000, min: 1, max: 1_000_000, describe: 'open TCP connections; past it a new one gets BUSY and is closed' },
  { key: 'maxPayload', flag: 'max-payload', type: 'number', unit: 'bytes', default: DEFAULT_MAX_PAYLOAD, min: 0, max: MAX_PAYLOAD_LIMIT, describe: 'largest request payload; a bigger header is FRAME_TOO_LARGE' },
  { key: 'idleTimeoutMs', flag: 'idle-timeout', type: 'number', unit: 'ms', default: 300_000, min: 0, max: 86_400_000, describe: 'close a TCP connection that completes no frame for this long; 0 = never' },
  { key: 'maxIterations', flag: 'max-iterations', type: 'number', unit: 'iterations', default: DEFAULT_MAX_ITERATIONS, min: 1, max: 0xffff_ffff, describe: 'COMPUTE cap on SHA-256 rounds; above it BAD_PAYLOAD' },
  { key: 'drainTimeoutMs', flag: 'drain-timeout', type: 'number', unit: 'ms', default: 10_000, min: 0, max: 3_600_000, describe: 'on SIGINT/SIGTERM, time for requests already received to be answered before connections are cut' },
  { key: 'token', flag: 'token', type: 'string', unit: '', default: undefined, describe: 'shared secret: the first TCP request must be HELLO with it (env SOCKBENCH_TOKEN); off when unset' },
  { key: 'udpWithToken', flag: 'udp-with-token', type: 'boolean', unit: '', default: false, describe: 'serve UDP although --token is set (UDP carries no token)' },
  { key: 'metricsPort', flag: 'metrics-port', type: 'number', unit: '', default: undefined, min: 0, max: 65535, describe: 'HTTP port for Prometheus /metrics and /healthz; off when unset' },
  { key: 'udpRecvBuffer', flag: 'udp-recv-buffer', type: 'number', unit: 'bytes', default: undefined, min: 4096, max: 1 << 30, describe: 'SO_RCVBUF of the framed UDP socket: datagrams that arrive while it is full are lost; capped by net.core.rmem_max; OS default when unset' },
];

function spec(key: OptionSpec['key']): OptionSpec {
  const s = OPTION_TABLE.find((o) => o.key === key);
  if (!s) throw new Error(`no option ${key}`);
  return s;
}

/**
 * Checks one numeric option against its row of the table.
 * @throws TypeError when not an integer; RangeError when out of range (message names option, value, range)
 */
function checkInt(key: OptionSpec['key'], value: unknown): number {
  const s = spec(key);
  if (typeof value !== 'number' || !Number.isInteger(value)) {
    throw new TypeError(`options.${key} (--${s.flag}) must be an integer in ${s.min}..${s.max}${s.unit ? ` ${s.unit}` : ''}, got ${String(value)}`);
  }
  if ((s.min !== undefined && value < s.min) || (s.max !== undefined && value > s.max)) {
    throw new RangeError(`options.${key} (--${s.flag}) must be an integer in ${s.min}..${s.max}${s.unit ? ` ${s.unit}` : ''}, got ${value}`);
  }
  return value;
}

function pick<T>(value: T | undefined, key: keyof FilledOptions): T {
  return (value === undefined ? spec(key).default : value) as T;
}

/**
 * Merges defaults into `options` once and validates every field.
 * @throws TypeError / RangeError naming the option, its value and the allowed range
 */
export function fillOptions(options: ServerOptions = {}): FilledOptions {
  const host = pick(options.host, 'host');
  if (typeof host !== 'string' || host.length === 0) {
    throw new TypeError(`options.host (--host) must be a non-empty address, got ${String(host)}`);
  }
  const dispatch = pick(options.dispatch, 'dispatch');
  if (dispatch !== 'inline' && dispatch !== 'pool') {
    throw new RangeError(`options.dispatch (--dispatch) must be one of inline, pool, got ${String(dispatch)}`);
  }
  const rawModeName = pick(options.rawMode, 'rawMode');
  if (!(RAW_MODE_NAMES as readonly string[]).includes(rawModeName)) {
    throw new RangeError(`options.rawMode (--raw-mode) must be one of ${RAW_MODE_NAMES.join(', ')}, got ${String(rawModeName)}`);
  }
  const token = options.token;
  if (token !== undefined && (typeof token !== 'string' || token.length === 0)) {
    throw new TypeError('options.token (--token) must be a non-empty string when set');
  }
  return {
    host,
    port: checkInt('port', pick(options.port, 'port')),
    rawPort: options.rawPort === undefined ? undefined : checkInt('rawPort', options.rawPort),
    rawMode: rawModeName,
    threads: checkInt('threads', pick(options.threads, 'threads')),
    poolQueue: checkInt('poolQueue', pick(options.poolQueue, 'poolQueue')),
    dispatch,
    maxConnections: checkInt('maxConnections', pick(options.maxConnections, 'maxConnections')),
    maxPayload: checkInt('maxPayload', pick(options.maxPayload, 'maxPayload')),
    idleTimeoutMs: checkInt('idleTimeoutMs', pick(options.idleTimeoutMs, 'idleTimeoutMs')),
    maxIterations: checkInt('maxIterations', pick(options.maxIterations, 'maxIterations')),
    drainTimeoutMs: checkInt('drainTimeoutMs', pick(options.drainTimeoutMs, 'drainTimeoutMs')),
    token,
    udpWithToken: Boolean(pick(options.udpWithToken, 'udpWithToken')),
    metricsPort: options.metricsPort === undefined ? undefined : checkInt('metricsPort', options.metricsPort),
    udpRecvBuffer: options.udpRecvBuffer === undefined ? undefined : checkInt('udpRecvBuffer', options.udpRecvBuffer),
  };
}

/** Validates the CLI-only `workers` option. @throws TypeError / RangeError */
export function checkWorkers(value: unknown): number {
  return checkInt('workers', value);
}
