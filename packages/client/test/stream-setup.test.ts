/**
 * runStreams and attachTcp against a scripted TCP stream server (test/stream-peer.ts) when setup
 * fails: a later session's START refused after an earlier up sender started, and a STREAM_ATTACH
 * that is never answered.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ErrorReply, StreamError, attachTcp, runStreams } from '../src/index.js';
import { closeAll } from './helpers.js';
import { STUB_START_REFUSED, stubTcpStreamPeer } from './stream-peer.js';

afterEach(closeAll);

/** Live timers of this process (each sender holds a deadline timer until it ends). */
const timers = (): number => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;

describe('a failed setup', () => {
  it('a START refused after an up sender started: runStreams rejects with the refusal and the started sender stops', async () => {
    const peer = await stubTcpStreamPeer({ okStarts: 1 });
    const before = timers();
    // 60 s: a sender left running would hold its deadline timer (and the process) for a minute.
    const err = await runStreams({ host: '127.0.0.1', port: peer.port, transport: 'tcp', directions: ['up'], size: 100, bitrate: 80_000, durationMs: 60_000, parallel: 2 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ErrorReply);
    expect([(err as ErrorReply).codeName, (err as ErrorReply).message]).toEqual(['BUSY', STUB_START_REFUSED]);
    expect(peer.starts).toEqual([1, 2]);
    await new Promise((r) => setImmediate(r));
    expect(timers()).toBe(before);
  });

  it('a STREAM_ATTACH never answered times out at connectTimeoutMs with a StreamError, and the data connection is closed', async () => {
    const peer = await stubTcpStreamPeer({ answerAttach: false });
    const err = await attachTcp({ host: '127.0.0.1', port: peer.port, session: 7, key: '0123456789abcdef', worker: 0, connectTimeoutMs: 200 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StreamError);
    expect((err as Error).message).toBe('STREAM_ATTACH of stream session 7 got no reply in 200 ms');
    expect(peer.attaches).toEqual([1]);
    await peer.firstClose; // the client closed the silent data connection (else the test times out)
  });
});
