/**
 * Entry of the `sockbench-client` binary (bin/sockbench-client.js imports the built dist/cli.js).
 * Runs the CLI on the process's argv and streams, then exits with its code (exit-codes.ts).
 */
import { hideBin } from 'yargs/helpers';
import { runCli } from './cli/main.js';

// The first Ctrl-C ends `ping` (with its summary) or the session (with BYE); a second one exits at once.
let onInterrupt!: () => void;
const interrupted = new Promise<void>((resolve) => {
  onInterrupt = resolve;
});
let interrupts = 0;
process.on('SIGINT', () => {
  if (interrupts++ > 0) process.exit(130);
  onInterrupt();
});

const code = await runCli(hideBin(process.argv), {
  stdin: process.stdin,
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  interrupted,
});
// Exit explicitly: stdin may still be open (a session that ended on `quit` before end of input).
// On Linux, writes to pipes, files and TTYs are synchronous, so nothing printed is lost.
process.exit(code);
