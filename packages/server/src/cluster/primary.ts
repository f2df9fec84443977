/**
 * The cluster primary (`--workers N`, N ≥ 1): forks N worker processes from dist/cluster/worker.js
 * that share the TCP and UDP ports through node:cluster, and
 * - respawns a worker that dies, in the same slot (same WELCOME.worker index), with exponential
 *   backoff (100 ms doubling to 5 s; reset after 10 s of uptime), logging down/up;
 * - relays SAY to every other worker, which delivers CHAT to its own room members; with `--redis`
 *   too (the bus carries SAY to other servers only: every worker subscribes to it and skips what
 *   this server's instance id published, so local chat never waits for or depends on Redis);
 * - gathers STATS from every worker for the one that asked (the parts are summed there), passing on
 *   the peers its query named so each worker sends only its entries of those, and adds its own CPU;
 * - serves `/metrics` aggregated over the workers (prom-client AggregatorRegistry) and `/healthz`;
 * - on SIGINT/SIGTERM tells every worker to drain, waits for them (at most the drain timeout plus a
 *   grace), and exits 0; if a worker dies before the cluster ever listened, exits 1 instead.
 */
import cluster, { type Worker } from 'node:cluster';
import { fileURLToPath } from 'node:url';
import type { Logger, LevelWithSilent } from 'pino';
import { AggregatorRegistry } from 'prom-client';
import { newInstanceId } from '../chat/bus-message.js';
import { parseRedisUrl } from '../chat/redis-url.js';
import { MetricsHttp } from '../metrics/http.js';
import type { FilledOptions } from '../options.js';
import type { ServerAddresses } from '../server.js';
import type { ProcessStats } from '../stats/counters.js';
import { ENV_CONFIG, ENV_INDEX, isClusterMsg, type ClusterMsg } from './messages.js';
import type { WorkerConfig } from './worker.js';

/** The worker entry, from dist/ (this module is at src/cluster or dist/cluster). */
export const WORKER_FILE = fileURLToPath(new URL('../../dist/cluster/worker.js', import.meta.url));

/** First respawn delay, ms; doubles per quick crash up to {@link RESPAWN_MAX_MS}. */
export const RESPAWN_BASE_MS = 100;
/** Longest respawn delay, ms. */
export const RESPAWN_MAX_MS = 5_000;
/** A worker up this long is considered healthy again: its backoff resets, ms. */
export const RESPAWN_RESET_MS = 10_000;
/**
 * Delay before respawning a slot whose worker died after `crashes` quick crashes in a row:
 * 100 ms, 200 ms, 400 ms, … capped at 5 s, ms.
 */
export function respawnDelayMs(crashes: number): number {
  return Math.min(RESPAWN_BASE_MS * 2 ** crashes, RESPAWN_MAX_MS);
}

/** How long the primary waits for every worker's part of a STATS gathering, ms. */
const GATHER_TIMEOUT_MS = 2_000;
/** Beyond the drain timeout, how long workers get to exit before they are killed, ms. */
const EXIT_GRACE_MS = 2_000;

interface Slot {
  index: number;
  worker: Worker | null;
  startedAt: number;
  crashes: number;
  listening: boolean;
}

interface Gathering {
  gid: number;
  requester: Worker;
  reqId: number;
  parts: ProcessStats[];
  waitingFor: Set<Worker>;
  timer: NodeJS.Timeout;
}

/** Options of {@link runPrimary}. */
export interface PrimaryOptions {
  options: FilledOptions;
  workers: number;
  logger: Logger;
  logLevel: LevelWithSilent;
}

