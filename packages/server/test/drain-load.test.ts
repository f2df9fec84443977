/**
 * Drain under pipelined load, repeated, on real server processes with SIGTERM by PID: one process
 * (`--workers 0`, a fresh one per drain) and a cluster of two (`--workers 2`: a worker's PID, in turn,
 * which the primary respawns, then the primary's for the last drain), both `--dispatch` modes.
 * Connections pipeline PING, ECHO, COMPUTE and STATS (`mixed`) or 64 KiB ECHOs (`bulk`, which fill the
 * socket buffers and, with pool dispatch, pass the pool-work mark, so the server pauses reading while
 * it drains). Counted per request id: every request whose bytes the kernel took before the signal
 * gets exactly one answer (its reply, or ERROR SHUTTING_DOWN); a later one at most one; nothing else
 * comes back. `SOCKBENCH_DRAIN_ITERATIONS` (drains per configuration, default 4; a cluster does one
 * fewer) raises it for a soak.
 */
import { connect, type Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { ErrorCode, Flags, FrameDecoder, MessageType, decodeError, decodeWelcome, encodeCompute, encodeFrame, type Frame } from '@sockbench/protocol';
import { CliProcess } from './cli-process.js';

/** Drains per single-process configuration (a fresh process each). */
const ITERATIONS = Number(process.env.SOCKBENCH_DRAIN_ITERATIONS ?? 4);
/** Drains per cluster: workers in turn, the primary last (at least 3: both slots, then the primary). */
const CLUSTER_ITERATIONS = Math.max(3, ITERATIONS - 1);
const CONNECTIONS = 3;
/** Batches a connection still writes after the signal (until the server closes it). */
const BATCHES_AFTER = 3;

type Load = 'mixed' | 'bulk';

/**
 * Per load: requests per write, requests a connection may have unanswered before it waits, requests
 * per connection at most (a bound on every loop), and the replies (all connections) that come before
 * the signal: `killAt` plus up to `killSpread` more, depending on the iteration.
 */
const SHAPE = {
  mixed: { batch: 20, window: 120, max: 600, killAt: 40, killSpread: 300 },
  bulk: { batch: 4, window: 40, max: 120, killAt: 4, killSpread: 60 },
} as const;

const BULK = Buffer.alloc(64 * 1024, 0x62);

function requestFor(load: Load, id: number): { type: number; payload: Buffer } {
  if (load === 'bulk') return { type: MessageType.ECHO, payload: BULK };
  switch (id % 20) {
    case 0:
      return { type: MessageType.STATS, payload: Buffer.alloc(0) };
    case 1:
    case 5:
    case 9:
      return { type: MessageType.COMPUTE, payload: encodeCompute(200, Buffer.from(`c${id}`)) };
    default:
      return id % 2 === 0 ? { type: MessageType.PING, payload: Buffer.alloc(0) } : { type: MessageType.ECHO, payload: Buffer.from(`e${id}`) };
  }
}

/** When the kernel took a request's bytes, relative to the SIGTERM. */
type Phase = 'before' | 'unsure' | 'after';

interface Conn {
  socket: Socket;
  /** WELCOME.worker: the server process that owns the connection. */
  worker: number;
  types: Map<number, number>;
  phase: Map<number, Phase>;
  answers: Map<number, Frame[]>;
  stray: Frame[];
  answered: number;
  ended: boolean;
  wake: (() => void)[];
}

/** Resolves on the next chunk or close, or after `ms` (bounded waits only). */
function progress(c: Conn, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    c.wake.push(() => {
      clearTimeout(t);
      resolve();
    });
  });
}

/** Connects and waits for the WELCOME (a client that has it knows a server process owns the connection). */
async function openConn(port: number): Promise<Conn> {
  const socket = connect({ port, host: '127.0.0.1' });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  const c: Conn = { socket, worker: -1, types: new Map(), phase: new Map(), answers: new Map(), stray: [], answered: 0, ended: false, wake: [] };
  const decoder = new FrameDecoder({ expect: 'replies', maxPayload: 1 << 20 });
  const wake = (): void => {
    for (const f of c.wake.splice(0)) f();
  };
  socket.on('data', (chunk: Buffer) => {
    decoder.push(chunk, (f) => {
      const frame = { ...f, payload: Buffer.from(f.payload) };
      if (f.type === MessageType.WELCOME && f.id === 0 && c.worker === -1) c.worker = decodeWelcome(frame.payload).worker;
      else if (f.id === 0 || !c.types.has(f.id)) c.stray.push(frame);
      else {
        const list = c.answers.get(f.id);
        if (list === undefined) c.answers.set(f.id, [frame]);
        else list.push(frame);
        c.answered++;
      }
    });
    wake();
  });
  // Writes after the server's FIN may fail (EPIPE, ECONNRESET): those requests are 'after' ones.
  socket.on('error', () => undefined);
  const ended = (): void => {
    c.ended = true;
    wake();
  };
  socket.on('end', ended);
  socket.on('close', ended);
  const until = Date.now() + 10_000;
  while (c.worker === -1 && !c.ended && Date.now() < until) await progress(c, 100);
  if (c.worker === -1) throw new Error('no WELCOME');
  return c;
}

