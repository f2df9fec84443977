import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { bindUdpSocket, createUdpSocket, grantedBuffers, tcpConnectOptions } from './socket-options.js';

describe('tcpConnectOptions', () => {
  it('keeps TCP_NODELAY on unless told, and passes the local address, port and family', () => {
    expect(tcpConnectOptions()).toEqual({ noDelay: true });
    expect(tcpConnectOptions({ localAddress: '127.0.0.2', localPort: 4000, family: 4, noDelay: false })).toEqual({ noDelay: false, localAddress: '127.0.0.2', localPort: 4000, family: 4 });
  });
  it('refuses buffer sizes: Node cannot set SO_SNDBUF/SO_RCVBUF on TCP', () => {
    expect(() => tcpConnectOptions({ sendBufferSize: 65536 })).toThrow(
      new RangeError('sendBufferSize/recvBufferSize: Node cannot set SO_SNDBUF or SO_RCVBUF on a TCP socket (net.Socket has no such option); they apply to UDP only'),
    );
  });
});

describe('UDP sockets', () => {
  it('binds the local address asked for and reads back what the kernel granted (Linux: twice the ask, capped at [wr]mem_max)', async () => {
    const { socket, family } = await createUdpSocket('127.0.0.1', { sendBufferSize: 32768, recvBufferSize: 65536 });
    try {
      expect(family).toBe(4);
      expect(grantedBuffers(socket)).toBeNull(); // not bound yet
      await bindUdpSocket(socket, { localAddress: '127.0.0.4' });
      expect(socket.address().address).toBe('127.0.0.4');
      const wmax = Number(await readFile('/proc/sys/net/core/wmem_max', 'utf8'));
      const rmax = Number(await readFile('/proc/sys/net/core/rmem_max', 'utf8'));
      expect(grantedBuffers(socket)).toEqual({ sendBufferBytes: 2 * Math.min(32768, wmax), recvBufferBytes: 2 * Math.min(65536, rmax) });
    } finally {
      socket.close();
    }
  });
  it('rejects an address this host does not have (EADDRNOTAVAIL)', async () => {
    const { socket } = await createUdpSocket('127.0.0.1');
    try {
      await expect(bindUdpSocket(socket, { localAddress: '192.0.2.1' })).rejects.toMatchObject({ code: 'EADDRNOTAVAIL' });
    } finally {
      socket.close();
    }
  });
});
