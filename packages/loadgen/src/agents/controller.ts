/**
 * The controller side of `run|compare --agents N --redis URL`: waits (bounded) for N idle agents,
 * claims them, splits the plan (split.ts), publishes each share with one common start on Redis's
 * clock, keeps its own heartbeat alive while the agents run, sums their intervals for live
 * progress, and merges their reports into one run ({@link mergeRuns} with the whole plan). Failures
 * are per agent and named: never answered, died mid-run (its heartbeat key expired), failed (its
 * message), report of another plan, no report in time.
 */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { AgentsError, LoadgenError } from '../errors.js';
import type { RunOptions } from '../options.js';
import { addIntervalParts } from '../report/intervals.js';
import { mergeRuns } from '../report/merge.js';
import { validateReport, type IntervalReport, type RunReport } from '../report/schema.js';
import type { RunHooks } from '../runner.js';
import { measureOffset, nowMs, type ClockOffset } from './clock.js';
import {
  AGENT_PROTOCOL_VERSION,
  HEARTBEAT_EVERY_MS,
  HEARTBEAT_TTL_MS,
  channels,
  decodeBeat,
  decodeMessage,
  keys,
  type AgentReport,
  type AgentRun,
  type FromAgent,
  type PlanMessage,
  type StopMessage,
} from './protocol.js';
import { splitPlan } from './split.js';

/** How far ahead of "published" the common start is, ms: time for every agent to measure its clock and connect. */
export const START_LEAD_MS = 2000;
/** Past the plan's end (start + warm-up + duration + timeout), how long a report may take, ms. */
export const REPORT_GRACE_MS = 10_000;
/** An agent's clock offset or start uncertainty past this is warned about, ms. */
export const CLOCK_BOUND_MS = 5;

/** What {@link Controller.connect} needs. */
export interface ControllerConfig {
  redis: string;
  /** Agents per plan. */
  agents: number;
  /** How long to wait for that many idle agents, and for each to accept its share, ms. */
  timeoutMs: number;
}

/** An agent that gave no report, and why (one line naming it). */
export interface AgentFailure {
  name: string;
  reason: string;
}

/** One distributed run: the merged run (null when no agent reported) and each agent's part. */
export interface DistributedRun {
  run: RunReport | null;
  agents: AgentRun[];
  failed: AgentFailure[];
  /** The controller's own offset against Redis, ms. */
  controller: ClockOffset;
  /** Latest minus earliest start of measuring on Redis's clock, ms (0 with one report). */
  startSpreadMs: number;
}

interface AgentState {
  name: string;
  accepted: { offsetMs: number; rttMs: number } | null;
  reporting: boolean;
  report: AgentReport | null;
  failure: string | null;
}

/** A connection pair to Redis for one or more distributed runs. */
export class Controller {
  readonly #cmd: Redis;
  readonly #sub: Redis;
  readonly #config: ControllerConfig;

  private constructor(cmd: Redis, sub: Redis, config: ControllerConfig) {
    this.#cmd = cmd;
    this.#sub = sub;
    this.#config = config;
  }

  /** Connects to Redis. @throws AgentsError when it cannot */
  static async connect(config: ControllerConfig): Promise<Controller> {
    const options = { lazyConnect: true, maxRetriesPerRequest: 1, retryStrategy: (n: number) => (n > 3 ? null : 200) };
    const cmd = new Redis(config.redis, options);
    const sub = new Redis(config.redis, options);
    cmd.on('error', () => undefined);
    sub.on('error', () => undefined);
    try {
      await Promise.all([cmd.connect(), sub.connect()]);
    } catch (err) {
      cmd.disconnect();
      sub.disconnect();
      throw new AgentsError(`cannot reach Redis at ${config.redis}: ${(err as Error).message}`);
    }
    return new Controller(cmd, sub, config);
  }

  /** Closes both connections. */
  async close(): Promise<void> {
    this.#sub.disconnect();
    await this.#cmd.quit().catch(() => undefined);
  }

  /** Idle agents' names, sorted. */
  async idleAgents(): Promise<string[]> {
    const found: string[] = [];
    let cursor = '0';
    do {
      const [next, batch] = await this.#cmd.scan(cursor, 'MATCH', keys.agentPattern, 'COUNT', 200);
      cursor = next;
      const beats = batch.filter((k) => !k.endsWith(':claim'));
      if (beats.length === 0) continue;
      const values = await this.#cmd.mget(...beats);
      for (const v of values) {
        const beat = decodeBeat(v);
        if (beat !== null && beat.plan === null) found.push(beat.name);
      }
    } while (cursor !== '0');
    return [...new Set(found)].sort();
  }

