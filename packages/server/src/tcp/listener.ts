/**
 * The framed-protocol TCP listener: accepts connections, enforces `maxConnections` (BUSY with id 0
 * instead of WELCOME, then FIN), and keeps the registry of open connections for STATS and drain.
 */
import { createServer as createNetServer, type AddressInfo, type Server as NetServer, type Socket } from 'node:net';
import { ErrorCode, MessageType, encodeError, encodeFrame } from '@sockbench/protocol';
import type { ProcessContext } from '../context.js';
import { StatelessDispatcher } from '../dispatch/stateless.js';
import { ListenError } from '../errors.js';
import type { Lifecycle } from '../lifecycle.js';
import { Connection } from './connection.js';
import { FrameBudget } from './frame-budget.js';
import { CLOSE_LINGER_MS } from './reply-writer.js';

/** Accepts TCP connections of the framed protocol. */
export class TcpListener implements Lifecycle<AddressInfo> {
  readonly #ctx: ProcessContext;
  readonly #net: NetServer;
  readonly #connections = new Set<Connection>();
  readonly #port: number;
  /** PING/ECHO/COMPUTE with the TCP limits, shared by every connection. */
  readonly #stateless: StatelessDispatcher;
  /** Incomplete frames of every connection: `--max-buffered-bytes` and `--frame-timeout`. */
  readonly #budget: FrameBudget;
  #listening = false;

  constructor(ctx: ProcessContext, port: number) {
    this.#ctx = ctx;
    this.#port = port;
    this.#stateless = new StatelessDispatcher(ctx.executor, { maxIterations: ctx.options.maxIterations });
    this.#budget = new FrameBudget(ctx.options.maxBufferedBytes, ctx.options.frameTimeoutMs);
    this.#net = createNetServer({ noDelay: true }, (socket) => this.#accept(socket));
    this.#net.on('error', (err) => ctx.logger.error({ err: err.message }, 'tcp listener error'));
  }

  /** The budget of incomplete frames shared by the connections (STATS `buffered`). */
  get budget(): FrameBudget {
    return this.#budget;
  }

  /** Open connections. */
  get connections(): ReadonlySet<Connection> {
    return this.#connections;
  }

  listen(): Promise<AddressInfo> {
    const { host } = this.#ctx.options;
    return new Promise((resolve, reject) => {
      const onError = (err: Error): void => reject(new ListenError('TCP', `${host}:${this.#port}`, err));
      this.#net.once('error', onError);
      this.#net.listen({ host, port: this.#port }, () => {
        this.#net.off('error', onError);
        this.#listening = true;
        resolve(this.#net.address() as AddressInfo);
      });
    });
  }

  /** Stops accepting now; resolves once every connection has drained and closed. */
  async close(): Promise<void> {
    if (this.#listening) {
      this.#listening = false;
      // net.Server.close() resolves only when all sockets are gone; we track those ourselves.
      this.#net.close();
    }
    await Promise.all([...this.#connections].map((c) => c.close()));
    this.#budget.close();
  }

  /** Destroys every connection still open (the drain deadline passed). */
  destroyAll(): void {
    for (const c of this.#connections) c.destroy();
  }

  #accept(socket: Socket): void {
    const ctx = this.#ctx;
    const counters = ctx.counters;
    if (this.#connections.size >= ctx.options.maxConnections || ctx.draining) {
      const code = ctx.draining ? ErrorCode.SHUTTING_DOWN : ErrorCode.BUSY;
      const why = ctx.draining ? 'server is shutting down' : `connection limit of ${ctx.options.maxConnections} reached`;
      counters.countError(code);
      socket.on('error', (err: NodeJS.ErrnoException) => counters.countSocketError(err.code ?? 'UNKNOWN'));
      socket.end(encodeFrame(MessageType.ERROR, 0, encodeError(code, why)));
      // The refusal must reach the peer before the socket goes: the same linger as a served connection.
      setTimeout(() => socket.destroy(), CLOSE_LINGER_MS).unref();
      return;
    }
    counters.connectionsCurrent++;
    counters.connectionsTotal++;
    const conn = new Connection(socket, ctx, this.#stateless, this.#budget);
    this.#connections.add(conn);
    void conn.closed.then(() => {
      this.#connections.delete(conn);
      counters.connectionsCurrent--;
    });
  }
}
