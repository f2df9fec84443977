import { describe, expect, it } from 'vitest';
import { BadPayloadError, ErrorCode, MessageType, encodeCompute } from '@sockbench/protocol';
import type { ExecResult, Executor } from './executor.js';
import { StatelessDispatcher } from './stateless.js';

/** An executor that answers with marker payloads and records each call. */
class RecordingExecutor implements Executor {
  readonly calls: string[] = [];
  ping(): ExecResult {
    this.calls.push('ping');
    return Buffer.from('pong');
  }
  echo(payload: Buffer): ExecResult {
    this.calls.push(`echo ${payload.toString()}`);
    return payload;
  }
  compute(iterations: number, data: Buffer): ExecResult {
    this.calls.push(`compute ${iterations} ${data.toString()}`);
    return null; // as a full pool would
  }
}

/** Matches a thrown BadPayloadError with these fields (vitest compares them with toThrow). */
const badPayload = (fields: Partial<Pick<BadPayloadError, 'errorCode' | 'id' | 'message'>>): unknown =>
  expect.objectContaining({ name: 'BadPayloadError', errorCode: ErrorCode.BAD_PAYLOAD, ...fields });

describe('StatelessDispatcher', () => {
  const tcpLimits = { maxIterations: 10 };

  it('hands PING, ECHO and COMPUTE to the executor and returns its result as is', () => {
    const ex = new RecordingExecutor();
    const d = new StatelessDispatcher(ex, tcpLimits);
    expect(d.run(MessageType.PING, 1, Buffer.alloc(0))).toEqual(Buffer.from('pong'));
    const echo = Buffer.from('abc');
    expect(d.run(MessageType.ECHO, 2, echo)).toBe(echo);
    expect(d.run(MessageType.COMPUTE, 3, encodeCompute(7, Buffer.from('xyz')))).toBeNull();
    expect(ex.calls).toEqual(['ping', 'echo abc', 'compute 7 xyz']);
  });

  it('returns undefined for every other type, without calling the executor', () => {
    const ex = new RecordingExecutor();
    const d = new StatelessDispatcher(ex, tcpLimits);
    for (const type of [MessageType.HELLO, MessageType.JOIN, MessageType.STATS, MessageType.BYE, 0x7f]) {
      expect(d.run(type, 1, Buffer.alloc(0))).toBeUndefined();
    }
    expect(ex.calls).toEqual([]);
  });

  it('refuses a PING with a payload as BAD_PAYLOAD, carrying the request id', () => {
    const ex = new RecordingExecutor();
    const run = (): unknown => new StatelessDispatcher(ex, tcpLimits).run(MessageType.PING, 9, Buffer.from('x'));
    expect(run).toThrow(BadPayloadError);
    expect(run).toThrow(badPayload({ id: 9, message: 'PING payload must be empty, got 1 bytes' }));
    expect(ex.calls).toEqual([]);
  });

  it('applies the transport\'s COMPUTE limits: maxIterations, and minDataBytes (UDP)', () => {
    const ex = new RecordingExecutor();
    const tcp = new StatelessDispatcher(ex, tcpLimits);
    const udp = new StatelessDispatcher(ex, { maxIterations: 10, minDataBytes: 32 });
    expect(() => tcp.run(MessageType.COMPUTE, 1, encodeCompute(11, Buffer.alloc(32)))).toThrow(badPayload({ id: 1, message: 'COMPUTE iterations must be in 1..10, got 11' }));
    // 31 data bytes: fine over TCP, refused over UDP (the digest reply would be larger than the request).
    expect(tcp.run(MessageType.COMPUTE, 2, encodeCompute(1, Buffer.alloc(31)))).toBeNull();
    expect(() => udp.run(MessageType.COMPUTE, 3, encodeCompute(1, Buffer.alloc(31)))).toThrow(badPayload({ id: 3 }));
    expect(udp.run(MessageType.COMPUTE, 4, encodeCompute(1, Buffer.alloc(32)))).toBeNull();
    expect(ex.calls).toHaveLength(2);
  });
});
