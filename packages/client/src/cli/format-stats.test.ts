import { describe, expect, it } from 'vitest';
import { formatStats } from './format-stats.js';

describe('formatStats', () => {
  it('renders counters and one aligned service-time row per type', () => {
    const text = formatStats({
      uptimeMs: 12_345,
      processes: 2,
      connections: { current: 3, total: 1200 },
      frames: { in: 10, out: 11 },
      bytes: { in: 2048, out: 4096 },
      errors: { NOT_IN_ROOM: 2, BAD_PAYLOAD: 0 },
      udp: { in: 5, out: 4, dropped: 1 },
      pool: { threads: 4, queued: 0, completed: 7 },
      serviceTimeUs: { PING: { count: 9, p50: 41, p99: 80.4, p999: 80.4, max: 1500 } },
    });
    expect(text.split('\n')).toEqual([
      'uptime 12.3 s, 2 processes',
      'connections  3 open, 1,200 total',
      'frames       10 in, 11 out',
      'bytes        2,048 in, 4,096 out',
      'udp          5 in, 4 out, 1 dropped',
      'pool         4 threads, 0 queued, 7 completed',
      'errors       NOT_IN_ROOM 2',
      'service µs     count     p50     p99   p99.9     max',
      'PING               9      41      80      80   1,500',
    ]);
  });
});
