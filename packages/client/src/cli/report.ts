/** How the CLI words a failure, and which exit code it means. */
import { ClientError, ConnectError, ErrorReply, UsageError } from '../errors.js';
import { ExitCode, type ExitCodeValue } from './exit-codes.js';

/** One line for stderr (no trailing newline) and the exit code of `err`. */
export function describeFailure(err: unknown): { line: string; exitCode: ExitCodeValue } {
  if (err instanceof ConnectError) return { line: err.message, exitCode: ExitCode.CONNECT };
  if (err instanceof ErrorReply) {
    return { line: `server error ${err.codeName} (${err.errorCode}): ${err.message}`, exitCode: ExitCode.SERVER_ERROR };
  }
  // Bad option values and local argument checks (RangeError/TypeError) are the caller's mistake;
  // UsageError is a ClientError, so it is told apart before the rest of them.
  if (err instanceof UsageError || err instanceof RangeError || err instanceof TypeError) {
    return { line: err.message, exitCode: ExitCode.USAGE };
  }
  if (err instanceof ClientError) return { line: err.message, exitCode: ExitCode.SERVER_ERROR };
  return { line: err instanceof Error ? (err.stack ?? err.message) : String(err), exitCode: ExitCode.SERVER_ERROR };
}

/** Short form for a failed interactive command: `NOT_IN_ROOM: not in room lobby`. */
export function describeCommandError(err: unknown): string {
  if (err instanceof ErrorReply) return `${err.codeName}: ${err.message}`;
  return err instanceof Error ? err.message : String(err);
}
