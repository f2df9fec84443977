/**
 * Where the outcome of a request handed to the pool goes: one object per TCP connection (its
 * Session) or per UDP endpoint, called once per request with what it gave at hand-off. A callback
 * rather than a promise per request, so a batch of 100 replies costs no promise and no closure each.
 */

/** Receives each pooled request's reply, or its failure; exactly one of the two per request. */
export interface PoolSink {
  /**
   * The reply to request `id` of `type`, handed off at `t0` (ms) holding `cost` request bytes, with
   * the caller's `tag`. `payload` may be a view into the batch's buffer (it stays valid).
   */
  poolReply(type: number, id: number, payload: Uint8Array, t0: number, cost: number, tag: unknown): void;
  /** The task carrying request `id` failed on the thread (or the pool closed under it). */
  poolFailed(type: number, id: number, err: unknown, cost: number, tag: unknown): void;
}
