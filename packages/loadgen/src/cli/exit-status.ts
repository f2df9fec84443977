/** A command's exit status: its return value, or the status its error maps to (also to the stream). */
import { isOptionError } from '@sockbench/options';
import { LoadgenError } from '../errors.js';
import { NAME, say, session } from './context.js';

/**
 * Wraps a command for yargs: sets `process.exitCode` to what it returns, or on an error prints it
 * and sets the LoadgenError's status, 2 for an option error, else 1 (with the stack).
 */
export function handle(fn: (argv: Record<string, unknown>) => Promise<number>) {
  return async (argv: Record<string, unknown>): Promise<void> => {
    try {
      process.exitCode = await fn(argv);
    } catch (err) {
      if (err instanceof LoadgenError) {
        say(`${NAME}: ${err.message}`);
        process.exitCode = err.exitCode;
        session.stream?.error(err.code, err.message, err.exitCode);
      } else if (isOptionError(err)) {
        say(`${NAME}: ${err.message}`);
        process.exitCode = 2;
        session.stream?.error(null, err.message, 2);
      } else {
        say(`${NAME}: ${(err as Error).stack ?? String(err)}`);
        process.exitCode = 1;
        session.stream?.error(null, (err as Error).message ?? String(err), 1);
      }
    }
  };
}
