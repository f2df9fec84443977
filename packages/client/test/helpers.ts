/**
 * Test helpers: a real in-process sockbench server on 127.0.0.1 port 0, and scripted peers (real
 * loopback sockets whose bytes the test writes itself) for what a correct server never does.
 * Everything started here is closed by `closeAll()`, which each test file runs in afterEach.
 */
import dgram from 'node:dgram';
import net from 'node:net';
import { once } from 'node:events';
import { createServer, type ServerOptions } from '@sockbench/server';
import { MessageType, encodeFrame, encodeWelcome, type Welcome } from '@sockbench/protocol';

const closers: Array<() => Promise<unknown>> = [];

/** Registers a cleanup run by {@link closeAll}, most recent first. */
export function onCleanup(fn: () => Promise<unknown>): void {
  closers.push(fn);
}

/** Closes every server, peer and client registered since the last call, even after a failure. */
export async function closeAll(): Promise<void> {
  const fns = closers.splice(0).reverse();
  await Promise.allSettled(fns.map((fn) => fn()));
}

/** Starts a real server (one process, one pool thread) on a free loopback port. */
export async function startServer(options: ServerOptions = {}): Promise<{ port: number; close: () => Promise<void> }> {
  const server = createServer({ host: '127.0.0.1', port: 0, threads: 1, ...options });
  const addrs = await server.listen();
  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => (closing ??= server.close());
  onCleanup(close);
  return { port: addrs.tcp.port, close };
}

/** A port on 127.0.0.1 with nothing listening on TCP (bound, then closed). */
export async function closedPort(): Promise<number> {
  const srv = net.createServer();
  srv.listen(0, '127.0.0.1');
  await once(srv, 'listening');
  const { port } = srv.address() as net.AddressInfo;
  await new Promise((resolve) => srv.close(resolve));
  return port;
}

export const TEST_WELCOME: Welcome = { message: 'scripted', server: 'sockbench/test', worker: 0, maxPayload: 1024 * 1024, auth: false };

/**
 * A TCP peer scripted by the test: `onSocket` gets each accepted socket (and every byte it receives);
 * with `welcome` it first sends a WELCOME push, as a server does.
 */
export async function startTcpPeer(
  onSocket: (socket: net.Socket) => void,
  welcome = true,
): Promise<{ port: number; sockets: net.Socket[] }> {
  const sockets: net.Socket[] = [];
  const srv = net.createServer((socket) => {
    sockets.push(socket);
    // Resets caused by the test's own clients closing are expected here.
    socket.on('error', () => undefined);
    if (welcome) socket.write(encodeFrame(MessageType.WELCOME, 0, encodeWelcome(TEST_WELCOME)));
    onSocket(socket);
  });
  srv.listen(0, '127.0.0.1');
  await once(srv, 'listening');
  onCleanup(async () => {
    for (const s of sockets) s.destroy();
    await new Promise((resolve) => srv.close(resolve));
  });
  return { port: (srv.address() as net.AddressInfo).port, sockets };
}

/**
 * A UDP peer scripted by the test: collects every datagram; `reply` answers as the test decides.
 * `recvBufferSize` (SO_RCVBUF, bytes) for a test that sends many datagrams in one tick; `next(timeoutMs)`
 * rejects when no datagram comes within that long, so a lost one fails the test with a message.
 */
export async function startUdpPeer(recvBufferSize?: number): Promise<{
  port: number;
  received: Array<{ msg: Buffer; rinfo: dgram.RemoteInfo }>;
  next(timeoutMs?: number): Promise<{ msg: Buffer; rinfo: dgram.RemoteInfo }>;
  reply(bytes: Buffer, rinfo: dgram.RemoteInfo): Promise<void>;
}> {
  const socket = recvBufferSize === undefined ? dgram.createSocket('udp4') : dgram.createSocket({ type: 'udp4', recvBufferSize });
  const received: Array<{ msg: Buffer; rinfo: dgram.RemoteInfo }> = [];
  const waiters: Array<(d: { msg: Buffer; rinfo: dgram.RemoteInfo }) => void> = [];
  socket.on('message', (msg, rinfo) => {
    const d = { msg, rinfo };
    const w = waiters.shift();
    if (w) w(d);
    else received.push(d);
  });
  socket.bind(0, '127.0.0.1');
  await once(socket, 'listening');
  onCleanup(() => new Promise<void>((resolve) => socket.close(() => resolve())));
  return {
    port: socket.address().port,
    received,
    next: (timeoutMs) => {
      const d = received.shift();
      if (d) return Promise.resolve(d);
      return new Promise((resolve, reject) => {
        const timer = timeoutMs === undefined ? undefined : setTimeout(() => {
          waiters.splice(waiters.indexOf(waiter), 1);
          reject(new Error(`no datagram within ${timeoutMs} ms (lost, or never sent)`));
        }, timeoutMs);
        const waiter = (got: { msg: Buffer; rinfo: dgram.RemoteInfo }): void => {
          clearTimeout(timer);
          resolve(got);
        };
        waiters.push(waiter);
      });
    },
    reply: (bytes, rinfo) =>
      new Promise((resolve, reject) => socket.send(bytes, rinfo.port, rinfo.address, (err) => (err ? reject(err) : resolve()))),
  };
}

/** SHA-256 applied `iterations` times (docs/protocol.md, COMPUTE), computed locally to check replies. */
export async function sha256Rounds(data: Buffer, iterations: number): Promise<Buffer> {
  const { createHash } = await import('node:crypto');
  let h = createHash('sha256').update(data).digest();
  for (let i = 1; i < iterations; i++) h = createHash('sha256').update(h).digest();
  return h;
}
