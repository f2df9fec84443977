/**
 * Options of {@link connect}: one table holds each option's default, unit, range and help text; the
 * library merges and validates from it once, and the CLI builds its `--help` from the same rows.
 */
import { DEFAULT_MAX_PAYLOAD, MAX_PAYLOAD_LIMIT } from '@sockbench/protocol';

/** Options of `connect()` as passed. */
export interface ConnectOptions {
  /** Server host name or IP. Default `127.0.0.1`. */
  host?: string;
  /** Server port (TCP and UDP share it). Default 7878, the server's default. */
  port?: number;
  /** Default `'tcp'`. */
  transport?: 'tcp' | 'udp';
  /** Shared secret for a server started with `--token` (sent in HELLO; TCP only). */
  token?: string;
  /** Name sent in HELLO; shown as `from` in other members' CHAT pushes (TCP only). */
  name?: string;
  /** Per-request timeout, ms; 0 = wait forever (TCP only; a UDP request needs one). Default 5000. */
  timeoutMs?: number;
  /** Time allowed to connect and get the WELCOME, ms. Default 5000. */
  connectTimeoutMs?: number;
  /** Largest reply payload accepted, bytes. Default 1 MiB (the server's default), at most 16 MiB. */
  maxPayload?: number;
}

/** {@link ConnectOptions} with every default merged and checked. */
export interface FilledConnectOptions {
  host: string;
  port: number;
  transport: 'tcp' | 'udp';
  token: string | undefined;
  name: string | undefined;
  timeoutMs: number;
  connectTimeoutMs: number;
  maxPayload: number;
}

/** Default server port, the same as the server's. */
export const DEFAULT_PORT = 7878;

/** Default per-request timeout, ms. */
export const DEFAULT_TIMEOUT_MS = 5000;

/** One row of {@link CONNECT_OPTION_TABLE}. */
export interface ConnectOptionSpec {
  key: keyof FilledConnectOptions;
  /** The CLI flag, without dashes. */
  flag: string;
  type: 'number' | 'string';
  /** Unit shown in `--help` (bytes, ms); '' when none. */
  unit: string;
  describe: string;
  /** Default; undefined means unset. */
  default: number | string | undefined;
  /** Inclusive integer range for numbers. */
  min?: number;
  max?: number;
  choices?: readonly string[];
}

/** Every connection option, in `--help` order. `transport` is the CLI's `--udp` switch. */
export const CONNECT_OPTION_TABLE: readonly ConnectOptionSpec[] = [
  { key: 'host', flag: 'host', type: 'string', unit: '', default: '127.0.0.1', describe: 'server host name or IP address' },
  { key: 'port', flag: 'port', type: 'number', unit: '', default: DEFAULT_PORT, min: 1, max: 65535, describe: 'server port (TCP and UDP share it)' },
  { key: 'transport', flag: 'transport', type: 'string', unit: '', default: 'tcp', choices: ['tcp', 'udp'], describe: 'tcp or udp (UDP serves PING, ECHO and COMPUTE only)' },
  { key: 'token', flag: 'token', type: 'string', unit: '', default: undefined, describe: 'shared secret sent in HELLO (env SOCKBENCH_TOKEN); TCP only' },
  { key: 'name', flag: 'name', type: 'string', unit: '', default: undefined, describe: 'name sent in HELLO, shown to other room members; TCP only' },
  { key: 'timeoutMs', flag: 'timeout', type: 'number', unit: 'ms', default: DEFAULT_TIMEOUT_MS, min: 0, max: 3_600_000, describe: 'per-request timeout; 0 waits forever (TCP only)' },
  { key: 'connectTimeoutMs', flag: 'connect-timeout', type: 'number', unit: 'ms', default: 5000, min: 1, max: 3_600_000, describe: 'time allowed to connect and receive the WELCOME' },
  { key: 'maxPayload', flag: 'max-payload', type: 'number', unit: 'bytes', default: DEFAULT_MAX_PAYLOAD, min: 0, max: MAX_PAYLOAD_LIMIT, describe: 'largest reply payload accepted' },
];

function spec(key: ConnectOptionSpec['key']): ConnectOptionSpec {
  const s = CONNECT_OPTION_TABLE.find((o) => o.key === key);
  if (!s) throw new Error(`no option ${key}`);
  return s;
}

/** @throws TypeError (not an integer) / RangeError (out of range), naming option, value and range */
function checkInt(key: ConnectOptionSpec['key'], value: unknown): number {
  const s = spec(key);
  const range = `an integer in ${s.min}..${s.max}${s.unit ? ` ${s.unit}` : ''}`;
  if (typeof value !== 'number' || !Number.isInteger(value)) {
    throw new TypeError(`options.${key} (--${s.flag}) must be ${range}, got ${String(value)}`);
  }
  if ((s.min !== undefined && value < s.min) || (s.max !== undefined && value > s.max)) {
    throw new RangeError(`options.${key} (--${s.flag}) must be ${range}, got ${value}`);
  }
  return value;
}

function optionalString(key: 'token' | 'name', value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value.length === 0) {
    throw new TypeError(`options.${key} (--${spec(key).flag}) must be a non-empty string when set, got ${String(value)}`);
  }
  return value;
}

/**
 * Merges the defaults into `options` once and validates every field.
 * @throws TypeError / RangeError with a message naming the option, its value and the allowed range
 */
export function fillConnectOptions(options: ConnectOptions = {}): FilledConnectOptions {
  const host = options.host ?? (spec('host').default as string);
  if (typeof host !== 'string' || host.length === 0) {
    throw new TypeError(`options.host (--host) must be a non-empty host name or address, got ${String(host)}`);
  }
  const transport = options.transport ?? 'tcp';
  if (transport !== 'tcp' && transport !== 'udp') {
    throw new RangeError(`options.transport must be one of tcp, udp, got ${String(transport)}`);
  }
  const filled: FilledConnectOptions = {
    host,
    port: checkInt('port', options.port ?? spec('port').default),
    transport,
    token: optionalString('token', options.token),
    name: optionalString('name', options.name),
    timeoutMs: checkInt('timeoutMs', options.timeoutMs ?? spec('timeoutMs').default),
    connectTimeoutMs: checkInt('connectTimeoutMs', options.connectTimeoutMs ?? spec('connectTimeoutMs').default),
    maxPayload: checkInt('maxPayload', options.maxPayload ?? spec('maxPayload').default),
  };
  if (transport === 'udp' && filled.timeoutMs === 0) {
    // Without a timeout a lost datagram would leave its promise pending forever.
    throw new RangeError('options.timeoutMs (--timeout) must be an integer in 1..3600000 ms over UDP, got 0');
  }
  return filled;
}