/** Opens {@link CONNECTIONS} connections owned by `worker` (any, if undefined), bounded in tries. */
async function openOn(port: number, worker: number | undefined): Promise<Conn[]> {
  const conns: Conn[] = [];
  for (let i = 0; i < 40 && conns.length < CONNECTIONS; i++) {
    const c = await openConn(port);
    if (worker === undefined || c.worker === worker) conns.push(c);
    else c.socket.destroy();
  }
  if (conns.length < CONNECTIONS) throw new Error(`only ${conns.length} connections landed on worker ${worker}`);
  return conns;
}

/** What is wrong with one connection's answers (empty when nothing is). */
function problems(c: Conn, label: string): string[] {
  const out: string[] = [];
  for (const f of c.stray) out.push(`${label}: frame type ${f.type} id ${f.id} answers no request`);
  for (const [id, phase] of c.phase) {
    const got = c.answers.get(id) ?? [];
    if (got.length > 1) out.push(`${label}: id ${id} (${phase}) answered ${got.length} times`);
    if (got.length === 0 && phase === 'before') out.push(`${label}: id ${id} sent before SIGTERM got nothing`);
    for (const f of got) {
      if (f.flags !== Flags.RESPONSE) out.push(`${label}: id ${id} answer without RESPONSE flag`);
      if (f.type === MessageType.ERROR) {
        const code = decodeError(f.payload).code;
        if (code !== ErrorCode.SHUTTING_DOWN) out.push(`${label}: id ${id} got ERROR ${code}`);
      } else if (f.type !== c.types.get(id)) {
        out.push(`${label}: id ${id} of type ${c.types.get(id)} answered with type ${f.type}`);
      }
    }
  }
  return out;
}

interface Outcome {
  problems: string[];
  /** Requests the kernel took before the signal. */
  before: number;
  /** Of all requests, those answered SHUTTING_DOWN. */
  shuttingDown: number;
}

/**
 * Pipelines `load` on `conns` and calls `kill` once enough replies came; every connection writes on
 * until the server closes it (at most {@link BATCHES_AFTER} batches more). Returns what was counted.
 */
async function loadAndDrain(conns: Conn[], load: Load, iteration: number, kill: () => void): Promise<Outcome> {
  const shape = SHAPE[load];
  let killed = false;
  // The signal lands at a different point of the stream in each iteration.
  const killAfter = shape.killAt + ((iteration * 97) % shape.killSpread);
  const send = async (c: Conn): Promise<void> => {
    let next = 1;
    let after = 0;
    while (!c.ended && next <= shape.max && after < BATCHES_AFTER) {
      if (killed) after++;
      const ids: number[] = [];
      const frames: Buffer[] = [];
      for (let k = 0; k < shape.batch; k++, next++) {
        const { type, payload } = requestFor(load, next);
        c.types.set(next, type);
        c.phase.set(next, killed ? 'after' : 'unsure');
        ids.push(next);
        frames.push(encodeFrame(type, next, payload));
      }
      c.socket.write(Buffer.concat(frames), (err) => {
        // The kernel took these bytes before the signal: the server owes them an answer.
        if (err == null && !killed) for (const id of ids) c.phase.set(id, 'before');
      });
      const deadline = Date.now() + 10_000;
      while (!c.ended && next - 1 - c.answered > shape.window && Date.now() < deadline) await progress(c, 100);
      await new Promise((r) => setImmediate(r));
    }
  };
  const senders = conns.map(send);
  const deadline = Date.now() + 15_000;
  while (!killed && Date.now() < deadline) {
    if (conns.reduce((n, c) => n + c.answered, 0) >= killAfter || conns.every((c) => c.ended)) {
      killed = true;
      kill();
    } else {
      await progress(conns[0]!, 50);
    }
  }
  await Promise.all(senders);
  const closeBy = Date.now() + 15_000;
  for (const c of conns) while (!c.ended && Date.now() < closeBy) await progress(c, 100);
  const found = conns.flatMap((c, i) => problems(c, `conn ${i}`));
  if (conns.some((c) => !c.ended)) found.push('a connection was not closed by the server');
  if (!killed) found.push('the signal was never sent');
  const count = (pred: (c: Conn) => number): number => conns.reduce((n, c) => n + pred(c), 0);
  return {
    problems: found,
    before: count((c) => [...c.phase.values()].filter((p) => p === 'before').length),
    shuttingDown: count((c) => [...c.answers.values()].filter((l) => l[0]!.type === MessageType.ERROR).length),
  };
}

