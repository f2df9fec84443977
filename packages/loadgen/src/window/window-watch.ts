/**
 * Takes the samples around a run's measured window (see window-view.ts for what is made of them):
 * this process and host, and the server's STATS over the control connection (stats-control.ts).
 * The runner calls {@link WindowWatch.askBaseline} once every connection is open and before the
 * load starts, {@link WindowWatch.startHost} (and after a warm-up {@link WindowWatch.askServer})
 * when measuring starts, and {@link WindowWatch.end} once every thread has drained. Never throws for the server: a failure is kept as the reason the report
 * gives for having no server view.
 */
import { performance } from 'node:perf_hooks';
import { sampleHost, type HostSample } from './host-sample.js';
import type { ServerSample } from './server-sample.js';
import { StatsControl, StatsUnavailable, type StatsTarget } from './stats-control.js';
import { peerForms, type WindowSamples } from './window-view.js';

/** Options of {@link WindowWatch}. */
export interface WindowWatchOptions {
  /** Where STATS goes, or null for no server view. */
  stats: StatsTarget | null;
  /** With `stats` null: why there is no server view (one line). */
  missing?: string;
  /** Main-thread clock, ms (default performance.now). */
  clock?: () => number;
  /** /proc/net/snmp, or another file of its format (tests). */
  snmpPath?: string;
}

type Got = ServerSample | { missing: string };

function missingOf(err: unknown): { missing: string } {
  return { missing: err instanceof StatsUnavailable ? err.message : `STATS failed: ${(err as Error).message}` };
}

/** The samples of one run's window; one instance per run. */
export class WindowWatch {
  readonly #control: StatsControl | null;
  readonly #missing: string;
  readonly #clock: () => number;
  readonly #snmpPath: string | undefined;
  #opened: Promise<{ missing: string } | null> | null = null;
  #peers: readonly string[] = [];
  #hostBefore: HostSample | null = null;
  #baseline: Promise<Got> | null = null;
  #serverBefore: Promise<Got> | null = null;

  constructor(opts: WindowWatchOptions) {
    this.#control = opts.stats === null ? null : new StatsControl(opts.stats, opts.clock);
    this.#missing = opts.missing ?? 'no STATS target given';
    this.#clock = opts.clock ?? (() => performance.now());
    this.#snmpPath = opts.snmpPath;
  }

  /** Opens the control connection ahead of the window (idempotent); resolves, never rejects. */
  prepare(): Promise<{ missing: string } | null> {
    const control = this.#control;
    this.#opened ??= control === null ? Promise.resolve({ missing: this.#missing }) : control.open().then(() => null, missingOf);
    return this.#opened;
  }

  /**
   * Asks the server for the baseline snapshot, before the load starts (once; resolves when its
   * reply is in or it failed, never rejects). Nothing is in flight then, so the UDP split that
   * counts from it is exact.
   * @param peers the generator's UDP source addresses (`ip:port`)
   */
  askBaseline(peers: readonly string[]): Promise<void> {
    if (this.#baseline === null) {
      this.#peers = peers;
      this.#baseline = this.#ask();
    }
    return this.#baseline.then(() => undefined);
  }

  /**
   * Asks the server for the window's first snapshot, as measuring starts after a warm-up (once;
   * never rejects). Without one the baseline is the window's start.
   */
  askServer(): void {
    this.#serverBefore ??= this.#ask();
  }

  /** Samples this process and its host: the window starts now (once). */
  startHost(): void {
    this.#hostBefore ??= sampleHost(this.#clock, this.#snmpPath);
  }

  async #ask(): Promise<Got> {
    const opened = await this.prepare();
    if (opened !== null) return opened;
    try {
      return await this.#control!.sample(this.#peers.flatMap(peerForms));
    } catch (err) {
      return missingOf(err);
    }
  }

  /** After the drain: the last samples, and every sample of the window. */
  async end(): Promise<WindowSamples> {
    // Ended before the window started (Ctrl-C in the warm-up): an empty window.
    this.startHost();
    const hostAfter = sampleHost(this.#clock, this.#snmpPath);
    const generator = { before: this.#hostBefore!, after: hostAfter };
    void this.askBaseline(this.#peers);
    const baseline = await this.#baseline!;
    if ('missing' in baseline) return { generator, server: baseline };
    const before = this.#serverBefore === null ? baseline : await this.#serverBefore;
    if ('missing' in before) return { generator, server: { missing: `as measuring started: ${before.missing}` } };
    const after = await this.#ask();
    if ('missing' in after) return { generator, server: { missing: `after the drain: ${after.missing}` } };
    const control = this.#control!;
    return { generator, server: { address: control.address, peers: this.#peers, baseline, before, after, notes: control.notes } };
  }

  /** Closes the control connection. */
  async close(): Promise<void> {
    await this.#control?.close();
  }
}
