/**
 * The main thread of a run: starts the generator threads (worker_threads loading
 * dist/generator/worker.js), gives them one shared start time once every connection is open, merges
 * their per-second intervals as they come (for live progress) and, at the end, their histograms and
 * counters into one {@link RunReport}. It also brackets the measured window for the server's view
 * (window/window-watch.ts): a baseline before the load starts, the window's start at the shared
 * start + the warm-up (the same instant every thread computes from the start message), and its end
 * when the last thread has drained.
 */
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { GrantedBuffers } from '@sockbench/client';
import { emptyCounters, sumCounters } from './counters.js';
import { GeneratorError, LoadgenError, LoadgenErrorCodes, TargetUnreachable, UsageError } from './errors.js';
import { encodeInterval } from './generator/recorder.js';
import { GENERATOR_RESOURCE_LIMITS, type FromThread, type ThreadData, type ThreadFailure, type ThreadFinal, type ThreadInterval, type ToThread } from './generator/messages.js';
import { countsOf, createHistogram, encodeHistogram, mergeEncoded, summarize } from './histogram.js';
import { threadConnections, type LoadPlan } from './options.js';
import { deriveResults, type IntervalReport, type RunReport } from './report/schema.js';
import { addIntervalParts } from './report/intervals.js';
import { judge } from './report/self-check.js';
import { WindowWatch } from './window/window-watch.js';
import { windowFields, type WindowSamples } from './window/window-view.js';

/** Root of this package (src/.. under vitest, dist/.. when built). */
const PACKAGE_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** The generator thread's entry, always from the built package (worker threads load real files). */
export const WORKER_PATH = resolve(PACKAGE_ROOT, 'dist/generator/worker.js');

/** Time between "all ready" and the shared start, so that every thread has the start message, ms. */
const START_DELAY_MS = 50;

/** What {@link runPlan} needs. */
export interface RunInput {
  plan: LoadPlan;
  /** HELLO token (tcp load connections, and the STATS connection), or null. */
  token: string | null;
  /**
   * Where the server's STATS is asked for the server's view (its TCP port): default the target's
   * host and port; null asks nothing. Raw transports never ask (a plain echo server has no STATS).
   * `timeoutMs`: per STATS exchange (default 2000 ms, window/stats-control.ts).
   */
  stats?: { host: string; port: number; timeoutMs?: number } | null;
  /**
   * The shared start on this process's clock (epoch ms, `performance.timeOrigin + now()`), for a
   * plan run by several generator machines at once (agent.ts); a time already past (connections were
   * slower to open) starts {@link START_DELAY_MS} after ready. Default: ready + that delay.
   */
  startAtEpochMs?: number;
}

/**
 * Runs the main thread's per-second interval work once on a made-up interval (build from counts,
 * encode, decode, merge, summarize): the first time costs ~12 ms (zlib's first use, compiling the
 * histogram code), and it is better paid before the load starts than in the first measured second,
 * where the main thread shares the CPU with a generator thread when both are pinned to one.
 */
function warmIntervalWork(): void {
  const h = createHistogram();
  h.recordValueWithCount(20, 3);
  h.recordValue(2500);
  const iv = encodeInterval({ thread: 0, index: 0, startMs: 0, endMs: 1000, counters: emptyCounters(), counts: countsOf(h) });
  addIntervalParts(0, [iv, iv]);
}

/** Why a raw run has no server view. */
export function rawMissing(transport: string): string {
  return `no server view for a plain echo server (--transport ${transport})`;
}

function windowWatch(input: RunInput): WindowWatch {
  const { plan, token } = input;
  if (plan.transport === 'raw-tcp' || plan.transport === 'raw-udp') return new WindowWatch({ stats: null, missing: rawMissing(plan.transport) });
  if (input.stats === null) return new WindowWatch({ stats: null, missing: 'STATS not asked (runPlan with stats: null)' });
  const at = input.stats ?? { host: plan.host, port: plan.port };
  return new WindowWatch({ stats: { ...at, token } });
}

/** Progress callbacks of {@link runPlan}. */
export interface RunHooks {
  /** Every second: all threads' interval added together. */
  onInterval?(interval: IntervalReport): void;
  /**
   * Called once with a function that ends the run early (Ctrl-C): sending stops, requests in flight
   * drain, and the report covers the time measured so far.
   */
  onStart?(endNow: () => void): void;
}

