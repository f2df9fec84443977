import { ErrorCode } from '@sockbench/protocol';
import { describe, expect, it } from 'vitest';
import { GeneratorError, LoadgenError, TargetUnreachable, UsageError } from './errors.js';

describe('errors', () => {
  it('TargetUnreachable keeps an OS code as osCode and names it in the message', () => {
    const err = new TargetUnreachable('127.0.0.1', 9, 'ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:9');
    expect([err.code, err.osCode, err.errorCode, err.exitCode]).toEqual(['SOCKBENCH_UNREACHABLE', 'ECONNREFUSED', undefined, 3]);
    expect(err.message).toBe('cannot connect to 127.0.0.1:9: ECONNREFUSED (connect ECONNREFUSED 127.0.0.1:9)');
    expect(new TargetUnreachable('h', 1, 'ETIMEDOUT', 'ETIMEDOUT').message).toBe('cannot connect to h:1: ETIMEDOUT');
  });

  it('TargetUnreachable keeps a refusal by ERROR as errorCode, named the way the protocol writes it', () => {
    const err = new TargetUnreachable('h', 1, ErrorCode.BUSY, 'connection limit reached');
    expect([err.osCode, err.errorCode]).toEqual([undefined, ErrorCode.BUSY]);
    expect(err.message).toBe('cannot connect to h:1: BUSY (connection limit reached)');
  });

  it('every error is a LoadgenError named for its class, with its cause kept', () => {
    const cause = new Error('boom');
    const err = new GeneratorError('generator thread 0 crashed: boom', { cause });
    expect(err).toBeInstanceOf(LoadgenError);
    expect([err.name, err.code, err.exitCode, err.cause]).toEqual(['GeneratorError', 'SOCKBENCH_GENERATOR', 1, cause]);
    expect([new UsageError('x').name, new UsageError('x').code]).toEqual(['UsageError', 'SOCKBENCH_LOADGEN_USAGE']);
  });
});
