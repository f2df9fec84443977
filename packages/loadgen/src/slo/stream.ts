/**
 * SLOs of stream runs (`stream`, `compare --mode stream`): `throughput` is the receiver's goodput
 * (bit/s, payload layer), `loss` its loss percent, `jitter` its RFC 3550 jitter (µs base unit). A
 * latency percentile, `errors` or `rate` has no meaning for a one-way stream and is refused.
 */
import { UsageError } from '../errors.js';
import type { StreamRunReport } from '../stream/stream-report.js';
import type { SloResult } from './evaluate.js';
import type { Slo, SloOperator } from './parse.js';

/** @throws UsageError for an SLO a stream run cannot measure */
export function checkStreamSlos(slos: readonly Slo[]): void {
  for (const slo of slos) {
    if (slo.metric === 'throughput' || slo.metric === 'loss' || slo.metric === 'jitter') continue;
    throw new UsageError(`--slo ${JSON.stringify(slo.expr)}: a stream run is judged by throughput, loss and jitter (e.g. throughput>=90Mbit/s, loss<1%, jitter<1ms)`);
  }
}

function holds(a: number, op: SloOperator, b: number): boolean {
  return op === '<' ? a < b : op === '<=' ? a <= b : op === '>' ? a > b : op === '>=' ? a >= b : a === b;
}

/** The value an SLO reads from a stream run, in the metric's base unit (bit/s, %, µs); null when nothing was received. */
export function measureStreamSlo(slo: Slo, run: StreamRunReport): number | null {
  const rx = run.stream.receiver;
  switch (slo.metric) {
    case 'throughput':
      return rx.bitsPerSec;
    case 'loss':
      return rx.messages + rx.lost === 0 ? null : rx.lossPercent;
    case 'jitter':
      return rx.messages < 2 ? null : rx.jitterMs * 1000;
    default:
      throw new UsageError(`--slo ${JSON.stringify(slo.expr)}: not measured by stream runs`);
  }
}

/** Every SLO's verdict on one stream run, in the order given. */
export function evaluateStreamSlos(slos: readonly Slo[], run: StreamRunReport): SloResult[] {
  return slos.map((slo) => {
    const base = measureStreamSlo(slo, run);
    const value = base === null ? null : base / slo.scale;
    return { expr: slo.expr, value, threshold: slo.threshold, unit: slo.unit, held: value !== null && holds(value, slo.op, slo.threshold) };
  });
}
