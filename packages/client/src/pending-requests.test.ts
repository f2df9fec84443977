import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ErrorCode, Flags, MessageType, encodeError, type Frame } from '@sockbench/protocol';
import { ConnectionClosedError, ErrorReply, TimeoutError, UnexpectedFrameError } from './errors.js';
import { PendingRequests, type RequestSender } from './pending-requests.js';

/** A sender that records what it was asked to send (no socket: PendingRequests does no I/O itself). */
function sender(): RequestSender & { sent: Array<{ type: number; id: number; payload: Uint8Array | undefined }> } {
  const sent: Array<{ type: number; id: number; payload: Uint8Array | undefined }> = [];
  return {
    sent,
    send(type, id, payload) {
      sent.push({ type, id, payload });
      return true;
    },
  };
}

function reply(type: number, id: number, payload: Buffer = Buffer.alloc(0), flags: number = Flags.RESPONSE): Frame {
  return { type, flags, id, payload };
}

/** The rejection of `p` (fails the test when it resolves). */
async function rejection(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    () => {
      throw new Error('expected a rejection');
    },
    (e: unknown) => e,
  );
}

describe('PendingRequests', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('rttMs is exactly the receive time minus the send time, both on the injected clock', async () => {
    let now = 100.25;
    const pending = new PendingRequests(() => now);
    const out = sender();
    const p = pending.send(out, MessageType.ECHO, Buffer.from('x'), 0);
    now = 250; // the clock moves on; the send time was taken at send
    expect(pending.settle(reply(MessageType.ECHO, 1, Buffer.from('x')), 103.5)).toBe(true);
    const r = await p;
    expect(r).toEqual({ payload: Buffer.from('x'), rttMs: 3.25, id: 1 });
    expect(out.sent).toEqual([{ type: MessageType.ECHO, id: 1, payload: Buffer.from('x') }]);
    expect(pending.size).toBe(0);
  });

  it('ids count up from 1, continue after the HELLO id, and skip one still pending after the wrap', () => {
    const pending = new PendingRequests(() => 0);
    const out = sender();
    pending.continueAfter(1);
    void pending.send(out, MessageType.PING, undefined, 0); // 2, left pending
    void pending.send(out, MessageType.PING, undefined, 0); // 3
    pending.settle(reply(MessageType.PING, 3), 0);
    pending.continueAfter(0xffff_fffe);
    void pending.send(out, MessageType.PING, undefined, 0); // 0xFFFFFFFF
    pending.settle(reply(MessageType.PING, 0xffff_ffff), 0);
    void pending.send(out, MessageType.PING, undefined, 0); // 1 after the wrap
    void pending.send(out, MessageType.PING, undefined, 0); // 2 is pending: skipped, 3
    expect(out.sent.map((s) => s.id)).toEqual([2, 3, 0xffff_ffff, 1, 3]);
    expect(pending.size).toBe(3);
  });

  it('settles each request once: a second reply with its id, and an unknown id, are not taken', async () => {
    const pending = new PendingRequests(() => 0);
    const p = pending.send(sender(), MessageType.PING, undefined, 0);
    expect(pending.settle(reply(MessageType.PING, 9), 1)).toBe(false);
    expect(pending.settle(reply(MessageType.PING, 1), 1)).toBe(true);
    expect(pending.settle(reply(MessageType.PING, 1), 2)).toBe(false);
    expect((await p).rttMs).toBe(1);
  });

  it('rejects with what the reply check finds: an ERROR reply, a reply of another type', async () => {
    const pending = new PendingRequests(() => 0);
    const out = sender();
    const leave = pending.send(out, MessageType.LEAVE, undefined, 0);
    const ping = pending.send(out, MessageType.PING, undefined, 0);
    pending.settle(reply(MessageType.ERROR, 1, encodeError(ErrorCode.NOT_IN_ROOM, 'not in room x')), 0);
    pending.settle(reply(MessageType.ECHO, 2), 0);
    const err = (await rejection(leave)) as ErrorReply;
    expect(err).toBeInstanceOf(ErrorReply);
    expect([err.errorCode, err.message, err.id]).toEqual([ErrorCode.NOT_IN_ROOM, 'not in room x', 1]);
    const wrong = await rejection(ping);
    expect(wrong).toBeInstanceOf(UnexpectedFrameError);
    expect((wrong as Error).message).toBe('PING request 2 got a ECHO reply');
  });

  it('times out exactly timeoutMs after the send, with the type, id and timeout; the late reply is then not taken', async () => {
    const pending = new PendingRequests(() => 0);
    const p = pending.send(sender(), MessageType.COMPUTE, undefined, 50);
    const outcome = rejection(p);
    vi.advanceTimersByTime(49);
    expect(pending.size).toBe(1);
    vi.advanceTimersByTime(1);
    expect(pending.size).toBe(0);
    const err = (await outcome) as TimeoutError;
    expect(err).toBeInstanceOf(TimeoutError);
    expect([err.type, err.id, err.timeoutMs]).toEqual([MessageType.COMPUTE, 1, 50]);
    expect(pending.settle(reply(MessageType.COMPUTE, 1), 60)).toBe(false);
  });

  it('timeoutMs 0 never times out; a settled request leaves no timer behind', async () => {
    const pending = new PendingRequests(() => 0);
    const out = sender();
    void pending.send(out, MessageType.PING, undefined, 0);
    const timed = pending.send(out, MessageType.PING, undefined, 1000);
    expect(vi.getTimerCount()).toBe(1);
    pending.settle(reply(MessageType.PING, 2), 5);
    expect(vi.getTimerCount()).toBe(0);
    await timed;
    vi.advanceTimersByTime(3_600_000);
    expect(pending.size).toBe(1);
  });

  it('rejectAll rejects every pending request with the one error and clears their timers', async () => {
    const pending = new PendingRequests(() => 0);
    const out = sender();
    const all = [0, 10, 20].map((t) => rejection(pending.send(out, MessageType.PING, undefined, t)));
    const closed = new ConnectionClosedError('gone');
    pending.rejectAll(closed);
    expect(pending.size).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
    for (const err of await Promise.all(all)) expect(err).toBe(closed);
  });

  it('a send that throws rejects with its error and leaves nothing pending', async () => {
    const pending = new PendingRequests(() => 0);
    const tooBig = new RangeError('payload too large');
    const failing: RequestSender = {
      send() {
        throw tooBig;
      },
    };
    expect(await rejection(pending.send(failing, MessageType.ECHO, undefined, 1000))).toBe(tooBig);
    expect(pending.size).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
  });
});
