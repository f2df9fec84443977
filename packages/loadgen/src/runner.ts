/**
 * The main thread of a run: starts the generator threads (worker_threads loading
 * dist/generator/worker.js), gives them one shared start time once every connection is open, merges
 * their per-second intervals as they come (for live progress) and, at the end, their histograms and
 * counters into one {@link RunReport}.
 */
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { sumCounters } from './counters.js';
import { GeneratorError, LoadgenError, LoadgenErrorCodes, TargetUnreachable, UsageError } from './errors.js';
import type { FromThread, ThreadData, ThreadFailure, ThreadFinal, ThreadInterval, ToThread } from './generator/messages.js';
import { encodeHistogram, mergeEncoded, summarize } from './histogram.js';
import { threadConnections, type LoadPlan } from './options.js';
import { deriveResults, type IntervalReport, type RunReport } from './report/schema.js';
import { addIntervalParts } from './report/intervals.js';
import { judge } from './report/self-check.js';

/** Root of this package (src/.. under vitest, dist/.. when built). */
const PACKAGE_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** The generator thread's entry, always from the built package (worker threads load real files). */
export const WORKER_PATH = resolve(PACKAGE_ROOT, 'dist/generator/worker.js');

/** Time between "all ready" and the shared start, so that every thread has the start message, ms. */
const START_DELAY_MS = 50;

/** What {@link runPlan} needs. */
export interface RunInput {
  plan: LoadPlan;
  /** HELLO token (tcp), or null. */
  token: string | null;
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

/** Builds the run's report from the threads' intervals and final records. */
export function buildRunReport(plan: LoadPlan, startedAt: Date, intervals: readonly ThreadInterval[], finals: readonly ThreadFinal[], interrupted = false): RunReport {
  const byIndex = new Map<number, ThreadInterval[]>();
  for (const iv of intervals) byIndex.set(iv.index, [...(byIndex.get(iv.index) ?? []), iv]);
  const merged = [...byIndex.entries()].sort(([a], [b]) => a - b).map(([i, parts]) => addIntervalParts(i, parts));
  const counters = sumCounters(merged.map((iv) => iv.counters));
  const latency = encodeHistogram(mergeEncoded(intervals.map((iv) => iv.histogram)));
  const uncorrectedParts = finals.map((f) => f.uncorrected).filter((x): x is string => x !== null);
  const slipParts = finals.map((f) => f.slip).filter((x): x is string => x !== null);
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
    .map((f) => ({ thread: String(f.thread), loopDelayMs: f.loopDelayMs, utilization: f.utilization }));
  return {
    plan,
    generators: 1,
    ...(interrupted ? { interrupted } : {}),
    startedAt: startedAt.toISOString(),
    durationMs,
    counters,
    results: deriveResults(counters, durationMs, latency, uncorrected),
    selfCheck: { intendedRate: plan.rate, achievedRate, sendSlipUs, threads, ...judge({ plan, intendedRate: plan.rate, achievedRate, sendSlipUs, threads }) },
    intervals: merged,
    histograms: { latency, uncorrected, slip },
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

    const fail = (err: Error): void => {
      if (settled) return;
      settled = true;
      for (const w of workers) void w.terminate();
      rejectPromise(err);
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
          if (++ready === n) {
            const startEpochMs = performance.timeOrigin + performance.now() + START_DELAY_MS;
            startedAt = new Date(startEpochMs + plan.warmupMs);
            for (const w of workers) w.postMessage({ kind: 'start', startEpochMs } satisfies ToThread);
            hooks.onStart?.(() => {
              if (interrupted || settled) return;
              interrupted = true;
              for (const w of workers) w.postMessage({ kind: 'end' } satisfies ToThread);
            });
          }
          break;
        case 'failed':
          fail(revive(m.error, plan));
          break;
        case 'interval':
          intervals.push(m.interval);
          pending.set(m.interval.index, [...(pending.get(m.interval.index) ?? []), m.interval]);
          flush(false);
          break;
        case 'done':
          finals.push(m.final);
          lastIndex.set(m.final.thread, Math.max(-1, ...intervals.filter((iv) => iv.thread === m.final.thread).map((iv) => iv.index)));
          flush(finals.length === n);
          break;
        case 'closed':
          if (++closed === n && !settled) {
            settled = true;
            for (const w of workers) void w.terminate();
            try {
              resolvePromise(buildRunReport(plan, startedAt, intervals, finals, interrupted));
            } catch (err) {
              rejectPromise(err as Error);
            }
          }
          break;
      }
    };

    for (let t = 0; t < n; t++) {
      const data: ThreadData = { plan, token, thread: t, connections: threadConnections(plan.connections, t, n) };
      const w = new Worker(WORKER_PATH, { workerData: data });
      w.on('message', onMessage);
      w.on('error', (err) => fail(new GeneratorError(`generator thread ${t} crashed: ${err.message}`, { cause: err })));
      w.on('exit', (code) => {
        if (!settled && code !== 0) fail(new GeneratorError(`generator thread ${t} exited with code ${code}`));
      });
      workers.push(w);
    }
  });
}
