/**
 * The STATS control connection of a run: one TCP client (`@sockbench/client`) to the server's STATS
 * port (`--server-host` / `--server-port`, default the target), kept open through the run, asked
 * once when the measured window starts and once after the drain. It never touches the load's
 * connections, and a failure here never fails the run: it becomes the reason the report gives for
 * having no server view.
 *
 * The query asks for the service-time histograms and this generator's UDP peers (at most
 * {@link MAX_QUERY_PEERS} a request, so more sockets take several requests, sent together). An older
 * server that wants an empty STATS answers the query with BAD_PAYLOAD: then it is asked again with an
 * empty payload, and the window has what such a snapshot holds (no histograms, no peers).
 */
import { Client, ConnectError, ConnectionClosedError, ErrorReply, TimeoutError, formatHostPort } from '@sockbench/client';
import { BadPayloadError, MAX_STATS_QUERY_PEERS, MessageType, encodeStatsQuery } from '@sockbench/protocol';
import { performance } from 'node:perf_hooks';
import { readServerSample, type ServerSample } from './server-sample.js';

/** Time one STATS exchange (connect, or request and reply) may take, ms. */
export const STATS_TIMEOUT_MS = 2000;
/** Peers one STATS query may name (docs/protocol.md, "STATS query"). */
export const MAX_QUERY_PEERS = MAX_STATS_QUERY_PEERS;

/** STATS could not be had: `reason` is the one line the report gives. */
export class StatsUnavailable extends Error {
  override readonly name = 'StatsUnavailable';
}

/** Where STATS goes and with what credentials. */
export interface StatsTarget {
  host: string;
  port: number;
  /** HELLO token, or null. */
  token: string | null;
  /** Per exchange, ms (default {@link STATS_TIMEOUT_MS}). */
  timeoutMs?: number;
}

/** The query of request `i` of one snapshot: the first asks for the histograms, each its group of peers. */
export function encodeQuery(i: number, peers: readonly string[]): Buffer {
  return encodeStatsQuery({ ...(i === 0 ? { histograms: true } : {}), ...(peers.length > 0 ? { peers: [...peers] } : {}) });
}

/** Splits peers into groups a query may carry; always at least one (possibly empty) group. */
export function peerGroups(peers: readonly string[], size = MAX_QUERY_PEERS): string[][] {
  const out: string[][] = [];
  for (let i = 0; i < peers.length; i += size) out.push(peers.slice(i, i + size));
  return out.length > 0 ? out : [[]];
}

/** One line for a failed STATS exchange. */
export function describeFailure(err: unknown, target: StatsTarget, timeoutMs: number): string {
  const at = formatHostPort(target.host, target.port);
  if (err instanceof StatsUnavailable) return err.message;
  if (err instanceof ErrorReply) {
    switch (err.codeName) {
      case 'UNAUTHORIZED':
        return target.token === null
          ? `${at} refused STATS: UNAUTHORIZED (the server has a token: pass --token)`
          : `${at} refused the token for STATS: UNAUTHORIZED`;
      case 'UNKNOWN_TYPE':
        return `${at} does not serve STATS: UNKNOWN_TYPE (not a sockbench server, or an older one)`;
      default:
        return `${at} refused STATS: ${err.codeName} (${err.message})`;
    }
  }
  if (err instanceof TimeoutError) return `${at} sent no STATS reply within ${timeoutMs} ms`;
  if (err instanceof ConnectError) return `cannot connect to ${at} for STATS: ${err.osCode}`;
  if (err instanceof BadPayloadError) return `${at} answered STATS with something that is not a STATS snapshot (${err.message})`;
  if (err instanceof ConnectionClosedError) return `the STATS connection to ${at} closed: ${err.message}`;
  return `STATS from ${at} failed: ${(err as Error).message}`;
}

/** The control connection; see the file comment. */
export class StatsControl {
  readonly target: StatsTarget;
  readonly timeoutMs: number;
  /** Caveats met so far (an older server's empty-STATS fallback), for the report's notes. */
  readonly notes: string[] = [];
  readonly #clock: () => number;
  #client: Client | null = null;
  /** The server answered the query with BAD_PAYLOAD: ask with an empty payload from now on. */
  #plain = false;
  /** {@link close} was called: a connect still under way is closed as soon as it completes. */
  #closed = false;

  constructor(target: StatsTarget, clock: () => number = () => performance.now()) {
    this.target = target;
    this.timeoutMs = target.timeoutMs ?? STATS_TIMEOUT_MS;
    this.#clock = clock;
  }

  /** `host:port` of the server asked. */
  get address(): string {
    return formatHostPort(this.target.host, this.target.port);
  }

  /** Opens the connection (again, if the server closed it, e.g. on its idle timeout). @throws StatsUnavailable */
  async open(): Promise<void> {
    if (this.#client !== null && !this.#client.closed) return;
    try {
      const { host, port, token } = this.target;
      const client = await Client.connect({ host, port, timeoutMs: this.timeoutMs, connectTimeoutMs: this.timeoutMs, ...(token !== null ? { token, name: 'sockbench-loadgen stats' } : {}) });
      // The WELCOME (or HELLO reply) says whether a token is needed: ask nothing that is bound to fail.
      if (client.welcome?.auth === true && token === null) {
        await client.close();
        throw new StatsUnavailable(`${this.address} requires a token for STATS (its WELCOME says auth: true): pass --token`);
      }
      if (this.#closed) {
        await client.close();
        throw new StatsUnavailable('the STATS connection was closed before it opened (the run ended)');
      }
      this.#client = client;
    } catch (err) {
      throw new StatsUnavailable(describeFailure(err, this.target, this.timeoutMs), { cause: err });
    }
  }

  /**
   * One snapshot: histograms and the given UDP peers' counters (from several requests when there
   * are more than {@link MAX_QUERY_PEERS}, merged).
   * @throws StatsUnavailable with the reason
   */
  async sample(peers: readonly string[]): Promise<ServerSample> {
    await this.open();
    const client = this.#client!;
    try {
      if (this.#plain) return await this.#plainSample(client);
      const groups = peerGroups(peers);
      const replies = groups.map((g, i) => client.request(MessageType.STATS, encodeQuery(i, g), this.timeoutMs));
      let first;
      try {
        first = await replies[0]!;
      } catch (err) {
        // Settle the rest, so none rejects unhandled.
        await Promise.allSettled(replies);
        if (err instanceof ErrorReply && err.codeName === 'BAD_PAYLOAD') {
          this.#plain = true;
          this.notes.push(`${this.address} takes no STATS query (an older server): no service-time histograms and no per-peer counters, so no service time for the window and UDP from the server's totals`);
          return await this.#plainSample(client);
        }
        throw err;
      }
      const at = this.#clock();
      const sample = readServerSample(first.payload, at);
      for (const r of replies.slice(1)) {
        const more = readServerSample((await r).payload, at);
        if (more.udp.peers !== null) sample.udp.peers = { ...(sample.udp.peers ?? {}), ...more.udp.peers };
      }
      return sample;
    } catch (err) {
      throw new StatsUnavailable(describeFailure(err, this.target, this.timeoutMs), { cause: err });
    }
  }

  async #plainSample(client: Client): Promise<ServerSample> {
    const reply = await client.request(MessageType.STATS, undefined, this.timeoutMs);
    return readServerSample(reply.payload, this.#clock());
  }

  /** Closes the connection. Idempotent. */
  async close(): Promise<void> {
    this.#closed = true;
    const c = this.#client;
    this.#client = null;
    await c?.close().catch(() => undefined);
  }
}

export type { ServerSample };
