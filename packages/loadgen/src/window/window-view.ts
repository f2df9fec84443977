/**
 * The run's window as both ends saw it: the difference of the samples taken when measuring started
 * and after the drain. Pure functions of the samples and the run's counters, so every figure here is
 * tested with made-up snapshots.
 *
 * - Service time: each type's cumulative histogram after, minus the one before (HdrHistogram's
 *   `subtract`: bucket by bucket, so the percentiles are exactly those of the window's requests).
 * - UDP: the server's per-peer counters of this generator's own sockets, or its totals when they are
 *   not found, from the baseline (before the load: nothing in flight, so exact) to after the drain;
 *   lost on the way there = sent − received, lost on the way back = answered − replies, both over
 *   the same span (warm-up included).
 * - CPU: µs of user + system time over the window, per request and per µs of window (cores).
 * - TCP retransmissions: RetransSegs deltas (host-wide on each end).
 */
import { MessageType, formatPeerAddress, parsePeerAddress } from '@sockbench/protocol';
import type { Counters } from '../counters.js';
import { decodeHistogram, encodeHistogram, type Histogram } from '../histogram.js';
import type { LoadPlan } from '../options.js';
import { type CpuUse, type ServerUdpView, type ServerView, type ServiceTimeWindow } from '../report/schema.js';
import type { HostSample } from './host-sample.js';
import type { PeerCounts, ServerSample } from './server-sample.js';

/** The server's snapshots of one run. */
export interface ServerSamples {
  address: string;
  /** This generator's UDP sockets' source addresses (`ip:port`). */
  peers: readonly string[];
  /** Before the load started (nothing in flight): where the UDP split counts from. */
  baseline: ServerSample;
  /** When the window started (the baseline itself without a warm-up). */
  before: ServerSample;
  /** After the drain. */
  after: ServerSample;
  notes: readonly string[];
}

/** The samples around one run's window. */
export interface WindowSamples {
  /** This process and host at the window's start and after the drain. */
  generator: { before: HostSample; after: HostSample };
  /** The server's snapshots, or why there are none. */
  server: ServerSamples | { missing: string };
}

/**
 * What the generator's threads sent and received since the load started (warm-up included,
 * ThreadFinal's `loadSent` / `loadReplies`): the UDP split holds the server's counts since the
 * baseline against these.
 */
export interface LoadCounts {
  sent: number;
  replies: number;
}

/** The window fields of a run report (schema.ts, version 2). */
export interface WindowFields {
  server: ServerView | null;
  serverMissing?: string;
  generatorCpu: CpuUse | null;
  generatorHost: { tcpRetransmits: number | null } | null;
}

/**
 * `after − before` of two cumulative histograms (compressed base64), as a new histogram: exactly the
 * values recorded between the two. `before` undefined: nothing had been recorded yet.
 * @throws RangeError when `before` holds more values than `after` (not the same histogram, or reset)
 */
export function subtractHistograms(after: string, before: string | undefined): Histogram {
  const h = decodeHistogram(after);
  if (before === undefined) return h;
  const b = decodeHistogram(before);
  if (b.totalCount > h.totalCount) throw new RangeError(`the earlier histogram holds ${b.totalCount} values, the later ${h.totalCount}`);
  h.subtract(b);
  // Decoded again so that min, max and mean are those of the difference, not of `after`.
  return decodeHistogram(encodeHistogram(h));
}

/** CPU use from two cumulative (user, system) readings, `windowUs` apart, for `requests` requests. */
export function cpuUse(before: { userUs: number; systemUs: number }, after: { userUs: number; systemUs: number }, windowUs: number, requests: number): CpuUse {
  const userUs = after.userUs - before.userUs;
  const systemUs = after.systemUs - before.systemUs;
  const total = userUs + systemUs;
  return { userUs, systemUs, usPerRequest: requests > 0 ? total / requests : null, cores: windowUs > 0 ? total / windowUs : 0 };
}

