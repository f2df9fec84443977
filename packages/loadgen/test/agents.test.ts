/**
 * Generators coordinated through Redis, end to end: a real `redis-server` started here on a free
 * port, the sockbench server in-process, agents as separate `sockbench-loadgen agent` processes and
 * the controller as a `sockbench-loadgen run --agents N` process, all on 127.0.0.1. Agents that
 * misbehave (never answer, answer with another plan's report, a controller that vanishes) are
 * played by this file over ioredis, speaking the documented protocol.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createServer, type Server } from '@sockbench/server';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLOCK_BOUND_MS } from '../src/agents/controller.js';
import { channels, decodeBeat, decodeMessage, keys, type AgentReport, type PlanMessage } from '../src/agents/protocol.js';
import { COUNTER_FIELDS } from '../src/counters.js';
import { parseReport, type Report } from '../src/report/schema.js';
import { freePort } from './fixtures/servers.js';

const BIN = resolve(import.meta.dirname, '../bin/sockbench-loadgen.js');
const haveRedis = spawnSync('redis-server', ['--version']).status === 0;

interface Proc {
  child: ChildProcess;
  /** stdout and stderr, interleaved. */
  output(): string;
  /** stdout alone. */
  stdout(): string;
  exited: Promise<number>;
  /** Resolves once the output matches, rejects after `ms`. */
  waitFor(re: RegExp, ms?: number): Promise<void>;
}

function start(command: string, args: string[]): Proc {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let text = '';
  let out = '';
  const waiters: { re: RegExp; done: () => void }[] = [];
  const feed = (chunk: Buffer): void => {
    text += chunk.toString();
    for (const w of [...waiters]) if (w.re.test(text)) w.done();
  };
  child.stdout!.on('data', (chunk: Buffer) => {
    out += chunk.toString();
    feed(chunk);
  });
  child.stderr!.on('data', feed);
  const exited = new Promise<number>((done) => child.on('exit', (code, signal) => done(code ?? (signal === 'SIGKILL' ? 137 : 1))));
  return {
    child,
    output: () => text,
    stdout: () => out,
    exited,
    waitFor(re, ms = 10_000) {
      if (re.test(text)) return Promise.resolve();
      return new Promise((done, fail) => {
        const timer = setTimeout(() => fail(new Error(`no ${String(re)} within ${ms} ms in:\n${text}`)), ms);
        waiters.push({ re, done: () => (clearTimeout(timer), done()) });
      });
    },
  };
}

/** Every process this file started, so that a failed wait leaves none behind. */
const started: Proc[] = [];
const cli = (args: string[]): Proc => {
  const p = start(process.execPath, [BIN, ...args]);
  started.push(p);
  return p;
};

let redisProc: ChildProcess | null = null;
let url = '';
let redis: Redis;
let server: Server;
let port: number;
let dir: string;
const agents = new Map<string, Proc>();

async function startAgent(name: string): Promise<Proc> {
  const p = cli(['agent', '--redis', url, '--name', name]);
  agents.set(name, p);
  await p.waitFor(/waiting for plans/);
  return p;
}

/** A fake agent's heartbeat, refreshed until the returned function is called. */
function fakeBeat(name: string): () => Promise<void> {
  const beat = (): Promise<unknown> => redis.set(keys.agent(name), JSON.stringify({ v: 1, name, host: 'test', pid: process.pid, plan: null }), 'PX', 2000);
  void beat();
  const timer = setInterval(() => void beat(), 500);
  return async () => {
    clearInterval(timer);
    await redis.del(keys.agent(name));
  };
}

const plan = (extra: string[]): string[] => ['run', '--port', String(port), '--threads', '1', '--warmup', '200ms', '--redis', url, ...extra];

