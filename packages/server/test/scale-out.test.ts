/**
 * Two servers behind HAProxy (docs/scale-out/haproxy.cfg, unchanged: its addresses come from the
 * environment) with chat across them through a real redis-server; then Redis is stopped and started
 * again on the same port. Server A is one process (`--workers 0`), server B a cluster of two, so
 * the test sees both the bus between servers and the relay between one server's processes.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MessageType, decodeChat, decodeStats, decodeWelcome, encodeHello, encodeRoom, encodeSay, type BusStats, type StatsSnapshot } from '@sockbench/protocol';
import { CliProcess, type LogLine } from './cli-process.js';
import { ExternalProcess, HAPROXY, HAS_HAPROXY, HAS_REDIS, freePort, startRedis } from './external-process.js';
import { Peer, waitFor } from './helpers.js';

const CONFIG_PATH = new URL('../../../docs/scale-out/haproxy.cfg', import.meta.url);
const DOC_PATH = new URL('../../../docs/scale-out.md', import.meta.url);

describe('docs/scale-out.md', () => {
  it('shows docs/scale-out/haproxy.cfg, the file the test below runs, verbatim', () => {
    const config = readFileSync(CONFIG_PATH, 'utf8');
    expect(config).toContain('balance leastconn');
    expect(config).toContain('option httpchk GET /healthz');
    expect(readFileSync(DOC_PATH, 'utf8')).toContain('```haproxy\n' + config + '```\n');
  });
});

const missing = [HAS_REDIS ? null : 'redis-server (apt-get install redis-server)', HAS_HAPROXY ? null : 'haproxy (apt-get install haproxy)'].filter((m) => m !== null);
const TITLE = 'two servers behind HAProxy, chat across them through Redis';

describe.skipIf(missing.length > 0)(missing.length === 0 ? TITLE : `${TITLE} (skipped: not installed: ${missing.join(', ')})`, () => {
  let redisPort: number;
  let redis: ExternalProcess;
  let haproxy: ExternalProcess;
  let lbPort: number;
  let statsUrl: string;
  const servers: Record<'A' | 'B', { cli: CliProcess; port: number; metrics: number }> = {} as never;
  const peers: Peer[] = [];

  /** One STATS on a connection of its own straight to `server` (so it counts itself in connections.current). */
  async function statsOf(server: 'A' | 'B'): Promise<StatsSnapshot> {
    const p = await Peer.welcomed(servers[server].port);
    try {
      return decodeStats((await p.request(MessageType.STATS, 1)).payload);
    } finally {
      p.destroy();
    }
  }
  const busOf = async (server: 'A' | 'B'): Promise<BusStats> => (await statsOf(server)).bus!;
  /** Server B's `/metrics`: how many of its processes are in `state`. */
  async function processesIn(state: string): Promise<number> {
    const text = await (await fetch(`http://127.0.0.1:${servers.B.metrics}/metrics`)).text();
    return Number(new RegExp(`^sockbench_bus_processes\\{state="${state}"\\} (\\d+)$`, 'm').exec(text)?.[1] ?? NaN);
  }
  /** HAProxy's view of its servers (the stats page's CSV): name → status, check status, redispatches. */
  async function haproxyServers(): Promise<Record<string, { status: string; check: string; redispatched: number }>> {
    const csv = await (await fetch(`${statsUrl};csv`)).text();
    const [header, ...rows] = csv.trim().split('\n');
    const cols = header!.replace(/^# /, '').split(',');
    const out: Record<string, { status: string; check: string; redispatched: number }> = {};
    for (const row of rows) {
      const cells = row.split(',');
      const get = (c: string): string => cells[cols.indexOf(c)] ?? '';
      if (get('pxname') === 'sockbench_servers' && get('svname') !== 'BACKEND') {
        out[get('svname')] = { status: get('status'), check: get('check_status'), redispatched: Number(get('wredis')) };
      }
    }
    return out;
  }
  async function member(port: number, name: string): Promise<Peer & { worker: number }> {
    const p = await Peer.open(port);
    peers.push(p);
    const worker = decodeWelcome((await p.next()).payload).worker;
    await p.request(MessageType.HELLO, 1, encodeHello({ client: name }));
    await p.request(MessageType.JOIN, 2, encodeRoom('hall'));
    return Object.assign(p, { worker });
  }
  let nextId = 10;
  async function say(p: Peer, text: string): Promise<void> {
    const r = await p.request(MessageType.SAY, nextId++, encodeSay('hall', text));
    expect(r.type).toBe(MessageType.SAY);
  }
  const chats = (p: Peer): string[] => p.frames.filter((f) => f.type === MessageType.CHAT).map((f) => {
    const c = decodeChat(f.payload);
    return `${c.from}: ${c.text}`;
  });
  const logsOf = (cli: CliProcess, msg: string): LogLine[] => cli.lines.filter((l) => typeof l.msg === 'string' && l.msg.startsWith(msg));

  beforeAll(async () => {
    [redisPort, lbPort] = [await freePort(), await freePort()];
    const statsPort = await freePort();
    statsUrl = `http://127.0.0.1:${statsPort}/`;
    redis = await startRedis(redisPort);
    const url = `redis://127.0.0.1:${redisPort}`;
    const base = ['--threads', '1', '--port', '0', '--metrics-port', '0', '--redis', url];
    const a = new CliProcess(['--workers', '0', ...base]);
    const b = new CliProcess(['--workers', '2', ...base]);
    const [la, lb] = await Promise.all([a.listening(false), b.listening(true)]);
    servers.A = { cli: a, port: la.tcp, metrics: (la.line.metrics as { port: number }).port };
    servers.B = { cli: b, port: lb.tcp, metrics: (lb.line.metrics as { port: number }).port };
    haproxy = new ExternalProcess(HAPROXY, ['-db', '-f', fileURLToPath(CONFIG_PATH)], {
      SOCKBENCH_LB_BIND: `127.0.0.1:${lbPort}`,
      SOCKBENCH_LB_STATS: `127.0.0.1:${statsPort}`,
      SOCKBENCH_SERVER_A: `127.0.0.1:${servers.A.port}`,
      SOCKBENCH_SERVER_A_METRICS: String(servers.A.metrics),
      SOCKBENCH_SERVER_B: `127.0.0.1:${servers.B.port}`,
      SOCKBENCH_SERVER_B_METRICS: String(servers.B.metrics),
    });
    // Both servers UP with a passed HTTP check (L7OK: GET /healthz answered 200).
    await waitFor(async () => {
      try {
        const s = await haproxyServers();
        return s.a?.status === 'UP' && s.a.check === 'L7OK' && s.b?.status === 'UP' && s.b.check === 'L7OK';
      } catch {
        return false;
      }
    }, 10_000, "HAProxy's checks to pass").catch((err: Error) => {
      throw new Error(`${err.message}; HAProxy said:\n${haproxy.output}`);
    });
  });
  afterAll(async () => {
    for (const p of peers) p.destroy();
    await Promise.all([haproxy?.stop('SIGKILL'), servers.A?.cli.kill(), servers.B?.cli.kill()]);
    await redis?.stop('SIGKILL');
  });

  // Members: lb1 and lb2 through HAProxy (one on each server), b2 straight to B's other process,
  // a2 straight to A (A's second member, in A's one process).
  let lb1: Peer & { worker: number };
  let lb2: Peer & { worker: number };
  let a2: Peer;
  let b2: Peer;
  let onA: Peer;
  let onB: Peer & { worker: number };

  it('clients through HAProxy land on both servers (leastconn) and chat crosses them once each, the sender excluded', async () => {
    lb1 = await member(lbPort, 'lb1');
    // Where did it land? The probe's own connection counts too.
    const lb1OnA = (await statsOf('A')).connections.current === 2;
    lb2 = await member(lbPort, 'lb2');
    expect((await statsOf('A')).connections.current).toBe(2);
    expect((await statsOf('B')).connections.current).toBe(2);
    [onA, onB] = lb1OnA ? [lb1, lb2] : [lb2, lb1];
    a2 = await member(servers.A.port, 'a2');
    // B's other process: node:cluster spreads connections, so a few tries find it.
    for (let i = 0; i < 20; i++) {
      const p = await member(servers.B.port, 'b2');
      if (p.worker !== onB.worker) {
        b2 = p;
        break;
      }
      p.destroy();
    }
    expect(b2, 'a connection on the other process of B').toBeDefined();
    const [nA, nB] = [onA === lb1 ? 'lb1' : 'lb2', onB === lb1 ? 'lb1' : 'lb2'];

    await say(onA, 'hello from A');
    await say(onB, 'hello from B');
    await say(b2, 'hello from B, other process');
    const all = [onA, a2, onB, b2];
    await waitFor(() => all.every((p) => chats(p).length === (p === a2 ? 3 : 2)), 10_000, 'every member has the others\' SAYs');
    // A barrier each way: a copy delivered twice would come before it on the same path.
    await say(a2, 'barrier A');
    await waitFor(() => [onB, b2].every((p) => chats(p).includes('a2: barrier A')), 10_000, 'barrier A');
    await say(b2, 'barrier B');
    await waitFor(() => [onA, a2].every((p) => chats(p).includes('b2: barrier B')), 10_000, 'barrier B');
    expect(chats(onA).sort()).toEqual(['a2: barrier A', `${nB}: hello from B`, 'b2: barrier B', 'b2: hello from B, other process'].sort());
    expect(chats(a2).sort()).toEqual([`${nA}: hello from A`, `${nB}: hello from B`, 'b2: barrier B', 'b2: hello from B, other process'].sort());
    expect(chats(onB).sort()).toEqual(['a2: barrier A', `${nA}: hello from A`, 'b2: barrier B', 'b2: hello from B, other process'].sort());
    expect(chats(b2).sort()).toEqual(['a2: barrier A', `${nA}: hello from A`, `${nB}: hello from B`].sort());

    const [sa, sb] = [await statsOf('A'), await statsOf('B')];
    // Each server counts its own processes only, though four processes share the bus.
    expect([sa.processes, sb.processes]).toEqual([1, 2]);
    expect(sa.bus).toEqual({ state: 'connected', published: 2, received: 3, failed: 0, dropped: 0, invalid: 0 });
    // Two messages from A, taken by each of B's two processes; B's own three skipped by both.
    expect(sb.bus).toEqual({ state: 'connected', published: 3, received: 4, failed: 0, dropped: 0, invalid: 0 });
  });

  it('Redis stopped: SAY still reaches the members on its own server; the bus is down, what could not cross is counted, each process logs it once', async () => {
    await redis.stop('SIGTERM');
    await waitFor(async () => (await busOf('A')).state === 'down', 10_000, 'A down');
    await waitFor(async () => (await processesIn('down')) === 2, 10_000, 'both processes of B down');
    const [ba, bb] = [await busOf('A'), await busOf('B')];
    const before = { A: chats(a2).length, B: chats(b2).length };
    await say(onA, 'A alone');
    await say(onB, 'B alone');
    // Same process on A; the other process of B, through B's own relay.
    await a2.until(() => chats(a2).length === before.A + 1, 5_000, 'local delivery on A');
    await b2.until(() => chats(b2).length === before.B + 1, 5_000, 'local delivery on B');
    expect(chats(a2).at(-1)).toBe(`${onA === lb1 ? 'lb1' : 'lb2'}: A alone`);
    expect(chats(b2).at(-1)).toBe(`${onB === lb1 ? 'lb1' : 'lb2'}: B alone`);
    const [aa, ab] = [await busOf('A'), await busOf('B')];
    // Not sent (dropped), or sent by a publisher that had not yet seen its connection close (failed):
    // either way counted once, and not published.
    for (const [before, after] of [[ba, aa], [bb, ab]] as const) {
      expect(after.dropped + after.failed).toBe(before.dropped + before.failed + 1);
      expect({ ...after, dropped: 0, failed: 0 }).toEqual({ ...before, state: 'down', dropped: 0, failed: 0 });
    }
    expect(logsOf(servers.A.cli, 'chat bus down')).toHaveLength(1);
    // One line per process of B, each from its own worker.
    expect(logsOf(servers.B.cli, 'chat bus down').map((l) => l.worker).sort()).toEqual([0, 1]);
    const metrics = await (await fetch(`http://127.0.0.1:${servers.A.metrics}/metrics`)).text();
    expect(metrics).toMatch(/^sockbench_bus_processes\{state="down"\} 1$/m);
    expect(metrics).toMatch(new RegExp(`^sockbench_bus_dropped_total ${aa.dropped}$`, 'm'));
    expect(metrics).toMatch(new RegExp(`^sockbench_bus_published_total ${aa.published}$`, 'm'));
  });

  it('Redis started again on the same port: every process reconnects, chat crosses servers again, and nothing said meanwhile arrives late', async () => {
    redis = await startRedis(redisPort);
    await waitFor(async () => (await busOf('A')).state === 'connected', 15_000, 'A connected');
    await waitFor(async () => (await processesIn('connected')) === 2, 15_000, 'both processes of B connected');
    const before = new Map([onA, a2, onB, b2].map((p) => [p, chats(p).length]));
    await say(onA, 'A again');
    await say(b2, 'B again');
    await waitFor(() => [onA, a2, onB, b2].every((p) => chats(p).length === before.get(p)! + (p === onA || p === b2 ? 1 : 2)), 10_000, 'chat across servers again');
    const [nA, nB] = [onA === lb1 ? 'lb1' : 'lb2', onB === lb1 ? 'lb1' : 'lb2'];
    expect(chats(onA).slice(before.get(onA))).toEqual(['b2: B again']);
    expect(chats(b2).slice(before.get(b2))).toEqual([`${nA}: A again`]);
    expect(chats(onB).slice(before.get(onB)).sort()).toEqual([`${nA}: A again`, 'b2: B again'].sort());
    expect(chats(a2).slice(before.get(a2)).sort()).toEqual([`${nA}: A again`, 'b2: B again'].sort());
    // What B said while Redis was down never reached A.
    expect(chats(onA).concat(chats(a2)).filter((c) => c === `${nB}: B alone`)).toEqual([]);
    expect(logsOf(servers.A.cli, 'chat bus back')).toHaveLength(1);
    expect(logsOf(servers.B.cli, 'chat bus back').map((l) => l.worker).sort()).toEqual([0, 1]);
    expect(await processesIn('down')).toBe(0);
  });

  it('server A draining (SIGTERM): it refuses new connections before its check fails, and HAProxy retries them on B', async () => {
    await servers.A.cli.child.kill('SIGTERM');
    await servers.A.cli.waitLine((l) => l.msg === 'draining', 10_000, 'A draining');
    const bBefore = (await statsOf('B')).connections.current;
    // leastconn sends at least one of three to A (B gains one each): that one is refused and redispatched.
    for (let i = 0; i < 3; i++) {
      const p = await Peer.open(lbPort);
      peers.push(p);
      expect((await p.next()).type).toBe(MessageType.WELCOME);
    }
    expect((await statsOf('B')).connections.current).toBe(bBefore + 3);
    expect((await haproxyServers()).a!.redispatched).toBeGreaterThanOrEqual(1);
  });
});