/** `a − b` per key (keys of either; a key missing counts 0). Zero differences are left out. */
function subtractCounts(a: Record<string, number>, b: Record<string, number> | undefined): Record<string, number> {
  const out: Record<string, number> = {};
  for (const k of new Set([...Object.keys(a), ...Object.keys(b ?? {})])) {
    const d = (a[k] ?? 0) - (b?.[k] ?? 0);
    if (d !== 0) out[k] = d;
  }
  return out;
}

function addInto(into: Record<string, number>, more: Record<string, number>): void {
  for (const [k, n] of Object.entries(more)) into[k] = (into[k] ?? 0) + n;
}

/** The protocol's type name of a plan's requests (ECHO, PING, COMPUTE). */
export function opTypeName(plan: LoadPlan): string {
  return MessageType[plan.op === 'ping' ? MessageType.PING : plan.op === 'compute' ? MessageType.COMPUTE : MessageType.ECHO];
}

/**
 * The names the server may give one of this generator's sockets: its address, and for an IPv4
 * address also the IPv4-mapped IPv6 form a dual-stack server socket reports (`[::ffff:a.b.c.d]:p`).
 */
export function peerForms(peer: string): string[] {
  const p = parsePeerAddress(peer);
  if (p === undefined || p.address.includes(':')) return [peer];
  return [peer, formatPeerAddress(`::ffff:${p.address}`, p.port)];
}

/** The server's entry of `peer` under whichever name it holds it, or undefined. */
function heldAs(held: Record<string, PeerCounts>, peer: string): string | undefined {
  return peerForms(peer).find((name) => held[name] !== undefined);
}

/** What a UDP split of a run with a warm-up covers. */
export const WARMUP_SPAN_NOTE =
  'UDP counts span the warm-up and the window: they run from before the load started, when nothing was in flight, so they are exact (a snapshot amid the load would be off by what was in flight)';

const TOTALS_CAVEAT = "using the server's UDP totals, so other clients' traffic in the window cannot be told apart from this generator's";

function udpView(load: LoadCounts, peers: readonly string[], before: ServerSample, after: ServerSample, notes: string[]): ServerUdpView {
  const totalIn = after.udp.in - before.udp.in;
  const held = after.udp.peers;
  const found = held === null ? [] : peers.filter((p) => heldAs(held, p) !== undefined);
  let source: ServerUdpView['source'];
  let received: number;
  let answered: number;
  let dropped: Record<string, number>;
  if (held !== null && peers.length > 0 && found.length === peers.length) {
    source = 'peers';
    received = 0;
    answered = 0;
    dropped = {};
    const none: PeerCounts = { received: 0, answered: 0, dropped: {} };
    for (const p of peers) {
      const name = heldAs(held, p)!;
      const a = held[name]!;
      // A peer first seen inside the window has no entry before it: it counts from 0.
      const b = before.udp.peers?.[name] ?? none;
      received += a.received - b.received;
      answered += a.answered - b.answered;
      addInto(dropped, subtractCounts(a.dropped, b.dropped));
    }
    const evicted = after.udp.peerTable !== null && before.udp.peerTable !== null ? after.udp.peerTable.evicted - before.udp.peerTable.evicted : 0;
    if (evicted > 0) notes.push(`the server's per-peer table evicted ${evicted} entries during the window: this generator's counts may be short`);
    if (totalIn > received) notes.push(`other clients sent ${totalIn - received} datagrams to the server's UDP port during the window (its totals exceed this generator's own)`);
  } else {
    source = 'totals';
    received = totalIn;
    answered = after.udp.out - before.udp.out;
    dropped =
      after.udp.droppedByReason !== null
        ? subtractCounts(after.udp.droppedByReason, before.udp.droppedByReason ?? undefined)
        : subtractCounts({ UNSPECIFIED: after.udp.dropped }, { UNSPECIFIED: before.udp.dropped });
    if (held === null) notes.push(`the server keeps no per-peer UDP counters (an older server): ${TOTALS_CAVEAT}`);
    else if (found.length === 0) notes.push(`the server saw none of this generator's ${peers.length} source addresses (a NAT or proxy in between?): ${TOTALS_CAVEAT}`);
    else notes.push(`the server holds only ${found.length} of this generator's ${peers.length} source addresses (evicted from its per-peer table?): ${TOTALS_CAVEAT}`);
  }
  const kernelDrops = after.udp.kernelDrops !== null && before.udp.kernelDrops !== null ? after.udp.kernelDrops - before.udp.kernelDrops : null;
  return {
    source,
    received,
    answered,
    lostToServer: load.sent - received,
    droppedAtServer: dropped,
    kernelDrops,
    lostFromServer: answered - load.replies,
  };
}

