/**
 * Errors of the load generator. Each has a stable string `code` and the process exit status the CLI
 * uses for it (undici's layout: one base class, one subclass per failure).
 *
 * | class              | code                    | exit |
 * |--------------------|-------------------------|------|
 * | UsageError         | LOADGEN_USAGE           | 2    |
 * | TargetUnreachable  | LOADGEN_UNREACHABLE     | 3    |
 * | PlanMismatchError  | LOADGEN_PLAN_MISMATCH   | 2    |
 * | ReportFormatError  | LOADGEN_REPORT_FORMAT   | 2    |
 * | GeneratorError     | LOADGEN_GENERATOR       | 1    |
 */

/** Base class: `code` is stable across versions; `exitCode` is what the CLI exits with. */
export class LoadgenError extends Error {
  /** Stable machine-readable code, e.g. `LOADGEN_USAGE`. */
  readonly code: string;
  /** Process exit status the CLI uses for this error. */
  readonly exitCode: number;

  constructor(message: string, code: string, exitCode: number, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
    this.exitCode = exitCode;
  }
}

/** A flag or option is unknown, malformed, out of range, or conflicts with another (exit 2). */
export class UsageError extends LoadgenError {
  constructor(message: string) {
    super(message, 'LOADGEN_USAGE', 2);
  }
}

/** The target could not be reached before the run started (exit 3). */
export class TargetUnreachable extends LoadgenError {
  /** OS error code (`ECONNREFUSED`, `ETIMEDOUT`, …) or `UNKNOWN`. */
  readonly osCode: string;
  readonly host: string;
  readonly port: number;

  constructor(host: string, port: number, osCode: string, detail: string) {
    super(`cannot connect to ${host}:${port}: ${osCode}${detail && detail !== osCode ? ` (${detail})` : ''}`, 'LOADGEN_UNREACHABLE', 3);
    this.osCode = osCode;
    this.host = host;
    this.port = port;
  }
}

/** `merge` was given reports whose plans differ; the message lists every differing field (exit 2). */
export class PlanMismatchError extends LoadgenError {
  /** The differing fields, e.g. `["connections: 50 vs 10"]`. */
  readonly differences: readonly string[];

  constructor(what: string, differences: readonly string[]) {
    super(`cannot merge ${what}: plans differ in ${differences.join('; ')}`, 'LOADGEN_PLAN_MISMATCH', 2);
    this.differences = differences;
  }
}

/** A file given as a report is not a sockbench load-generator report of a known version (exit 2). */
export class ReportFormatError extends LoadgenError {
  constructor(message: string) {
    super(message, 'LOADGEN_REPORT_FORMAT', 2);
  }
}

/** A generator thread failed (crashed, or sent something it should not have) (exit 1). */
export class GeneratorError extends LoadgenError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, 'LOADGEN_GENERATOR', 1, options);
  }
}
