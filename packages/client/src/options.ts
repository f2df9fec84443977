/**
 * Options of {@link connect}: one table (`@sockbench/options`) holds each option's default, unit,
 * range and help text; the library merges and validates from it once, the CLI builds its `--help`
 * from the same rows, and a test checks the README against them.
 */
import { OptionRangeError, OptionTable } from '@sockbench/options';
import { DEFAULT_CONNECT_TIMEOUT_MS, DEFAULT_MAX_PAYLOAD, DEFAULT_PORT, MAX_PAYLOAD_LIMIT } from '@sockbench/protocol';

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
  /** Time allowed to connect and get the WELCOME, ms. Default `DEFAULT_CONNECT_TIMEOUT_MS` (5000). */
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

/** Default per-request timeout, ms. */
export const DEFAULT_TIMEOUT_MS = 5000;

/**
 * Every connection option, in `--help` order: the table `connect()` fills and validates with and the
 * CLI builds `--help` from. `transport` has no flag of its own (the CLI's `--udp` switch).
 */
export const CONNECT_OPTIONS = new OptionTable(
  [
    { key: 'host', flag: 'host', type: 'string', default: '127.0.0.1', expect: 'a non-empty host name or address', description: 'server host name or IP address' },
    { key: 'port', flag: 'port', alias: 'p', type: 'integer', default: DEFAULT_PORT, min: 1, max: 65535, description: 'server port (TCP and UDP share it)' },
    { key: 'transport', flag: 'transport', type: 'string', default: 'tcp', choices: ['tcp', 'udp'], cli: false, description: 'tcp or udp (UDP serves PING, ECHO and COMPUTE only)' },
    { key: 'token', flag: 'token', type: 'string', description: 'shared secret sent in HELLO (env SOCKBENCH_TOKEN); TCP only' },
    { key: 'name', flag: 'name', type: 'string', description: 'name sent in HELLO, shown to other room members; TCP only' },
    { key: 'timeoutMs', flag: 'timeout', type: 'integer', unit: 'ms', default: DEFAULT_TIMEOUT_MS, min: 0, max: 3_600_000, description: 'per-request timeout; 0 waits forever (TCP only)' },
    { key: 'connectTimeoutMs', flag: 'connect-timeout', type: 'integer', unit: 'ms', default: DEFAULT_CONNECT_TIMEOUT_MS, min: 1, max: 3_600_000, description: 'time allowed to connect and receive the WELCOME' },
    { key: 'maxPayload', flag: 'max-payload', type: 'integer', unit: 'bytes', default: DEFAULT_MAX_PAYLOAD, min: 0, max: MAX_PAYLOAD_LIMIT, description: 'largest reply payload accepted' },
  ],
  'option',
);

/**
 * Merges the defaults into `options` once and validates every field ({@link CONNECT_OPTIONS}).
 * @throws OptionTypeError (a TypeError) / OptionRangeError (a RangeError) naming the option, its value
 *   and the allowed range; a UDP `timeoutMs` of 0 is refused (a lost datagram would wait forever)
 */
export function fillConnectOptions(options: ConnectOptions = {}): FilledConnectOptions {
  const filled = CONNECT_OPTIONS.fill(options);
  if (filled.transport === 'udp' && filled.timeoutMs === 0) {
    // Without a timeout a lost datagram would leave its promise pending forever.
    throw new OptionRangeError('options.timeoutMs (--timeout) must be an integer in 1..3600000 ms over UDP, got 0', 'timeoutMs', 'timeout', 0);
  }
  return filled;
}
