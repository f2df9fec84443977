import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  ErrorCode,
  HEADER_SIZE,
  MessageType,
  STREAM_CLOSED_MEMORY,
  STREAM_REPORT_GRACE_MS,
  STREAM_START_TIMEOUT_MS,
  decodeStreamOpened,
  newStreamDataFrame,
  stampStreamData,
  type StreamOpen,
  type StreamOpened,
} from '@sockbench/protocol';
import { ATTACH_REFUSED, StreamSessions, isRefusal, type StreamAnswer, type StreamSettings } from './registry.js';
import type { DataLink } from './stream-session.js';

const UP_UDP: StreamOpen = { direction: 'up', transport: 'udp', size: 100, durationMs: 5000, bitrate: 1000 };
const owner = {};

function registry(maxStreams = 4, workerIndex = 0, more: Partial<StreamSettings> = {}): StreamSessions {
  return new StreamSessions({
    maxStreams,
    maxStreamsPerConnection: maxStreams,
    maxPayload: 65_536,
    maxBitrate: 1e6,
    maxDurationMs: 60_000,
    workerIndex,
    udp: () => Promise.resolve({ port: 7878, out: () => undefined, close: () => undefined }),
    ...more,
  });
}
async function openedFull(r: StreamSessions, req: StreamOpen = UP_UDP, by: object = owner): Promise<StreamOpened> {
  const a = r.open(by, req);
  if (isRefusal(a)) throw new Error(a.reason);
  return decodeStreamOpened(await a);
}
const FROM = { address: '127.0.0.1', port: 4000 };
/** A keyed STREAM_BIND from `from`, as the UDP endpoint hands it over. */
function bindFrom(r: StreamSessions, o: StreamOpened, from = FROM, tail = Buffer.alloc(8)): string {
  const payload = Buffer.concat([Buffer.from(o.key, 'hex'), tail]);
  return r.datagram(MessageType.STREAM_BIND, o.session, payload, from, () => undefined);
}
const link = (): DataLink => ({ socket: {} as DataLink['socket'], end: () => undefined, countOut: () => undefined });
async function opened(r: StreamSessions, req: StreamOpen = UP_UDP): Promise<number> {
  const a = r.open(owner, req);
  if (isRefusal(a)) throw new Error(a.reason);
  return decodeStreamOpened(await a).session;
}
const reason = (a: StreamAnswer): string => (isRefusal(a) ? a.reason : 'accepted');

describe('StreamSessions: session timers (fake clock)', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('a session not started within 10 s ends, and is "closed" after', async () => {
    const r = registry();
    const id = await opened(r);
    vi.advanceTimersByTime(STREAM_START_TIMEOUT_MS - 1);
    expect(r.stats().sessions).toBe(1);
    vi.advanceTimersByTime(1);
    expect(r.stats().sessions).toBe(0);
    expect(reason(r.start(owner, { session: id }))).toBe(`stream session ${id} is closed`);
  });

  it('a started session with no report ends durationMs + 10 s after its start', async () => {
    const r = registry();
    const o = await openedFull(r);
    const id = o.session;
    bindFrom(r, o);
    vi.advanceTimersByTime(3000);
    expect(reason(r.start(owner, { session: id }))).toBe('accepted');
    vi.advanceTimersByTime(UP_UDP.durationMs + STREAM_REPORT_GRACE_MS - 1);
    expect(r.stats().sessions).toBe(1);
    vi.advanceTimersByTime(1);
    expect(r.stats().sessions).toBe(0);
  });
});

