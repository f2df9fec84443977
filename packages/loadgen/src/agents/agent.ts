/**
 * `sockbench-loadgen agent`: one generator machine waiting for plans from a controller over Redis
 * (protocol.ts). Per plan: measure the clock offset against Redis `TIME`, open the connections,
 * start at the common start by this machine's clock (`startAt − offset`), publish every interval,
 * and leave the report in a key. A plan whose controller's heartbeat is gone is ended (drained,
 * nothing reported) and the agent waits again; a stop message ends it early with a report.
 */
import { hostname } from 'node:os';
import { Redis } from 'ioredis';
import { LoadgenError } from '../errors.js';
import { makeReport } from '../report/output.js';
import { runPlan } from '../runner.js';
import { measureOffset } from './clock.js';
import {
  AGENT_PROTOCOL_VERSION,
  HEARTBEAT_EVERY_MS,
  HEARTBEAT_TTL_MS,
  REPORT_TTL_S,
  channels,
  decodeMessage,
  keys,
  type AgentBeat,
  type AgentReport,
  type FromAgent,
  type PlanMessage,
  type StopMessage,
} from './protocol.js';

/** What {@link runAgent} needs. */
export interface AgentConfig {
  /** redis://HOST:PORT[/DB] */
  redis: string;
  /** Unique among the agents on this Redis; default `hostname-pid`. */
  name: string;
  /** One line per event (stderr in the CLI). */
  log: (line: string) => void;
  /** Resolves when the agent should quit (SIGINT/SIGTERM in the CLI). */
  quit: Promise<void>;
}

/** The default agent name: `hostname-pid`. */
export function defaultAgentName(): string {
  return `${hostname()}-${process.pid}`;
}

/**
 * Waits for plans until `quit` resolves, running one at a time; resolves once the heartbeat key is
 * deleted and both connections are closed.
 */
export async function runAgent(config: AgentConfig): Promise<void> {
  const { name, log } = config;
  const redisOptions = { maxRetriesPerRequest: 2, lazyConnect: true };
  const cmd = new Redis(config.redis, redisOptions);
  const sub = new Redis(config.redis, redisOptions);
  // ioredis reconnects by itself; a lost Redis is logged once per outage, not per retry.
  let down = false;
  for (const c of [cmd, sub]) {
    c.on('error', (err: Error) => {
      if (!down) log(`redis: ${err.message} (reconnecting)`);
      down = true;
    });
    c.on('ready', () => {
      down = false;
    });
  }
  await Promise.all([cmd.connect(), sub.connect()]);
  let current: { id: string; endNow: (() => void) | null; stopped: boolean } | null = null;

  const beat = async (): Promise<void> => {
    const value: AgentBeat = { v: AGENT_PROTOCOL_VERSION, name, host: hostname(), pid: process.pid, plan: current?.id ?? null };
    await cmd.set(keys.agent(name), JSON.stringify(value), 'PX', HEARTBEAT_TTL_MS).catch(() => undefined);
  };
  const publish = (id: string, m: FromAgent): Promise<unknown> => cmd.publish(channels.fromAgents(id), JSON.stringify(m)).catch(() => undefined);

  const runOne = async (m: PlanMessage): Promise<void> => {
    const run = { id: m.id, endNow: null as (() => void) | null, stopped: false };
    current = run;
    await beat();
    let abandoned = false;
    // The controller's heartbeat, checked as often as it is refreshed.
    const watch = setInterval(() => {
      void cmd.exists(keys.alive(m.id)).then(
        (n) => {
          if (n === 1 || abandoned) return;
          abandoned = true;
          log(`plan ${m.id}: the controller's heartbeat is gone: ending the run, reporting nothing`);
          run.endNow?.();
        },
        () => undefined,
      );
    }, HEARTBEAT_EVERY_MS);
    try {
      const clock = await measureOffset(cmd);
      await publish(m.id, { v: 1, kind: 'accepted', id: m.id, agent: name, ...clock });
      log(`plan ${m.id}: agent ${m.index + 1} of ${m.of}, ${m.plan.connections} connections${m.plan.rate !== null ? `, ${m.plan.rate} req/s` : ''}; clock offset ${clock.offsetMs.toFixed(3)} ms (rtt ${clock.rttMs.toFixed(3)} ms)`);
      const report = await runPlan(
        { plan: m.plan, token: m.token, stats: m.stats, startAtEpochMs: m.startAt - clock.offsetMs },
        {
          onInterval: (interval) => void publish(m.id, { v: 1, kind: 'interval', id: m.id, agent: name, interval }),
          onStart: (endNow) => {
            run.endNow = endNow;
            if (run.stopped || abandoned) endNow();
          },
        },
      );
      if (abandoned) return;
      const value: AgentReport = { v: 1, id: m.id, agent: name, host: hostname(), ...clock, report: makeReport([report]) };
      await cmd.set(keys.report(m.id, name), JSON.stringify(value), 'EX', REPORT_TTL_S);
      await publish(m.id, { v: 1, kind: 'report', id: m.id, agent: name, key: keys.report(m.id, name) });
      log(`plan ${m.id}: done, ${report.counters.completed} requests completed; report in ${keys.report(m.id, name)}`);
    } catch (err) {
      const e = err as Error;
      log(`plan ${m.id}: failed: ${e.message}`);
      if (!abandoned) await publish(m.id, { v: 1, kind: 'failed', id: m.id, agent: name, code: err instanceof LoadgenError ? err.code : null, message: e.message });
    } finally {
      clearInterval(watch);
      current = null;
      await beat();
    }
  };

  let running: Promise<void> = Promise.resolve();
  sub.on('message', (_channel: string, text: string) => {
    const m = decodeMessage<PlanMessage | StopMessage>(text);
    if (m === null) return;
    if (m.kind === 'stop') {
      if (current?.id === m.id) {
        log(`plan ${m.id}: stopped by the controller`);
        current.stopped = true;
        current.endNow?.();
      }
      return;
    }
    if (m.kind !== 'plan') return;
    if (current !== null) {
      void publish(m.id, { v: 1, kind: 'failed', id: m.id, agent: name, code: null, message: `busy with plan ${current.id}` });
      return;
    }
    running = runOne(m);
  });
  await sub.subscribe(channels.toAgent(name));
  await beat();
  const beating = setInterval(() => void beat(), HEARTBEAT_EVERY_MS);
  log(`agent ${name}: waiting for plans on ${config.redis}`);
  await config.quit;
  clearInterval(beating);
  if (current !== null) {
    const c: { endNow: (() => void) | null; stopped: boolean } = current;
    c.stopped = true;
    c.endNow?.();
  }
  await running;
  await cmd.del(keys.agent(name)).catch(() => undefined);
  sub.disconnect();
  await cmd.quit().catch(() => undefined);
  log(`agent ${name}: quit`);
}
