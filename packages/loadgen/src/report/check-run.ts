/** Field-by-field checks of one run of a JSON report; fields added within a version are filled in (in place). */
import { COUNTER_FIELDS } from '../counters.js';
import { decodeHistogram } from '../histogram.js';
import { PACINGS } from '../generator/pacing.js';
import { OPS, TRANSPORTS } from '../options.js';
import { fail, isObject, num, str } from './json-checks.js';

/** Counter fields added within version 1, with the value a report written before them means. */
const ADDED_COUNTERS = { unexpected: () => 0, unexpectedByKind: () => ({}) } as const;

function checkCounts(v: Record<string, unknown>, key: string, source: string, path: string): void {
  const o = v[key];
  if (!isObject(o)) fail(source, `${path}.${key}`, 'an object');
  for (const [k, n] of Object.entries(o)) {
    if (typeof n !== 'number') fail(source, `${path}.${key}.${k}`, 'a number');
  }
}

function checkCounters(v: unknown, source: string, path: string): void {
  if (!isObject(v)) fail(source, path, 'an object');
  for (const [k, zero] of Object.entries(ADDED_COUNTERS)) if (!(k in v)) v[k] = zero();
  for (const k of COUNTER_FIELDS) num(v, k, source, path);
  checkCounts(v, 'errorsByCode', source, path);
  checkCounts(v, 'unexpectedByKind', source, path);
}

function checkPlan(v: unknown, source: string, path: string): void {
  if (!isObject(v)) fail(source, path, 'an object');
  // Before --pacing existed every open loop spun.
  if (!('pacing' in v)) v.pacing = typeof v.rate === 'number' ? 'spin' : null;
  if (v.pacing !== null && !(PACINGS as readonly unknown[]).includes(v.pacing)) fail(source, `${path}.pacing`, `one of ${PACINGS.join(', ')}, or null`);
  str(v, 'host', source, path);
  for (const k of ['port', 'connections', 'threads', 'size', 'iterations', 'warmupMs', 'timeoutMs']) num(v, k, source, path);
  for (const k of ['durationMs', 'requests', 'pipeline', 'rate']) num(v, k, source, path, true);
  if (!(TRANSPORTS as readonly unknown[]).includes(v.transport)) fail(source, `${path}.transport`, `one of ${TRANSPORTS.join(', ')}`);
  if (!(OPS as readonly unknown[]).includes(v.op)) fail(source, `${path}.op`, `one of ${OPS.join(', ')}`);
}

function checkThread(v: unknown, source: string, path: string): void {
  if (!isObject(v)) fail(source, path, 'an object');
  num(v, 'utilization', source, path);
  if (!('pacerWaiting' in v)) v.pacerWaiting = 0;
  if (!('eventLoopUtilization' in v)) v.eventLoopUtilization = v.utilization;
  num(v, 'pacerWaiting', source, path);
  num(v, 'eventLoopUtilization', source, path);
}

/** Checks one run's version 1 fields (plan, counters, self-check, intervals, histograms, SLOs), filling in fields added within a version. */
export function checkRun(v: unknown, source: string, path: string): void {
  if (!isObject(v)) fail(source, path, 'an object');
  checkPlan(v.plan, source, `${path}.plan`);
  num(v, 'generators', source, path);
  num(v, 'durationMs', source, path);
  str(v, 'startedAt', source, path);
  checkCounters(v.counters, source, `${path}.counters`);
  if (!isObject(v.results)) fail(source, `${path}.results`, 'an object');
  if (!isObject(v.selfCheck)) fail(source, `${path}.selfCheck`, 'an object');
  if (!Array.isArray(v.selfCheck.threads)) fail(source, `${path}.selfCheck.threads`, 'an array');
  v.selfCheck.threads.forEach((t: unknown, i: number) => checkThread(t, source, `${path}.selfCheck.threads[${i}]`));
  if (!Array.isArray(v.intervals)) fail(source, `${path}.intervals`, 'an array');
  v.intervals.forEach((iv: unknown, i: number) => {
    const p = `${path}.intervals[${i}]`;
    if (!isObject(iv)) fail(source, p, 'an object');
    for (const k of ['index', 'startMs', 'endMs']) num(iv, k, source, p);
    checkCounters(iv.counters, source, `${p}.counters`);
    str(iv, 'histogram', source, p);
  });
  if (!isObject(v.histograms)) fail(source, `${path}.histograms`, 'an object');
  str(v.histograms, 'latency', source, `${path}.histograms`);
  str(v.histograms, 'uncorrected', source, `${path}.histograms`, true);
  str(v.histograms, 'slip', source, `${path}.histograms`, true);
  try {
    decodeHistogram(v.histograms.latency as string);
  } catch {
    fail(source, `${path}.histograms.latency`, 'a compressed base64 HdrHistogram');
  }
  if (v.slo !== undefined) checkSlo(v.slo, source, `${path}.slo`);
}

