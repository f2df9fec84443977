import { connect } from 'node:net';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from '../src/index.js';
import { UdpPeer, waitFor } from './helpers.js';

describe('raw echo (--raw-port)', () => {
  let server: Server;
  let tcpPort: number;
  let udpPort: number;
  beforeAll(async () => {
    server = createServer({ port: 0, rawPort: 0, threads: 1 });
    const a = await server.listen();
    expect(a.raw).toBeDefined();
    expect(a.raw!.udp.port).toBe(a.raw!.tcp.port);
    expect(a.raw!.tcp.port).not.toBe(a.tcp.port);
    tcpPort = a.raw!.tcp.port;
    udpPort = a.raw!.udp.port;
  });
  afterAll(async () => {
    await server.close();
  });

  it('TCP: a plain socket gets every byte back unchanged, no framing, no greeting', async () => {
    const sent = Buffer.concat([Buffer.from('hello raw\n'), randomBytes(200_000)]);
    const socket = connect({ port: tcpPort, host: '127.0.0.1' });
    const got: Buffer[] = [];
    let n = 0;
    socket.on('data', (c: Buffer) => {
      got.push(c);
      n += c.length;
    });
    try {
      socket.end(sent);
      await new Promise<void>((resolve, reject) => {
        socket.on('close', () => resolve());
        socket.on('error', reject);
      });
      expect(n).toBe(sent.length);
      expect(Buffer.concat(got).equals(sent)).toBe(true);
    } finally {
      socket.destroy();
    }
  });

  it('UDP: each datagram comes back unchanged', async () => {
    const u = await UdpPeer.open();
    try {
      const msgs = [Buffer.from('ping'), randomBytes(1200), Buffer.alloc(0)];
      for (const m of msgs) await u.send(m, udpPort);
      await waitFor(() => u.received.length === msgs.length);
      for (const m of msgs) expect(u.received.some((r) => r.equals(m))).toBe(true);
    } finally {
      u.close();
    }
  });
});
