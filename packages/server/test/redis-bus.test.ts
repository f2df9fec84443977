import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { decodeChat, encodeChat } from '@sockbench/protocol';
import { RedisBus, busRetryDelayMs } from '../src/chat/redis-bus.js';
import { ServerStateError } from '../src/errors.js';
import { createServer } from '../src/index.js';
import { parseRedisUrl } from '../src/chat/redis-url.js';
import { HAS_REDIS, freePort, startRedis, type ExternalProcess } from './external-process.js';
import { waitFor } from './helpers.js';

describe('busRetryDelayMs (the reconnection backoff)', () => {
  it('50 ms doubling per failed attempt, at most 2 s', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 8, 100].map(busRetryDelayMs)).toEqual([50, 100, 200, 400, 800, 1600, 2000, 2000, 2000]);
  });
});

describe('createServer({ redis }) while Redis cannot be reached', () => {
  it('close() during the wait for the bus: listen() rejects, nothing is bound, the bus is closed', async () => {
    const port = await freePort(); // nothing listens there
    const server = createServer({ port: 0, threads: 1, redis: `redis://127.0.0.1:${port}` });
    // listen() runs up to its wait for the bus before it returns the promise.
    const outcome = server.listen().then(() => 'listening', (err: unknown) => err);
    await server.close();
    const err = await outcome;
    expect(err).toBeInstanceOf(ServerStateError);
    expect((err as ServerStateError).message).toBe('close() called while the chat bus was connecting');
    expect(server.addresses).toBeNull();
  });
});

const PASSWORD = 's3cret';
const TITLE = 'RedisBus against a real redis-server (with a password)';

/** One bus with its log lines and what it delivered. */
interface Probe {
  bus: RedisBus;
  logs: Array<{ level: number; msg: string }>;
  got: Array<{ room: string; text: string }>;
}

