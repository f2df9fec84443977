/** Exit codes of `sockbench-client`, one meaning each (README, "Exit codes"). */
export const ExitCode = {
  /** Done. */
  OK: 0,
  /** The server answered with an ERROR, a request timed out, or the connection dropped mid-session. */
  SERVER_ERROR: 1,
  /** Bad command line (unknown flag, bad value, a command that does not apply over UDP). */
  USAGE: 2,
  /** Cannot connect: one line on stderr naming host:port and the OS error (ECONNREFUSED, …). */
  CONNECT: 3,
} as const;

/** One of {@link ExitCode}'s values. */
export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];
