import { describe, expect, it } from 'vitest';
import { BadPayloadError, ErrorCode, MessageType, encodeCompute } from '@sockbench/protocol';
import type { PoolSink } from '../pool/sink.js';
import { QUEUED, type ExecResult, type Executor } from './executor.js';
import { StatelessDispatcher } from './stateless.js';

/** A sink that is never called here: the dispatcher only passes it on. */
const SINK: PoolSink = {
  poolReply: () => expect.unreachable('the dispatcher does not answer pool work'),
  poolFailed: () => expect.unreachable('the dispatcher does not answer pool work'),
};

/** An executor that answers with marker payloads and records each call, with what the pool would get. */
class RecordingExecutor implements Executor {
  readonly calls: string[] = [];
  ping(id: number, sink: PoolSink, t0: number, tag: unknown): ExecResult {
    this.calls.push(`ping ${id} ${sink === SINK} ${t0} ${String(tag)}`);
    return Buffer.from('pong');
  }
  echo(id: number, payload: Buffer, sink: PoolSink, t0: number, tag: unknown): ExecResult {
    this.calls.push(`echo ${id} ${payload.toString()} ${sink === SINK} ${t0} ${String(tag)}`);
    return payload;
  }
  compute(id: number, iterations: number, data: Buffer, cost: number, sink: PoolSink, t0: number, tag: unknown): ExecResult {
    this.calls.push(`compute ${id} ${iterations} ${data.toString()} cost ${cost} ${sink === SINK} ${t0} ${String(tag)}`);
    return iterations === 7 ? QUEUED : null; // as a pool that took it, or a full one
  }
}

/** Matches a thrown BadPayloadError with these fields (vitest compares them with toThrow). */
const badPayload = (fields: Partial<Pick<BadPayloadError, 'errorCode' | 'id' | 'message'>>): unknown =>
  expect.objectContaining({ name: 'BadPayloadError', errorCode: ErrorCode.BAD_PAYLOAD, ...fields });

describe('StatelessDispatcher', () => {
  const tcpLimits = { maxIterations: 10 };

  it('hands PING, ECHO and COMPUTE to the executor with the id, sink, arrival and tag, and returns its result as is', () => {
    const ex = new RecordingExecutor();
    const d = new StatelessDispatcher(ex, tcpLimits);
    expect(d.run(MessageType.PING, 1, Buffer.alloc(0), SINK, 10, 'a')).toEqual(Buffer.from('pong'));
    const echo = Buffer.from('abc');
    expect(d.run(MessageType.ECHO, 2, echo, SINK, 11, 'b')).toBe(echo);
    expect(d.run(MessageType.COMPUTE, 3, encodeCompute(7, Buffer.from('xyz')), SINK, 12, 'c')).toBe(QUEUED);
    expect(d.run(MessageType.COMPUTE, 4, encodeCompute(8, Buffer.from('xyz')), SINK, 13, 'd')).toBeNull();
    // A COMPUTE's cost is its whole payload: 4 bytes of iterations and the data.
    expect(ex.calls).toEqual(['ping 1 true 10 a', 'echo 2 abc true 11 b', 'compute 3 7 xyz cost 7 true 12 c', 'compute 4 8 xyz cost 7 true 13 d']);
  });

  it('returns undefined for every other type, without calling the executor', () => {
    const ex = new RecordingExecutor();
    const d = new StatelessDispatcher(ex, tcpLimits);
    for (const type of [MessageType.HELLO, MessageType.JOIN, MessageType.STATS, MessageType.BYE, 0x7f]) {
      expect(d.run(type, 1, Buffer.alloc(0), SINK, 0, null)).toBeUndefined();
    }
    expect(ex.calls).toEqual([]);
  });

  it('refuses a PING with a payload as BAD_PAYLOAD, carrying the request id', () => {
    const ex = new RecordingExecutor();
    const run = (): unknown => new StatelessDispatcher(ex, tcpLimits).run(MessageType.PING, 9, Buffer.from('x'), SINK, 0, null);
    expect(run).toThrow(BadPayloadError);
    expect(run).toThrow(badPayload({ id: 9, message: 'PING payload must be empty, got 1 bytes' }));
    expect(ex.calls).toEqual([]);
  });

  it('applies the transport\'s COMPUTE limits: maxIterations, and minDataBytes (UDP)', () => {
    const ex = new RecordingExecutor();
    const tcp = new StatelessDispatcher(ex, tcpLimits);
    const udp = new StatelessDispatcher(ex, { maxIterations: 10, minDataBytes: 32 });
    expect(() => tcp.run(MessageType.COMPUTE, 1, encodeCompute(11, Buffer.alloc(32)), SINK, 0, null)).toThrow(badPayload({ id: 1, message: 'COMPUTE iterations must be in 1..10, got 11' }));
    // 31 data bytes: fine over TCP, refused over UDP (the digest reply would be larger than the request).
    expect(tcp.run(MessageType.COMPUTE, 2, encodeCompute(1, Buffer.alloc(31)), SINK, 0, null)).toBeNull();
    expect(() => udp.run(MessageType.COMPUTE, 3, encodeCompute(1, Buffer.alloc(31)), SINK, 0, null)).toThrow(badPayload({ id: 3 }));
    expect(udp.run(MessageType.COMPUTE, 4, encodeCompute(1, Buffer.alloc(32)), SINK, 0, null)).toBeNull();
    expect(ex.calls).toHaveLength(2);
  });
});
