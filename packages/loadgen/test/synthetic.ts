/** Builds real reports from made-up latencies, through the same code a run uses (buildRunReport). */
import { emptyCounters } from '../src/counters.js';
import type { ThreadFinal, ThreadInterval } from '../src/generator/messages.js';
import { createHistogram, encodeHistogram } from '../src/histogram.js';
import { resolveRunOptions, type LoadPlan, type RunArgs } from '../src/options.js';
import { makeReport } from '../src/report/output.js';
import type { Report, RunReport } from '../src/report/schema.js';
import { buildRunReport } from '../src/runner.js';

/** A plan from CLI-like args (port 7878 unless given). */
export function planOf(args: RunArgs = {}): LoadPlan {
  return resolveRunOptions({ port: 7878, duration: '2s', connections: 4, threads: 2, ...args }).plan;
}

/**
 * One run whose thread t, second i completed `perThread[t][i]` (latencies in µs), each request
 * 76 bytes each way; `errors` added to the last second of thread 0.
 */
export function syntheticRun(plan: LoadPlan, perThread: number[][][], errors: Record<string, number> = {}): RunReport {
  const intervals: ThreadInterval[] = [];
  const finals: ThreadFinal[] = [];
  perThread.forEach((seconds, thread) => {
    seconds.forEach((lat, index) => {
      const h = createHistogram();
      for (const v of lat) h.recordValue(v);
      const counters = emptyCounters();
      counters.sent = lat.length;
      counters.completed = lat.length;
      counters.bytesSent = 76 * lat.length;
      counters.bytesReceived = 76 * lat.length;
      if (thread === 0 && index === seconds.length - 1) {
        for (const [code, n] of Object.entries(errors)) {
          counters.errors += n;
          counters.sent += n;
          counters.errorsByCode[code] = n;
        }
      }
      intervals.push({ thread, index, startMs: index * 1000, endMs: (index + 1) * 1000, counters, histogram: encodeHistogram(h) });
    });
    finals.push({
      thread,
      uncorrected: null,
      slip: null,
      sendEndMs: seconds.length * 1000,
      drainEndMs: seconds.length * 1000 + 1,
      loopDelayMs: { p50: 0.1, p99: 0.5, max: 1 },
      utilization: 0.3,
      pacerWaiting: 0,
      eventLoopUtilization: 0.3,
      connectionsLost: 0,
      loadSent: intervals.filter((iv) => iv.thread === thread).reduce((n, iv) => n + iv.counters.sent, 0),
      loadReplies: intervals.filter((iv) => iv.thread === thread).reduce((n, iv) => n + iv.counters.completed + iv.counters.errors, 0),
    });
  });
  return buildRunReport(plan, new Date('2026-01-01T00:00:00Z'), intervals, finals);
}

/** A report of one synthetic run. */
export function syntheticReport(plan: LoadPlan, perThread: number[][][]): Report {
  return makeReport([syntheticRun(plan, perThread)]);
}
