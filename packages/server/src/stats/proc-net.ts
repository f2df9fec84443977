/**
 * Host counters read from Linux procfs once per STATS (never on the hot path): TCP retransmissions
 * (`RetransSegs` of the `Tcp:` lines of /proc/net/snmp, RFC 4022's tcpRetransSegs) and the kernel's
 * drops on UDP sockets (the `drops` column of /proc/net/udp and /proc/net/udp6, proc(5)). Where the
 * files cannot be read (not Linux, no procfs) the readers give null, as STATS reports it.
 */
import { readFile } from 'node:fs/promises';

/** Paths the readers use; tests pass fixtures instead. */
export interface ProcNetPaths {
  snmp: string;
  udp: readonly string[];
}

/** Linux's files. */
export const PROC_NET: ProcNetPaths = { snmp: '/proc/net/snmp', udp: ['/proc/net/udp', '/proc/net/udp6'] };

/**
 * `RetransSegs` from the text of /proc/net/snmp: the first `Tcp:` line names the columns, the
 * second holds the values. Null when either line or the column is missing or not a number.
 */
export function parseRetransSegs(snmp: string): number | null {
  const tcp = snmp.split('\n').filter((l) => l.startsWith('Tcp:'));
  if (tcp.length < 2) return null;
  const names = tcp[0]!.trim().split(/\s+/);
  const values = tcp[1]!.trim().split(/\s+/);
  const i = names.indexOf('RetransSegs');
  if (i < 1) return null;
  const v = Number(values[i]);
  return Number.isSafeInteger(v) && v >= 0 ? v : null;
}

/**
 * Sums the `drops` column of the sockets in a /proc/net/udp (or udp6) text whose local port is
 * `port`, and says how many matched. Columns (proc(5)): `sl local_address rem_address st
 * tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode ref pointer drops`; the local address is
 * `HEXIP:HEXPORT`. Lines that do not parse are skipped.
 */
export function parseUdpDrops(text: string, port: number): { sockets: number; drops: number } {
  let sockets = 0;
  let drops = 0;
  for (const line of text.split('\n')) {
    const cols = line.trim().split(/\s+/);
    if (cols.length < 13 || !/^\d+:$/.test(cols[0]!)) continue;
    const local = cols[1]!;
    const colon = local.lastIndexOf(':');
    if (colon < 0 || Number.parseInt(local.slice(colon + 1), 16) !== port) continue;
    const d = Number(cols[12]);
    if (!Number.isSafeInteger(d) || d < 0) continue;
    sockets++;
    drops += d;
  }
  return { sockets, drops };
}

async function readOrNull(path: string): Promise<string | null> {
  try {
    return await readFile(path, 'utf8');
  } catch {
    return null;
  }
}

/** The host's TCP RetransSegs, cumulative; null where /proc/net/snmp cannot be read or parsed. */
export async function readTcpRetransmits(paths: ProcNetPaths = PROC_NET): Promise<number | null> {
  const text = await readOrNull(paths.snmp);
  return text === null ? null : parseRetransSegs(text);
}

/**
 * Kernel drops summed over the UDP sockets (IPv4 and IPv6) bound to `port`, cumulative; null where
 * no file can be read or no socket on that port is listed (another network namespace's procfs).
 */
export async function readUdpKernelDrops(port: number, paths: ProcNetPaths = PROC_NET): Promise<number | null> {
  const texts = await Promise.all(paths.udp.map(readOrNull));
  let sockets = 0;
  let drops = 0;
  for (const text of texts) {
    if (text === null) continue;
    const r = parseUdpDrops(text, port);
    sockets += r.sockets;
    drops += r.drops;
  }
  return sockets === 0 ? null : drops;
}
