/**
 * The stateless requests, PING, ECHO and COMPUTE, checked and handed to the {@link Executor} the same
 * way over TCP and UDP (docs/protocol.md). The transports differ only in what they do with the
 * result and with a failure: TCP answers (or sends ERROR), UDP sends or drops and counts.
 */
import { BadPayloadError, MessageType, decodeCompute, type ComputeLimits } from '@sockbench/protocol';
import type { PoolSink } from '../pool/sink.js';
import type { ExecResult, Executor } from './executor.js';

/** Runs PING, ECHO and COMPUTE for one transport; made once per listener, shared by its connections. */
export class StatelessDispatcher {
  readonly #executor: Executor;
  readonly #limits: ComputeLimits;

  /**
   * @param limits COMPUTE's limits for this transport: `maxIterations` (the server's
   *   `--max-iterations`), and over UDP `minDataBytes` (32, so the digest reply is never larger than
   *   the request)
   */
  constructor(executor: Executor, limits: ComputeLimits) {
    this.#executor = executor;
    this.#limits = limits;
  }

  /**
   * Runs one request when `type` is PING, ECHO or COMPUTE and returns the executor's result (a payload
   * now, QUEUED: `sink` gets the reply with `t0` and `tag`, or null: the pool is full); returns
   * undefined for every other type, which the caller handles. `payload` may be a view into a socket
   * chunk; a queued request's cost is `payload.length`.
   * @throws BadPayloadError for a PING with a payload or a COMPUTE payload outside its limits
   */
  run(type: number, id: number, payload: Buffer, sink: PoolSink, t0: number, tag: unknown): ExecResult | undefined {
    switch (type) {
      case MessageType.PING:
        if (payload.length !== 0) throw new BadPayloadError(`PING payload must be empty, got ${payload.length} bytes`, id);
        return this.#executor.ping(id, sink, t0, tag);
      case MessageType.ECHO:
        return this.#executor.echo(id, payload, sink, t0, tag);
      case MessageType.COMPUTE: {
        const req = decodeCompute(payload, id, this.#limits);
        return this.#executor.compute(id, req.iterations, req.data, payload.length, sink, t0, tag);
      }
      default:
        return undefined;
    }
  }
}
