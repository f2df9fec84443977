import { execFile, spawnSync } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from '../src/index.js';

// The real sockperf client (Debian package `sockperf`, installed by .ci/run) against --raw-mode sockperf:
// proof that the mode is what sockperf expects, not only what we think it expects.
const hasSockperf = spawnSync('sockperf', ['--version']).status === 0;
const run = promisify(execFile);

describe('raw echo --raw-mode sockperf, driven by the real sockperf client', () => {
  let server: Server;
  let port: number;
  beforeAll(async () => {
    server = createServer({ port: 0, rawPort: 0, rawMode: 'sockperf', threads: 1 });
    port = (await server.listen()).raw!.tcp.port;
  });
  afterAll(async () => {
    await server.close();
  });

  for (const transport of ['udp', 'tcp'] as const) {
    const title = `sockperf ping-pong over ${transport.toUpperCase()} gets every reply`;
    it.skipIf(!hasSockperf)(hasSockperf ? title : `${title} (skipped: the sockperf command is not installed; apt-get install sockperf)`, async () => {
      const args = ['ping-pong', '-i', '127.0.0.1', '-p', String(port), '-m', '64', '-t', '1', '--mps', '2000', '--full-rtt'];
      if (transport === 'tcp') args.push('--tcp');
      // Async: the server under test runs on this event loop, so the client must not block it.
      const { stdout, stderr } = await run('sockperf', args, { encoding: 'utf8', timeout: 15_000 });
      const out = `${stdout}${stderr}`;
      const m = /\[Valid Duration\] RunTime=[\d.]+ sec; SentMessages=(\d+); ReceivedMessages=(\d+)/.exec(out);
      expect(m, out).not.toBeNull();
      const [sent, received] = [Number(m![1]), Number(m![2])];
      expect(sent).toBeGreaterThan(100);
      expect(received).toBe(sent);
      expect(out).toMatch(/# dropped messages = 0; # duplicated messages = 0; # out-of-order messages = 0/);
    });
  }
});
