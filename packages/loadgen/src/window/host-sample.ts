/**
 * The generator's side of the window, sampled at its edges: this process's CPU time (every thread:
 * `process.cpuUsage()` counts the whole process) and the host's TCP retransmissions (`RetransSegs`
 * of /proc/net/snmp, Linux: host-wide, i.e. every TCP connection in this network namespace, not only
 * the generator's).
 */
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';

/** Where Linux keeps the host's cumulative IP/TCP/UDP counters. */
export const PROC_NET_SNMP = '/proc/net/snmp';

/** One sample of the generator process and its host. */
export interface HostSample {
  /** When it was taken, ms (performance.now() of the main thread). */
  atMs: number;
  /** Cumulative CPU time of this process (all threads), µs. */
  userUs: number;
  systemUs: number;
  /** Cumulative RetransSegs of the host, or null where /proc/net/snmp is missing (not Linux). */
  tcpRetransmits: number | null;
}

/**
 * `RetransSegs` from the text of /proc/net/snmp: the `Tcp:` header line names the fields, the next
 * `Tcp:` line holds the values (proc(5)). Null when the text has no such field.
 */
export function parseRetransSegs(snmp: string): number | null {
  const lines = snmp.split('\n').filter((l) => l.startsWith('Tcp:'));
  if (lines.length < 2) return null;
  const names = lines[0]!.trim().split(/\s+/);
  const values = lines[1]!.trim().split(/\s+/);
  const i = names.indexOf('RetransSegs');
  if (i < 1 || i >= values.length) return null;
  const n = Number(values[i]);
  return Number.isSafeInteger(n) && n >= 0 ? n : null;
}

/** The host's cumulative RetransSegs, or null where it cannot be read. */
export function readRetransSegs(path = PROC_NET_SNMP): number | null {
  try {
    return parseRetransSegs(readFileSync(path, 'utf8'));
  } catch {
    return null;
  }
}

/** Takes a {@link HostSample} now. */
export function sampleHost(clock: () => number = () => performance.now(), snmpPath = PROC_NET_SNMP): HostSample {
  const cpu = process.cpuUsage();
  return { atMs: clock(), userUs: cpu.user, systemUs: cpu.system, tcpRetransmits: readRetransSegs(snmpPath) };
}
