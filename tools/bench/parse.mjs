// Parsers for what the reference tools and the load generator print. Each returns plain numbers
// (latencies in µs, rates per second) or throws an Error that quotes what it could not read.

// eslint-disable-next-line no-control-regex
const ANSI = /\x1b\[[0-9;]*m/g;

function fail(tool, what, text) {
  const tail = text.trim().split('\n').slice(-6).join('\n');
  return new Error(`${tool}: could not read ${what} from its output:\n${tail}`);
}

/**
 * sockperf ping-pong / under-load (3.x) output. Latencies are what sockperf prints (µs; with
 * --full-rtt the full round trip, otherwise half of it). Uses the "[Valid Duration]" line (the
 * measured window, warm-up excluded) for counts and rates.
 * @returns {{ p50: number, p99: number, p999: number, max: number, min: number, avg: number,
 *   runtimeSec: number, sent: number, received: number, dropped: number, sentPerSec: number,
 *   receivedPerSec: number, lossPercent: number }}
 */
export function parseSockperf(text) {
  const t = text.replace(ANSI, '');
  const pct = (p) => {
    const m = new RegExp(`percentile\\s+${p.replace('.', '\\.')}\\s*=\\s*([\\d.]+)`).exec(t);
    if (!m) throw fail('sockperf', `percentile ${p}`, t);
    return Number(m[1]);
  };
  const obs = (which) => {
    const m = new RegExp(`<${which}> observation\\s*=\\s*([\\d.]+)`).exec(t);
    return m ? Number(m[1]) : null;
  };
  const valid = /\[Valid Duration\] RunTime=([\d.]+) sec; SentMessages=(\d+); ReceivedMessages=(\d+)/.exec(t);
  if (!valid) throw fail('sockperf', 'the [Valid Duration] line', t);
  const runtimeSec = Number(valid[1]);
  const sent = Number(valid[2]);
  const received = Number(valid[3]);
  const avg = /avg-(?:rtt|lat)=\s*([\d.]+)/.exec(t);
  const dropped = /# dropped messages = (\d+)/.exec(t);
  return {
    p50: pct('50.000'),
    p99: pct('99.000'),
    p999: pct('99.900'),
    max: obs('MAX'),
    min: obs('MIN'),
    avg: avg ? Number(avg[1]) : null,
    runtimeSec,
    sent,
    received,
    dropped: dropped ? Number(dropped[1]) : null,
    sentPerSec: sent / runtimeSec,
    receivedPerSec: received / runtimeSec,
    lossPercent: sent > 0 ? (100 * Math.max(0, sent - received)) / sent : 0,
  };
}

/** One CSV line split on commas outside double quotes, quotes removed. */
function csvCells(line) {
  const cells = [];
  let cur = '';
  let quoted = false;
  for (const ch of line) {
    if (ch === '"') quoted = !quoted;
    else if (ch === ',' && !quoted) {
      cells.push(cur);
      cur = '';
    } else cur += ch;
  }
  cells.push(cur);
  return cells.map((c) => c.trim());
}

/**
 * redis-benchmark --csv (7.x: "test","rps","avg_latency_ms",…,"p50_latency_ms",…). Latencies are
 * converted to µs. Returns the row of `test` (e.g. "PING_MBULK").
 * @returns {{ test: string, rps: number, avg: number, min: number, p50: number, p95: number, p99: number, max: number }}
 */
export function parseRedisCsv(text, test) {
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '');
  const headerAt = lines.findIndex((l) => /"?test"?\s*,\s*"?rps"?/i.test(l));
  if (headerAt < 0) throw fail('redis-benchmark', 'the CSV header', text);
  const header = csvCells(lines[headerAt]).map((h) => h.toLowerCase());
  const row = lines.slice(headerAt + 1).map(csvCells).find((c) => c[0]?.toUpperCase() === test.toUpperCase());
  if (!row) throw fail('redis-benchmark', `the ${test} row`, text);
  const get = (name, scale = 1) => {
    const i = header.indexOf(name);
    if (i < 0 || row[i] === undefined || row[i] === '') return null;
    const v = Number(row[i]);
    if (!Number.isFinite(v)) throw fail('redis-benchmark', name, text);
    return v * scale;
  };
  const rps = get('rps');
  if (rps === null) throw fail('redis-benchmark', 'rps', text);
  return {
    test: row[0],
    rps,
    avg: get('avg_latency_ms', 1000),
    min: get('min_latency_ms', 1000),
    p50: get('p50_latency_ms', 1000),
    p95: get('p95_latency_ms', 1000),
    p99: get('p99_latency_ms', 1000),
    max: get('max_latency_ms', 1000),
  };
}

