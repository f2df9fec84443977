/**
 * The UDP channel's queued-send branch (src/udp-channel.ts): while datagrams wait in the socket's
 * send queue, each send must get a buffer of its own, since the queued ones are still to be read.
 * Node normally hands a connected socket's datagram to the kernel inside send() (uv_udp_try_send),
 * so the branch is only reached on a full socket buffer; `node --test-udp-no-try-send` queues every
 * send, so a child process run with it sends every frame through that branch. Uses the built dist/
 * (Nx builds it before `test`, as for test/cli.test.ts).
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { MessageType, encodeFrame } from '@sockbench/protocol';

const SCRIPT = fileURLToPath(new URL('./fixtures/udp-queued-send.mjs', import.meta.url));
const N = 64;

/** Runs the fixture with `flags`; its parsed stdout line, or a rejection naming its exit and stderr. */
function run(flags: string[]): Promise<{ queued: number; got: string[] }> {
  return new Promise((resolve, reject) =>
    execFile(process.execPath, [...flags, SCRIPT, String(N)], { timeout: 20_000 }, (err, stdout, stderr) =>
      err ? reject(new Error(`fixture failed (${err.message}): ${stderr}`)) : resolve(JSON.parse(stdout) as { queued: number; got: string[] }),
    ),
  );
}

/** The frames the fixture sends, as it builds them: one size, different type, id and payload bytes. */
const SENT = Array.from({ length: N }, (_, i) => encodeFrame(i % 2 ? MessageType.ECHO : MessageType.COMPUTE, i + 1, Buffer.alloc(40, i)).toString('hex'));

describe('openUdpChannel send while datagrams are queued', () => {
  it('with every send queued (node --test-udp-no-try-send), each of 64 same-size frames sent in one tick arrives byte-exact', async () => {
    const { queued, got } = await run(['--test-udp-no-try-send']);
    // The flag did queue the send: without it the branch under test would not be reached.
    expect(queued).toBe(1);
    // Loopback keeps one socket pair's order.
    expect(got).toEqual(SENT);
  });

  it('without the flag the kernel takes each datagram inside send() (the reuse branch), and they arrive byte-exact too', async () => {
    const { queued, got } = await run([]);
    expect(queued).toBe(0);
    expect(got).toEqual(SENT);
  });
});
