/**
 * What every transport driver shares: the interfaces between a driver and the load loop
 * ({@link ReplySink}, {@link Driver}, {@link DriverFactory}), the reply and loss codes, the mapping of
 * a failed opening to TargetUnreachable or UsageError, and the request payload of a plan.
 */
import { ConnectError, ErrorReply, type GrantedBuffers } from '@sockbench/client';
import { encodeCompute } from '@sockbench/protocol';
import type { UnexpectedKind } from '../counters.js';
import { TargetUnreachable, UsageError } from '../errors.js';
import type { LoadPlan } from '../options.js';

/** What a driver reports to the load loop. */
export interface ReplySink {
  /** A reply to request `id` arrived at `atMs` (performance.now()); `bytes` on the wire; `error` null when good. */
  reply(id: number, atMs: number, bytes: number, error: string | null): void;
  /** The connection ended; every request in flight on it is lost with `code` (an OS code or CONNECTION_CLOSED). */
  closed(code: string): void;
  /** A driver that returned false from `send` can send again. */
  drained(): void;
  /**
   * Bytes from the target that decode as no frame (`badFrame`, `frameTooLarge`): a protocol error,
   * counted apart from requests. (Replies to ids never sent come through {@link reply}: only the load
   * loop knows which ids were sent.)
   */
  unexpected(kind: UnexpectedKind): void;
}

/** One connection (or UDP socket) as the load loop sees it. */
export interface Driver {
  /** Sends request `id`; false = backpressure: stop until `sink.drained()`. */
  send(id: number): boolean;
  /** Bytes one request puts on the wire (frame header included for tcp/udp). */
  readonly requestBytes: number;
  /**
   * udp: the socket's source address as the server sees it without a NAT or proxy in between
   * (`ip:port`, IPv6 as `[addr]:port`: the key of the server's per-peer STATS counters); else null.
   */
  readonly peer: string | null;
  /** UDP (udp, raw-udp): SO_SNDBUF/SO_RCVBUF the kernel granted, bytes; null over TCP (Node cannot read them there). */
  readonly buffers?: GrantedBuffers | null;
  /** Closes; resolves once closed. Idempotent. */
  close(): Promise<void>;
}

/** Opens one driver; rejects with TargetUnreachable or UsageError. */
export type DriverFactory = (sink: ReplySink) => Promise<Driver>;

/** Reply code for a reply that does not match its request (wrong type or size, or no RESPONSE flag). */
export const BAD_REPLY = 'BAD_REPLY';
/** Loss code for requests in flight on a connection that the server closed without an OS error. */
export const CONNECTION_CLOSED = 'CONNECTION_CLOSED';

/**
 * The error a failed opening of `plan`'s target is: UsageError for a refused token, else
 * TargetUnreachable with the server's error code or the OS code; anything else unchanged.
 */
export function unreachable(err: unknown, plan: LoadPlan): Error {
  // The server answered the opening with an ERROR: a wrong token is the user's to fix (usage); any
  // other refusal (BUSY at its connection limit, SHUTTING_DOWN) leaves the target unusable.
  if (err instanceof ErrorReply) {
    if (err.codeName === 'UNAUTHORIZED') return new UsageError(`${plan.host}:${plan.port} refused the token: UNAUTHORIZED (${err.message})`);
    return new TargetUnreachable(plan.host, plan.port, err.errorCode, err.message);
  }
  if (err instanceof ConnectError) return new TargetUnreachable(plan.host, plan.port, err.osCode, (err.cause as Error | undefined)?.message ?? '');
  const e = err as NodeJS.ErrnoException;
  if (typeof e?.code === 'string') return new TargetUnreachable(plan.host, plan.port, e.code, e.message);
  return err instanceof Error ? err : new Error(String(err));
}

/** The request payload of a plan (built once; every request of a connection shares it). */
export function requestPayload(plan: LoadPlan): Buffer {
  const data = Buffer.alloc(plan.size, 0x61);
  if (plan.op === 'compute') return encodeCompute(plan.iterations, data);
  if (plan.op === 'echo') return data;
  return Buffer.alloc(0);
}