function revive(f: ThreadFailure, plan: LoadPlan): LoadgenError {
  if (f.code === LoadgenErrorCodes.UNREACHABLE) {
    const e = new TargetUnreachable(f.host ?? plan.host, f.port ?? plan.port, f.errorCode ?? f.osCode ?? 'UNKNOWN', '');
    // Keep the thread's full message (it names the OS error's detail).
    Object.defineProperty(e, 'message', { value: f.message });
    return e;
  }
  if (f.code === LoadgenErrorCodes.USAGE) return new UsageError(f.message);
  return new GeneratorError(`generator thread failed: ${f.name}: ${f.message}`);
}

/**
 * Builds the run's report from the threads' intervals and final records, and the samples around
 * its window (without them: no server view, no CPU figures).
 */
export function buildRunReport(plan: LoadPlan, startedAt: Date, intervals: readonly ThreadInterval[], finals: readonly ThreadFinal[], interrupted = false, window?: WindowSamples): RunReport {
  const byIndex = new Map<number, ThreadInterval[]>();
  for (const iv of intervals) byIndex.set(iv.index, [...(byIndex.get(iv.index) ?? []), iv]);
  const merged = [...byIndex.entries()].sort(([a], [b]) => a - b).map(([i, parts]) => addIntervalParts(i, parts));
  const counters = sumCounters(merged.map((iv) => iv.counters));
  const latency = encodeHistogram(mergeEncoded(intervals.map((iv) => iv.histogram)));
  const uncorrectedParts = finals.map((f) => f.uncorrected).filter((x): x is string => x !== null);
  const slipParts = finals.map((f) => f.slip).filter((x): x is string => x !== null);
  const load = { sent: finals.reduce((n, f) => n + f.loadSent, 0), replies: finals.reduce((n, f) => n + f.loadReplies, 0) };
  const uncorrected = uncorrectedParts.length > 0 ? encodeHistogram(mergeEncoded(uncorrectedParts)) : null;
  const slip = slipParts.length > 0 ? encodeHistogram(mergeEncoded(slipParts)) : null;
  const lastSend = Math.max(0, ...finals.map((f) => f.sendEndMs));
  const durationMs = interrupted ? lastSend : (plan.durationMs ?? Math.max(0, ...finals.map((f) => f.drainEndMs)));
  const sendWindowMs = interrupted ? lastSend : (plan.durationMs ?? lastSend);
  const achievedRate = sendWindowMs > 0 ? (counters.sent * 1000) / sendWindowMs : 0;
  const slipSummary = slip !== null ? summarize(mergeEncoded([slip])) : null;
  const sendSlipUs = slipSummary ? { p50: slipSummary.p50, p99: slipSummary.p99, max: slipSummary.max } : null;
  const threads = [...finals]
    .sort((a, b) => a.thread - b.thread)
    .map((f) => ({ thread: String(f.thread), loopDelayMs: f.loopDelayMs, utilization: f.utilization, pacerWaiting: f.pacerWaiting, eventLoopUtilization: f.eventLoopUtilization }));
  return {
    plan,
    generators: 1,
    ...(interrupted ? { interrupted } : {}),
    startedAt: startedAt.toISOString(),
    durationMs,
    counters,
    results: deriveResults(plan, counters, durationMs, latency, uncorrected),
    selfCheck: { intendedRate: plan.rate, achievedRate, sendSlipUs, threads, ...judge({ plan, intendedRate: plan.rate, achievedRate, sendSlipUs, threads }) },
    intervals: merged,
    histograms: { latency, uncorrected, slip },
    ...(window !== undefined
      ? windowFields(plan, counters, window, load)
      : { server: null, serverMissing: 'the window was not sampled', generatorCpu: null, generatorHost: null }),
  };
}

/**
 * Runs one plan with `plan.threads` generator threads and returns its report.
 * @throws TargetUnreachable (a connection could not be opened), UsageError (the server refused the
 *   plan, e.g. a size over its limit), GeneratorError (a thread crashed, or dist/ is not built)
 */