describe('StreamSessions: ids, caps, memory', () => {
  it('ids carry the worker index in the top byte', async () => {
    const r = registry(4, 3);
    const id = await opened(r);
    expect(id >>> 24).toBe(3);
    expect(id & 0xff_ffff).toBeGreaterThan(0);
    expect(reason(r.start(owner, { session: 0x0200_0001 }))).toBe('stream session 33554433 is held by worker 2; this connection is on worker 3');
    r.closeAll();
  });

  it('the cap counts open sessions; closing frees a slot; the last 1024 ended ids are remembered', async () => {
    const r = registry(1);
    const first = await opened(r);
    const busy = r.open(owner, UP_UDP);
    expect(isRefusal(busy) && busy.refused).toBe(ErrorCode.BUSY);
    r.closeOwnedBy(owner);
    expect(r.stats()).toMatchObject({ sessions: 0, opened: 1, refused: 1 });
    for (let i = 0; i < STREAM_CLOSED_MEMORY; i++) {
      await opened(r);
      r.closeAll();
    }
    // `first` was the oldest of 1025 ended sessions: forgotten, so unknown again.
    expect(reason(r.start(owner, { session: first }))).toBe(`unknown stream session ${first}`);
    expect(r.stats().opened).toBe(STREAM_CLOSED_MEMORY + 1);
  });

  it('another owner is refused; closeOwnedBy ends only the owner\'s sessions', async () => {
    const r = registry();
    const mine = await opened(r);
    const other = {};
    const a = r.open(other, UP_UDP);
    if (isRefusal(a)) throw new Error(a.reason);
    const theirs = decodeStreamOpened(await a).session;
    expect(reason(r.start(other, { session: mine }))).toBe(`stream session ${mine} belongs to another control connection`);
    r.closeOwnedBy(other);
    expect(r.stats().sessions).toBe(1);
    expect(reason(r.start(owner, { session: theirs }))).toBe(`stream session ${theirs} is closed`);
    r.closeAll();
  });
});

describe('StreamSessions: up/UDP takes data from its bound source only', () => {
  const data = (o: StreamOpened, seq: number): Buffer => stampStreamData(newStreamDataFrame(o.session, UP_UDP.size), seq, 0).subarray(HEADER_SIZE);

  it('START without a BIND is refused; after one, only that address:port counts', async () => {
    const r = registry();
    const o = await openedFull(r);
    expect(reason(r.start(owner, { session: o.session }))).toBe(`stream session ${o.session} has no bound UDP source (STREAM_BIND from the sending socket first)`);
    expect(bindFrom(r, o)).toBe('answered');
    expect(reason(r.start(owner, { session: o.session }))).toBe('accepted');
    const dgram = (seq: number, from: { address: string; port: number }): string => r.datagram(MessageType.STREAM_DATA, o.session, data(o, seq), from, () => undefined);
    expect(dgram(0, FROM)).toBe('received');
    expect(dgram(1, { address: '127.0.0.1', port: 4001 })).toBe('refused');
    expect(dgram(2, { address: '127.0.0.2', port: 4000 })).toBe('refused');
    expect(dgram(2 ** 53, FROM)).toBe('refused'); // past 2^53 − 1: the receiver refuses it
    expect(bindFrom(r, o, { address: '127.0.0.1', port: 4001 })).toBe('refused'); // no BIND after START
    expect(r.stats().datagramsDropped.refused).toBe(4);
    r.closeAll();
  });

  it('a BIND whose last 8 bytes are not zero is dropped; the latest good BIND before START is the source', async () => {
    const r = registry();
    const o = await openedFull(r);
    expect(bindFrom(r, o, FROM, Buffer.from([0, 0, 0, 0, 0, 0, 0, 1]))).toBe('refused');
    expect(reason(r.start(owner, { session: o.session }))).toContain('has no bound UDP source');
    const later = { address: '127.0.0.1', port: 5000 };
    bindFrom(r, o);
    bindFrom(r, o, later);
    r.start(owner, { session: o.session });
    expect(r.datagram(MessageType.STREAM_DATA, o.session, data(o, 0), FROM, () => undefined)).toBe('refused');
    expect(r.datagram(MessageType.STREAM_DATA, o.session, data(o, 0), later, () => undefined)).toBe('received');
    r.closeAll();
  });

  it('VALIDATE after START is refused: the address stays as started', async () => {
    const r = registry();
    const o = await openedFull(r, { ...UP_UDP, direction: 'down' });
    let challenge: Buffer | null = null;
    r.datagram(MessageType.STREAM_BIND, o.session, Buffer.concat([Buffer.from(o.key, 'hex'), Buffer.alloc(8)]), FROM, (d) => (challenge = d.subarray(HEADER_SIZE)));
    const hex = challenge!.toString('hex');
    expect(reason(r.validate(owner, { session: o.session, challenge: hex }))).toBe('accepted');
    expect(reason(r.start(owner, { session: o.session }))).toBe('accepted');
    expect(reason(r.validate(owner, { session: o.session, challenge: hex }))).toBe(`stream session ${o.session} is already started`);
    r.closeAll();
  });
});

