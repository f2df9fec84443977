import { afterEach, describe, expect, it } from 'vitest';
import { HEADER_SIZE, MessageType, readStreamData } from '@sockbench/protocol';
import { DownSender, UDP_MAX_IN_FLIGHT } from './sender.js';

const senders: DownSender[] = [];
afterEach(() => {
  for (const s of senders.splice(0)) s.stop();
});

/**
 * A UDP target that keeps a copy of every datagram as it was handed over (the sender reuses a buffer
 * once its send completed) and its send callback, completing none until told.
 */
function heldOut(): { sent: Buffer[]; buffers: Buffer[]; complete(n: number): void; out: (d: Buffer, port: number, address: string, done?: () => void) => void } {
  const sent: Buffer[] = [];
  const buffers: Buffer[] = [];
  const pending: (() => void)[] = [];
  return {
    sent,
    buffers,
    out: (d, _port, _address, done) => {
      sent.push(Buffer.from(d));
      buffers.push(d);
      if (done !== undefined) pending.push(done);
    },
    complete: (n) => {
      for (const f of pending.splice(0, n)) f();
    },
  };
}
const turn = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('DownSender over UDP', () => {
  it('sends what the schedule says is due, numbered from 0, stamped with the clock', async () => {
    const o = heldOut();
    // 1 Mbit/s of 125-byte messages is one per ms: message k is due k ms after the start.
    let now = 1_000_000;
    const s = new DownSender(9, 125, 1000, 1_000_000, { kind: 'udp', out: o.out, port: 1, address: '127.0.0.1' }, () => now, () => undefined);
    senders.push(s);
    expect(o.sent).toHaveLength(1); // the first at the start
    now += 4500; // 4.5 ms on: 0..4 are due
    await new Promise((r) => setTimeout(r, 20));
    expect(o.sent).toHaveLength(5);
    const d = o.sent[0]!;
    expect([d.length, d[5], d.readUInt32BE(8)]).toEqual([125, MessageType.STREAM_DATA, 9]);
    expect(o.sent.map((m) => readStreamData(m.subarray(HEADER_SIZE)))).toEqual([0, 1, 2, 3, 4].map((sequence) => ({ sequence, sentUs: sequence === 0 ? 1_000_000 : 1_004_500 })));
  });

  it(`holds at ${UDP_MAX_IN_FLIGHT} datagrams not yet in the kernel, and goes on as they complete`, async () => {
    const o = heldOut();
    // Unbounded backlog: 1 Gbit/s of 100-byte messages with the clock 1 s after the start (the burst cap is 12,500).
    let now = 0;
    const clock = (): number => now;
    const s = new DownSender(5, 100, 10_000, 1_000_000_000, { kind: 'udp', out: o.out, port: 1, address: '127.0.0.1' }, clock, () => undefined);
    senders.push(s);
    now = 1_000_000;
    await new Promise((r) => setTimeout(r, 5)); // the sender's timer runs
    expect(o.sent).toHaveLength(UDP_MAX_IN_FLIGHT);
    o.complete(10);
    await turn();
    expect(o.sent).toHaveLength(UDP_MAX_IN_FLIGHT + 10);
    expect(s.sent.messages).toBe(UDP_MAX_IN_FLIGHT + 10);
    expect(o.sent.map((d) => readStreamData(d.subarray(HEADER_SIZE)).sequence)).toEqual(Array.from({ length: UDP_MAX_IN_FLIGHT + 10 }, (_, i) => i));
    // Message 64 + k goes out in the buffer of message k, whose send has completed: no allocation per datagram.
    expect(o.buffers[UDP_MAX_IN_FLIGHT]).toBe(o.buffers[0]);
    expect(new Set(o.buffers).size).toBe(UDP_MAX_IN_FLIGHT);
    expect(o.sent.every((d) => d.length === 100 && d[5] === MessageType.STREAM_DATA && d.readUInt32BE(8) === 5)).toBe(true);
  });

  it('stops by itself at the end of its duration and says so once', async () => {
    const o = heldOut();
    let now = 0;
    let done = 0;
    const s = new DownSender(5, 100, 2, 800_000, { kind: 'udp', out: o.out, port: 1, address: '127.0.0.1' }, () => now, () => done++);
    senders.push(s);
    now = 2000; // the duration (2 ms) is over
    o.complete(100);
    await new Promise((r) => setTimeout(r, 20));
    expect(done).toBe(1);
    const count = o.sent.length;
    now = 10_000;
    await new Promise((r) => setTimeout(r, 20));
    expect(o.sent.length).toBe(count);
    expect(count).toBeLessThanOrEqual(2); // 2 ms at 800 kbit/s of 800-bit messages
  });
});

