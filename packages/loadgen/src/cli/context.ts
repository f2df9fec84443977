/** State and helpers shared by the commands: the name, stderr lines, the stream, Ctrl-C handling. */
import { OUTPUT_OPTIONS, PLAN_OPTIONS, SLO_OPTIONS, SOCKET_OPTIONS, type RunArgs } from '../options.js';
import type { JsonStream } from '../report/json-stream.js';

/** The command's name, the prefix of every line it writes to stderr. */
export const NAME = 'sockbench-loadgen';

/** Writes one line to stderr. */
export function say(line: string): void {
  process.stderr.write(`${line}\n`);
}

/** The plan, output, SLO and socket flags of `run` and `compare`, as parsed. */
export function runArgs(argv: Record<string, unknown>): RunArgs {
  return { ...PLAN_OPTIONS.fromArgv(argv), ...OUTPUT_OPTIONS.fromArgv(argv), ...SLO_OPTIONS.fromArgv(argv), ...SOCKET_OPTIONS.fromArgv(argv) };
}

/** The `--json-stream` of the command under way, once its options are valid (errors after that go there too). */
export const session = { stream: null as JsonStream | null };

/**
 * Ctrl-C: the first ends the current run early (it drains and its reports are written, and `compare`
 * skips the transports not yet run); a second quits at once.
 */
export const interrupt = {
  requested: false,
  endCurrent: null as (() => void) | null,
  install(): void {
    process.once('SIGINT', () => {
      this.requested = true;
      process.stderr.write(`\n${NAME}: interrupted: stopping, draining, writing reports (Ctrl-C again to quit)\n`);
      this.endCurrent?.();
      process.once('SIGINT', () => process.exit(130));
    });
  },
};