/**
 * The server's view of the window (see the file comment).
 * @returns the view, or a string: why there is none (the server restarted between the snapshots)
 */
export function serverView(plan: LoadPlan, load: LoadCounts, s: ServerSamples): ServerView | string {
  const { baseline, before, after } = s;
  const notes = [...s.notes];
  const windowMs = after.uptimeMs - before.uptimeMs;
  if (windowMs < 0 || before.uptimeMs < baseline.uptimeMs) {
    return `${s.address} restarted during the run (its uptime went from ${baseline.uptimeMs} to ${after.uptimeMs} ms)`;
  }
  const serviceTimeUs: Record<string, ServiceTimeWindow> = {};
  const serviceTimeHistograms: Record<string, string> = {};
  if (after.serviceTimeHistograms === null) {
    if (notes.length === 0) notes.push(`${s.address} sent no service-time histograms: no service time for the window`);
  } else {
    for (const [type, text] of Object.entries(after.serviceTimeHistograms)) {
      // The control connection's own STATS requests are not the run's.
      if (type === 'STATS') continue;
      let h: Histogram;
      try {
        h = subtractHistograms(text, before.serviceTimeHistograms?.[type]);
      } catch (err) {
        notes.push(`service time of ${type} left out: ${(err as Error).message} (a server process restarted?)`);
        continue;
      }
      if (h.totalCount === 0) continue;
      serviceTimeUs[type] = {
        count: h.totalCount,
        p50: h.getValueAtPercentile(50),
        p99: h.getValueAtPercentile(99),
        p999: h.getValueAtPercentile(99.9),
        max: h.getValueAtPercentile(100),
      };
      serviceTimeHistograms[type] = encodeHistogram(h);
    }
  }
  const op = opTypeName(plan);
  const served = serviceTimeUs[op]?.count ?? (after.serviceCounts[op] ?? 0) - (before.serviceCounts[op] ?? 0);
  const cpu = after.cpu !== null && before.cpu !== null ? cpuUse(before.cpu, after.cpu, windowMs * 1000, served) : null;
  if (cpu === null) notes.push(`${s.address} reports no CPU time (an older server)`);
  const tcpRetransmits = typeof after.tcpRetransmits === 'number' && typeof before.tcpRetransmits === 'number' ? after.tcpRetransmits - before.tcpRetransmits : null;
  const udp = plan.transport === 'udp' ? udpView(load, s.peers, baseline, after, notes) : null;
  if (udp !== null && plan.warmupMs > 0) notes.push(WARMUP_SPAN_NOTE);
  return { address: s.address, windowMs, serviceTimeUs, serviceTimeHistograms, udp, cpu, tcpRetransmits, notes };
}

/** Every window field of a run report from its samples, counters and load counts. */
export function windowFields(plan: LoadPlan, counters: Counters, samples: WindowSamples, load: LoadCounts): WindowFields {
  const g = samples.generator;
  const generatorCpu = cpuUse(g.before, g.after, (g.after.atMs - g.before.atMs) * 1000, counters.completed);
  const rt = g.before.tcpRetransmits !== null && g.after.tcpRetransmits !== null ? g.after.tcpRetransmits - g.before.tcpRetransmits : null;
  const generatorHost = { tcpRetransmits: rt };
  const s = samples.server;
  if ('missing' in s) return { server: null, serverMissing: s.missing, generatorCpu, generatorHost };
  const view = serverView(plan, load, s);
  if (typeof view === 'string') return { server: null, serverMissing: view, generatorCpu, generatorHost };
  return { server: view, generatorCpu, generatorHost };
}