  /** Waits (bounded by `timeoutMs`) for N idle agents and claims them for plan `id`. @throws AgentsError */
  async #claimAgents(id: string): Promise<string[]> {
    const { agents: n, timeoutMs } = this.#config;
    const until = nowMs() + timeoutMs;
    const claimed: string[] = [];
    let seen: string[] = [];
    for (;;) {
      seen = await this.idleAgents();
      for (const name of seen) {
        if (claimed.length === n) break;
        if (claimed.includes(name)) continue;
        const ok = await this.#cmd.set(keys.claim(name), id, 'PX', timeoutMs + START_LEAD_MS, 'NX');
        if (ok === 'OK') claimed.push(name);
      }
      if (claimed.length === n) return claimed;
      if (nowMs() >= until) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    if (claimed.length > 0) await this.#cmd.del(...claimed.map((c) => keys.claim(c)));
    throw new AgentsError(
      `only ${claimed.length} of ${n} agents ready on ${this.#config.redis} within ${timeoutMs} ms${seen.length > 0 ? ` (idle: ${seen.join(', ')})` : ''}; start them with: sockbench-loadgen agent --redis ${this.#config.redis}`,
    );
  }

  /**
   * Runs `opts.plan` split over the agents. `hooks.onInterval` gets the agents' intervals added,
   * once every agent still running has sent that second; `hooks.onStart` ends every agent's run early.
   * @throws AgentsError when the agents cannot be had or Redis is lost; UsageError when the plan
   *   cannot be split
   */
  async run(opts: RunOptions, hooks: RunHooks = {}): Promise<DistributedRun> {
    try {
      return await this.#run(opts, hooks);
    } catch (err) {
      if (err instanceof LoadgenError) throw err;
      // Redis went away under the controller: the agents' reports went with it.
      throw new AgentsError(`lost Redis at ${this.#config.redis}: ${(err as Error).message}`);
    }
  }

  async #run(opts: RunOptions, hooks: RunHooks): Promise<DistributedRun> {
    const { plan } = opts;
    const n = this.#config.agents;
    const shares = splitPlan(plan, n);
    const id = randomUUID();
    const names = await this.#claimAgents(id);
    const state = new Map<string, AgentState>(names.map((name) => [name, { name, accepted: null, reporting: false, report: null, failure: null }]));
    const cmd = this.#cmd;
    const beat = (): Promise<unknown> => cmd.set(keys.alive(id), '1', 'PX', HEARTBEAT_TTL_MS).catch(() => undefined);
    await beat();
    const beating = setInterval(() => void beat(), HEARTBEAT_EVERY_MS);
    const channel = channels.fromAgents(id);
    const pending = new Map<number, IntervalReport[]>();
    let emitted = 0;

