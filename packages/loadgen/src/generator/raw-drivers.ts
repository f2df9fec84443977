/**
 * The raw drivers, for plain echo servers:
 * - `raw-tcp`: `size`-byte messages on a plain stream; an echo server answers in order, so the reply
 *   to the oldest outstanding request is complete each time another `size` bytes came back.
 * - `raw-udp`: one `size`-byte datagram per request whose first 4 bytes carry the id (big-endian), so
 *   replies match by id even when datagrams are lost or reordered.
 */
import type dgram from 'node:dgram';
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import { bindUdpSocket, createUdpSocket, grantedBuffers, nextRequestId, tcpConnectOptions } from '@sockbench/client';
import { DEFAULT_CONNECT_TIMEOUT_MS } from '@sockbench/protocol';
import type { LoadPlan } from '../options.js';
import { socketOptions } from '../socket-plan.js';
import { BAD_REPLY, CONNECTION_CLOSED, requestPayload, unreachable, type DriverFactory } from './driver-types.js';

/** The driver factory of a `raw-tcp` plan. */
export function rawTcpDriver(plan: LoadPlan): DriverFactory {
  const message = requestPayload(plan);
  const size = plan.size;
  return (sink) =>
    new Promise((resolve, reject) => {
      const socket = net.connect({ host: plan.host, port: plan.port, ...tcpConnectOptions(socketOptions(plan)) });
      let open = false;
      let corked = false;
      let nextReplyId = 1; // the load loop numbers raw-tcp requests 1, 2, 3, …: echoes come back in order
      let partial = 0;
      let lastError: string | null = null;
      const uncork = (): void => {
        corked = false;
        socket.uncork();
      };
      const timer = setTimeout(() => socket.destroy(Object.assign(new Error(`no connection within ${DEFAULT_CONNECT_TIMEOUT_MS} ms`), { code: 'ETIMEDOUT' })), DEFAULT_CONNECT_TIMEOUT_MS);
      socket.on('error', (err: NodeJS.ErrnoException) => {
        lastError = err.code ?? 'EIO';
        if (!open) {
          clearTimeout(timer);
          reject(unreachable(err, plan));
        }
      });
      socket.on('close', () => {
        if (open) sink.closed(lastError ?? CONNECTION_CLOSED);
      });
      socket.on('drain', () => sink.drained());
      socket.on('data', (chunk: Buffer) => {
        const at = performance.now();
        partial += chunk.length;
        while (partial >= size) {
          partial -= size;
          const id = nextReplyId;
          nextReplyId = nextRequestId(id);
          sink.reply(id, at, size, null);
        }
      });
      socket.once('connect', () => {
        clearTimeout(timer);
        open = true;
        resolve({
          requestBytes: size,
          peer: null,
          buffers: null,
          send(): boolean {
            if (socket.destroyed) return false;
            if (!corked) {
              corked = true;
              socket.cork();
              process.nextTick(uncork);
            }
            return socket.write(message);
          },
          close: () =>
            new Promise<void>((done) => {
              if (socket.destroyed) return done();
              socket.once('close', () => done());
              socket.end();
              setTimeout(() => socket.destroy(), 1000).unref();
            }),
        });
      });
    });
}

/** The driver factory of a `raw-udp` plan. */
export function rawUdpDriver(plan: LoadPlan): DriverFactory {
  const size = plan.size;
  const template = Buffer.alloc(size, 0x61);
  return async (sink) => {
    const sockOpts = socketOptions(plan);
    let socket: dgram.Socket;
    try {
      ({ socket } = await createUdpSocket(plan.host, sockOpts));
    } catch (err) {
      throw unreachable(err, plan);
    }
    try {
      await bindUdpSocket(socket, sockOpts);
    } catch (err) {
      socket.close();
      throw unreachable(err, plan);
    }
    let closed = false;
    // A failed send or an ICMP error on a connected socket loses one datagram; the timeout counts it.
    socket.on('error', () => undefined);
    socket.on('message', (msg: Buffer) => {
      const at = performance.now();
      if (msg.length < 4) {
        sink.unexpected('badFrame'); // too short to carry an id
        return;
      }
      sink.reply(msg.readUInt32BE(0), at, msg.length, msg.length === size ? null : BAD_REPLY);
    });
    await new Promise<void>((resolve, reject) => {
      socket.once('error', (err: NodeJS.ErrnoException) => reject(unreachable(err, plan)));
      socket.connect(plan.port, plan.host, () => resolve());
    });
    return {
      requestBytes: size,
      peer: null,
      buffers: grantedBuffers(socket),
      send(id: number): boolean {
        if (closed) return false;
        // dgram.send keeps the buffer until the datagram leaves, so each request needs its own.
        const msg = Buffer.allocUnsafe(size);
        template.copy(msg);
        msg.writeUInt32BE(id, 0);
        socket.send(msg);
        return true;
      },
      close: () =>
        new Promise<void>((done) => {
          if (closed) return done();
          closed = true;
          socket.close(() => done());
        }),
    };
  };
}
