/**
 * Socket options a caller may set on a channel, the ones iperf3 users expect (`-B`, `-4`/`-6`, `-w`,
 * `-N`): the local address and port, the address family, the kernel's socket buffer sizes, and
 * TCP_NODELAY. One place turns them into `net.connect` options and UDP sockets, so the TCP and UDP
 * channels, the stream sessions and the load generator's raw drivers apply them the same way.
 *
 * SO_SNDBUF / SO_RCVBUF: Node sets them on UDP sockets only (`dgram.createSocket({sendBufferSize,
 * recvBufferSize})`, read back with `getSendBufferSize()` / `getRecvBufferSize()`); `net.Socket` has
 * no such option and no setsockopt, so over TCP they are refused ({@link tcpConnectOptions} throws)
 * rather than silently ignored. Linux doubles the value asked for (bookkeeping overhead, socket(7))
 * and caps it at `net.core.wmem_max` / `rmem_max`: what the kernel granted is what
 * {@link grantedBuffers} reads back.
 */
import dgram from 'node:dgram';
import { lookup } from 'node:dns/promises';
import type net from 'node:net';

/** Socket options of a channel; every field optional (the OS default). */
export interface SocketOptions {
  /** Local address to bind before connecting (iperf3 `-B`); default: the OS picks by route. */
  localAddress?: string;
  /** Local port to bind (0 or absent: an ephemeral port). */
  localPort?: number;
  /** Address family of the lookup of the host and of the socket: 4 or 6 (iperf3 `-4`/`-6`); default: the first address the host resolves to. */
  family?: 4 | 6;
  /** SO_SNDBUF to ask for, bytes (UDP only; see the file comment). */
  sendBufferSize?: number;
  /** SO_RCVBUF to ask for, bytes (UDP only). */
  recvBufferSize?: number;
  /** TCP only: TCP_NODELAY (Nagle off); default true. */
  noDelay?: boolean;
}

/** The buffer sizes the kernel granted a socket, bytes (Linux: twice what was asked, capped by wmem_max/rmem_max). */
export interface GrantedBuffers {
  sendBufferBytes: number;
  recvBufferBytes: number;
}

/**
 * `net.connect` options for `socket` (localAddress, localPort, family, noDelay: default true).
 * @throws RangeError when a send or receive buffer size is asked for: Node cannot set SO_SNDBUF or
 *   SO_RCVBUF on a TCP socket
 */
export function tcpConnectOptions(socket: SocketOptions = {}): Pick<net.TcpNetConnectOpts, 'localAddress' | 'localPort' | 'family' | 'noDelay'> {
  if (socket.sendBufferSize !== undefined || socket.recvBufferSize !== undefined) {
    throw new RangeError('sendBufferSize/recvBufferSize: Node cannot set SO_SNDBUF or SO_RCVBUF on a TCP socket (net.Socket has no such option); they apply to UDP only');
  }
  return {
    noDelay: socket.noDelay ?? true,
    ...(socket.localAddress !== undefined ? { localAddress: socket.localAddress } : {}),
    ...(socket.localPort !== undefined ? { localPort: socket.localPort } : {}),
    ...(socket.family !== undefined ? { family: socket.family } : {}),
  };
}

/**
 * Resolves `host` (of `socket.family` if given) and creates an unbound UDP socket of its family with
 * the buffer sizes asked for (Node applies them when the socket is bound).
 * @returns the socket and the resolved address
 * @throws (rejects) the lookup's error (`ENOTFOUND`, or `ENOTFOUND` for a host with no address of the family)
 */
export async function createUdpSocket(host: string, socket: SocketOptions = {}): Promise<{ socket: dgram.Socket; address: string; family: 4 | 6 }> {
  const found = await lookup(host, socket.family !== undefined ? { family: socket.family } : {});
  const family = found.family === 6 ? 6 : 4;
  const udp = dgram.createSocket({
    type: family === 6 ? 'udp6' : 'udp4',
    ...(socket.sendBufferSize !== undefined ? { sendBufferSize: socket.sendBufferSize } : {}),
    ...(socket.recvBufferSize !== undefined ? { recvBufferSize: socket.recvBufferSize } : {}),
  });
  return { socket: udp, address: found.address, family };
}

/**
 * Binds `udp` to `socket.localAddress`/`localPort` when either is given (else connect binds it to
 * an ephemeral port); resolves once bound.
 * @throws (rejects) the bind error (`EADDRNOTAVAIL`, `EADDRINUSE`)
 */
export function bindUdpSocket(udp: dgram.Socket, socket: SocketOptions = {}): Promise<void> {
  if (socket.localAddress === undefined && socket.localPort === undefined) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const onError = (err: Error): void => reject(err);
    udp.once('error', onError);
    udp.bind({ port: socket.localPort ?? 0, ...(socket.localAddress !== undefined ? { address: socket.localAddress } : {}), exclusive: true }, () => {
      udp.off('error', onError);
      resolve();
    });
  });
}

/** The buffer sizes the kernel granted a bound UDP socket, bytes; null when it is not bound (or closed). */
export function grantedBuffers(udp: dgram.Socket): GrantedBuffers | null {
  try {
    return { sendBufferBytes: udp.getSendBufferSize(), recvBufferBytes: udp.getRecvBufferSize() };
  } catch {
    return null;
  }
}