const loadOf = (i: number): Load => (i % 2 === 0 ? 'mixed' : 'bulk');
const CUT_OFF = new Set(['drain timeout: closing the rest', 'worker did not exit in time: killing it']);

describe('drain under pipelined load, repeated (real processes, SIGTERM by PID)', () => {
  for (const dispatch of ['inline', 'pool']) {
    it(`--workers 0 --dispatch ${dispatch}: ${ITERATIONS} drains, each of a fresh process; every request sent before SIGTERM answered exactly once`, async () => {
      let shuttingDown = 0;
      for (let i = 0; i < ITERATIONS; i++) {
        const cli = new CliProcess(['--workers', '0', '--dispatch', dispatch, '--threads', '1', '--port', '0', '--log-level', 'info']);
        try {
          const { tcp: port } = await cli.listening(false);
          const conns = await openOn(port, undefined);
          const o = await loadAndDrain(conns, loadOf(i), i + (dispatch === 'pool' ? 3 : 0), () => cli.child.kill('SIGTERM'));
          for (const c of conns) c.socket.destroy();
          const exit = await cli.exited;
          const cutOff = cli.lines.filter((l) => CUT_OFF.has(l.msg ?? '')).map((l) => l.msg);
          expect({ iteration: i, problems: o.problems.slice(0, 10), exit, cutOff }).toEqual({ iteration: i, problems: [], exit: { code: 0, signal: null }, cutOff: [] });
          expect(o.before).toBeGreaterThan(0);
          shuttingDown += o.shuttingDown;
        } finally {
          await cli.kill();
        }
      }
      // The batches written after the signal reach a draining server.
      expect(shuttingDown).toBeGreaterThan(0);
    }, 120_000);
  }

  for (const dispatch of ['inline', 'pool']) {
    it(`--workers 2 --dispatch ${dispatch}: ${CLUSTER_ITERATIONS} drains, a worker's PID in turn, then the primary's; every request sent before SIGTERM answered exactly once`, async () => {
      const cli = new CliProcess(['--workers', '2', '--dispatch', dispatch, '--threads', '1', '--port', '0', '--log-level', 'info']);
      try {
        const { tcp: port } = await cli.listening(true);
        /** PID of each slot's live worker: the last "worker up" line of that slot. */
        let shuttingDown = 0;
        const pidOf = (slot: number): number => cli.lines.filter((l) => l.msg === 'worker up' && l.worker === slot).at(-1)!.workerPid as number;
        for (let i = 0; i < CLUSTER_ITERATIONS; i++) {
          const last = i === CLUSTER_ITERATIONS - 1;
          const slot = i % 2;
          let victim = 0;
          // Both slots up first: the worker drained last time must be respawned, or the other one's
          // drain would leave no listener (with --port 0 a respawn alone would bind a new port).
          for (const s of [0, 1]) {
            const count = (msg: string): number => cli.lines.filter((l) => l.msg === msg && l.worker === s).length;
            await cli.waitLine(() => count('worker up') > count('worker down'), 20_000, `worker ${s} up`);
          }
          if (!last) victim = pidOf(slot);
          const conns = await openOn(port, last ? undefined : slot);
          const o = await loadAndDrain(conns, loadOf(i), i + (dispatch === 'pool' ? 5 : 2), () => {
            if (last) cli.child.kill('SIGTERM');
            else process.kill(victim, 'SIGTERM');
          });
          for (const c of conns) c.socket.destroy();
          let exit: unknown;
          if (last) {
            exit = await cli.exited;
          } else {
            const down = await cli.waitLine((l) => l.msg === 'worker down' && l.workerPid === victim, 20_000, 'worker down');
            exit = { code: down.code, signal: down.signal ?? null };
          }
          const cutOff = cli.lines.filter((l) => CUT_OFF.has(l.msg ?? '')).map((l) => l.msg);
          expect({ iteration: i, problems: o.problems.slice(0, 10), exit, cutOff }).toEqual({ iteration: i, problems: [], exit: { code: 0, signal: null }, cutOff: [] });
          expect(o.before).toBeGreaterThan(0);
          shuttingDown += o.shuttingDown;
        }
        expect(shuttingDown).toBeGreaterThan(0);
      } finally {
        await cli.kill();
      }
    }, 120_000);
  }
});
