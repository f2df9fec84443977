/**
 * An unpaced TCP up sender against the real server (in-process, loopback) shares the event loop:
 * it writes at most about SENDER_TURN_BYTES (plus one burst) per turn of the loop, so the same
 * process's other connections (a --bidir down receiver, a second up session, the deadline timer)
 * are served while it runs. Counted in turns of the loop (a setImmediate chain), not in time.
 */
import { performance } from 'node:perf_hooks';
import { afterEach, describe, expect, it } from 'vitest';
import { Client, DEFAULT_MAX_BURST, SENDER_TURN_BYTES, StreamControl, attachTcp, sendStream, type DataPath } from '../src/index.js';
import { closeAll, onCleanup, startServer } from './helpers.js';

afterEach(closeAll);

const clock = (): number => performance.now() * 1000;

/** Counts turns of the event loop: one per check phase, while running. */
function turnCounter(): { readonly turn: number; stop(): void } {
  let turn = 0;
  let live = true;
  const next = (): void => {
    turn++;
    if (live) setImmediate(next);
  };
  setImmediate(next);
  return {
    get turn() {
      return turn;
    },
    stop: () => {
      live = false;
    },
  };
}

describe('unpaced TCP up sender against the server', () => {
  it(`sends at most ${SENDER_TURN_BYTES} bytes and one burst in one turn of the event loop, and the server receives them all`, async () => {
    const { port } = await startServer();
    const client = await Client.connect({ host: '127.0.0.1', port });
    onCleanup(() => client.close());
    const control = new StreamControl(client);
    // 64-byte messages: one wake's burst (256) is 16 KiB, the socket's high-water mark. A sender that
    // goes on from every write the kernel takes whole (never yielding) sends megabytes in one turn.
    // Ended by count, not by time: once it has sent two turns' worth and more, it is stopped, so the
    // bound below is tested however slow the machine (the duration is only the backstop).
    const bound = SENDER_TURN_BYTES / 64 + DEFAULT_MAX_BURST;
    const target = 2 * bound + 1;
    const grant = await control.open({ direction: 'up', transport: 'tcp', size: 64, durationMs: 20_000 });
    const path = await attachTcp({ host: '127.0.0.1', port, session: grant.session, key: grant.key, worker: grant.worker, clock });
    onCleanup(() => path.close());
    const turns = turnCounter();
    let turnOfLast = -1;
    let inTurn = 0;
    let mostInTurn = 0;
    let total = 0;
    let stop: () => void = () => undefined;
    const counting: DataPath = Object.assign(Object.create(path) as DataPath, {
      send(frame: Buffer): boolean {
        if (turns.turn !== turnOfLast) {
          turnOfLast = turns.turn;
          inTurn = 0;
        }
        mostInTurn = Math.max(mostInTurn, ++inTurn);
        const ok = path.send(frame);
        if (++total === target) stop(); // after the send: stopping finishes the path
        return ok;
      },
      onDrain: (cb: () => void) => path.onDrain(cb),
      finish: () => path.finish(),
    });
    await control.start(grant.session);
    const sender = sendStream(counting, { session: grant.session, size: 64, bitrate: null, durationMs: 20_000, clock });
    stop = () => sender.stop();
    const sent = await sender.done;
    turns.stop();
    const report = await control.report(grant.session, sent.messages);
    expect(sent.messages).toBeGreaterThanOrEqual(target); // more than one turn's worth, or the bound says nothing
    expect(mostInTurn).toBeGreaterThan(0);
    expect(mostInTurn).toBeLessThanOrEqual(bound);
    expect(report.role === 'receiver' ? [report.messages, report.lost] : report.role).toEqual([sent.messages, 0]);
  });
});
