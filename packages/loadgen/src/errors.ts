/**
 * Errors of the load generator, in one place (undici's `lib/core/errors.js` layout): a base
 * {@link LoadgenError}, one subclass per failure, each with a stable string `code`
 * (`SOCKBENCH_<NAME>`, unique across the sockbench packages) and the process exit status the CLI
 * uses for it. An OS error stays apart as `osCode`, a wire error code as `errorCode`.
 *
 * | class              | code                      | exit |
 * |--------------------|---------------------------|------|
 * | UsageError         | SOCKBENCH_LOADGEN_USAGE   | 2    |
 * | TargetUnreachable  | SOCKBENCH_UNREACHABLE     | 3    |
 * | PlanMismatchError  | SOCKBENCH_PLAN_MISMATCH   | 2    |
 * | ReportFormatError  | SOCKBENCH_REPORT_FORMAT   | 2    |
 * | GeneratorError     | SOCKBENCH_GENERATOR       | 1    |
 * | AgentsError        | SOCKBENCH_AGENTS          | 1    |
 * | StreamFailed       | SOCKBENCH_LOADGEN_STREAM  | 1    |
 */
import { errorCodeName, type ErrorCode } from '@sockbench/protocol';

/** Stable codes of this package's errors (README, "Errors"). */
export const LoadgenErrorCodes = {
  USAGE: 'SOCKBENCH_LOADGEN_USAGE',
  UNREACHABLE: 'SOCKBENCH_UNREACHABLE',
  PLAN_MISMATCH: 'SOCKBENCH_PLAN_MISMATCH',
  REPORT_FORMAT: 'SOCKBENCH_REPORT_FORMAT',
  GENERATOR: 'SOCKBENCH_GENERATOR',
  AGENTS: 'SOCKBENCH_AGENTS',
  STREAM: 'SOCKBENCH_LOADGEN_STREAM',
} as const;

/** One of {@link LoadgenErrorCodes}' values. */
export type LoadgenErrorCode = (typeof LoadgenErrorCodes)[keyof typeof LoadgenErrorCodes];

/** Base class: `code` is stable across versions, `message` is not; `exitCode` is what the CLI exits with. */
export class LoadgenError extends Error {
  /** Stable machine-readable code: one of {@link LoadgenErrorCodes}. */
  readonly code: LoadgenErrorCode;
  /** Process exit status the CLI uses for this error. */
  readonly exitCode: number;

  constructor(message: string, code: LoadgenErrorCode, exitCode: number, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
    this.exitCode = exitCode;
  }
}

/** A flag or option is unknown, malformed, out of range, or conflicts with another (exit 2). */
export class UsageError extends LoadgenError {
  constructor(message: string) {
    super(message, LoadgenErrorCodes.USAGE, 2);
  }
}

/**
 * The target could not be reached before the run started (exit 3). `reason` is an OS error code
 * (`'ECONNREFUSED'`, `'ETIMEDOUT'`, …; kept as `osCode`) or the wire code of the ERROR the server
 * refused the connection with (BUSY at its connection limit, SHUTTING_DOWN; kept as `errorCode`).
 * The message names host:port and the reason either way.
 */
export class TargetUnreachable extends LoadgenError {
  /** OS error code (`ECONNREFUSED`, `ETIMEDOUT`, …), `UNKNOWN` when a thread lost it; undefined for a refusal by ERROR. */
  readonly osCode: string | undefined;
  /** The wire code of the ERROR the server refused with; undefined for an OS failure. */
  readonly errorCode: ErrorCode | undefined;
  readonly host: string;
  readonly port: number;

  constructor(host: string, port: number, reason: string | ErrorCode, detail: string, options?: { cause?: unknown }) {
    const shown = typeof reason === 'string' ? reason : errorCodeName(reason);
    super(`cannot connect to ${host}:${port}: ${shown}${detail && detail !== shown ? ` (${detail})` : ''}`, LoadgenErrorCodes.UNREACHABLE, 3, options);
    this.osCode = typeof reason === 'string' ? reason : undefined;
    this.errorCode = typeof reason === 'string' ? undefined : reason;
    this.host = host;
    this.port = port;
  }
}

/** `merge` was given reports whose plans differ; the message lists every differing field (exit 2). */
export class PlanMismatchError extends LoadgenError {
  /** The differing fields, e.g. `["connections: 50 vs 10"]`. */
  readonly differences: readonly string[];

  constructor(what: string, differences: readonly string[]) {
    super(`cannot merge ${what}: plans differ in ${differences.join('; ')}`, LoadgenErrorCodes.PLAN_MISMATCH, 2);
    this.differences = differences;
  }
}

/** A file given as a report is not a sockbench load-generator report of a known version (exit 2). */
export class ReportFormatError extends LoadgenError {
  constructor(message: string) {
    super(message, LoadgenErrorCodes.REPORT_FORMAT, 2);
  }
}

/** A generator thread failed (crashed, or sent something it should not have) (exit 1). */
export class GeneratorError extends LoadgenError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, LoadgenErrorCodes.GENERATOR, 1, options);
  }
}

/**
 * Generators coordinated through Redis (`--agents`): Redis unreachable or lost, fewer idle agents
 * than asked for within `--agents-wait` (exit 1).
 */
export class AgentsError extends LoadgenError {
  constructor(message: string) {
    super(message, LoadgenErrorCodes.AGENTS, 1);
  }
}

/**
 * A stream test could not run (exit 1): the server predates stream mode (it answered STREAM_OPEN with
 * UNKNOWN_TYPE), refused the session (a cap: BAD_PAYLOAD with its reason, BUSY at --max-streams), or
 * a data path failed (no attach, no address-validation challenge).
 */
export class StreamFailed extends LoadgenError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, LoadgenErrorCodes.STREAM, 1, options);
  }
}
