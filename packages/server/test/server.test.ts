import { readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { readmeMismatches } from '@sockbench/options';
import { MessageType, encodeFrame } from '@sockbench/protocol';
import { ListenError, SERVER_OPTIONS, ServerStateError, createServer, type Server } from '../src/index.js';
import { CLI_OPTIONS } from '../src/options.js';
import { Peer, waitFor } from './helpers.js';

const servers: Server[] = [];
const peers: Peer[] = [];
afterEach(async () => {
  for (const p of peers.splice(0)) p.destroy();
  await Promise.all(servers.splice(0).map((s) => s.close()));
});
function start(opts: Parameters<typeof createServer>[0] = {}): Server {
  const s = createServer({ port: 0, threads: 1, ...opts });
  servers.push(s);
  return s;
}

describe('Server lifecycle', () => {
  it('listen() twice or after close() throws ServerStateError; close() is idempotent', async () => {
    const s = start();
    await s.listen();
    await expect(s.listen()).rejects.toBeInstanceOf(ServerStateError);
    await Promise.all([s.close(), s.close()]);
    await expect(s.listen()).rejects.toThrow(/listen\(\) on a server that is closed/);
  });

  it('listen() on a taken port rejects with ListenError: stable code, OS code apart, OS error as cause', async () => {
    const { port } = (await start().listen()).tcp;
    const err = (await start({ port }).listen().catch((e: unknown) => e)) as ListenError;
    expect(err).toBeInstanceOf(ListenError);
    expect([err.code, err.osCode, (err.cause as NodeJS.ErrnoException).code]).toEqual(['SOCKBENCH_LISTEN', 'EADDRINUSE', 'EADDRINUSE']);
    expect(err.message).toContain(`cannot listen for TCP on 127.0.0.1:${port}`);
  });

  it('rejects bad options at construction, naming the option', () => {
    expect(() => createServer({ maxPayload: -1 })).toThrow(/options\.maxPayload \(--max-payload\)/);
  });
});

describe('--dispatch pool over TCP', () => {
  it('answers PING and ECHO through the threads', async () => {
    const s = start({ dispatch: 'pool' });
    const p = await Peer.welcomed((await s.listen()).tcp.port);
    peers.push(p);
    const data = randomBytes(50_000);
    expect((await p.request(MessageType.ECHO, 1, data)).payload.equals(data)).toBe(true);
    expect((await p.request(MessageType.PING, 2)).payload.length).toBe(0);
    const stats = await s.stats();
    expect(stats.pool.completed).toBe(2);
  });
});

describe('peer resets', () => {
  it('a client that resets mid-stream is counted, not thrown; others are served', async () => {
    const s = start();
    const port = (await s.listen()).tcp.port;
    const other = await Peer.welcomed(port);
    peers.push(other);
    for (let round = 0; round < 10; round++) {
      const rude = await Peer.welcomed(port);
      const frames = Array.from({ length: 64 }, (_, i) => encodeFrame(MessageType.ECHO, i + 1, Buffer.alloc(16 * 1024)));
      rude.socket.write(Buffer.concat(frames));
      rude.socket.resetAndDestroy();
      expect((await other.request(MessageType.PING, round + 1)).type).toBe(MessageType.PING);
      const errs = Object.values((await s.stats()).socketErrors).reduce((a, b) => a + b, 0);
      if (errs > 0) break;
    }
    await waitFor(async () => Object.values((await s.stats()).socketErrors).reduce((a, b) => a + b, 0) > 0, 5_000, 'a counted socket error');
    const codes = Object.keys((await s.stats()).socketErrors);
    expect(codes.every((c) => ['ECONNRESET', 'EPIPE'].includes(c))).toBe(true);
    await waitFor(async () => (await s.stats()).connections.current === 1, 5_000, 'the reset connections to be gone');
  });
});

describe('docs/protocol.md', () => {
  it('every error code in its table is sent (or, UNSUPPORTED, counted) and asserted by a server test', () => {
    const doc = readFileSync(new URL('../../../docs/protocol.md', import.meta.url), 'utf8');
    const table = doc.slice(doc.indexOf('## Error codes'), doc.indexOf('## STATS schema'));
    const names = [...table.matchAll(/^\|\s*\d+\s*\|\s*([A-Z_]+)\s*\|/gm)].map((m) => m[1]!);
    expect(names).toHaveLength(9);
    const tests = ['tcp.test.ts', 'udp.test.ts'].map((f) => readFileSync(new URL(f, import.meta.url), 'utf8')).join('\n');
    for (const name of names) {
      expect(tests.includes(`ErrorCode.${name}`) || tests.includes(`'${name}'`), name).toBe(true);
    }
  });
});

describe('README', () => {
  it('documents every flag of the option tables with its unit and default, and no other', () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    expect(readmeMismatches(readme, [SERVER_OPTIONS, CLI_OPTIONS])).toEqual([]);
  });
});