describe('StreamSessions: caps and opening', () => {
  it('--max-streams-per-connection: one connection is refused BUSY, another still opens', async () => {
    const r = registry(4, 0, { maxStreamsPerConnection: 2 });
    await opened(r);
    await opened(r);
    const third = r.open(owner, UP_UDP);
    expect(isRefusal(third) && third).toEqual({ refused: ErrorCode.BUSY, reason: "2 stream sessions are open on this connection, the server's cap (--max-streams-per-connection)" });
    await openedFull(r, UP_UDP, {});
    expect(r.stats()).toMatchObject({ sessions: 3, refused: 1 });
    r.closeAll();
  });

  it('a size over --max-payload + 12 is refused at the open', () => {
    const r = registry(4, 0, { maxPayload: 512 });
    expect(reason(r.open(owner, { ...UP_UDP, size: 525 }))).toBe("size 525 is over the server's cap of 524 bytes (--max-payload + 12)");
    expect(isRefusal(r.open(owner, { ...UP_UDP, size: 524 }))).toBe(false);
    r.closeAll();
  });

  it('a UDP provider that throws at once frees the id it reserved (it held a slot forever)', async () => {
    const r = registry(1, 0, { udp: () => { throw new TypeError('not bound yet'); } });
    const a = r.open(owner, UP_UDP);
    await expect(a as Promise<Buffer>).rejects.toThrow('not bound yet');
    const b = r.open(owner, UP_UDP);
    expect(isRefusal(b)).toBe(false); // the slot is free: the provider is asked again
    await expect(b as Promise<Buffer>).rejects.toThrow('not bound yet');
  });

  it('a control connection that closes while its session\'s socket binds: the session ends as it opens, its socket closed', async () => {
    let bound!: () => void;
    let closed = 0;
    const r = registry(4, 0, {
      udp: () => new Promise((resolve) => (bound = () => resolve({ port: 9, out: () => undefined, close: () => closed++ }))),
    });
    const a = r.open(owner, UP_UDP) as Promise<Buffer>;
    r.closeOwnedBy(owner);
    bound();
    const id = decodeStreamOpened(await a).session;
    expect(r.stats().sessions).toBe(0);
    expect(closed).toBe(1);
    expect(reason(r.start(owner, { session: id }))).toBe(`stream session ${id} is closed`);
  });
});

describe('StreamSessions: data connections', () => {
  it('TCP data for an ended session is not counted (it went into a freed histogram)', async () => {
    const r = registry();
    const o = await openedFull(r, { direction: 'up', transport: 'tcp', size: 100, durationMs: 1000 });
    const s = r.attach({ session: o.session, key: o.key }, link());
    if (isRefusal(s)) throw new Error(s.reason);
    const payload = stampStreamData(newStreamDataFrame(o.session, 100), 0, 0).subarray(HEADER_SIZE);
    expect(r.tcpData(s, payload)).toBe(false); // before START
    r.start(owner, { session: o.session });
    expect(r.tcpData(s, payload)).toBe(true);
    r.closeAll();
    expect(r.tcpData(s, payload)).toBe(false);
  });

  it('an ATTACH from a connection without the HELLO (under --token) gets one reason whatever the cause', async () => {
    const r = registry();
    const o = await openedFull(r, { direction: 'up', transport: 'tcp', size: 100, durationMs: 1000 });
    const wrongKey = o.key.replace(/^./, (ch: string) => (ch === '0' ? '1' : '0'));
    const causes = [{ session: 12345, key: o.key }, { session: 0x0500_0001, key: o.key }, { session: o.session, key: wrongKey }];
    for (const req of causes) expect(reason(r.attach(req, link(), false) as StreamAnswer)).toBe(ATTACH_REFUSED);
    expect(reason(r.attach(causes[2]!, link(), true) as StreamAnswer)).toBe(`wrong key for stream session ${o.session}`);
    r.closeAll();
  });
});