describe.skipIf(!haveRedis)('generators through Redis (redis-server on a free port)', () => {
  beforeAll(async () => {
    const redisPort = await freePort();
    redisProc = spawn('redis-server', ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
    url = `redis://127.0.0.1:${redisPort}`;
    redis = new Redis(url, { retryStrategy: (n) => (n > 50 ? null : 100) });
    // Refused connections until redis-server listens: retried, not errors.
    redis.on('error', () => undefined);
    await redis.ping();
    server = createServer({ host: '127.0.0.1', port: 0, threads: 1 });
    port = (await server.listen()).tcp.port;
    dir = await mkdtemp(join(tmpdir(), 'loadgen-agents-'));
    await Promise.all([startAgent('a'), startAgent('b')]);
  });
  afterAll(async () => {
    for (const p of started) if (p.child.exitCode === null && p.child.signalCode === null) process.kill(p.child.pid!, 'SIGTERM');
    await Promise.all(started.map((p) => p.exited));
    redis?.disconnect();
    if (redisProc?.pid !== undefined) process.kill(redisProc.pid, 'SIGKILL');
    await server?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('two agents give one report: counts the exact sum of theirs, starts within the bound, a row per agent', async () => {
    const out = join(dir, 'two.json');
    const c = cli(plan(['--connections', '5', '--duration', '1s', '--agents', '2', '--json', out, '--json-stream']));
    expect(await c.exited, c.output()).toBe(0);
    const report: Report = parseReport(await readFile(out, 'utf8'));
    const run = report.runs[0]!;
    expect(run.plan.connections).toBe(5);
    expect(run.generators).toBe(2);
    const parts = run.agents!;
    expect(parts.map((p) => [p.name, p.connections])).toEqual([['a', 2], ['b', 3]]);
    for (const k of COUNTER_FIELDS) expect(run.counters[k]).toBe(parts[0]!.counters[k] + parts[1]!.counters[k]);
    expect(run.counters.completed).toBeGreaterThan(0);
    const starts = parts.map((p) => Date.parse(p.startedAt));
    expect(Math.abs(starts[0]! - starts[1]!)).toBeLessThan(CLOCK_BOUND_MS);
    for (const p of parts) expect(Math.abs(p.offsetMs)).toBeLessThan(CLOCK_BOUND_MS);
    expect(c.output()).toMatch(/^a {2,}\S+ +[+-]\d+\.\d{3} /m);
    expect(c.output()).toMatch(/^b {2,}/m);
    expect(c.output()).toMatch(/^total .* spread \d+ ms +5 /m);
    // Live progress is the agents' intervals added: every streamed second equals the merged report's.
    const streamed = c.stdout().trim().split('\n').map((l) => JSON.parse(l) as { event: string; data: { index: number; counters: unknown } });
    const seconds = streamed.filter((e) => e.event === 'interval').map((e) => [e.data.index, e.data.counters]);
    expect(seconds.length).toBeGreaterThan(0);
    expect(seconds).toEqual(run.intervals.slice(0, seconds.length).map((iv) => [iv.index, iv.counters]));
  });

  it('open loop: the rate is divided by connections and the merged plan keeps the whole rate', async () => {
    const out = join(dir, 'rate.json');
    const c = cli(plan(['--connections', '4', '--rate', '400', '--duration', '1s', '--agents', '2', '--json', out]));
    expect(await c.exited).toBe(0);
    const run = parseReport(await readFile(out, 'utf8')).runs[0]!;
    expect(run.plan.rate).toBe(400);
    expect(run.selfCheck.intendedRate).toBe(400);
    expect(run.agents!.map((p) => p.rate)).toEqual([200, 200]);
    expect(run.counters.sent).toBe(run.agents![0]!.counters.sent + run.agents![1]!.counters.sent);
  });

  it('refuses --agents without --redis, --redis without --agents, and fewer connections than agents (exit 2)', async () => {
    const noRedis = cli(['run', '--port', String(port), '--agents', '2']);
    const noAgents = cli(['run', '--port', String(port), '--redis', url]);
    const few = cli(plan(['--connections', '1', '--agents', '2']));
    expect(await noRedis.exited).toBe(2);
    expect(noRedis.output().trim()).toBe('sockbench-loadgen: --agents 2 needs --redis URL (the Redis the agents wait on)');
    expect(await noAgents.exited).toBe(2);
    expect(noAgents.output().trim()).toBe('sockbench-loadgen: --redis is for --agents N (a plan split over agents); a local run needs no Redis');
    expect(await few.exited).toBe(2);
    expect(few.output()).toContain('--agents 2 needs at least 2 connections (one per agent), got --connections 1');
  });

  it('too few agents within --agents-wait: exit 1, naming the idle ones', async () => {
    const c = cli(plan(['--connections', '3', '--duration', '1s', '--agents', '3', '--agents-wait', '300ms']));
    expect(await c.exited).toBe(1);
    expect(c.output()).toContain(`only 2 of 3 agents ready on ${url} within 300 ms (idle: a, b)`);
  });

  it('an agent that never answers is named, exit 1, nothing written when no agent reported', async () => {
    const stopA = fakeBeat('0-silent');
    const stopB = fakeBeat('0-unsubscribed');
    const sub = redis.duplicate();
    await sub.subscribe(channels.toAgent('0-silent'));
    try {
      const out = join(dir, 'silent.json');
      const c = cli(plan(['--connections', '2', '--duration', '1s', '--agents', '2', '--agents-wait', '1s', '--json', out]));
      expect(await c.exited).toBe(1);
      expect(c.output()).toContain('agent failed: tcp: agent 0-silent never answered the plan (nothing within 1000 ms)');
      expect(c.output()).toContain(`agent failed: tcp: agent 0-unsubscribed is not listening on ${channels.toAgent('0-unsubscribed')}`);
      expect(c.output()).toContain('no agent returned a report: nothing written');
      await expect(readFile(out)).rejects.toThrow(/ENOENT/);
    } finally {
      sub.disconnect();
      await stopA();
      await stopB();
    }
  });

  it("a report of another plan is named, the other agent's report is written, exit 1", async () => {
    const stop = fakeBeat('0-rogue');
    const sub = redis.duplicate();
    await sub.subscribe(channels.toAgent('0-rogue'));
    sub.on('message', (_ch, text) => {
      const m = decodeMessage<PlanMessage>(text);
      if (m?.kind !== 'plan') return;
      void (async () => {
        const from = channels.fromAgents(m.id);
        await redis.publish(from, JSON.stringify({ v: 1, kind: 'accepted', id: m.id, agent: '0-rogue', offsetMs: 0, rttMs: 0 }));
        const stale = JSON.parse(await readFile(join(dir, 'two.json'), 'utf8')) as Report;
        const value: AgentReport = { v: 1, id: 'another-plan', agent: '0-rogue', host: 'test', offsetMs: 0, rttMs: 0, report: stale };
        await redis.set('sockbench:loadgen:plan:another-plan:report:0-rogue', JSON.stringify(value), 'EX', 60);
        await redis.publish(from, JSON.stringify({ v: 1, kind: 'report', id: m.id, agent: '0-rogue', key: 'sockbench:loadgen:plan:another-plan:report:0-rogue' }));
      })();
    });
    try {
      const out = join(dir, 'rogue.json');
      const c = cli(plan(['--connections', '2', '--duration', '1s', '--agents', '2', '--json', out]));
      expect(await c.exited, c.output()).toBe(1);
      expect(c.output()).toMatch(/agent failed: tcp: agent 0-rogue returned a report of plan another-plan, not of this plan [0-9a-f-]{36}/);
      const run = parseReport(await readFile(out, 'utf8')).runs[0]!;
      expect(run.agents!.map((p) => p.name)).toEqual(['a']);
      expect(run.agentsFailed!.map((f) => f.name)).toEqual(['0-rogue']);
      expect(run.counters).toEqual(run.agents![0]!.counters);
      expect(run.plan.connections).toBe(1);
    } finally {
      sub.disconnect();
      await stop();
    }
  });

  it('an agent whose controller vanished ends its run and waits again', async () => {
    const a = agents.get('a')!;
    const id = 'vanished-controller';
    await redis.set(keys.alive(id), '1', 'PX', 1000);
    const { stdout } = spawnSync(process.execPath, ['-e', 'console.log(Date.now())']);
    const startAt = Number(String(stdout).trim()) + 300;
    const message: PlanMessage = {
      v: 1,
      kind: 'plan',
      id,
      index: 0,
      of: 1,
      startAt,
      plan: { host: '127.0.0.1', port, transport: 'tcp', connections: 1, threads: 1, op: 'echo', size: 64, iterations: 0, durationMs: 60_000, requests: null, warmupMs: 0, pipeline: 1, rate: null, pacing: null, timeoutMs: 1000 },
      token: null,
      stats: null,
    };
    expect(await redis.publish(channels.toAgent('a'), JSON.stringify(message))).toBe(1);
    await a.waitFor(/plan vanished-controller: the controller's heartbeat is gone: ending the run, reporting nothing/);
    for (let i = 0; i < 50; i++) {
      if (decodeBeat(await redis.get(keys.agent('a')))?.plan === null && /reporting nothing[\s\S]*\n/.test(a.output())) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(decodeBeat(await redis.get(keys.agent('a')))?.plan).toBeNull();
    expect(await redis.exists(keys.report(id, 'a'))).toBe(0);
  });

  it('Ctrl-C on the controller stops every agent: both report, the run is marked interrupted, exit 130', async () => {
    const out = join(dir, 'stopped.json');
    const c = cli(plan(['--connections', '2', '--duration', '30s', '--agents', '2', '--json', out]));
    await c.waitFor(/tcp +1s\/30s/, 15_000);
    c.child.kill('SIGINT');
    expect(await c.exited).toBe(130);
    const run = parseReport(await readFile(out, 'utf8')).runs[0]!;
    expect(run.interrupted).toBe(true);
    expect(run.agents!.map((p) => p.name)).toEqual(['a', 'b']);
    expect(run.durationMs).toBeLessThan(30_000);
  });

  it('an agent killed mid-run is named, the survivor is written, exit 1', async () => {
    const out = join(dir, 'killed.json');
    const b = agents.get('b')!;
    const c = cli(plan(['--connections', '2', '--duration', '2s', '--agents', '2', '--json', out]));
    await b.waitFor(/plan [0-9a-f-]{36}: agent 2 of 2/);
    await c.waitFor(/tcp +1s\/2s/);
    process.kill(b.child.pid!, 'SIGKILL');
    expect(await c.exited).toBe(1);
    expect(c.output()).toContain('agent failed: tcp: agent b died mid-run (its heartbeat stopped for 2000 ms)');
    const run = parseReport(await readFile(out, 'utf8')).runs[0]!;
    expect(run.agents!.map((p) => p.name)).toEqual(['a']);
    expect(run.agentsFailed).toEqual([{ name: 'b', reason: 'agent b died mid-run (its heartbeat stopped for 2000 ms)' }]);
    expect(run.counters).toEqual(run.agents![0]!.counters);
  });
});
