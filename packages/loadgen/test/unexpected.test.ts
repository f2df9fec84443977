/**
 * Replies never asked for, end to end: `bin/sockbench-loadgen.js` in a child process against hostile
 * servers on 127.0.0.1 (test/fixtures/servers.ts). Each case asserts the exact counts by kind in the
 * JSON report, the table's row and summary line, the exit status and the last line; none asserts a
 * time. A reply to a request that was sent and timed out is "late"; a reply to an id never sent, or
 * bytes that are no frame, are "unexpected replies" and fail the run.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseReport, type RunReport } from '../src/report/schema.js';
import { hostileRawUdpEcho, hostileTcpServer, hostileUdpServer, holdingUdpServer, type TestServer } from './fixtures/servers.js';

const BIN = resolve(import.meta.dirname, '../bin/sockbench-loadgen.js');

interface Result {
  code: number;
  stderr: string;
  run: RunReport;
}

let dir: string;
let runs = 0;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'loadgen-unexpected-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Runs the CLI against `server` (closed while done), one thread, no warm-up, its JSON report read back. */
async function against(server: TestServer, args: string[]): Promise<Result> {
  const out = join(dir, `run-${++runs}.json`);
  try {
    const { code, stderr } = await new Promise<{ code: number; stderr: string }>((done) => {
      execFile(process.execPath, [BIN, '--port', String(server.port), '--threads', '1', '--warmup', '0', '-q', '--json', out, ...args], { timeout: 20_000 }, (err, _stdout, stderr) => {
        const c = err ? (err as { code?: unknown }).code : 0;
        done({ code: typeof c === 'number' ? c : -1, stderr });
      });
    });
    return { code, stderr, run: parseReport(await readFile(out, 'utf8'), out).runs[0]! };
  } finally {
    await server.close();
  }
}

function lastLine(stderr: string): string {
  return stderr.trimEnd().split('\n').at(-1)!;
}

