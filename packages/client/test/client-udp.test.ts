import { afterEach, describe, expect, it } from 'vitest';
import { ErrorCode, Flags, MessageType, decodeDatagram, encodeFrame } from '@sockbench/protocol';
import {
  TimeoutError,
  UnexpectedFrameError,
  UnsupportedOnUdpError,
  connect,
  type Client,
  type ClientError,
} from '../src/index.js';
import { closeAll, onCleanup, sha256Rounds, startServer, startUdpPeer } from './helpers.js';

afterEach(closeAll);

async function udpClient(port: number, timeoutMs = 2000): Promise<Client> {
  const c = await connect({ host: '127.0.0.1', port, transport: 'udp', timeoutMs });
  onCleanup(() => c.close());
  return c;
}

describe('Client over UDP against the real server', () => {
  it('ping, echo and compute work; there is no WELCOME', async () => {
    const { port } = await startServer();
    const c = await udpClient(port);
    expect(c.transport).toBe('udp');
    expect(c.welcome).toBeUndefined();
    expect(await c.ping()).toBeGreaterThan(0);
    expect((await c.echo('hola udp')).toString()).toBe('hola udp');
    const data = Buffer.alloc(32, 7);
    expect((await c.compute(50, data)).equals(await sha256Rounds(data, 50))).toBe(true);
  });

  it('pipelines 200 echoes over one socket, matched by id', async () => {
    const { port } = await startServer();
    const c = await udpClient(port);
    const replies = await Promise.all(Array.from({ length: 200 }, (_, i) => c.echo(`d${i}`)));
    expect(replies.map(String)).toEqual(Array.from({ length: 200 }, (_, i) => `d${i}`));
  });

  it('COMPUTE with under 32 data bytes is refused locally (the server would drop it: no amplification)', async () => {
    const { port } = await startServer();
    const c = await udpClient(port);
    await expect(c.compute(1, 'short')).rejects.toThrow(RangeError);
    await expect(c.compute(1, 'short')).rejects.toThrow('at least 32 bytes');
  });

  it('a frame too big for one datagram is refused locally', async () => {
    const { port } = await startServer();
    const c = await udpClient(port);
    await expect(c.echo(Buffer.alloc(70_000))).rejects.toThrow(/does not fit one UDP datagram/);
  });
});

describe('UDP against a scripted peer', () => {
  it('JOIN, LEAVE, SAY, STATS, BYE and HELLO reject at once with UNSUPPORTED, sending nothing', async () => {
    const peer = await startUdpPeer();
    const c = await udpClient(peer.port);
    const calls: Array<[number, () => Promise<unknown>]> = [
      [MessageType.JOIN, () => c.join('r')],
      [MessageType.LEAVE, () => c.leave('r')],
      [MessageType.SAY, () => c.say('r', 'x')],
      [MessageType.STATS, () => c.stats()],
      [MessageType.BYE, () => c.bye()],
      [MessageType.HELLO, () => c.request(MessageType.HELLO, Buffer.from('{}'))],
    ];
    for (const [type, call] of calls) {
      const err = (await call().catch((e: unknown) => e)) as UnsupportedOnUdpError;
      expect(err).toBeInstanceOf(UnsupportedOnUdpError);
      expect(err.errorCode).toBe(ErrorCode.UNSUPPORTED);
      expect(err.code).toBe('SOCKBENCH_UNSUPPORTED_ON_UDP');
      expect(err.type).toBe(type);
    }
    expect(c.pendingRequests).toBe(0);
    // Datagrams on loopback arrive in order: if any refused call had been sent, it would come first.
    const ping = c.ping();
    const first = await peer.next();
    const frame = decodeDatagram(first.msg);
    expect(frame.type).toBe(MessageType.PING);
    await peer.reply(encodeFrame(MessageType.PING, frame.id, undefined, Flags.RESPONSE), first.rinfo);
    expect(await ping).toBeGreaterThan(0);
  });

  it('TimeoutError when no reply comes (no retransmission); a late reply is then an error event', async () => {
    const peer = await startUdpPeer();
    const c = await udpClient(peer.port, 30);
    const errors: ClientError[] = [];
    c.on('error', (e) => errors.push(e));
    const err = (await c.ping().catch((e: unknown) => e)) as TimeoutError;
    expect(err).toBeInstanceOf(TimeoutError);
    expect(err.timeoutMs).toBe(30);
    const got = await peer.next();
    expect(peer.received).toHaveLength(0); // sent once, not retransmitted
    const late = new Promise((resolve) => c.once('error', resolve));
    await peer.reply(encodeFrame(MessageType.PING, decodeDatagram(got.msg).id, undefined, Flags.RESPONSE), got.rinfo);
    await late;
    expect(errors[0]).toBeInstanceOf(UnexpectedFrameError);
    expect((errors[0] as UnexpectedFrameError).id).toBe(err.id);
  });

  it('a datagram that is not one frame is dropped; the next good reply still matches', async () => {
    const peer = await startUdpPeer();
    const c = await udpClient(peer.port);
    const reply = c.echo('ok');
    const got = await peer.next();
    const id = decodeDatagram(got.msg).id;
    const good = encodeFrame(MessageType.ECHO, id, Buffer.from('ok'), Flags.RESPONSE);
    await peer.reply(Buffer.concat([good, Buffer.from([1])]), got.rinfo); // size ≠ 12 + length
    await peer.reply(Buffer.from([1, 2, 3]), got.rinfo); // shorter than a header
    await peer.reply(good, got.rinfo);
    expect((await reply).toString()).toBe('ok');
  });
});
