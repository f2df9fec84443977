import { DEFAULT_PORT } from '@sockbench/protocol';
import { describe, expect, it } from 'vitest';
import { DEFAULT_UDP_RECV_BUFFER, SERVER_OPTIONS, fillOptions, poolPriority, udpRecvBufferAsk } from './options.js';

describe('fillOptions', () => {
  it('merges the documented defaults', () => {
    expect(fillOptions({})).toEqual({
      host: '127.0.0.1',
      port: DEFAULT_PORT,
      rawPort: undefined,
      rawMode: 'echo',
      threads: 2,
      poolQueue: 1024,
      dispatch: 'inline',
      maxConnections: 10_000,
      maxPayload: 1024 * 1024,
      idleTimeoutMs: 300_000,
      maxBufferedBytes: 256 * 1024 * 1024,
      frameTimeoutMs: 30_000,
      maxIterations: 100_000,
      drainTimeoutMs: 10_000,
      token: undefined,
      udpWithToken: false,
      metricsPort: undefined,
      udpRecvBuffer: undefined,
      udpPeerTable: 4096,
      redis: undefined,
      maxStreams: 16,
      maxStreamsPerConnection: 8,
      maxStreamBitrate: 1_000_000_000,
      maxStreamDurationMs: 60_000,
    });
  });

  it('takes the defaults from the same table that feeds --help', () => {
    const filled = fillOptions({}) as unknown as Record<string, unknown>;
    for (const row of SERVER_OPTIONS.rows) {
      expect(filled[row.key], row.key).toBe(row.default);
    }
  });

  it.each([
    [{ port: 70000 }, /options\.port \(--port\) must be an integer in 0\.\.65535, got 70000/],
    [{ threads: 0 }, /options\.threads \(--threads\) must be an integer in 1\.\.256 threads per process, got 0/],
    [{ maxPayload: 16 * 1024 * 1024 + 1 }, /options\.maxPayload \(--max-payload\) must be an integer in 0\.\.16777216 bytes, got 16777217/],
    [{ idleTimeoutMs: -1 }, /options\.idleTimeoutMs \(--idle-timeout\) must be an integer in 0\.\.86400000 ms, got -1/],
    [{ poolQueue: 1.5 }, /options\.poolQueue \(--pool-queue\) must be an integer/],
    [{ dispatch: 'threads' as 'pool' }, /options\.dispatch \(--dispatch\) must be one of inline, pool, got threads/],
    [{ host: '' }, /options\.host \(--host\) must be a non-empty address/],
    [{ token: '' }, /options\.token \(--token\) must be a non-empty string/],
    [{ maxBufferedBytes: 1000 }, /options\.maxBufferedBytes \(--max-buffered-bytes\) must be an integer in 65536\.\.68719476736 bytes per process, got 1000/],
    [{ frameTimeoutMs: -1 }, /options\.frameTimeoutMs \(--frame-timeout\) must be an integer in 0\.\.86400000 ms, got -1/],
    [{ udpRecvBuffer: 100 }, /options\.udpRecvBuffer \(--udp-recv-buffer\) must be an integer in 4096\.\.1073741824 bytes, got 100/],
  ])('rejects %j', (bad, message) => {
    expect(() => fillOptions(bad)).toThrow(message);
  });

  it('throws RangeError for out-of-range numbers and TypeError for non-integers', () => {
    expect(() => fillOptions({ maxConnections: 0 })).toThrow(RangeError);
    expect(() => fillOptions({ maxConnections: Number.NaN })).toThrow(TypeError);
  });
});

describe('maxBufferedBytes', () => {
  it('must hold one frame of maxPayload and its header', () => {
    expect(fillOptions({ maxPayload: 100_000, maxBufferedBytes: 100_012 }).maxBufferedBytes).toBe(100_012);
    expect(() => fillOptions({ maxPayload: 100_000, maxBufferedBytes: 100_011 })).toThrow(
      'options.maxBufferedBytes (--max-buffered-bytes) must be an integer in 100012..68719476736 bytes per process (one frame of --max-payload 100000 and its header, at least), got 100011',
    );
    expect(() => fillOptions({ maxBufferedBytes: 1024 * 1024 })).toThrow(RangeError);
  });
});

describe('rawMode', () => {
  it('accepts echo and sockperf, and names the option and the choices otherwise', () => {
    expect(fillOptions({ rawMode: 'sockperf' }).rawMode).toBe('sockperf');
    expect(() => fillOptions({ rawMode: 'iperf' as never })).toThrow('options.rawMode (--raw-mode) must be one of echo, sockperf, got iperf');
  });
});

describe('pool priority and the UDP receive buffer ask', () => {
  it('inline: nice 10 and SCHED_IDLE (on Linux); pool: nice 0 and other; given values win', () => {
    const idle = process.platform === 'linux' ? 'idle' : 'other';
    expect(poolPriority(fillOptions({}))).toEqual([10, idle]);
    expect(poolPriority(fillOptions({ dispatch: 'pool' }))).toEqual([0, 'other']);
    expect(poolPriority(fillOptions({ poolNice: 3, poolPolicy: 'other' }))).toEqual([3, 'other']);
    expect(poolPriority(fillOptions({ dispatch: 'pool', poolPolicy: 'idle' }))).toEqual([0, 'idle']);
  });

  it('asks 4 MiB unless --udp-recv-buffer says otherwise', () => {
    expect(DEFAULT_UDP_RECV_BUFFER).toBe(4_194_304);
    expect(udpRecvBufferAsk(fillOptions({}))).toBe(4_194_304);
    expect(udpRecvBufferAsk(fillOptions({ udpRecvBuffer: 65_536 }))).toBe(65_536);
  });

  it('--pool-policy takes only idle or other', () => {
    expect(() => fillOptions({ poolPolicy: 'fifo' as never })).toThrow('options.poolPolicy (--pool-policy) must be one of other, idle, got fifo');
  });
});