/** Runs the primary until it is signalled; resolves with the exit code it wants (0). */
export function runPrimary({ options, workers, logger, logLevel }: PrimaryOptions): Promise<number> {
  const instanceId = newInstanceId();
  const config: WorkerConfig = {
    options: { ...options, metricsPort: undefined } as WorkerConfig['options'],
    logLevel,
    instanceId,
  };
  const busLog = options.redis === undefined ? {} : { redis: parseRedisUrl(options.redis).display, instance: instanceId };
  const configJson = JSON.stringify(config);
  const slots: Slot[] = Array.from({ length: workers }, (_, index) => ({ index, worker: null, startedAt: 0, crashes: 0, listening: false }));
  const gatherings = new Map<number, Gathering>();
  let nextGather = 1;
  let announced = false;
  let shuttingDown = false;
  /** 0, or 1 once startup failed. */
  let exitCode = 0;
  let metrics: MetricsHttp | null = null;
  let metricsAddr: ServerAddresses['metrics'];
  const aggregator = new AggregatorRegistry();

  cluster.setupPrimary({ exec: WORKER_FILE, args: [] });

  const live = (): Worker[] => slots.flatMap((s) => (s.worker !== null && s.worker.isConnected() ? [s.worker] : []));
  const sendTo = (w: Worker, msg: ClusterMsg): void => {
    if (w.isConnected()) w.send(msg);
  };

  let resolveDone!: (code: number) => void;
  const done = new Promise<number>((resolve) => (resolveDone = resolve));

  const finishGathering = (g: Gathering): void => {
    clearTimeout(g.timer);
    gatherings.delete(g.gid);
    const cpu = process.cpuUsage();
    sendTo(g.requester, { kind: 'sb:stats-reply', reqId: g.reqId, parts: g.parts, primaryCpu: { userUs: cpu.user, systemUs: cpu.system } });
  };

  const onMessage = (slot: Slot, w: Worker, m: unknown): void => {
    if (!isClusterMsg(m)) return;
    switch (m.kind) {
      case 'sb:listening':
        slot.listening = true;
        logger.info({ worker: slot.index, workerPid: w.process.pid }, 'worker up');
        if (!announced && slots.every((s) => s.listening)) {
          announced = true;
          logger.info({ workers, tcp: m.addrs.tcp, udp: m.addrs.udp, raw: m.addrs.raw, metrics: metricsAddr, ...busLog }, 'listening');
        }
        break;
      case 'sb:say':
        for (const other of live()) if (other !== w) sendTo(other, m);
        break;
      case 'sb:stats-request': {
        const gid = nextGather++;
        const targets = live();
        const g: Gathering = {
          gid,
          requester: w,
          reqId: m.reqId,
          parts: [],
          waitingFor: new Set(targets),
          timer: setTimeout(() => {
            logger.warn({ missing: g.waitingFor.size }, 'STATS gathering timed out: answering with the parts received');
            finishGathering(g);
          }, GATHER_TIMEOUT_MS),
        };
        gatherings.set(gid, g);
        const collect: ClusterMsg = m.peers === undefined ? { kind: 'sb:stats-collect', reqId: gid } : { kind: 'sb:stats-collect', reqId: gid, peers: m.peers };
        for (const t of targets) sendTo(t, collect);
        if (targets.length === 0) finishGathering(g);
        break;
      }
      case 'sb:stats-part': {
        const g = gatherings.get(m.reqId);
        if (g === undefined) break;
        g.parts.push(m.stats);
        g.waitingFor.delete(w);
        if (g.waitingFor.size === 0) finishGathering(g);
        break;
      }
      default:
        break;
    }
  };

  const fork = (slot: Slot): void => {
    const w = cluster.fork({ [ENV_INDEX]: String(slot.index), [ENV_CONFIG]: configJson });
    slot.worker = w;
    slot.startedAt = Date.now();
    slot.listening = false;
    w.on('message', (m: unknown) => onMessage(slot, w, m));
    w.on('exit', (code, signal) => {
      if (slot.worker === w) slot.worker = null;
      slot.listening = false;
      // A gathering still waiting for this worker must not wait for the timeout.
      for (const g of [...gatherings.values()]) {
        if (g.waitingFor.delete(w) && g.waitingFor.size === 0) finishGathering(g);
      }
      if (shuttingDown) {
        logger.info({ worker: slot.index, code, signal }, 'worker exited');
        if (slots.every((s) => s.worker === null)) resolveDone(exitCode);
        return;
      }
      if (!announced) {
        // A worker that dies before the cluster ever served (port in use, bad address) would die
        // again on every respawn: give up, as a one-process server would.
        logger.fatal({ worker: slot.index, code, signal }, 'cannot start: a worker exited before listening');
        exitCode = 1;
        shutdown('startup failure');
        return;
      }
      if (Date.now() - slot.startedAt > RESPAWN_RESET_MS) slot.crashes = 0;
      const delay = respawnDelayMs(slot.crashes);
      slot.crashes++;
      logger.warn({ worker: slot.index, workerPid: w.process.pid, code, signal, respawnInMs: delay }, 'worker down');
      setTimeout(() => {
        if (!shuttingDown) fork(slot);
      }, delay);
    });
  };

  const shutdown = (signal: string): void => {
    if (shuttingDown) return;
    shuttingDown = true;
    logger.info({ signal, drainTimeoutMs: options.drainTimeoutMs }, 'shutdown');
    for (const w of live()) sendTo(w, { kind: 'sb:drain' });
    if (slots.every((s) => s.worker === null)) resolveDone(exitCode);
    const killer = setTimeout(() => {
      for (const s of slots) {
        if (s.worker !== null) {
          logger.warn({ worker: s.index }, 'worker did not exit in time: killing it');
          s.worker.process.kill('SIGKILL');
        }
      }
    }, options.drainTimeoutMs + EXIT_GRACE_MS);
    killer.unref();
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));

  const start = async (): Promise<void> => {
    if (options.metricsPort !== undefined) {
      metrics = new MetricsHttp(options.host, options.metricsPort, logger, async () => ({
        contentType: aggregator.contentType,
        body: await aggregator.clusterMetrics(),
      }));
      metricsAddr = await metrics.listen();
    }
    for (const slot of slots) fork(slot);
  };

  return start().then(
    async () => {
      const code = await done;
      await metrics?.close();
      logger.info('exit');
      return code;
    },
    (err: unknown) => {
      logger.fatal({ err: err instanceof Error ? err.message : String(err) }, 'cannot start');
      return 1;
    },
  );
}
