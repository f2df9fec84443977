/**
 * The load loop's recording, exactly: a frozen clock and a scripted driver that answers request `id`
 * after a latency chosen per id, so every value the histograms must hold is known in advance. No
 * sockets here on purpose: this checks the arithmetic (latency = reply time − scheduled time, whole
 * µs, equal values in a row merged into one histogram call), which real runs cannot pin down.
 */
import { describe, expect, it } from 'vitest';
import type { Driver, DriverFactory } from '../src/generator/drivers.js';
import { LoadLoop, type ThreadFinal, type ThreadInterval } from '../src/generator/load-loop.js';
import { createHistogram, encodeHistogram, mergeEncoded } from '../src/histogram.js';
import { resolveRunOptions } from '../src/options.js';

/** Latency of request `id` on connection `conn`, µs: runs of equal values, then a change. */
function latencyUs(conn: number, id: number): number {
  return 100 + 37 * conn + 50 * (Math.floor(id / 5) % 3);
}

describe('LoadLoop recording', () => {
  it('records every measured reply once, at exactly reply time − scheduled time', async () => {
    const connections = 3;
    const requests = 600;
    const plan = resolveRunOptions({ port: 7878, connections, threads: 1, requests, warmup: '0', pipeline: 4 }).plan;
    const clock = 0; // frozen: every request is scheduled (and sent) at 0 ms
    const sent: Array<{ conn: number; id: number }> = [];
    let nextConn = 0;
    const open: DriverFactory = async (sink) => {
      const conn = nextConn++;
      const driver: Driver = {
        requestBytes: 76,
        send(id) {
          sent.push({ conn, id });
          // The reply arrives later (as from a socket), stamped latency µs after the send.
          setImmediate(() => sink.reply(id, clock + latencyUs(conn, id) / 1000, 76, null));
          return true;
        },
        close: async () => undefined,
      };
      return driver;
    };
    const loop = new LoadLoop({ plan, thread: 0, connections: [0, connections], open, clock: () => clock });
    await loop.open();
    const intervals: ThreadInterval[] = [];
    const final = await new Promise<ThreadFinal>((resolve) => {
      loop.start(clock, { interval: (iv) => intervals.push(iv), done: resolve });
    });
    await loop.close();

    expect(sent.length).toBe(requests);
    const h = mergeEncoded(intervals.map((iv) => iv.histogram));
    expect(h.totalCount).toBe(requests);
    // The histogram that recording each latency once, one by one, would give: same bytes.
    const want = createHistogram();
    for (const { conn, id } of sent) want.recordValue(latencyUs(conn, id));
    expect(encodeHistogram(h)).toBe(encodeHistogram(want));
    expect([h.minNonZeroValue, h.maxValue]).toEqual([100, 100 + 37 * 2 + 100]);
    want.destroy();
    const completed = intervals.reduce((n, iv) => n + iv.counters.completed, 0);
    expect(completed).toBe(requests);
    expect(final.connectionsLost).toBe(0);
    h.destroy();
  });
});
