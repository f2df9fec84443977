/** How a target that cannot be used reaches the caller from a generator thread: stable code, OS or wire code apart. */
import { ErrorCode } from '@sockbench/protocol';
import { createServer } from '@sockbench/server';
import { describe, expect, it } from 'vitest';
import { TargetUnreachable } from '../src/errors.js';
import { resolveRunOptions } from '../src/options.js';
import { runPlan } from '../src/runner.js';
import { freePort } from './fixtures/servers.js';

function failure(port: number, connections: number): Promise<unknown> {
  const { plan, token } = resolveRunOptions({ port, warmup: '0', duration: '500ms', connections, threads: 1 });
  return runPlan({ plan, token }).then(
    () => expect.fail('the run should not start'),
    (e: unknown) => e,
  );
}

describe('TargetUnreachable from a generator thread', () => {
  it('a refused connection keeps its OS code as osCode', async () => {
    const port = await freePort();
    const err = (await failure(port, 1)) as TargetUnreachable;
    expect(err).toBeInstanceOf(TargetUnreachable);
    expect([err.code, err.osCode, err.errorCode, err.host, err.port]).toEqual(['SOCKBENCH_UNREACHABLE', 'ECONNREFUSED', undefined, '127.0.0.1', port]);
  });

  it('a server at its connection limit (ERROR BUSY instead of WELCOME) keeps the wire code as errorCode', async () => {
    const server = createServer({ host: '127.0.0.1', port: 0, threads: 1, maxConnections: 1 });
    const { port } = (await server.listen()).tcp;
    try {
      const err = (await failure(port, 2)) as TargetUnreachable;
      expect(err).toBeInstanceOf(TargetUnreachable);
      expect([err.code, err.osCode, err.errorCode, err.exitCode]).toEqual(['SOCKBENCH_UNREACHABLE', undefined, ErrorCode.BUSY, 3]);
      expect(err.message).toMatch(new RegExp(`^cannot connect to 127\\.0\\.0\\.1:${port}: BUSY \\(.+\\)$`));
    } finally {
      await server.close();
    }
  });
});