export function runPlan(input: RunInput, hooks: RunHooks = {}): Promise<RunReport> {
  const { plan, token } = input;
  if (!existsSync(WORKER_PATH)) {
    return Promise.reject(new GeneratorError(`${WORKER_PATH} is missing: build the package first (npx nx run @sockbench/loadgen:build)`));
  }
  const n = plan.threads;
  const watch = windowWatch(input);
  return new Promise<RunReport>((resolvePromise, rejectPromise) => {
    const workers: Worker[] = [];
    const intervals: ThreadInterval[] = [];
    const finals: ThreadFinal[] = [];
    const pending = new Map<number, ThreadInterval[]>();
    const lastIndex = new Map<number, number>();
    let emitted = 0;
    let ready = 0;
    let closed = 0;
    let startedAt = new Date();
    let settled = false;
    let interrupted = false;
    const peers: string[] = [];
    let buffers: GrantedBuffers | null = null;
    let windowTimer: NodeJS.Timeout | null = null;
    let windowStart: (() => void) | null = null;
    let ended: Promise<WindowSamples> | null = null;

    const fail = (err: Error): void => {
      if (settled) return;
      settled = true;
      if (windowTimer !== null) clearTimeout(windowTimer);
      for (const w of workers) void w.terminate();
      void watch.close();
      rejectPromise(err);
    };

    const start = (): void => {
      const startEpochMs = Math.max(input.startAtEpochMs ?? 0, performance.timeOrigin + performance.now() + START_DELAY_MS);
      startedAt = new Date(startEpochMs + plan.warmupMs);
      for (const w of workers) w.postMessage({ kind: 'start', startEpochMs } satisfies ToThread);
      // The window opens where every thread's measuring starts: start + warm-up on the shared clock.
      windowStart = () => {
        windowTimer = null;
        windowStart = null;
        watch.startHost();
        if (plan.warmupMs > 0) watch.askServer();
      };
      windowTimer = setTimeout(windowStart, Math.max(0, startEpochMs + plan.warmupMs - (performance.timeOrigin + performance.now())));
      hooks.onStart?.(() => {
        if (interrupted || settled) return;
        interrupted = true;
        // Ctrl-C in the warm-up: the threads start measuring now, and so does the window.
        if (windowTimer !== null) clearTimeout(windowTimer);
        windowStart?.();
        for (const w of workers) w.postMessage({ kind: 'end' } satisfies ToThread);
      });
    };

    // An interval is complete once every thread has sent it or has finished before it.
    const flush = (all: boolean): void => {
      for (;;) {
        const parts = pending.get(emitted) ?? [];
        const expected = all ? parts.length : n - [...lastIndex.values()].filter((last) => last < emitted).length;
        if (parts.length === 0 || parts.length < expected) return;
        pending.delete(emitted);
        hooks.onInterval?.(addIntervalParts(emitted, parts));
        emitted++;
      }
    };

    const onMessage = (m: FromThread): void => {
      switch (m.kind) {
        case 'ready':
          peers.push(...m.peers);
          buffers ??= m.buffers;
          if (++ready === n) {
            warmIntervalWork();
            // The STATS connection opens once the load's connections are open, so it never takes
            // their place in the server's accept order or under its connection limit.
            void watch.prepare();
            // The server's baseline, before any load: nothing is in flight, so the UDP split that
            // counts from it is exact. After a warm-up the window's own first snapshot follows.
            void watch.askBaseline(peers).then(() => settled || start());
          }
          break;
        case 'failed':
          fail(revive(m.error, plan));
          break;
        case 'interval': {
          // The thread sent counts: the encoding is done here, off the loop that stamps its replies.
          const iv = encodeInterval(m.interval);
          intervals.push(iv);
          pending.set(iv.index, [...(pending.get(iv.index) ?? []), iv]);
          flush(false);
          break;
        }
        case 'done':
          finals.push(m.final);
          lastIndex.set(m.final.thread, Math.max(-1, ...intervals.filter((iv) => iv.thread === m.final.thread).map((iv) => iv.index)));
          flush(finals.length === n);
          // Every thread drained: the window ends now.
          if (finals.length === n) ended = watch.end();
          break;
        case 'closed':
          if (++closed === n && !settled) {
            settled = true;
            for (const w of workers) void w.terminate();
            const window = ended ?? watch.end();
            void window
              .then(async (samples) => {
                await watch.close();
                const report = buildRunReport(plan, startedAt, intervals, finals, interrupted, samples);
                if (buffers !== null) report.socketBuffers = buffers;
                resolvePromise(report);
              })
              .catch((err: unknown) => rejectPromise(err as Error));
          }
          break;
      }
    };

    for (let t = 0; t < n; t++) {
      const data: ThreadData = { plan, token, thread: t, connections: threadConnections(plan.connections, t, n) };
      const w = new Worker(WORKER_PATH, { workerData: data, resourceLimits: GENERATOR_RESOURCE_LIMITS });
      w.on('message', onMessage);
      w.on('error', (err) => fail(new GeneratorError(`generator thread ${t} crashed: ${err.message}`, { cause: err })));
      w.on('exit', (code) => {
        if (!settled && code !== 0) fail(new GeneratorError(`generator thread ${t} exited with code ${code}`));
      });
      workers.push(w);
    }
  });
}