    try {
      const controller = await measureOffset(cmd);
      const startAt = nowMs() + controller.offsetMs + START_LEAD_MS;
      const startLocal = startAt - controller.offsetMs;
      const planEnd = plan.durationMs === null ? null : startLocal + plan.warmupMs + plan.durationMs + plan.timeoutMs;
      const acceptBy = nowMs() + this.#config.timeoutMs;

      let cleanup = (): void => undefined;
      let settle = (): void => undefined;
      const settled = new Promise<void>((resolveSettled) => {
        const fail = (s: AgentState, reason: string): void => {
          if (s.report !== null || s.failure !== null) return;
          s.failure = reason;
          check();
        };
        const check = (): void => {
          flushIntervals();
          if ([...state.values()].every((s) => s.report !== null || s.failure !== null)) resolveSettled();
        };
        const running = (): number => [...state.values()].filter((s) => s.failure === null).length;
        const flushIntervals = (): void => {
          for (;;) {
            const parts = pending.get(emitted);
            if (parts === undefined || parts.length < running()) return;
            pending.delete(emitted);
            hooks.onInterval?.(addIntervalParts(emitted, parts));
            emitted++;
          }
        };
        const onMessage = (ch: string, text: string): void => {
          if (ch !== channel) return;
          const m = decodeMessage<FromAgent>(text);
          if (m === null || m.id !== id) return;
          const s = state.get(m.agent);
          if (s === undefined) return;
          switch (m.kind) {
            case 'accepted':
              s.accepted = { offsetMs: m.offsetMs, rttMs: m.rttMs };
              break;
            case 'interval':
              if (s.failure === null) pending.set(m.interval.index, [...(pending.get(m.interval.index) ?? []), m.interval]);
              flushIntervals();
              break;
            case 'failed':
              fail(s, `agent ${s.name} failed: ${m.message}${m.code !== null ? ` (${m.code})` : ''}`);
              break;
            case 'report':
              s.reporting = true;
              void cmd.get(m.key).then(
                (value) => {
                  if (value === null) return fail(s, `agent ${s.name}'s report key ${m.key} is missing`);
                  let r: AgentReport;
                  try {
                    r = JSON.parse(value) as AgentReport;
                  } catch {
                    return fail(s, `agent ${s.name}'s report is not JSON`);
                  }
                  if (r.id !== id) return fail(s, `agent ${s.name} returned a report of plan ${String(r.id)}, not of this plan ${id}`);
                  try {
                    validateReport(r.report, `agent ${s.name}'s report`);
                  } catch (err) {
                    return fail(s, (err as Error).message);
                  }
                  s.report = r;
                  check();
                },
                (err: Error) => fail(s, `agent ${s.name}'s report could not be read: ${err.message}`),
              );
              break;
          }
        };
        this.#sub.on('message', onMessage);
        let checking = false;
        const monitor = setInterval(() => {
          if (checking) return;
          checking = true;
          void (async () => {
            for (const s of state.values()) {
              if (s.report !== null || s.failure !== null || s.reporting) continue;
              if (s.accepted === null) {
                if (nowMs() > acceptBy) fail(s, `agent ${s.name} never answered the plan (nothing within ${this.#config.timeoutMs} ms)`);
                continue;
              }
              const b = decodeBeat(await cmd.get(keys.agent(s.name)).catch(() => null));
              if (s.reporting || s.report !== null || s.failure !== null) continue;
              if (b === null) fail(s, `agent ${s.name} died mid-run (its heartbeat stopped for ${HEARTBEAT_TTL_MS} ms)`);
              else if (b.plan !== id) fail(s, `agent ${s.name} dropped the plan without a report (now on ${b.plan ?? 'nothing'})`);
              else if (planEnd !== null && nowMs() > planEnd + REPORT_GRACE_MS) fail(s, `agent ${s.name} sent no report within ${REPORT_GRACE_MS} ms of the plan's end`);
            }
          })().finally(() => {
            checking = false;
          });
        }, HEARTBEAT_EVERY_MS);
        settle = check;
        cleanup = () => {
          clearInterval(monitor);
          this.#sub.off('message', onMessage);
        };
      });

      await this.#sub.subscribe(channel);
      const stop = (): void => {
        for (const name of names) void cmd.publish(channels.toAgent(name), JSON.stringify({ v: AGENT_PROTOCOL_VERSION, kind: 'stop', id } satisfies StopMessage));
      };
      for (const [i, name] of names.entries()) {
        const message: PlanMessage = { v: AGENT_PROTOCOL_VERSION, kind: 'plan', id, index: i, of: n, startAt, plan: shares[i]!, token: opts.token, stats: opts.stats };
        const listeners = await cmd.publish(channels.toAgent(name), JSON.stringify(message));
        if (listeners === 0) {
          const s = state.get(name)!;
          s.failure = `agent ${name} is not listening on ${channels.toAgent(name)}`;
        }
      }
      hooks.onStart?.(stop);
      // Every agent may have failed already (none listening).
      settle();
      await settled;
      cleanup();
      await this.#sub.unsubscribe(channel);
      return this.#result(plan, names, state, controller);
    } finally {
      clearInterval(beating);
      await cmd.del(keys.alive(id), ...names.map((name) => keys.claim(name))).catch(() => undefined);
    }
  }

  #result(plan: RunOptions['plan'], names: readonly string[], state: Map<string, AgentState>, controller: ClockOffset): DistributedRun {
    const got = names.map((name) => state.get(name)!).filter((s) => s.report !== null);
    const agents: AgentRun[] = got.map((s) => {
      const r = s.report!;
      const run = r.report.runs[0]!;
      return {
        name: s.name,
        host: r.host,
        offsetMs: r.offsetMs,
        rttMs: r.rttMs,
        startedAt: new Date(Date.parse(run.startedAt) + r.offsetMs).toISOString(),
        connections: run.plan.connections,
        rate: run.plan.rate,
        durationMs: run.durationMs,
        counters: run.counters,
        requestsPerSec: run.results.requestsPerSec,
      };
    });
    const failed = names.map((name) => state.get(name)!).filter((s) => s.failure !== null).map((s) => ({ name: s.name, reason: s.failure! }));
    const starts = agents.map((a) => Date.parse(a.startedAt));
    const startSpreadMs = starts.length > 0 ? Math.max(...starts) - Math.min(...starts) : 0;
    const run =
      got.length === 0
        ? null
        : { ...mergeRuns(got.map((s) => s.report!.report.runs[0]!), got.map((s) => `agent ${s.name}`), plan), agents, ...(failed.length > 0 ? { agentsFailed: failed } : {}) };
    return { run, agents, failed, controller, startSpreadMs };
  }
}