/**
 * iperf3 -J (client side). Bits per second received by the server over the whole test.
 * @returns {{ bitsPerSec: number, bytes: number, seconds: number, retransmits: number|null, cpu: object|null }}
 */
export function parseIperf3(text) {
  let doc;
  try {
    doc = JSON.parse(text);
  } catch {
    throw fail('iperf3', 'JSON', text);
  }
  if (doc.error) throw new Error(`iperf3: ${doc.error}`);
  const r = doc.end?.sum_received;
  if (!r || typeof r.bits_per_second !== 'number') throw fail('iperf3', 'end.sum_received', text);
  return {
    bitsPerSec: r.bits_per_second,
    bytes: r.bytes,
    seconds: r.seconds,
    retransmits: doc.end?.sum_sent?.retransmits ?? null,
    cpu: doc.end?.cpu_utilization_percent ?? null,
  };
}

/**
 * sockbench-loadgen --json - (schema sockbench.loadgen.report v1): the first run's results,
 * counters and self-check verdict.
 */
export function parseLoadgen(text) {
  let doc;
  try {
    doc = JSON.parse(text);
  } catch {
    throw fail('sockbench-loadgen', 'its JSON report', text);
  }
  if (doc.schema !== 'sockbench.loadgen.report') throw fail('sockbench-loadgen', 'a sockbench.loadgen.report', text);
  const run = doc.runs?.[0];
  if (!run?.results?.latencyUs) throw fail('sockbench-loadgen', 'runs[0].results', text);
  const r = run.results;
  return {
    rps: r.requestsPerSec,
    mbSent: r.mbPerSecSent,
    mbReceived: r.mbPerSecReceived,
    lossPercent: r.lossPercent,
    p50: r.latencyUs.p50,
    p99: r.latencyUs.p99,
    p999: r.latencyUs.p999,
    max: r.latencyUs.max,
    mean: r.latencyUs.mean,
    uncorrected: r.uncorrectedUs ?? null,
    counters: run.counters,
    durationMs: run.durationMs,
    intendedRate: run.selfCheck?.intendedRate ?? null,
    achievedRate: run.selfCheck?.achievedRate ?? r.requestsPerSec,
    generatorBound: run.selfCheck?.generatorBound ?? null,
    verdict: run.selfCheck?.verdict ?? null,
  };
}

/**
 * `sockbench-loadgen sweep --json -`: one transport's steps and knee. Each step: offered `rate`,
 * achieved `rps`, `lossPercent`, `p50`/`p99` (µs), `held` (its verdict was `held`), `verdict`,
 * `reason`; the knee as the sweep reports it (`found`, `rate`, `achieved`, …, `reason`).
 */
export function parseSweep(text, transport) {
  let doc;
  try {
    doc = JSON.parse(text);
  } catch {
    throw fail('sockbench-loadgen sweep', 'its JSON report', text);
  }
  const knee = doc?.sweep?.knees?.[transport];
  if (doc?.schema !== 'sockbench.loadgen.report' || !knee || !Array.isArray(doc.sweep.steps)) throw fail('sockbench-loadgen sweep', `sweep.knees.${transport}`, text);
  const steps = doc.sweep.steps
    .filter((s) => s.transport === transport && s.run !== null)
    .map((s) => ({
      rate: s.rate,
      rps: s.run.results.requestsPerSec,
      lossPercent: s.run.results.lossPercent,
      p50: s.run.results.latencyUs.p50,
      p99: s.run.results.latencyUs.p99,
      held: s.verdict === 'held',
      verdict: s.verdict,
      reason: s.reason,
    }));
  return { knee, steps };
}
