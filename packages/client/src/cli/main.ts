/**
 * `sockbench-client`: the command line, parsed by yargs from the same option table `connect()`
 * validates with (so `--help` shows the library's defaults, units and ranges).
 */
import type { Readable, Writable } from 'node:stream';
import { yargsOptions } from '@sockbench/options';
import yargs, { type Argv } from 'yargs';
import { connect, type Client } from '../client.js';
import { CONNECT_OPTIONS, type ConnectOptions } from '../options.js';
import { CLI_OPTIONS, COMPUTE_OPTIONS, PING_OPTIONS } from './command-options.js';
import { computeCommand, echoCommand, pingCommand, statsCommand } from './commands.js';
import { UsageError } from '../errors.js';
import { ExitCode, type ExitCodeValue } from './exit-codes.js';
import { runSession } from './interactive.js';
import { describeFailure } from './report.js';

/** The process streams (injectable so the CLI could run in-process; the tests spawn it instead). */
export interface CliIo {
  stdin: Readable & { isTTY?: boolean };
  stdout: Writable & { isTTY?: boolean };
  stderr: Writable;
  env: NodeJS.ProcessEnv;
  /** Resolves on SIGINT (ping stops and prints its summary). */
  interrupted?: Promise<void>;
}

const GLOBAL = 'Connection options (from the library option table):';

function buildParser(argv: string[]): Argv {
  return yargs(argv)
    .scriptName('sockbench-client')
    .usage(
      '$0 [command] [options]\n\nWith no command, an interactive session: a line is sent as ECHO, /help lists the commands.\n' +
        'Exit codes: 0 done, 1 server error (or timeout, connection lost), 2 usage, 3 cannot connect.',
    )
    .command('$0', 'interactive session on a TTY or with lines piped on stdin')
    .command('ping', 'PING like ping(8): one RTT line per reply, then min/avg/max/mdev', (y) =>
      y.options(yargsOptions(PING_OPTIONS)),
    )
    .command('echo <text..>', 'ECHO TEXT and print the reply')
    .command('compute <text..>', 'COMPUTE: SHA-256 of TEXT applied N times on the server; prints the hex digest', (y) =>
      y.options(yargsOptions(COMPUTE_OPTIONS)),
    )
    .command('stats', "print the server's STATS snapshot as JSON (TCP)")
    .command('chat <room>', 'join ROOM and say each stdin line to it; CHAT pushes print as they arrive (TCP)')
    .options(yargsOptions(CONNECT_OPTIONS, { group: GLOBAL }))
    .options(yargsOptions(CLI_OPTIONS, { group: GLOBAL }))
    .strict()
    .help()
    .alias('help', 'h')
    .version(false)
    .exitProcess(false)
    .fail((msg, err) => {
      throw new UsageError(msg ?? err?.message ?? 'bad command line');
    })
    .wrap(Math.min(120, yargs().terminalWidth()));
}

/**
 * Runs the CLI on `argv` (without `node` and the script).
 * @returns the exit code (see exit-codes.ts); never throws
 */
export async function runCli(argv: string[], io: CliIo): Promise<ExitCodeValue> {
  const fail = (err: unknown): ExitCodeValue => {
    const { line, exitCode } = describeFailure(err);
    io.stderr.write(`sockbench-client: ${line}\n`);
    if (exitCode === ExitCode.USAGE) io.stderr.write('run sockbench-client --help for usage\n');
    return exitCode;
  };

  let args: Record<string, unknown> & { _: Array<string | number> };
  let helpShown = false;
  try {
    const parser = buildParser(argv);
    args = await parser.parseAsync(argv, {}, (err, _argv, output) => {
      // yargs hands --help text here instead of printing it; usage errors go through .fail above.
      if (!err && output) {
        helpShown = true;
        io.stdout.write(`${output}\n`);
      }
    });
  } catch (err) {
    return fail(err);
  }
  if (helpShown || args['help'] === true) return ExitCode.OK;

  const command = String(args._[0] ?? '');
  let client: Client | undefined;
  try {
    const { udp } = CLI_OPTIONS.fill(CLI_OPTIONS.fromArgv(args));
    if (udp && (command === 'stats' || command === 'chat')) {
      throw new UsageError(`--udp does not apply to ${command}: UDP serves PING, ECHO and COMPUTE only`);
    }
    const given = CONNECT_OPTIONS.fromArgv(args);
    // An empty SOCKBENCH_TOKEN counts as unset (the way shells clear a variable).
    given.token ??= io.env['SOCKBENCH_TOKEN'] || undefined;
    if (udp) {
      // HELLO is TCP only.
      delete given.token;
      delete given.name;
    }
    // connect() fills the defaults and validates every value (the same table).
    const options = { ...given, transport: udp ? 'udp' : 'tcp' } as ConnectOptions;
    // Command flags are checked before connecting: a bad one exits 2 without touching the server.
    const ping = command === 'ping' ? PING_OPTIONS.fill(PING_OPTIONS.fromArgv(args)) : undefined;
    const iterations = command === 'compute' ? COMPUTE_OPTIONS.fill(COMPUTE_OPTIONS.fromArgv(args)).iterations : 0;

    client = await connect(options);
    const text = Array.isArray(args['text']) ? (args['text'] as unknown[]).map(String).join(' ') : '';
    let code: ExitCodeValue;
    switch (command) {
      case 'ping':
        code = await pingCommand(client, { ...ping!, ...(io.interrupted && { stop: io.interrupted }) }, io.stdout, io.stderr);
        break;
      case 'echo':
        code = await echoCommand(client, text, io.stdout);
        break;
      case 'compute':
        code = await computeCommand(client, iterations, text, io.stdout);
        break;
      case 'stats':
        code = await statsCommand(client, io.stdout);
        break;
      case 'chat':
        return await runSession(client, sessionIo(io), String(args['room']));
      default:
        return await runSession(client, sessionIo(io));
    }
    if (client.transport === 'tcp' && !client.closed) await client.bye();
    return code;
  } catch (err) {
    return fail(err);
  } finally {
    await client?.close();
  }
}

function sessionIo(io: CliIo): Parameters<typeof runSession>[1] {
  return {
    input: io.stdin,
    output: io.stdout,
    errors: io.stderr,
    terminal: io.stdin.isTTY === true && io.stdout.isTTY === true,
    ...(io.interrupted && { interrupted: io.interrupted }),
  };
}