describe('DownSender: its duration (the report\'s durationUs)', () => {
  it('runs from its start to its stop, never past the end of its duration: 2 messages are not 1 gap', async () => {
    const o = heldOut();
    let now = 1_000;
    // 8 kbit/s of 1000-byte messages: one per second; 2 s: messages at 0 and 1 s.
    const s = new DownSender(5, 1000, 2000, 8000, { kind: 'udp', out: o.out, port: 1, address: '127.0.0.1' }, () => now, () => undefined);
    senders.push(s);
    now = 501_000;
    expect(s.durationUs).toBe(500_000);
    now = 5_001_000; // well past the end: the duration is what counts
    expect(s.durationUs).toBe(2_000_000);
    s.stop();
    now = 9_000_000;
    expect(s.durationUs).toBe(2_000_000);
    expect(s.sent).toMatchObject({ startUs: 1_000, stoppedUs: 2_001_000 });
  });

  it('a stop before the end is where it ends', () => {
    const o = heldOut();
    let now = 0;
    const s = new DownSender(5, 1000, 2000, 8000, { kind: 'udp', out: o.out, port: 1, address: '127.0.0.1' }, () => now, () => undefined);
    senders.push(s);
    now = 300_000;
    s.stop();
    now = 700_000;
    expect(s.durationUs).toBe(300_000);
  });

  it('held by backpressure for most of its duration: the duration is its time, not the few µs it could send', async () => {
    const o = heldOut(); // no send completes: the socket's queue stays full
    let now = 0;
    // 1 Gbit/s of 100-byte messages for 1 s, the clock 10 ms on (12,500 due): 64 go out, then it waits.
    const s = new DownSender(5, 100, 1000, 1_000_000_000, { kind: 'udp', out: o.out, port: 1, address: '127.0.0.1' }, () => now, () => undefined);
    senders.push(s);
    now = 10_000;
    await new Promise((r) => setTimeout(r, 5));
    expect(s.sent.messages).toBe(UDP_MAX_IN_FLIGHT);
    now = 1_250_000; // the STREAM_REPORT comes after the end
    s.stop();
    expect(s.durationUs).toBe(1_000_000);
    expect((8 * s.sent.messages * 100 * 1e6) / s.durationUs).toBe(51_200); // 64 × 800 bits over 1 s
  });

  it('a paced schedule sent whole before the end: the duration is its time, as iperf3 divides by the test\'s', async () => {
    const o = heldOut();
    let now = 0;
    let done = 0;
    // 1 Mbit/s of 125-byte messages (one per ms) for 10 ms: 10 messages, the last due at 9 ms.
    const s = new DownSender(5, 125, 10, 1_000_000, { kind: 'udp', out: o.out, port: 1, address: '127.0.0.1' }, () => now, () => done++);
    senders.push(s);
    now = 9_500;
    o.complete(1);
    await new Promise((r) => setTimeout(r, 20));
    o.complete(100);
    await new Promise((r) => setTimeout(r, 20));
    expect([s.sent.messages, done]).toEqual([10, 1]);
    expect(s.sent.stoppedUs).toBe(10_000);
    expect(s.durationUs).toBe(10_000);
  });
});
