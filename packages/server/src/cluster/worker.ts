/**
 * Entry file of a cluster worker process (forked by cluster/primary.ts from dist/cluster/worker.js):
 * one {@link Server} whose {@link ClusterLink} talks to the primary over IPC. The slot index and the
 * options come in the environment. Exits 0 after draining on `sb:drain`, SIGINT, SIGTERM, or when
 * the primary goes away.
 */
import { AggregatorRegistry } from 'prom-client';
import type { LevelWithSilent } from 'pino';
import { createLogger } from '../log.js';
import type { ServerOptions } from '../options.js';
import { Server, type ClusterLink, type GatheredStats } from '../server.js';
import { ENV_CONFIG, ENV_INDEX, isClusterMsg, type ClusterMsg } from './messages.js';

/** What the primary puts in {@link ENV_CONFIG}. */
export interface WorkerConfig {
  options: Omit<ServerOptions, 'logger' | 'metricsPort'>;
  logLevel: LevelWithSilent;
  /** The server's instance id on the chat bus: the primary's, shared by every worker. */
  instanceId: string;
}

/** How long a worker waits for the primary to gather STATS before answering with its own, ms. */
const STATS_TIMEOUT_MS = 3_000;

function send(msg: ClusterMsg): void {
  if (process.connected) process.send!(msg);
}

async function main(): Promise<void> {
  const index = Number(process.env[ENV_INDEX]);
  const config = JSON.parse(process.env[ENV_CONFIG] ?? '{}') as WorkerConfig;
  const logger = createLogger(config.logLevel, { worker: index });
  const waiting = new Map<number, (gathered: GatheredStats) => void>();
  let nextReq = 1;
  let server: Server | null = null;

  const link: ClusterLink = {
    workerIndex: index,
    instanceId: config.instanceId,
    publishSay: (room, from, text) => send({ kind: 'sb:say', room, from, text }),
    collectStats: (peers) => new Promise<GatheredStats>((resolve) => {
      const reqId = nextReq++;
      const timer = setTimeout(() => {
        waiting.delete(reqId);
        logger.warn({ reqId }, 'primary did not gather STATS in time: answering with this process only');
        resolve({ parts: server === null ? [] : [server.processStats(peers)] });
      }, STATS_TIMEOUT_MS);
      waiting.set(reqId, (gathered) => {
        clearTimeout(timer);
        resolve(gathered);
      });
      send(peers === undefined ? { kind: 'sb:stats-request', reqId } : { kind: 'sb:stats-request', reqId, peers: [...peers] });
    }),
  };
  server = new Server({ ...config.options, logger }, link);
  const srv = server;
  // prom-client answers the primary's AggregatorRegistry from the registries named here.
  new AggregatorRegistry();
  AggregatorRegistry.setRegistries([srv.registry]);

  let stopping: Promise<void> | null = null;
  const stop = (why: string): void => {
    if (stopping !== null) return;
    logger.info({ why }, 'worker draining');
    stopping = srv.close().then(() => {
      logger.info('worker exit');
      process.exit(0);
    });
  };

  process.on('message', (m: unknown) => {
    if (!isClusterMsg(m)) return;
    switch (m.kind) {
      case 'sb:say':
        srv.deliverRemoteSay(m.room, m.from, m.text);
        break;
      case 'sb:stats-collect':
        send({ kind: 'sb:stats-part', reqId: m.reqId, stats: srv.processStats(m.peers) });
        break;
      case 'sb:stats-reply':
        waiting.get(m.reqId)?.({ parts: m.parts, primaryCpu: m.primaryCpu });
        waiting.delete(m.reqId);
        break;
      case 'sb:drain':
        stop('primary asked');
        break;
      default:
        break;
    }
  });
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('disconnect', () => stop('primary gone'));

  try {
    const addrs = await srv.listen();
    send({ kind: 'sb:listening', index, addrs });
  } catch (err) {
    logger.fatal({ err: err instanceof Error ? err.message : String(err) }, 'worker cannot listen');
    process.exit(1);
  }
}

void main();
