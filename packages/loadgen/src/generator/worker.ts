/**
 * Entry of a generator thread (worker_threads): opens its share of the connections, reports ready,
 * runs the load loop from the shared start time, posts an interval every second and a final record,
 * closes its connections and says so. Loaded from the package's dist/ by runner.ts.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { performance } from 'node:perf_hooks';
import { LoadgenError, TargetUnreachable } from '../errors.js';
import { driverFactory } from './drivers.js';
import { LoadLoop } from './load-loop.js';
import type { FromThread, ThreadData, ThreadFailure, ToThread } from './messages.js';

const port = parentPort;
if (port === null) throw new Error('generator/worker.js must run as a worker thread');
const data = workerData as ThreadData;
const post = (m: FromThread): void => port.postMessage(m);

function flatten(err: unknown): ThreadFailure {
  const e = err instanceof Error ? err : new Error(String(err));
  const out: ThreadFailure = { name: e.name, message: e.message };
  if (e instanceof LoadgenError) {
    out.code = e.code;
    out.exitCode = e.exitCode;
  }
  if (e instanceof TargetUnreachable) {
    if (e.osCode !== undefined) out.osCode = e.osCode;
    if (e.errorCode !== undefined) out.errorCode = e.errorCode;
    out.host = e.host;
    out.port = e.port;
  }
  return out;
}

const loop = new LoadLoop({
  plan: data.plan,
  thread: data.thread,
  connections: data.connections,
  open: driverFactory(data.plan, data.token),
});

async function closeAndReport(): Promise<void> {
  await loop.close();
  post({ kind: 'closed', thread: data.thread });
}

port.on('message', (m: ToThread) => {
  if (m.kind === 'end') {
    loop.endNow();
    return;
  }
  // The main thread's start time, moved onto this thread's clock (each thread has its own timeOrigin).
  const startMs = m.startEpochMs - performance.timeOrigin;
  loop.start(startMs, {
    // The counts' buffer is the interval's own copy: transferred, so the thread pays one memcpy a second.
    interval: (interval) => port.postMessage({ kind: 'interval', interval } satisfies FromThread, [interval.counts.buffer]),
    done: (final) => {
      post({ kind: 'done', final });
      void closeAndReport();
    },
  });
});

loop.open().then(
  () => post({ kind: 'ready', thread: data.thread, peers: loop.peers(), buffers: loop.buffers() }),
  async (err: unknown) => {
    post({ kind: 'failed', thread: data.thread, error: flatten(err) });
    await loop.close().catch(() => undefined);
  },
);
