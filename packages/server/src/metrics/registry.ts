/**
 * Prometheus metrics of one process (prom-client). Values are read from the process's counters at
 * scrape time (`collect`), so the hot path only bumps plain numbers. The cluster primary sums these
 * registries with prom-client's AggregatorRegistry; service-time quantiles are aggregated with
 * `max` (a quantile cannot be summed), exact merged quantiles are in STATS.
 */
import { BUS_STATES } from '@sockbench/protocol';
import { Counter, Gauge, Registry } from 'prom-client';
import { summarizeServiceTimes } from '../stats/service-time.js';
import type { ProcessStats } from '../stats/counters.js';

/** Metric names, all prefixed `sockbench_`. */
export const METRIC_PREFIX = 'sockbench_';

/** Host-wide values (/proc), read once per scrape; null where unknown (no sample is exported then). */
export interface HostReadings {
  udpKernelDrops: number | null;
  tcpRetransmits: number | null;
}

/**
 * A registry whose metrics read `read()` at every scrape, and `readHost()` for the host-wide ones
 * (aggregated over a cluster with `first`: every worker reads the same host value).
 */
export function createProcessRegistry(read: () => ProcessStats, readHost: () => Promise<HostReadings> = async () => ({ udpKernelDrops: null, tcpRetransmits: null })): Registry {
  const registry = new Registry();
  let snap: ProcessStats | null = null;
  // One read per scrape: the first collect() of a scrape refreshes, the rest reuse it.
  const get = (): ProcessStats => {
    if (snap === null) {
      snap = read();
      setImmediate(() => (snap = null));
    }
    return snap;
  };
  const counter = (name: string, help: string, value: (s: ProcessStats) => number): void => {
    new Counter({
      name: METRIC_PREFIX + name,
      help,
      registers: [registry],
      collect() {
        this.reset();
        this.inc(value(get()));
      },
    });
  };
  const gauge = (name: string, help: string, value: (s: ProcessStats) => number): void => {
    new Gauge({
      name: METRIC_PREFIX + name,
      help,
      registers: [registry],
      collect() {
        this.set(value(get()));
      },
    });
  };
  counter('connections_total', 'TCP connections accepted', (s) => s.connections.total);
  gauge('connections_current', 'TCP connections open', (s) => s.connections.current);
  counter('frames_in_total', 'frames received over TCP', (s) => s.frames.in);
  counter('frames_out_total', 'frames sent over TCP', (s) => s.frames.out);
  counter('bytes_in_total', 'bytes received over TCP', (s) => s.bytes.in);
  counter('bytes_out_total', 'bytes sent over TCP', (s) => s.bytes.out);
  counter('udp_in_total', 'datagrams received', (s) => s.udp.in);
  counter('udp_out_total', 'datagrams sent', (s) => s.udp.out);
  counter('udp_dropped_total', 'datagrams dropped (not answered)', (s) => s.udp.dropped);
  counter('cpu_user_seconds_total', 'user CPU time of the process, every thread (the pool included), seconds', (s) => s.cpu.userUs / 1e6);
  counter('cpu_system_seconds_total', 'system CPU time of the process, every thread (the pool included), seconds', (s) => s.cpu.systemUs / 1e6);
  gauge('pool_threads', 'worker threads in the pool', (s) => s.pool.threads);
  gauge('pool_queued', 'tasks waiting for a pool thread', (s) => s.pool.queued);
  counter('pool_completed_total', 'tasks finished by the pool', (s) => s.pool.completed);
  gauge('backpressure_paused_connections', 'connections not read while their replies wait', (s) => s.backpressure.paused);
  gauge('pending_write_bytes', 'bytes queued for writing on all connections', (s) => s.backpressure.pendingWriteBytes);
  gauge('pending_work_bytes', 'request bytes waiting on the thread pool', (s) => s.backpressure.pendingWorkBytes);
  counter('slow_consumers_closed_total', 'room members closed for not reading their CHAT pushes', (s) => s.backpressure.slowConsumersClosed);
  gauge('buffered_bytes', 'bytes charged to the budget of incomplete TCP frames (whole size of each admitted frame, plus what waiting connections hold)', (s) => s.buffered.bytes);
  gauge('buffered_limit_bytes', 'the budget of incomplete TCP frames (--max-buffered-bytes)', (s) => s.buffered.limit);
  gauge('buffered_waiting_connections', 'connections not read because their next frame does not fit in the budget', (s) => s.buffered.waiting);
  counter('frame_timeouts_total', 'connections closed because a frame did not complete within --frame-timeout', (s) => s.buffered.frameTimeouts);
  counter('bus_published_total', 'SAYs published on the chat bus (--redis) and acknowledged by Redis', (s) => s.bus.published);
  counter('bus_received_total', 'chat messages of other servers taken off the bus (each process takes every one)', (s) => s.bus.received);
  counter('bus_failed_total', 'publishes sent to the bus that Redis did not acknowledge (error, or the connection closed first)', (s) => s.bus.failed);
  counter('bus_dropped_total', 'SAYs not sent to the bus: its connection was not up, or the bound of publishes in flight was full', (s) => s.bus.dropped);
  counter('bus_invalid_total', 'messages on the bus channel that are not chat messages (skipped)', (s) => s.bus.invalid);
  gauge('stream_sessions', 'stream sessions open', (s) => s.stream.sessions);
  counter('stream_opened_total', 'stream sessions opened', (s) => s.stream.opened);
  counter('stream_refused_total', 'STREAM_OPEN requests refused (BUSY or BAD_PAYLOAD)', (s) => s.stream.refused);
  gauge('stream_data_connections', 'TCP stream data connections attached', (s) => s.stream.dataConnections);
  new Counter({
    name: METRIC_PREFIX + 'stream_datagrams_dropped_total',
    help: 'UDP stream datagrams dropped unanswered, by reason',
    labelNames: ['reason'],
    registers: [registry],
    collect() {
      this.reset();
      for (const [reason, n] of Object.entries(get().stream.datagramsDropped)) this.inc({ reason }, n);
    },
  });
  new Gauge({
    name: METRIC_PREFIX + 'bus_processes',
    help: 'processes whose chat bus is in each state (off: no --redis; connecting: not yet since start; connected; down: being reconnected)',
    labelNames: ['state'],
    registers: [registry],
    collect() {
      const state = get().bus.state;
      for (const s of BUS_STATES) this.set({ state: s }, s === state ? 1 : 0);
    },
  });
  new Counter({
    name: METRIC_PREFIX + 'errors_total',
    help: 'ERROR replies sent and datagrams dropped, by protocol error code name',
    labelNames: ['code'],
    registers: [registry],
    collect() {
      this.reset();
      for (const [code, n] of Object.entries(get().errors)) this.inc({ code }, n);
    },
  });
  new Counter({
    name: METRIC_PREFIX + 'udp_dropped_by_reason_total',
    help: 'datagrams dropped, by protocol error code name',
    labelNames: ['code'],
    registers: [registry],
    collect() {
      this.reset();
      for (const [code, n] of Object.entries(get().udp.droppedByReason)) this.inc({ code }, n);
    },
  });
  let host: Promise<HostReadings> | null = null;
  // One /proc read per scrape, shared by the two host metrics.
  const getHost = (): Promise<HostReadings> => {
    if (host === null) {
      host = readHost();
      setImmediate(() => (host = null));
    }
    return host;
  };
  const hostCounter = (name: string, help: string, value: (h: HostReadings) => number | null): void => {
    new Counter({
      name: METRIC_PREFIX + name,
      help,
      registers: [registry],
      aggregator: 'first',
      async collect() {
        this.reset();
        const v = value(await getHost());
        if (v !== null) this.inc(v);
      },
    });
  };
  hostCounter('udp_kernel_drops_total', "datagrams the kernel dropped on the sockets bound to the server's UDP port (/proc/net/udp drops, host-wide)", (h) => h.udpKernelDrops);
  hostCounter('host_tcp_retransmits_total', "TCP segments retransmitted by the server's host (/proc/net/snmp RetransSegs, host-wide)", (h) => h.tcpRetransmits);
  new Counter({
    name: METRIC_PREFIX + 'socket_errors_total',
    help: 'socket errors by OS code (ECONNRESET, EPIPE, ...)',
    labelNames: ['code'],
    registers: [registry],
    collect() {
      this.reset();
      for (const [code, n] of Object.entries(get().socketErrors)) this.inc({ code }, n);
    },
  });
  new Gauge({
    name: METRIC_PREFIX + 'service_time_us',
    help: 'service time per message type, microseconds, from the chunk carrying the request arriving to the write carrying its reply',
    labelNames: ['type', 'quantile'],
    registers: [registry],
    aggregator: 'max',
    collect() {
      this.reset();
      for (const [type, s] of Object.entries(summarizeServiceTimes([get().serviceTimes]))) {
        this.set({ type, quantile: '0.5' }, s.p50);
        this.set({ type, quantile: '0.99' }, s.p99);
        this.set({ type, quantile: '0.999' }, s.p999);
        this.set({ type, quantile: '1' }, s.max);
      }
    },
  });
  return registry;
}
