import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MessageType, encodeFrame, encodeStreamOpen, newStreamDataFrame, stampStreamData } from '@sockbench/protocol';
import { createServer, type Server } from '../src/index.js';
import { Peer, UdpPeer, waitFor } from './helpers.js';

describe('metrics HTTP (--metrics-port)', () => {
  let server: Server;
  let base: string;
  let tcpPort: number;
  beforeAll(async () => {
    server = createServer({ port: 0, metricsPort: 0, threads: 1 });
    const a = await server.listen();
    base = `http://127.0.0.1:${a.metrics!.port}`;
    tcpPort = a.tcp.port;
  });
  afterAll(async () => {
    await server.close();
  });

  it('serves /healthz and 404 elsewhere', async () => {
    const ok = await fetch(`${base}/healthz`);
    expect(ok.status).toBe(200);
    expect(await ok.text()).toBe('ok\n');
    expect((await fetch(`${base}/nope`)).status).toBe(404);
  });

  it('serves Prometheus text reflecting the traffic', async () => {
    const p = await Peer.welcomed(tcpPort);
    try {
      await p.request(MessageType.PING, 1);
      await p.request(0x55, 2);
      const res = await fetch(`${base}/metrics`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toContain('text/plain');
      const text = await res.text();
      expect(text).toMatch(/^sockbench_connections_current 1$/m);
      expect(text).toMatch(/^sockbench_frames_in_total 2$/m);
      expect(text).toMatch(/^sockbench_errors_total\{code="UNKNOWN_TYPE"\} 1$/m);
      expect(text).toMatch(/^sockbench_service_time_us\{type="PING",quantile="0.5"\} \d+$/m);
    } finally {
      p.destroy();
    }
  });

  it('exports the stream numbers of STATS', async () => {
    const p = await Peer.welcomed(tcpPort);
    const u = await UdpPeer.open();
    try {
      // One refused open (over the duration cap), one opened, one datagram for no session.
      await p.request(MessageType.STREAM_OPEN, 1, encodeStreamOpen({ direction: 'up', transport: 'udp', size: 100, durationMs: 60_001, bitrate: 1000 }));
      await p.request(MessageType.STREAM_OPEN, 2, encodeStreamOpen({ direction: 'up', transport: 'udp', size: 100, durationMs: 1000, bitrate: 1000 }));
      await u.send(stampStreamData(newStreamDataFrame(77, 100), 0, 0), tcpPort);
      await waitFor(async () => (await server.stats()).stream.datagramsDropped.unknownSession === 1);
      const text = await (await fetch(`${base}/metrics`)).text();
      expect(text).toMatch(/^sockbench_stream_sessions 1$/m);
      expect(text).toMatch(/^sockbench_stream_opened_total 1$/m);
      expect(text).toMatch(/^sockbench_stream_refused_total 1$/m);
      expect(text).toMatch(/^sockbench_stream_data_connections 0$/m);
      expect(text).toMatch(/^sockbench_stream_datagrams_dropped_total\{reason="unknownSession"\} 1$/m);
    } finally {
      p.destroy();
      u.close();
    }
  });

  it('exports CPU, UDP drops by reason and the host readings of STATS', async () => {
    const u = await UdpPeer.open();
    try {
      await u.send(encodeFrame(0x55, 1), tcpPort);
      await u.send(encodeFrame(MessageType.PING, 2), tcpPort);
      await waitFor(() => u.received.length === 1);
      const stats = await server.stats();
      const text = await (await fetch(`${base}/metrics`)).text();
      expect(text).toMatch(/^sockbench_udp_dropped_by_reason_total\{code="UNSUPPORTED"\} 1$/m);
      const user = Number(/^sockbench_cpu_user_seconds_total (\S+)$/m.exec(text)![1]);
      expect(user).toBeGreaterThanOrEqual(stats.cpu.userUs / 1e6);
      expect(text).toMatch(/^sockbench_cpu_system_seconds_total \S+$/m);
      // A host reading is exported where STATS has one, and left out where it is null.
      for (const [name, value] of [['udp_kernel_drops_total', stats.udp.kernelDrops], ['host_tcp_retransmits_total', stats.tcpRetransmits]] as const) {
        const m = new RegExp(`^sockbench_${name} (\\d+)$`, 'm').exec(text);
        if (value === null) expect(m, name).toBeNull();
        else expect(Number(m![1]), name).toBeGreaterThanOrEqual(value);
      }
    } finally {
      u.close();
    }
  });
});