describe.skipIf(!HAS_REDIS)(HAS_REDIS ? TITLE : `${TITLE} (skipped: redis-server is not installed; apt-get install redis-server)`, () => {
  let port: number;
  let redis: ExternalProcess;
  let url: string;
  const buses: RedisBus[] = [];

  beforeAll(async () => {
    port = await freePort();
    redis = await startRedis(port, ['--requirepass', PASSWORD]);
    url = `redis://:${PASSWORD}@127.0.0.1:${port}/5`;
  });
  afterEach(async () => {
    await Promise.all(buses.splice(0).map((b) => b.close()));
  });
  afterAll(async () => {
    await redis.stop('SIGKILL');
  });

  function probe(origin: string, extra: { maxInFlight?: number; url?: string } = {}): Probe {
    const logs: Probe['logs'] = [];
    const got: Probe['got'] = [];
    const logger = pino({ level: 'debug' }, { write: (line: string) => logs.push(JSON.parse(line) as Probe['logs'][number]) });
    const bus = new RedisBus({
      target: parseRedisUrl(extra.url ?? url),
      origin,
      logger,
      deliver: (room, payload) => got.push({ room, text: decodeChat(payload).text }),
      maxInFlight: extra.maxInFlight,
      retryDelayMs: () => 50,
    });
    buses.push(bus);
    return { bus, logs, got };
  }
  const say = (text: string): Buffer => encodeChat({ room: 'hall', from: 'test', text });

  it('another server gets each SAY once; processes of the publishing server skip it; counts', async () => {
    const a0 = probe('server-a');
    const a1 = probe('server-a'); // a second process of the same server
    const b = probe('server-b');
    expect(await Promise.all([a0.bus.start(5_000), a1.bus.start(5_000), b.bus.start(5_000)])).toEqual([true, true, true]);
    expect(a0.bus.state).toBe('connected');
    for (let i = 0; i < 5; i++) a0.bus.publish('hall', say(`m${i}`));
    b.bus.publish('lobby', encodeChat({ room: 'lobby', from: 'b', text: 'from b' }));
    await waitFor(() => b.got.length === 5 && a1.got.length === 1 && a0.got.length === 1, 5_000, 'deliveries');
    expect(b.got).toEqual([0, 1, 2, 3, 4].map((i) => ({ room: 'hall', text: `m${i}` })));
    expect(a0.got).toEqual([{ room: 'lobby', text: 'from b' }]);
    expect(a1.got).toEqual([{ room: 'lobby', text: 'from b' }]);
    await waitFor(() => a0.bus.stats().published === 5, 5_000, 'acknowledgements');
    expect(a0.bus.stats()).toEqual({ state: 'connected', published: 5, received: 1, failed: 0, dropped: 0, invalid: 0 });
    expect(a1.bus.stats()).toEqual({ state: 'connected', published: 0, received: 1, failed: 0, dropped: 0, invalid: 0 });
    expect(b.bus.stats()).toEqual({ state: 'connected', published: 1, received: 5, failed: 0, dropped: 0, invalid: 0 });
    expect(a0.logs.filter((l) => l.msg === 'chat bus connected')).toHaveLength(1);
  });

  it('the DB number names the channel: buses of another DB hear nothing', async () => {
    const a = probe('server-a');
    const other = probe('server-c', { url: `redis://:${PASSWORD}@127.0.0.1:${port}/6` });
    const same = probe('server-d');
    await Promise.all([a.bus.start(5_000), other.bus.start(5_000), same.bus.start(5_000)]);
    a.bus.publish('hall', say('db 5 only'));
    await waitFor(() => same.got.length === 1, 5_000, 'delivery on DB 5');
    // The bus of DB 6 subscribed before the publish (start resolved). Redis writes a message to
    // every subscriber's connection before it answers PUBLISH, so had the channel been shared, DB 6's
    // copy would have left Redis with the one DB 5's bus already got.
    await waitFor(() => a.bus.stats().published === 1, 5_000, 'acknowledgement');
    expect(other.got).toEqual([]);
    expect(other.bus.stats().received).toBe(0);
  });

  it('messages on the channel that are not chat messages: counted invalid, logged once, skipped', async () => {
    const b = probe('server-b');
    await b.bus.start(5_000);
    const stranger = new Redis({ port, host: '127.0.0.1', password: PASSWORD });
    try {
      // PUBLISH answers with the number of subscribers it reached: b's subscriber is one of them.
      expect(await stranger.publish('sockbench:chat:5', 'hello')).toBeGreaterThanOrEqual(1);
      await stranger.publish('sockbench:chat:5', Buffer.from([1, 0, 1, 0x72, 0x7b]));
      await waitFor(() => b.bus.stats().invalid === 2, 5_000, 'two invalid');
    } finally {
      stranger.disconnect();
    }
    expect(b.got).toEqual([]);
    expect(b.bus.stats().received).toBe(0);
    const warned = b.logs.filter((l) => l.msg.startsWith('not a chat message on the bus channel'));
    expect(warned).toHaveLength(1);
    expect(warned[0]).toMatchObject({ why: 'version 104', channel: 'sockbench:chat:5' });
  });

  it('at most maxInFlight publishes await Redis: past it a SAY is dropped, counted', async () => {
    const a = probe('server-a', { maxInFlight: 4 });
    const b = probe('server-b');
    await Promise.all([a.bus.start(5_000), b.bus.start(5_000)]);
    // Ten in one turn of the event loop: no answer can arrive in between, so four are in flight.
    for (let i = 0; i < 10; i++) a.bus.publish('hall', say(`n${i}`));
    expect(a.bus.stats()).toMatchObject({ published: 0, dropped: 6 });
    await waitFor(() => a.bus.stats().published === 4, 5_000, 'four acknowledged');
    await waitFor(() => b.got.length === 4, 5_000, 'four delivered');
    expect(b.got.map((g) => g.text)).toEqual(['n0', 'n1', 'n2', 'n3']);
    // Answered: the bound is free again.
    a.bus.publish('hall', say('n10'));
    await waitFor(() => a.bus.stats().published === 5, 5_000, 'fifth acknowledged');
    expect(a.bus.stats()).toMatchObject({ published: 5, failed: 0, dropped: 6 });
  });

  it('a wrong password: never connected, start() says so after its wait, SAYs are dropped', async () => {
    const a = probe('server-a', { url: `redis://:wrong@127.0.0.1:${port}/5` });
    expect(await a.bus.start(300)).toBe(false);
    expect(a.bus.state).toBe('connecting');
    a.bus.publish('hall', say('lost'));
    expect(a.bus.stats()).toMatchObject({ state: 'connecting', published: 0, dropped: 1 });
    expect(a.logs.some((l) => l.level === 20 && /WRONGPASS|invalid password/i.test(JSON.stringify(l)))).toBe(true);
  });
});