describe('unexpected replies', () => {
  it('udp: wrong ids, id 0, garbage, an unknown version and 16 MiB headers are counted by kind, never as late; exit 1', async () => {
    const server = await hostileUdpServer();
    const r = await against(server, ['--transport', 'udp', '--connections', '1', '--requests', '20']);
    // Every request got its real reply, and before it 5 datagrams nobody asked for.
    expect(server.sent).toEqual({ answered: 21, unsentIds: 40, badFrames: 40, hugeHeaders: 20 });
    const c = r.run.counters;
    expect([c.sent, c.completed, c.errors, c.timeouts, c.late, c.duplicates]).toEqual([20, 20, 0, 0, 0, 0]);
    expect(c.unexpected).toBe(100);
    expect(c.unexpectedByKind).toEqual({ unsentId: 40, badFrame: 40, frameTooLarge: 20 });
    expect(r.run.intervals.reduce((n, iv) => n + iv.counters.unexpected, 0)).toBe(100);
    expect(r.stderr).toMatch(/^unexpected replies +100$/m);
    expect(r.stderr).toMatch(/^late \(after timeout\) +0$/m);
    expect(r.stderr).toContain('\nudp unexpected replies: unsentId 40, badFrame 40, frameTooLarge 20\n');
    expect(lastLine(r.stderr)).toBe('sockbench-loadgen: udp run failed: 20 of 20 requests completed, 100 unexpected replies (unsentId 40, badFrame 40, frameTooLarge 20)');
    expect(r.code).toBe(1);
  });

  it('tcp: replies to ids never sent are unsentId; a reply without the RESPONSE flag is its request\'s BAD_REPLY error', async () => {
    // Connection 0 answers request 3 without the RESPONSE flag; every other answer is preceded by a
    // reply to an id that was never sent.
    const server = await hostileTcpServer((_conn, n) => (n === 3 ? 'noResponseFlag' : 'unsentIdThenReply'));
    const r = await against(server, ['--connections', '1', '--requests', '10']);
    const c = r.run.counters;
    expect([c.sent, c.completed, c.errors, c.timeouts, c.late, c.connectionsLost]).toEqual([10, 9, 1, 0, 0, 0]);
    expect(c.errorsByCode).toEqual({ BAD_REPLY: 1 });
    expect([c.unexpected, c.unexpectedByKind]).toEqual([9, { unsentId: 9 }]);
    expect(r.stderr).toMatch(/^unexpected replies +9$/m);
    expect(r.stderr).toContain('\ntcp errors: BAD_REPLY 1\n');
    expect(r.stderr).toContain('\ntcp unexpected replies: unsentId 9\n');
    expect(lastLine(r.stderr)).toBe('sockbench-loadgen: tcp run failed: 9 of 10 requests completed, 1 error (BAD_REPLY 1), 9 unexpected replies (unsentId 9)');
    expect(r.code).toBe(1);
  });

  it('tcp: a 16 MiB header and an unknown version close their connection: one unexpected reply each, the stranded request an error by name', async () => {
    // Connection 0 gets a 16 MiB header instead of its 3rd reply, connection 1 a version-9 frame.
    const server = await hostileTcpServer((conn, n) => (n < 3 ? 'reply' : conn === 0 ? 'hugeHeader' : 'wrongVersion'));
    const r = await against(server, ['--connections', '2', '--requests', '10']);
    const c = r.run.counters;
    expect([c.sent, c.completed, c.errors, c.timeouts, c.late, c.connectionsLost]).toEqual([6, 4, 2, 0, 0, 2]);
    expect(c.errorsByCode).toEqual({ FRAME_TOO_LARGE: 1, BAD_FRAME: 1 });
    expect([c.unexpected, c.unexpectedByKind]).toEqual([2, { frameTooLarge: 1, badFrame: 1 }]);
    // Wire names, as for ERROR replies (this line read `SOCKBENCH_FRAME_TOO_LARGE 1`, and before that `2 1`).
    expect(r.stderr).toContain('\ntcp errors: BAD_FRAME 1, FRAME_TOO_LARGE 1\n');
    expect(r.stderr).toContain('\ntcp unexpected replies: badFrame 1, frameTooLarge 1\n');
    expect(lastLine(r.stderr)).toBe(
      'sockbench-loadgen: tcp run failed: 4 of 6 requests completed, 2 errors (BAD_FRAME 1, FRAME_TOO_LARGE 1), 2 lost connections, 2 unexpected replies (badFrame 1, frameTooLarge 1)',
    );
    expect(r.code).toBe(1);
  });

  it('raw-udp: a datagram too short for an id is badFrame, an id never sent is unsentId', async () => {
    const server = await hostileRawUdpEcho();
    const r = await against(server, ['--transport', 'raw-udp', '--connections', '1', '--requests', '15']);
    expect(server.echoed()).toBe(16); // the probe and 15 requests
    const c = r.run.counters;
    expect([c.sent, c.completed, c.errors, c.timeouts, c.late]).toEqual([15, 15, 0, 0, 0]);
    expect([c.unexpected, c.unexpectedByKind]).toEqual([30, { unsentId: 15, badFrame: 15 }]);
    expect(r.stderr).toMatch(/^unexpected replies +30$/m);
    expect(lastLine(r.stderr)).toBe('sockbench-loadgen: raw-udp run failed: 15 of 15 requests completed, 30 unexpected replies (unsentId 15, badFrame 15)');
    expect(r.code).toBe(1);
  });
});

describe('late replies and timeouts', () => {
  it('a real reply that comes after its request timed out is late, not unexpected; timeouts alone do not fail the run', async () => {
    // Request 3's reply is held until request 6 arrives, which can only leave after 3 timed out
    // (one socket, one request in flight): late by construction, whatever the machine's speed.
    const server = await holdingUdpServer({ holdNth: 3, releaseAt: 6 });
    const r = await against(server, ['--transport', 'udp', '--connections', '1', '--requests', '10', '--timeout', '300']);
    const c = r.run.counters;
    expect([c.sent, c.completed, c.errors, c.timeouts, c.late, c.unexpected]).toEqual([10, 9, 0, 1, 1, 0]);
    expect(c.unexpectedByKind).toEqual({});
    expect(r.stderr).toMatch(/^late \(after timeout\) +1$/m);
    expect(r.stderr).toMatch(/^unexpected replies +0$/m);
    expect(r.stderr).not.toContain('run failed');
    expect(r.code).toBe(0);
  });

  it('a run whose every request timed out says so in its last line, and exits 1', async () => {
    const server = await holdingUdpServer({ silent: true });
    const r = await against(server, ['--transport', 'udp', '--connections', '24', '--requests', '24', '--timeout', '200']);
    expect(server.received()).toBe(25); // the probe, then one request per socket
    const c = r.run.counters;
    expect([c.sent, c.completed, c.errors, c.timeouts, c.late, c.unexpected]).toEqual([24, 0, 0, 24, 0, 0]);
    expect(lastLine(r.stderr)).toBe('sockbench-loadgen: udp run failed: 0 of 24 requests completed, 24 timeouts (100.00% loss)');
    expect(r.code).toBe(1);
  });
});