/** `slo[]`: `{expr, value, threshold, unit, held}` each (added within version 2, so optional). */
function checkSlo(v: unknown, source: string, path: string): void {
  if (!Array.isArray(v)) fail(source, path, 'an array');
  v.forEach((r: unknown, i: number) => {
    const p = `${path}[${i}]`;
    if (!isObject(r)) fail(source, p, 'an object');
    str(r, 'expr', source, p);
    str(r, 'unit', source, p);
    num(r, 'value', source, p, true);
    num(r, 'threshold', source, p);
    if (typeof r.held !== 'boolean') fail(source, `${p}.held`, 'true or false');
  });
}

function checkCpu(v: unknown, source: string, path: string): void {
  if (v === null) return;
  if (!isObject(v)) fail(source, path, 'an object or null');
  for (const k of ['userUs', 'systemUs', 'cores']) num(v, k, source, path);
  num(v, 'usPerRequest', source, path, true);
}

/** The version 2 fields of a run: the server's view, the generator's CPU and host. */
export function checkWindowFields(v: Record<string, unknown>, source: string, path: string): void {
  const server = v.server;
  if (server === null) str(v, 'serverMissing', source, path);
  else {
    const p = `${path}.server`;
    if (!isObject(server)) fail(source, p, 'an object or null');
    str(server, 'address', source, p);
    num(server, 'windowMs', source, p);
    num(server, 'tcpRetransmits', source, p, true);
    if (!isObject(server.serviceTimeUs)) fail(source, `${p}.serviceTimeUs`, 'an object');
    for (const [type, st] of Object.entries(server.serviceTimeUs)) {
      if (!isObject(st)) fail(source, `${p}.serviceTimeUs.${type}`, 'an object');
      for (const k of ['count', 'p50', 'p99', 'p999', 'max']) num(st, k, source, `${p}.serviceTimeUs.${type}`);
    }
    if (!isObject(server.serviceTimeHistograms)) fail(source, `${p}.serviceTimeHistograms`, 'an object');
    for (const type of Object.keys(server.serviceTimeHistograms)) str(server.serviceTimeHistograms, type, source, `${p}.serviceTimeHistograms`);
    if (server.udp !== null) {
      const u = server.udp;
      if (!isObject(u)) fail(source, `${p}.udp`, 'an object or null');
      if (u.source !== 'peers' && u.source !== 'totals') fail(source, `${p}.udp.source`, '"peers" or "totals"');
      for (const k of ['received', 'answered', 'lostToServer', 'lostFromServer']) num(u, k, source, `${p}.udp`);
      num(u, 'kernelDrops', source, `${p}.udp`, true);
      if (!isObject(u.droppedAtServer)) fail(source, `${p}.udp.droppedAtServer`, 'an object');
    }
    checkCpu(server.cpu, source, `${p}.cpu`);
    if (!Array.isArray(server.notes) || !server.notes.every((n) => typeof n === 'string')) fail(source, `${p}.notes`, 'an array of strings');
  }
  checkCpu(v.generatorCpu, source, `${path}.generatorCpu`);
  if (v.generatorHost !== null) {
    if (!isObject(v.generatorHost)) fail(source, `${path}.generatorHost`, 'an object or null');
    num(v.generatorHost, 'tcpRetransmits', source, `${path}.generatorHost`, true);
  }
}