const OUTAGE = 'RedisBus when Redis is not there, goes away, and comes back';

describe.skipIf(!HAS_REDIS)(HAS_REDIS ? OUTAGE : `${OUTAGE} (skipped: redis-server is not installed; apt-get install redis-server)`, () => {
  let port: number;
  let redis: ExternalProcess | null = null;
  const logs: Array<{ level: number; msg: string; err?: string }> = [];
  const got: string[] = [];
  let a: RedisBus;
  let b: RedisBus;
  const chat = (text: string): Buffer => encodeChat({ room: 'hall', from: 'a', text });

  beforeAll(async () => {
    port = await freePort();
    const target = parseRedisUrl(`redis://127.0.0.1:${port}`);
    a = new RedisBus({
      target,
      origin: 'server-a',
      logger: pino({ level: 'debug' }, { write: (l: string) => logs.push(JSON.parse(l) as (typeof logs)[number]) }),
      deliver: () => undefined,
      retryDelayMs: () => 50,
    });
    b = new RedisBus({ target, origin: 'server-b', logger: pino({ level: 'silent' }), deliver: (_room, payload) => got.push(decodeChat(payload).text), retryDelayMs: () => 50 });
  });
  afterAll(async () => {
    await Promise.all([a.close(), b.close()]);
    await redis?.stop('SIGKILL');
  });
  const count = (msg: string): number => logs.filter((l) => l.msg === msg).length;
  const downLines = (): number => logs.filter((l) => l.msg.startsWith('chat bus down')).length;

  it('not reachable at start: start() resolves false after its wait, SAYs are dropped, and it connects once Redis is up', async () => {
    expect(await a.start(200)).toBe(false);
    expect(a.state).toBe('connecting');
    a.publish('hall', chat('before'));
    expect(a.stats()).toMatchObject({ state: 'connecting', published: 0, dropped: 1 });
    // Never connected: nothing is "down" yet, and the failed attempts are logged at debug only.
    expect(downLines()).toBe(0);
    expect(logs.filter((l) => l.level >= 40)).toEqual([]);
    redis = await startRedis(port);
    expect(await b.start(5_000)).toBe(true);
    await waitFor(() => a.state === 'connected', 5_000, 'a connected');
    expect(count('chat bus connected')).toBe(1);
    a.publish('hall', chat('first'));
    await waitFor(() => got.includes('first'), 5_000, 'delivery');
  });

  it('Redis killed with PUBLISHes in flight: those fail (not resent), the state is down, logged once however many attempts fail', async () => {
    const control = new Redis({ port, host: '127.0.0.1' });
    // Redis holds every client's commands for 10 s: the three below stay unanswered.
    await control.call('CLIENT', 'PAUSE', '10000', 'ALL');
    for (let i = 0; i < 3; i++) a.publish('hall', chat(`held ${i}`));
    const attemptsBefore = logs.filter((l) => l.msg === 'chat bus connection error').length;
    await redis!.stop('SIGKILL');
    control.disconnect();
    await waitFor(() => a.stats().failed === 3, 5_000, 'three failed');
    await waitFor(() => a.state === 'down', 5_000, 'down');
    a.publish('hall', chat('while down'));
    expect(a.stats()).toMatchObject({ state: 'down', published: 1, failed: 3, dropped: 2 });
    // Reconnection keeps failing (ECONNREFUSED every 50 ms here): still one line at warn.
    await waitFor(() => logs.filter((l) => l.msg === 'chat bus connection error').length >= attemptsBefore + 6, 5_000, 'failed attempts');
    expect(downLines()).toBe(1);
  });

  it('Redis back on the same port: connected again, logged once, chat crosses again; nothing said while down arrives', async () => {
    redis = await startRedis(port);
    await waitFor(() => a.state === 'connected' && b.state === 'connected', 10_000, 'both back');
    expect(count('chat bus back')).toBe(1);
    a.publish('hall', chat('after'));
    await waitFor(() => got.includes('after'), 5_000, 'delivery after');
    expect(got).toEqual(['first', 'after']);
    expect(a.stats()).toEqual({ state: 'connected', published: 2, received: 0, failed: 3, dropped: 2, invalid: 0 });
  });
});
