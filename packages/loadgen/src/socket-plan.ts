/**
 * The socket options of a plan, the ones iperf3 users expect: `--bind ADDR[:PORT]` (iperf3 `-B`),
 * `-4`/`-6`, `--sndbuf`/`--rcvbuf` (iperf3 `-w`: SO_SNDBUF/SO_RCVBUF), `--no-nodelay` (iperf3 `-N`
 * is the opposite: sockbench keeps TCP_NODELAY on by default). Their table, their validation and the
 * {@link SocketPlan} the report records; `@sockbench/client`'s socket-options.ts applies them.
 *
 * Buffer sizes apply to UDP sockets only: Node has no way to set SO_SNDBUF/SO_RCVBUF on a TCP
 * `net.Socket`, so a TCP run that asks for them is refused with a usage error rather than run with
 * the OS default. What the kernel granted (Linux: twice the value asked, capped at
 * `net.core.wmem_max`/`rmem_max`) is read back per run (`RunReport.socketBuffers`).
 */
import { isIP } from 'node:net';
import { OptionTable, type TableGiven } from '@sockbench/options';
import type { SocketOptions } from '@sockbench/client';
import { UsageError } from './errors.js';

/** Largest `--sndbuf`/`--rcvbuf`, bytes (1 GiB; the kernel caps lower anyway). */
export const MAX_SOCKET_BUFFER = 1 << 30;
/** Smallest `--sndbuf`/`--rcvbuf`, bytes (Linux's own floor is 2048 for SO_SNDBUF after doubling). */
export const MIN_SOCKET_BUFFER = 1024;

/** The socket flags of `run`, `compare` and `stream`, in `--help` order. */
export const SOCKET_OPTIONS = new OptionTable(
  [
    { key: 'bind', flag: 'bind', type: 'string', unit: 'address', expect: 'ADDR, ADDR:PORT or [IPv6]:PORT', description: 'local address (and port) to send from, like iperf3 -B: an IP address of this host; a port only with one connection' },
    { key: 'ipv4', flag: 'ipv4', alias: '4', type: 'boolean', default: false, description: 'IPv4 only: resolve --host to an IPv4 address' },
    { key: 'ipv6', flag: 'ipv6', alias: '6', type: 'boolean', default: false, description: 'IPv6 only: resolve --host to an IPv6 address' },
    { key: 'sndbuf', flag: 'sndbuf', type: 'integer', unit: 'bytes', min: MIN_SOCKET_BUFFER, max: MAX_SOCKET_BUFFER, description: 'SO_SNDBUF to ask for (UDP only: Node cannot set it on TCP); the report gives what the kernel granted' },
    { key: 'rcvbuf', flag: 'rcvbuf', type: 'integer', unit: 'bytes', min: MIN_SOCKET_BUFFER, max: MAX_SOCKET_BUFFER, description: 'SO_RCVBUF to ask for (UDP only); the report gives what the kernel granted' },
    { key: 'nodelay', flag: 'nodelay', type: 'boolean', default: true, description: 'TCP_NODELAY (Nagle off) on TCP connections; --no-nodelay turns Nagle back on' },
  ],
  'flag',
);

/** The socket flags as parsed (each may be missing or malformed). */
export type SocketArgs = TableGiven<typeof SOCKET_OPTIONS>;

/** The socket options of a run, as its report records them (`plan.socket`). */
export interface SocketPlan {
  /** `--bind`: local address and port (0: ephemeral), or null (the OS picks by route). */
  bind: { address: string; port: number } | null;
  /** `-4` / `-6`, or null (the first address the host resolves to). */
  family: 4 | 6 | null;
  /** `--sndbuf` / `--rcvbuf` asked for, bytes, or null (the OS default). UDP only. */
  sndbuf: number | null;
  rcvbuf: number | null;
  /** TCP_NODELAY on TCP connections (default true; `--no-nodelay`: false). */
  noDelay: boolean;
}

/** The plan of a run that sets nothing: what reports written before these flags read as. */
export const DEFAULT_SOCKET_PLAN: SocketPlan = { bind: null, family: null, sndbuf: null, rcvbuf: null, noDelay: true };

/**
 * Parses `--bind`: `ADDR`, `ADDR:PORT` (IPv4), `[ADDR]:PORT` or a bare IPv6 address.
 * @throws UsageError naming the value when it is not an IP address or the port is not in 0..65535
 */
export function parseBind(text: string): { address: string; port: number } {
  let address = text;
  let port = 0;
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(text);
  const v4port = /^([^:]+):(\d+)$/.exec(text);
  if (bracketed) {
    address = bracketed[1]!;
    port = bracketed[2] === undefined ? 0 : Number(bracketed[2]);
  } else if (v4port) {
    address = v4port[1]!;
    port = Number(v4port[2]);
  }
  if (isIP(address) === 0) throw new UsageError(`--bind needs an IP address of this host (ADDR, ADDR:PORT or [IPv6]:PORT), got ${JSON.stringify(text)}`);
  if (bracketed && isIP(address) !== 6) throw new UsageError(`--bind: brackets are for IPv6 addresses, got ${JSON.stringify(text)}`);
  if (!Number.isInteger(port) || port > 65_535) throw new UsageError(`--bind port must be an integer in 0..65535, got ${JSON.stringify(text)}`);
  return { address, port };
}

function familyName(f: 4 | 6): string {
  return f === 4 ? 'IPv4' : 'IPv6';
}

