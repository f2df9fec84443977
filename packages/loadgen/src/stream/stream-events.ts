/**
 * `--json-stream` in stream mode: the same `{"event": NAME, "data": {…}}` lines as `run` and `compare`
 * (report/json-stream.ts), one run per transport and direction (a `--bidir` test holds two runs at
 * once, `compare --mode stream` one or two per transport):
 *
 * - `start`: `{schema, version, run, transport, direction, plan, tool}`, before the run's sessions open;
 * - `interval`: `{run, transport, direction, side, index, startMs, endMs, bytes, messages,
 *   bitsPerSec, lostSoFar, jitterMs}` once a second of this side's clock is over, added over the
 *   run's sessions: up, this side sends, so `side` is `"sender"` (lostSoFar and jitterMs null, as
 *   iperf3's sending client streams its sent bytes); down, this side receives, `side` `"receiver"`,
 *   lostSoFar the distinct messages missing so far, jitterMs the RFC 3550 jitter at the second's
 *   end. `bitsPerSec` is over the part of the second the duration covers. The intervals' messages add
 *   up to the end's sender (up) or receiver (down) messages;
 * - `end`: `{run, transport, direction, …}` the run as in the stream report's `runs[]` (both sides'
 *   figures, the receiver's per-second `intervals`, the SLO verdicts), after every run of the test
 *   has its reports;
 *
 * then `done` `{exitStatus}` (0, 1, 4 or 130) or `error` `{code, message, exitStatus}`.
 */
import type { LiveInterval } from '@sockbench/client';
import { JsonStream } from '../report/json-stream.js';
import { STREAM_SCHEMA, STREAM_VERSION } from '../report/json-stream.js';
import { toolInfo } from '../report/output.js';
import type { StreamPlan } from './stream-options.js';
import { spanOf, type StreamRunReport } from './stream-report.js';

/** The stream-mode events; `done` and `error` as in run mode. */
export class StreamEvents extends JsonStream {
  /** Run `run` (0-based over the command) starts. */
  startRun(run: number, plan: StreamPlan): void {
    this.emit('start', { schema: STREAM_SCHEMA, version: STREAM_VERSION, run, transport: plan.transport, direction: plan.direction, plan, tool: toolInfo() });
  }

  /** One second of run `run` is over on this side. */
  second(run: number, plan: StreamPlan, iv: LiveInterval): void {
    const startMs = iv.index * 1000;
    this.emit('interval', {
      run,
      transport: plan.transport,
      direction: iv.direction,
      side: iv.direction === 'up' ? 'sender' : 'receiver',
      index: iv.index,
      startMs,
      endMs: startMs + Math.round(spanOf(plan.durationMs, iv.index) * 1000),
      bytes: iv.bytes,
      messages: iv.messages,
      bitsPerSec: iv.bitsPerSec,
      lostSoFar: iv.lost,
      jitterMs: iv.jitterMs,
    });
  }

  /** Run `run` ended: its report. */
  endRun(run: number, report: StreamRunReport): void {
    this.emit('end', { run, transport: report.plan.transport, direction: report.plan.direction, ...report });
  }
}