/** What the socket flags are checked against. */
export interface SocketContext {
  host: string;
  /** The run's transport: `tcp`/`raw-tcp` refuse buffer sizes, `udp`/`raw-udp` refuse `--no-nodelay` (unless `compare`). */
  transport: string;
  /** Connections (or UDP sockets, or streams) that will each bind: a fixed `--bind` port needs 1. */
  sockets: number;
  /** compare runs TCP and UDP with the same flags: `--no-nodelay` then applies to the TCP runs only. */
  mixed?: boolean;
}

/**
 * Validates the socket flags against the run and returns its {@link SocketPlan}.
 * @throws UsageError: `-4` with `-6`; a bad `--bind`; a family that contradicts `--bind` or a literal
 *   `--host`; a fixed `--bind` port with several sockets; `--sndbuf`/`--rcvbuf` over TCP;
 *   `--no-nodelay` over UDP alone; an option error (range, type) of the table
 */
export function resolveSocketPlan(args: SocketArgs, ctx: SocketContext): SocketPlan {
  SOCKET_OPTIONS.refuseRepeats(args);
  const S = SOCKET_OPTIONS;
  const v4 = S.take('ipv4', args.ipv4);
  const v6 = S.take('ipv6', args.ipv6);
  if (v4 && v6) throw new UsageError('-4 (IPv4 only) and -6 (IPv6 only) cannot be used together');
  const family: 4 | 6 | null = v4 ? 4 : v6 ? 6 : null;
  const bindText = S.take('bind', args.bind);
  const bind = bindText === undefined ? null : parseBind(bindText);
  const hostFamily = isIP(ctx.host);
  if (bind !== null) {
    const bf = isIP(bind.address) as 4 | 6;
    if (family !== null && bf !== family) throw new UsageError(`--bind ${bindText} is ${familyName(bf)}, but ${family === 4 ? '-4' : '-6'} asks for ${familyName(family)}`);
    if (hostFamily !== 0 && hostFamily !== bf) throw new UsageError(`--bind ${bindText} is ${familyName(bf)}, but --host ${ctx.host} is ${familyName(hostFamily as 4 | 6)}`);
    if (bind.port !== 0 && ctx.sockets > 1) {
      throw new UsageError(`--bind ${bindText} gives every socket the same local port: it needs one connection or stream, got ${ctx.sockets}`);
    }
  }
  if (family !== null && hostFamily !== 0 && hostFamily !== family) {
    throw new UsageError(`${family === 4 ? '-4' : '-6'} asks for ${familyName(family)}, but --host ${ctx.host} is ${familyName(hostFamily as 4 | 6)}`);
  }
  const sndbuf = S.take('sndbuf', args.sndbuf) ?? null;
  const rcvbuf = S.take('rcvbuf', args.rcvbuf) ?? null;
  const tcp = ctx.transport === 'tcp' || ctx.transport === 'raw-tcp';
  for (const [flag, value] of [['sndbuf', sndbuf], ['rcvbuf', rcvbuf]] as const) {
    if (value !== null && tcp) {
      throw new UsageError(`--${flag} sets ${flag === 'sndbuf' ? 'SO_SNDBUF' : 'SO_RCVBUF'}, which Node cannot set on a TCP socket: it applies to UDP only (got --transport ${ctx.transport})`);
    }
  }
  const noDelay = S.take('nodelay', args.nodelay);
  if (!noDelay && !tcp && ctx.mixed !== true) throw new UsageError(`--no-nodelay turns Nagle on for TCP; --transport ${ctx.transport} has no Nagle`);
  return { bind, family, sndbuf, rcvbuf, noDelay };
}

/** The client library's {@link SocketOptions} of a plan (a plan without `socket` sets nothing). */
export function socketOptions(plan: { socket?: SocketPlan | undefined }): SocketOptions {
  const s = plan.socket ?? DEFAULT_SOCKET_PLAN;
  // With --bind and no -4/-6, a host name resolves to the bound address's family.
  const family = s.family ?? (s.bind !== null ? (isIP(s.bind.address) as 4 | 6) : null);
  return {
    noDelay: s.noDelay,
    ...(s.bind !== null ? { localAddress: s.bind.address, ...(s.bind.port !== 0 ? { localPort: s.bind.port } : {}) } : {}),
    ...(family !== null ? { family } : {}),
    ...(s.sndbuf !== null ? { sendBufferSize: s.sndbuf } : {}),
    ...(s.rcvbuf !== null ? { recvBufferSize: s.rcvbuf } : {}),
  };
}

/**
 * One line for the human report, or null when nothing was set: `bind 127.0.0.2, IPv4, SO_RCVBUF
 * 262144 B asked, 524288 B granted, Nagle on`.
 */
export function describeSocket(s: SocketPlan | undefined, granted: { sendBufferBytes: number; recvBufferBytes: number } | undefined): string | null {
  const parts: string[] = [];
  if (s?.bind) parts.push(`bind ${s.bind.port === 0 ? s.bind.address : isIP(s.bind.address) === 6 ? `[${s.bind.address}]:${s.bind.port}` : `${s.bind.address}:${s.bind.port}`}`);
  if (s?.family) parts.push(familyName(s.family));
  if (granted) {
    parts.push(`SO_SNDBUF ${s?.sndbuf !== null && s?.sndbuf !== undefined ? `${s.sndbuf} B asked, ` : ''}${granted.sendBufferBytes} B granted`);
    parts.push(`SO_RCVBUF ${s?.rcvbuf !== null && s?.rcvbuf !== undefined ? `${s.rcvbuf} B asked, ` : ''}${granted.recvBufferBytes} B granted`);
  }
  if (s && !s.noDelay) parts.push('Nagle on (--no-nodelay)');
  return parts.length === 0 ? null : parts.join(', ');
}
